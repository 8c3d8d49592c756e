from celery import Celery
from django.db import OperationalError
from django.urls import reverse

from genlife import health


def test_healthz_reports_database_and_broker_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_without_detail_when_broker_is_unreachable(client, db, monkeypatch):
    # A port nothing listens on: the broker connection really fails. A separate Celery app,
    # so that the site's own app (and its producer pool) never sees the bad address; Celery
    # reads the environment variable before its own setting, so that is pointed there too.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:9/0", set_as_current=False)
    monkeypatch.setattr(health, "app", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "unavailable",
        "storage": "ok",
    }
    assert b"Traceback" not in response.content


def test_healthz_answers_503_when_database_fails(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert b"connection refused" not in response.content


def test_home_page_has_title_description_and_one_h1(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>" in html and '<meta name="description"' in html
    assert html.count("<h1") == 1
    assert 'href="/static/css/site.css"' in html


def test_header_offers_join_and_login_to_visitors(client, db):
    html = client.get("/").content.decode()
    assert f'href="{reverse("billing:join")}?next=/"' in html  # joining leads back here
    assert reverse("account_login") in html


def test_unknown_url_gets_the_site_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_account_page_requires_login(client, db):
    response = client.get(reverse("members:account"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_genetics_page_lists_catalogue_snps(client, db):
    from genotypes.models import Snp

    Snp.objects.create(rsid="rs1799971", gene="OPRM1", chromosome="6")
    response = client.get(reverse("genotypes:index"))
    assert response.status_code == 200
    assert b"rs1799971" in response.content and b"OPRM1" in response.content


def test_static_files_are_served_by_whitenoise_middleware():
    from django.conf import settings

    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
