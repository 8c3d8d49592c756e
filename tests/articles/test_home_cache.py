"""Visitors get the home page from the cache; an edit, or a scheduled article falling due,
shows at once; signed-in readers never get the visitors' copy."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.services import rendering
from tests.factories import UserFactory
from tests.utils import wait_until

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_visitors_get_the_cached_home_page_and_an_edit_shows_at_once(client):
    article = ArticleFactory(title="Before the edit", featured=True)
    rendering.article_render(article=article)
    assert "Before the edit" in client.get(reverse("articles:home")).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert "Before the edit" in client.get(reverse("articles:home")).content.decode()
    assert len(queries) == 0

    article.title = "After the edit"
    article.save()
    rendering.article_render(article=article)  # what the admin does on save
    assert "After the edit" in client.get(reverse("articles:home")).content.decode()


def test_a_scheduled_article_appears_on_the_cached_home_page_when_it_falls_due(client):
    rendering.article_render(article=ArticleFactory(title="Already out"))
    due = timezone.now() + dt.timedelta(seconds=1.5)
    rendering.article_render(article=ArticleFactory(title="Coming soon", published_at=due))

    def shown() -> bool:
        return "Coming soon" in client.get(reverse("articles:home")).content.decode()

    assert not shown()
    # The cached copy lives until the next article falls due (whole seconds, rounded up): shown
    # at the latest 1.1 s after `due`, checked once more after that moment.
    wait_until(
        shown,
        timeout=max(0.0, (due - timezone.now()).total_seconds()) + 1.1,
        interval=0.05,
        raise_on_timeout=False,
    )
    assert shown()


def test_signed_in_readers_do_not_get_the_visitors_copy(client):
    rendering.article_render(article=ArticleFactory(title="Shared list"))
    assert "Log in" in client.get(reverse("articles:home")).content.decode()
    client.force_login(UserFactory())
    page = client.get(reverse("articles:home")).content.decode()
    assert "My genetics" in page and "Shared list" in page
