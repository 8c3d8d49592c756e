"""The reading design through the client: citations in order of first use with back links,
the contents list, card pictures, the home page's sample report and price, the author box."""

import datetime as dt
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from articles.citations import citation_order
from articles.models import Section
from articles.services import rendering
from billing.models import Plan
from genotypes.models import SnpInterpretation
from tests.factories import MemberFactory

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ReferenceFactory,
    SectionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def _article_citing(*, gated_cites: bool = False):
    """References 1-3, cited in the text as 3, then 1 (twice); 2 only in a members' section."""
    article = ArticleFactory(title="Cited out of order")
    for number, title in ((1, "First by the editor"), (2, "Second by the editor"), (3, "Third")):
        ReferenceFactory(article=article, number=number, title=title, year=2000 + number)
    SectionFactory(article=article, order=1, heading="Opening", body="Starts with [ref:3].")
    SectionFactory(article=article, order=2, heading="Middle", body="Then [ref:1] and [ref:1,3].")
    SectionFactory(
        article=article,
        order=3,
        heading="For members",
        access=Section.Access.MEMBERS,
        teaser="Members read more.",
        body="Member-only claim citing [ref:2]." if gated_cites else "Nothing cited.",
    )
    rendering.article_render(article=article)
    return article


def test_citation_order_puts_cited_first_then_the_rest_in_editor_order():
    assert citation_order(cited=[5, 2, 5, 9], reference_numbers=[1, 2, 5]) == {5: 1, 2: 2, 1: 3}


def test_citations_are_numbered_in_order_of_first_use_with_back_links(client):
    article = _article_citing()
    content = client.get(article.get_absolute_url()).content.decode()
    # The editor's reference 3 is cited first, so readers see it as [1].
    assert re.search(r'<a href="#ref-1" id="cite-1-1"[^>]*>1</a>', content)
    references = re.findall(
        r'<li id="ref-(\d+)" value="\d+" class="reference">\s*<span[^>]*>'
        r"[^<]*</span> <span class=\"reference__title\">([^<]*)<",
        content,
    )
    assert [(n, t) for n, t in references] == [
        ("1", "Third."),
        ("2", "First by the editor."),
        ("3", "Second by the editor."),
    ]
    # [ref:1,3] reads [1, 2] in shown numbers; each place cited has its own id.
    assert re.search(
        r'id="cite-1-2"[^>]*>1</a>, <a href="#ref-2" id="cite-2-2"[^>]*>2</a>\]', content
    )
    # Each reference links back to every place it is cited; the uncited one links nowhere.
    assert 'href="#cite-1-1"' in content and 'href="#cite-1-2"' in content
    assert 'href="#cite-2-1"' in content and 'href="#cite-2-2"' in content
    assert 'href="#cite-3-' not in content


def test_back_links_never_point_into_sections_a_visitor_cannot_read(client):
    article = _article_citing(gated_cites=True)
    visitor = client.get(article.get_absolute_url()).content.decode()
    assert "Member-only claim" not in visitor
    assert 'href="#cite-3-1"' not in visitor  # reference 2 is cited only for members
    client.force_login(MemberFactory())
    member = client.get(article.get_absolute_url()).content.decode()
    assert "Member-only claim" in member and 'href="#cite-3-1"' in member


def test_an_id_on_a_link_survives_only_when_it_is_a_citation_id():
    article = ArticleFactory()
    ReferenceFactory(article=article, number=1)
    SectionFactory(article=article, body='<a id="main" href="#x">x</a> and [ref:1]')
    rendering.article_render(article=article)
    html = article.sections.get().body_html
    assert 'id="main"' not in html and 'id="cite-1-1"' in html


def test_contents_list_members_sections_by_heading_only(client):
    article = _article_citing(gated_cites=True)
    content = client.get(article.get_absolute_url()).content.decode()
    toc = content[
        content.index('<nav class="toc"') : content.index(
            "</nav>", content.index('<nav class="toc"')
        )
    ]
    assert "For members" in toc and "Member-only claim" not in toc
    assert "<details" in toc and 'href="#references-title"' in toc


