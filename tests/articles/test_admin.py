"""The editorial admin: inlines, SNP attachment, previews, validation, history."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from genotypes.models import Snp

from .admin_forms import change_form_data, form_data
from .factories import ArticleFactory, AuthorFactory, SnpFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_editor_creates_article_with_inlines_snps_and_transliterated_slug(editor):
    """A draft may be incomplete: it saves, and lists what keeps it from being published."""
    SnpFactory(rsid="rs4680", gene="COMT")
    SnpFactory(rsid="rs1799971", gene="OPRM1")
    author = AuthorFactory()
    response = editor.post(
        reverse("admin:articles_article_add"), form_data(author, status="draft"), follow=True
    )
    assert response.status_code == 200
    article = Article.objects.get()
    assert article.slug == "ca-marche-genes-et-sante"
    assert article.status == Article.Status.DRAFT
    assert article.key_takeaways == ["One.", "Two."]
    public, report = article.sections.all()
    assert "<script" not in public.body_html and 'href="#ref-1"' in public.body_html
    assert [link.snp.rsid for link in report.section_snps.select_related("snp")] == [
        "rs4680",
        "rs1799971",
    ]
    assert article.render_problems and "5" in article.render_problems[0]["message"]
    assert article.render_problems[0]["line"] == 1
    assert "cannot be published until these are fixed" in response.content.decode()


def test_publishing_with_a_citation_that_does_not_resolve_is_refused_with_line_and_reason(
    editor,
):
    SnpFactory(rsid="rs4680", gene="COMT")
    SnpFactory(rsid="rs1799971", gene="OPRM1")
    response = editor.post(reverse("admin:articles_article_add"), form_data(AuthorFactory()))
    assert response.status_code == 200  # the form again, not a redirect
    content = response.content.decode()
    assert "This article cannot be published until these are fixed" in content
    assert "line 1: citation [ref:5] has no reference 5 in the list" in content
    assert Article.objects.count() == 0

    fixed = form_data(AuthorFactory(), **{"sections-0-body": "Hello [ref:1]."})
    response = editor.post(reverse("admin:articles_article_add"), fixed, follow=True)
    article = Article.objects.get()
    assert article.status == Article.Status.PUBLISHED and article.published_at is not None
    assert article.render_problems == []


def test_duplicate_slug_is_a_validation_error(editor):
    ArticleFactory(slug="taken")
    author = AuthorFactory()
    response = editor.post(reverse("admin:articles_article_add"), form_data(author, slug="taken"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Article.objects.count() == 1


def test_unknown_rsid_and_public_genotype_report_are_rejected(editor):
    author = AuthorFactory()
    data = form_data(author, **{"sections-1-snp_rsids": "rs999", "sections-1-access": "public"})
    response = editor.post(reverse("admin:articles_article_add"), data)
    content = response.content.decode()
    assert "Not in the SNP catalogue yet: rs999" in content
    assert "always members-only" in content
    assert Article.objects.count() == 0


def _with_finding(author, genotype: str) -> dict:
    return form_data(
        author,
        **{
            "status": "draft",  # the body's [ref:5] would block publishing
            "findings-TOTAL_FORMS": "1",
            "findings-0-snp": str(Snp.objects.get(rsid="rs1799971").pk),
            "findings-0-genotype": genotype,
            "findings-0-text": "This article's own words for the genotype.",
        },
    )


def test_editor_writes_an_article_specific_finding_checked_against_the_snps_alleles(editor):
    from tests.genotypes.factories import SnpFactory as CatalogueSnpFactory

    CatalogueSnpFactory(rsid="rs4680", gene="COMT", ref="G", alt="A")
    CatalogueSnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    author = AuthorFactory()
    refused = editor.post(reverse("admin:articles_article_add"), _with_finding(author, "AC"))
    assert refused.status_code == 200
    assert (
        "AC is impossible for rs1799971, whose alleles are A and G on the plus strand."
        in refused.content.decode()
    )
    assert Article.objects.count() == 0
    editor.post(reverse("admin:articles_article_add"), _with_finding(author, "ga"), follow=True)
    finding = Article.objects.get().findings.get()
    assert (finding.snp.rsid, finding.genotype) == ("rs1799971", "AG")


def test_change_page_offers_preview_links_problems_and_history(editor, gated_article):
    change = editor.get(
        reverse("admin:articles_article_change", args=[gated_article.pk])
    ).content.decode()
    assert "Preview as visitor" in change and "Preview as member" in change
    assert "articles/admin-preview.js" in change
    history = editor.get(reverse("admin:articles_article_history", args=[gated_article.pk]))
    assert history.status_code == 200


def test_scheduled_articles_show_as_scheduled_in_the_list(editor):
    ArticleFactory(title="Later", published_at=timezone.now() + dt.timedelta(days=2))
    content = editor.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "Scheduled" in content


def test_markdown_preview_is_sanitised_and_flags_missing_references(editor):
    url = reverse("admin:articles_markdown_preview")
    response = editor.post(
        url, {"body": "**Hi** <img src=x onerror=alert(1)> [ref:2]", "references": "1"}
    )
    payload = response.json()
    assert "<strong>Hi</strong>" in payload["html"]
    assert "onerror" not in payload["html"]
    assert payload["missing"] == [2]
    assert payload["problems"] == ["line 1: citation [ref:2] has no reference 2 in the list"]


def test_markdown_preview_requires_staff(client):
    response = client.post(reverse("admin:articles_markdown_preview"), {"body": "x"})
    assert response.status_code == 302


def test_swapping_section_order_in_admin_does_not_trip_the_unique_constraint(editor, gated_article):
    sections = list(gated_article.sections.all())
    url = reverse("admin:articles_article_change", args=[gated_article.pk])
    data = change_form_data(editor, gated_article)
    data["sections-0-order"], data["sections-1-order"] = "2", "1"
    response = editor.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    reordered = list(gated_article.sections.all())
    assert reordered[0].pk == sections[1].pk


def test_deleting_an_article_in_admin_drops_its_cached_page(editor, client, gated_article):
    from django.test import Client

    visitor = Client()
    assert visitor.get(gated_article.get_absolute_url()).status_code == 200
    response = editor.post(
        reverse("admin:articles_article_delete", args=[gated_article.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert visitor.get(gated_article.get_absolute_url()).status_code == 404


PUBLIC_TEXT = "Public words about the drug"


def _public_channels(article) -> str:
    """The article page, a search for its text and the feed, as a visitor reads them."""
    import re

    from django.test import Client

    visitor = Client()
    return re.sub(
        r"<[^>]+>",
        "",
        "\n".join(
            [
                visitor.get(article.get_absolute_url()).content.decode(),
                visitor.get(
                    reverse("articles:search"), {"q": "public words drug"}
                ).content.decode(),
                visitor.get(reverse("articles:feed")).content.decode(),
            ]
        ),
    )


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_deleting_a_section_in_the_section_admin_removes_its_text_at_once(
    editor, gated_article, how
):
    assert _public_channels(gated_article).count(PUBLIC_TEXT) >= 2  # page and search snippet
    section = gated_article.sections.get(heading="What it is")
    if how == "delete page":
        response = editor.post(
            reverse("admin:articles_section_delete", args=[section.pk]), {"post": "yes"}
        )
    else:
        response = editor.post(
            reverse("admin:articles_section_changelist"),
            {"action": "delete_selected", "_selected_action": [section.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert PUBLIC_TEXT not in _public_channels(gated_article)
    assert "What it is" not in _public_channels(gated_article)


def test_bulk_deleting_topics_retires_cached_pages(editor, gated_article):
    from django.test import Client

    topic = TopicFactory(name="Zebrafish studies", slug="zebrafish-studies")
    gated_article.topics.add(topic)
    visitor = Client()
    assert "Zebrafish studies" in visitor.get(gated_article.get_absolute_url()).content.decode()
    assert "Zebrafish studies" in visitor.get(reverse("articles:home")).content.decode()
    response = editor.post(
        reverse("admin:articles_topic_changelist"),
        {"action": "delete_selected", "_selected_action": [topic.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert "Zebrafish studies" not in visitor.get(gated_article.get_absolute_url()).content.decode()
    assert "Zebrafish studies" not in visitor.get(reverse("articles:home")).content.decode()
