"""Revalidation and browser caching of article pages: validators belong to one reader's copy,
and a page with a member's genotypes is never stored by the browser."""

import pytest
from django.test import Client
from django.utils.http import http_date

from billing.models import Membership
from tests.factories import MemberFactory, UserFactory

from .conftest import GATED_TEXT

pytestmark = pytest.mark.django_db

PUBLIC_TEXT = "Public words about the drug"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_members_page_is_no_store_with_no_date_validator(gated_article):
    response = _client(MemberFactory()).get(gated_article.get_absolute_url())
    assert GATED_TEXT in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "Last-Modified" not in response


def test_a_lapsed_member_revalidating_by_date_alone_gets_the_public_page(gated_article):
    member = MemberFactory()
    client = _client(member)
    assert GATED_TEXT in client.get(gated_article.get_absolute_url()).content.decode()
    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)
    again = client.get(gated_article.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=http_date())
    assert again.status_code == 200, "a 304 would let the browser keep showing the member copy"
    assert PUBLIC_TEXT in again.content.decode()
    assert GATED_TEXT not in again.content.decode()


def test_a_visitor_who_joins_is_not_sent_back_to_the_visitor_copy(gated_article):
    client = _client()
    visitor_copy = client.get(gated_article.get_absolute_url())
    assert visitor_copy["Last-Modified"] and GATED_TEXT not in visitor_copy.content.decode()
    client.force_login(MemberFactory())
    for headers in (
        {"HTTP_IF_MODIFIED_SINCE": visitor_copy["Last-Modified"]},
        {"HTTP_IF_NONE_MATCH": visitor_copy["ETag"]},
        {
            "HTTP_IF_NONE_MATCH": visitor_copy["ETag"],
            "HTTP_IF_MODIFIED_SINCE": visitor_copy["Last-Modified"],
        },
    ):
        response = client.get(gated_article.get_absolute_url(), **headers)
        assert response.status_code == 200, headers
        assert GATED_TEXT in response.content.decode()


def test_a_signed_in_reader_revalidates_by_their_own_etag_only(gated_article):
    client = _client(UserFactory())
    first = client.get(gated_article.get_absolute_url())
    assert first["Cache-Control"] == "private, no-cache"
    assert "Last-Modified" not in first
    assert (
        client.get(gated_article.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=http_date()).status_code
        == 200
    )
    assert (
        client.get(gated_article.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 304
    )
    visitor_etag = _client().get(gated_article.get_absolute_url())["ETag"]
    assert visitor_etag != first["ETag"]
    assert (
        client.get(gated_article.get_absolute_url(), HTTP_IF_NONE_MATCH=visitor_etag).status_code
        == 200
    )


def test_visitors_share_one_copy_and_revalidate_by_etag_or_date(gated_article):
    first = _client().get(gated_article.get_absolute_url())
    assert first["Cache-Control"] == "no-cache"
    other = _client()
    assert (
        other.get(gated_article.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 304
    )
    assert (
        other.get(
            gated_article.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
        ).status_code
        == 304
    )