def test_every_listing_shows_a_picture_per_article(client):
    author = AuthorFactory(slug="pictured")
    article = ArticleFactory(author=author, title="With a picture")
    topic = TopicFactory(slug="pictures")
    article.topics.add(topic)
    SectionFactory(article=article, body="Text about pictures.")
    rendering.article_render(article=article)
    citing = ArticleFactory(title="Points to it")
    citing.related.add(article)
    picture = reverse("articles:card_image", kwargs={"slug": article.slug})
    for url in (
        reverse("articles:home"),
        topic.get_absolute_url(),
        citing.get_absolute_url(),
        reverse("articles:list"),
        author.get_absolute_url(),
        reverse("articles:search") + "?q=picture",
    ):
        assert f'src="{picture}"' in client.get(url).content.decode(), url


def test_drawn_card_picture_is_a_sandboxed_svg_and_the_same_each_time(client):
    article = ArticleFactory()
    url = reverse("articles:card_image", kwargs={"slug": article.slug})
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/svg+xml"
    assert "sandbox" in first["Content-Security-Policy"]
    assert first.content == second.content and first.content.startswith(b"<svg")
    other = ArticleFactory()
    other_url = reverse("articles:card_image", kwargs={"slug": other.slug})
    assert client.get(other_url).content != first.content
    draft = ArticleFactory(status="draft", published_at=None)
    assert (
        client.get(reverse("articles:card_image", kwargs={"slug": draft.slug})).status_code == 404
    )


def test_home_shows_a_labelled_sample_report_and_the_price(client):
    call_command("load_demo_snps", verbosity=0)
    catalogue_texts = list(SnpInterpretation.objects.values_list("text", flat=True))
    Plan.objects.update_or_create(
        slug="monthly", defaults={"name": "Monthly", "interval": "month", "amount": 700}
    )
    content = client.get(reverse("articles:home")).content.decode()
    sample = content[
        content.index('class="home__sample') : content.index(
            "</section>", content.index('class="home__sample')
        )
    ]
    assert ">Sample<" in sample
    assert 'aria-label="Sample variants"' in sample
    assert "OPRM1" in sample and "rs1799971" in sample
    assert "€7" in content and "per month" in content
    assert "All your genotypes" not in sample  # no link to a member's own pages
    # The catalogue's findings are members' text: the sample has its own placeholders.
    assert catalogue_texts and not [t for t in catalogue_texts if t[:60] in content]
    assert "Sample text." in sample


def test_author_box_shows_credentials_and_the_reviewer(client):
    author = AuthorFactory(name="Dana Writer", credentials="PhD in human genetics")
    reviewer = AuthorFactory(name="Rae Reviewer", credentials="MD, clinical pharmacologist")
    article = ArticleFactory(author=author, reviewed_by=reviewer, reviewed_on=dt.date(2026, 11, 20))
    SectionFactory(article=article)
    rendering.article_render(article=article)
    content = client.get(article.get_absolute_url()).content.decode()
    assert "PhD in human genetics" in content
    assert "Reviewed by" in content and "Rae Reviewer" in content and "20 November 2026" in content
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', content, re.S).group(1)
    )
    assert data["author"]["jobTitle"] == "PhD in human genetics"
    assert data["reviewedBy"]["name"] == "Rae Reviewer"
    assert data["lastReviewed"] == "2026-11-20"
    author_page = client.get(author.get_absolute_url()).content.decode()
    assert "PhD in human genetics" in author_page
    reviewer_page = client.get(reviewer.get_absolute_url()).content.decode()
    assert "Also reviewed 1 article" in reviewer_page and article.title in reviewer_page


def test_a_review_date_needs_a_reviewer():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ArticleFactory(reviewed_on=dt.date(2026, 1, 1))
