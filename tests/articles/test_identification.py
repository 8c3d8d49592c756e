"""Every member page identifies its reader afresh: the user and their membership are read in
one query per request and never kept across requests, so a lapse, a revocation, a password
change or a deactivation counts on the very next request."""

import datetime as dt
import importlib

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches
from django.utils import timezone

import genlife.urls
from billing.models import Membership
from members.models import User
from tests.factories import TEST_PASSWORD, MemberFactory

from .conftest import GATED_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberFactory()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads_gated_text(client, article) -> bool:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return GATED_TEXT in response.content.decode()


def test_a_lapsed_membership_shuts_the_gate_on_the_next_request(gated_article, member):
    client = _signed_in(member)
    assert _reads_gated_text(client, gated_article)
    # A bulk update, as the reconciliation or a webhook might write: no signal, no save().
    Membership.objects.filter(user=member).update(
        status=Membership.Status.ACTIVE, current_period_end=timezone.now() - dt.timedelta(days=1)
    )
    assert not _reads_gated_text(client, gated_article)


def test_a_revoked_complimentary_membership_counts_on_the_next_request(gated_article, member):
    Membership.objects.filter(user=member).update(status=Membership.Status.COMPLIMENTARY)
    client = _signed_in(member)
    assert _reads_gated_text(client, gated_article)
    Membership.objects.filter(user=member).update(
        complimentary_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert not _reads_gated_text(client, gated_article)
    # and granting it again opens the gate on the next request just as quickly
    Membership.objects.filter(user=member).update(complimentary_until=None)
    assert _reads_gated_text(client, gated_article)


def test_a_password_change_signs_out_the_other_sessions_on_their_next_request(
    gated_article, member
):
    laptop = Client()
    assert (
        laptop.post(
            "/accounts/login/", {"login": member.email, "password": TEST_PASSWORD}
        ).status_code
        == 302
    )
    phone = _signed_in(member)
    assert _reads_gated_text(laptop, gated_article)
    assert _reads_gated_text(phone, gated_article)

    new_password = "a-new-and-longer-passphrase-93"
    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302

    # The session that changed it stays signed in; the other one is signed out at once.
    assert _reads_gated_text(laptop, gated_article)
    assert not _reads_gated_text(phone, gated_article)
    assert phone.get("/account/").status_code == 302  # back to the login page


def test_a_deactivated_account_is_signed_out_on_the_next_request(gated_article, member):
    client = _signed_in(member)
    assert _reads_gated_text(client, gated_article)
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert not _reads_gated_text(client, gated_article)
    assert client.get("/account/").status_code == 302


@pytest.fixture
def identified_floor():
    """The benchmark's identification-only view, routed as GENLIFE_BENCH_FLOOR=1 routes it."""
    with override_settings(GENLIFE_BENCH_FLOOR=True):
        importlib.reload(genlife.urls)
        clear_url_caches()
    yield "/bench/identified"
    importlib.reload(genlife.urls)
    clear_url_caches()


def _membership_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "members_membership" in q["sql"]]


def test_the_user_and_the_membership_are_read_in_one_query(identified_floor, member):
    client = _signed_in(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(identified_floor)
    assert response.content == b"member\n"
    [read] = _membership_reads(queries)
    assert "members_user" in read and "JOIN" in read
    assert not [q for q in queries if q["sql"].startswith("SELECT 1")]  # no health check


def test_a_reader_without_a_membership_row_needs_no_query_to_be_told_no(identified_floor):
    client = _signed_in(User.objects.create_user(email="no-membership@example.com"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(identified_floor).content == b"reader\n"
    assert len(_membership_reads(queries)) == 1  # the user's own read, joined


def test_sessions_signed_in_by_django_s_model_backend_are_still_served(identified_floor, member):
    """Sessions keep the path of the backend that signed them in; the plain one still works
    (two queries instead of one)."""
    client = Client()
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(identified_floor).content == b"member\n"
    assert len(_membership_reads(queries)) == 1
    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)
    assert client.get(identified_floor).content == b"reader\n"
