"""Security headers on every kind of response, not only the public pages: member pages, JSON,
downloads, feeds, previews, the admin and the refusals (403, 404, 413, 429).

tests/genlife/test_security_headers.py checks the header values on six public pages; this
checks that no view or error path drops them.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.selectors import AccessLevel, article_preview_url
from tests.articles.factories import ArticleFactory, SectionFactory
from tests.factories import MemberFactory, StaffFactory, UserFactory, sign_in_with_two_factor
from tests.genotypes.factories import upload_for

pytestmark = pytest.mark.django_db


def _assert_headers(response, where: str) -> None:
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", where
    assert response["Strict-Transport-Security"].startswith("max-age=31536000"), where
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "'unsafe-inline'" not in directives.get(
        "script-src", directives.get("default-src", [])
    ), where
    framing_denied = response.get("X-Frame-Options") == "DENY" or directives.get(
        "frame-ancestors"
    ) == ["'none'"]
    assert framing_denied or "sandbox" in directives, f"{where}: may be framed"


@pytest.fixture(autouse=True)
def _production_headers(settings):
    settings.SECURE_HSTS_SECONDS = 31536000


def test_every_kind_of_response_keeps_the_security_headers(client):
    article = ArticleFactory(slug="headers")
    SectionFactory(article=article, heading="Public", body="Words.")
    SectionFactory(article=article, heading="Gated", body="Secret words.", access="members")
    from articles.services import rendering

    rendering.article_render(article=article)
    member = MemberFactory()
    upload = upload_for(member)
    other_upload = upload_for(MemberFactory())

    visitor_paths = {
        "article": article.get_absolute_url(),
        "feed": reverse("articles:feed"),
        "sitemap": reverse("articles:sitemap"),
        "robots": reverse("articles:robots_txt"),
        "search": reverse("articles:search") + "?q=words",
        "preview": article_preview_url(article=article, access=AccessLevel.MEMBERS),
        "sample download": reverse("genotypes:sample_file"),
        "404": "/no-such-page/",
        "admin login redirect": reverse("admin:index"),
    }
    for where, path in visitor_paths.items():
        _assert_headers(client.get(path, secure=True), where)
    etag = client.get(article.get_absolute_url(), secure=True)["ETag"]
    _assert_headers(
        client.get(article.get_absolute_url(), secure=True, HTTP_IF_NONE_MATCH=etag), "304"
    )

    client.force_login(member)
    member_paths = {
        "account": reverse("members:account"),
        "my genetics": reverse("genotypes:mine"),
        "upload status": reverse("genotypes:upload_status", args=[upload.pk]),
        "upload status JSON": reverse("genotypes:upload_status_json", args=[upload.pk]),
        "someone else's upload (404)": reverse("genotypes:upload_status", args=[other_upload.pk]),
        "two-factor settings": reverse("mfa_index"),
        "sessions": reverse("usersessions_list"),
        "admin for a member (403 or redirect)": reverse("admin:index"),
    }
    for where, path in member_paths.items():
        _assert_headers(client.get(path, secure=True), where)
    too_big = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("g.txt", b"x"), "consent": "on"},
        CONTENT_LENGTH=str(2 * 1024**3),  # over every format's limit (a VCF may be 1 GB)
        secure=True,
    )
    assert too_big.status_code == 413
    _assert_headers(too_big, "413")

    client.force_login(UserFactory())
    _assert_headers(client.get(reverse("genotypes:upload"), secure=True), "members-only (403)")

    client.force_login(StaffFactory(is_superuser=True))
    refusal = client.get(reverse("admin:index"), secure=True)
    assert refusal.status_code == 403
    _assert_headers(refusal, "admin two-factor refusal")
    sign_in_with_two_factor(client, StaffFactory(is_superuser=True))
    _assert_headers(client.get(reverse("admin:index"), secure=True), "admin")


def test_rate_limited_responses_keep_the_security_headers(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login": "1/m/ip",
        "genome_upload": "0/h/user",
    }
    client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"}, secure=True)
    limited = client.post(
        reverse("account_login"), {"login": "a@example.com", "password": "x"}, secure=True
    )
    assert limited.status_code == 429
    _assert_headers(limited, "allauth 429")
    client.force_login(MemberFactory())
    upload = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("g.txt", b"x"), "consent": "on"},
        secure=True,
    )
    assert upload.status_code == 429
    _assert_headers(upload, "upload 429")
