"""Fixtures for the membership tests: plans, captured Stripe-event tasks, rate limits."""

import pytest
from django.core.cache import cache

from billing.models import Plan

from .helpers import SECRET


def _clear_rate_limits() -> None:
    """Forget allauth's rate-limit counters and our sync nudges, and nothing else.

    `cache.clear()` on Redis flushes the whole database, which in CI is also the Celery
    broker's: it would drop queued tasks and the queue bindings a running worker relies on.
    """
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:  # LocMemCache: private to this process
        cache.clear()
        return
    client = client_of(write=True)
    for pattern in ("*allauth:rl:*", "*members:sync-nudge:*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth's rate limits live in the real cache (Redis in CI); start each test clean."""
    _clear_rate_limits()
    yield
    _clear_rate_limits()


@pytest.fixture
def queued(monkeypatch):
    """Capture Stripe-event tasks instead of sending them to the broker."""
    from billing import tasks

    calls: list[int] = []
    monkeypatch.setattr(
        tasks.stripe_event_process, "apply_async", lambda args, **options: calls.append(*args)
    )
    return calls


@pytest.fixture
def plans(db):
    monthly, _ = Plan.objects.update_or_create(
        slug="monthly",
        defaults={
            "name": "Monthly",
            "interval": "month",
            "amount": 600,
            "currency": "eur",
            "trial_days": 0,
            "is_active": True,
            "order": 1,
            "stripe_price_id": "",
        },
    )
    annual, _ = Plan.objects.update_or_create(
        slug="annual",
        defaults={
            "name": "Annual",
            "interval": "year",
            "amount": 6000,
            "currency": "eur",
            "trial_days": 0,
            "is_active": True,
            "order": 2,
            "stripe_price_id": "",
        },
    )
    return {"monthly": monthly, "annual": annual}


@pytest.fixture
def gated_article(db):
    """A published article whose lifehacks section is for members only."""
    from articles.services import rendering as article_rendering
    from tests.articles.factories import ArticleFactory, SectionFactory

    article = ArticleFactory(title="Gated for the join test", slug="gated-join-test")
    SectionFactory(article=article, order=1, heading="What it is", body="Public words.")
    SectionFactory(
        article=article,
        order=2,
        heading="Lifehacks",
        kind="lifehacks",
        access="members",
        body=SECRET,
    )
    return article_rendering.article_render(article=article)
