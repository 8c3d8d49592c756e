"""Visitors' search pages come from the cache, per query; an article edit or a catalogue
change shows at once, signed-in readers never get the visitors' copy, and gated text never
reaches a cached page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.services import rendering
from tests.factories import MemberFactory, UserFactory
from tests.genotypes.factories import SnpFactory

from .conftest import GATED_TEXT, LIFEHACK_TEXT
from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _search(client, query: str) -> str:
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_visitor_search_is_served_from_the_cache(client):
    rendering.article_render(article=ArticleFactory(title="Methylation and folate"))
    first = _search(client, "methylation")
    assert "Methylation and folate" in first
    with CaptureQueriesContext(connection) as queries:
        again = _search(client, "  methylation ")  # the same query once cleaned
    assert [q["sql"] for q in queries] == []
    assert again == first
    # another query is its own entry
    assert "Methylation and folate" not in _search(client, "caffeine")


def test_an_article_edit_shows_in_the_next_visitor_search(client):
    article = ArticleFactory(title="Caffeine before the edit")
    rendering.article_render(article=article)
    assert "Caffeine before the edit" in _search(client, "caffeine")
    article.title = "Caffeine after the edit"
    article.save()
    rendering.article_render(article=article)
    page = _search(client, "caffeine")
    assert "Caffeine after the edit" in page and "before the edit" not in page


def test_a_catalogue_change_shows_in_the_next_visitor_search(client):
    assert "rs9990001" not in _search(client, "ZZGENE1")
    SnpFactory(rsid="rs9990001", gene="ZZGENE1")
    assert "rs9990001" in _search(client, "ZZGENE1")


def test_signed_in_readers_never_get_the_visitors_copy(client, gated_article):
    SnpFactory(rsid="rs4680", gene="COMT")
    visitors = _search(client, "rs4680")
    assert 'name="rsid"' not in visitors  # the look-up in one's own file is for members
    client.force_login(MemberFactory())
    assert 'name="rsid"' in _search(client, "rs4680")
    client.force_login(UserFactory())
    assert "Log in" not in _search(client, "rs4680")


def test_gated_text_never_reaches_a_cached_visitor_page(client, gated_article):
    for query in ("secret trial", "diary sleep", "gated example"):
        for _ in range(2):  # built, then from the cache
            page = _search(client, query)
            assert GATED_TEXT not in page and LIFEHACK_TEXT not in page
            assert "twice as well" not in page and "six weeks" not in page
