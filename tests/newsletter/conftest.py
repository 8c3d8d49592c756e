"""Newsletter tests: email kept in memory (pytest-django's locmem backend), a rendered article
with public and members' sections, and a helper that runs the whole pipeline in-process (beat
sweep, listing, batches)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.services import rendering
from newsletter.models import Subscription
from tests.articles.factories import ArticleFactory, ReferenceFactory, SectionFactory

PUBLIC_TEXT = "Low dose naltrexone is a small dose of an old opioid blocker."
REPORT_TEXT = "The report covers the variants with the clearest trial evidence so far."
LIFEHACK_TEXT = "Keep a private diary of sleep quality for six weeks."
BLOCK_TEXT = "Carriers of G should mention the plan to the anaesthetist."
GATED_TEXTS = [REPORT_TEXT, LIFEHACK_TEXT, BLOCK_TEXT]


@pytest.fixture(autouse=True)
def _newsletter_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://genlife.example"
    cache.clear()
    yield
    cache.clear()


def make_article(**fields):
    """A live article (just published unless told) with one public and two members' sections."""
    from tests.articles.factories import ldn_catalogue

    snps = ldn_catalogue()
    fields.setdefault("published_at", timezone.now() - dt.timedelta(minutes=1))
    article = ArticleFactory(**fields)
    ReferenceFactory(article=article, number=1)
    SectionFactory(article=article, order=1, heading="What it is", body=f"{PUBLIC_TEXT} [ref:1]")
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body=REPORT_TEXT,
        teaser="Members see their genotypes here.",
    )
    rendering.section_snps_set(section=report, rsids=[snp.rsid for snp in snps[:3]])
    SectionFactory(
        article=article,
        order=3,
        heading="Lifehacks",
        kind="lifehacks",
        access="members",
        body=f'{LIFEHACK_TEXT}\n\n::: if rs1799971 carries G "For G carriers"\n{BLOCK_TEXT}\n:::',
    )
    return rendering.article_render(article=article)


@pytest.fixture
def article(db):
    return make_article(title="Naltrexone and your genes", slug="naltrexone-and-genes")


def subscribe(user):
    Subscription.objects.update_or_create(user=user, defaults={"subscribed": True})
    return user


@pytest.fixture
def run_newsletter(eager_tasks, django_capture_on_commit_callbacks):
    """Run the beat sweep and everything it queues, in-process, as the worker would."""
    from newsletter.services import sending

    def run(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return sending.newsletter_issues_due(now=now)

    return run
