import pytest
from django.core.cache import cache

from articles.services import importing, rendering
from tests.factories import StaffFactory, sign_in_with_two_factor

from .factories import (
    ArticleFactory,
    ReferenceFactory,
    SectionFactory,
    TopicFactory,
    ldn_catalogue,
)

GATED_TEXT = "Carriers of this allele responded twice as well in the secret trial."
LIFEHACK_TEXT = "Keep a private diary of sleep quality for six weeks."


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded images (overview, author photo) go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gated_article(db):
    """A published article with public, genotype report and lifehacks sections, rendered."""
    snps = ldn_catalogue()
    article = ArticleFactory(
        title="Gated example",
        slug="gated-example",
        key_takeaways=["Low doses act differently from full doses."],
    )
    article.topics.add(TopicFactory(name="Medications", slug="medications"))
    ReferenceFactory(article=article, number=1)
    SectionFactory(
        article=article, order=1, heading="What it is", body="Public words about the drug [ref:1]."
    )
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body=GATED_TEXT,
        teaser="Members see their genotypes here.",
    )
    rendering.section_snps_set(section=report, rsids=[snp.rsid for snp in snps[:3]])
    SectionFactory(
        article=article,
        order=3,
        heading="Lifehacks",
        kind="lifehacks",
        access="members",
        body=LIFEHACK_TEXT,
    )
    return rendering.article_render(article=article)


@pytest.fixture
def demo_articles(db):
    ldn_catalogue()
    return importing.demo_articles_load()


@pytest.fixture
def editor(client):
    """A client signed in as a superuser editor (with the second factor)."""
    user = StaffFactory(is_superuser=True)
    sign_in_with_two_factor(client, user)  # superusers hold the genetic-data permission
    return client
