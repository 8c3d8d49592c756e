"""Members-only sections never reach a reader who is not a member, on any channel."""

import html
import json
import re

import pytest
from django.urls import reverse

from articles.models import Article, Section
from articles.selectors import AccessLevel, article_preview_url
from billing.models import Membership
from tests.factories import MemberFactory, StaffFactory, UserFactory

from .conftest import GATED_TEXT, LIFEHACK_TEXT

pytestmark = pytest.mark.django_db


def page(client, article):
    return client.get(article.get_absolute_url()).content.decode()


def test_visitor_sees_heading_teaser_and_join_but_never_gated_text(client, gated_article):
    content = page(client, gated_article)
    assert "Your genotype report" in content
    assert "Members see their genotypes here." in content
    assert reverse("articles:why_members") in content
    assert "Join" in content and "Log in" in content
    assert GATED_TEXT not in content
    assert LIFEHACK_TEXT not in content


def test_visitor_sees_which_genes_a_genotype_report_covers(client, gated_article):
    content = page(client, gated_article)
    for gene in ("OPRM1", "COMT", "ABCB1"):
        assert f"<li>{gene}</li>" in content


def test_registered_non_member_never_receives_gated_text(client, gated_article):
    client.force_login(UserFactory())
    content = page(client, gated_article)
    assert GATED_TEXT not in content and LIFEHACK_TEXT not in content
    assert "Log in</a>" not in content


def test_lapsed_member_never_receives_gated_text(client, gated_article):
    member = MemberFactory()
    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)
    client.force_login(member)
    assert GATED_TEXT not in page(client, gated_article)


def test_member_reads_gated_sections_and_gets_the_genotype_report(client, gated_article):
    client.force_login(MemberFactory())
    content = page(client, gated_article)
    assert GATED_TEXT in content and LIFEHACK_TEXT in content
    assert "variant-cards" in content
    assert "rs1799971" in content
    assert "Why join?" not in content


def test_staff_count_as_members(client, gated_article):
    client.force_login(StaffFactory())
    assert GATED_TEXT in page(client, gated_article)


def test_json_ld_marks_gated_parts_as_not_free(client, gated_article):
    content = page(client, gated_article)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', content, re.S).group(1)
    data = json.loads(block)
    assert data["isAccessibleForFree"] is False
    selectors = [part["cssSelector"] for part in data["hasPart"]]
    assert selectors == ["#section-your-genotype-report", "#section-lifehacks"]
    assert all(part["isAccessibleForFree"] is False for part in data["hasPart"])
    assert GATED_TEXT not in block


def test_cached_page_and_304_never_leak_to_a_visitor_after_a_member_visit(client, gated_article):
    member_client = client.__class__()
    member_client.force_login(MemberFactory())
    assert GATED_TEXT in page(member_client, gated_article)
    first = client.get(gated_article.get_absolute_url())
    second = client.get(gated_article.get_absolute_url())
    assert GATED_TEXT not in first.content.decode()
    assert GATED_TEXT not in second.content.decode()
    not_modified = client.get(gated_article.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304
    assert not_modified.content == b""


def test_visitor_preview_link_hides_gated_text_even_for_drafts(client, gated_article):
    Article.objects.filter(pk=gated_article.pk).update(
        status=Article.Status.DRAFT, published_at=None
    )
    gated_article.refresh_from_db()
    assert client.get(gated_article.get_absolute_url()).status_code == 404
    response = client.get(article_preview_url(article=gated_article, access=AccessLevel.PUBLIC))
    assert response.status_code == 200
    assert "Public words about the drug" in response.content.decode()
    assert GATED_TEXT not in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_member_preview_link_shows_gated_text_only_to_members_or_staff(client, gated_article):
    url = article_preview_url(article=gated_article, access=AccessLevel.MEMBERS)
    assert GATED_TEXT not in client.get(url).content.decode()
    client.force_login(UserFactory())
    assert GATED_TEXT not in client.get(url).content.decode()
    client.force_login(StaffFactory())
    assert GATED_TEXT in client.get(url).content.decode()


def test_forged_preview_token_is_404(client, gated_article):
    token = article_preview_url(article=gated_article, access=AccessLevel.PUBLIC).split("/")[-2]
    assert client.get(reverse("articles:preview", kwargs={"token": token + "x"})).status_code == 404


def test_gated_kinds_cannot_be_saved_as_public(gated_article):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.filter(article=gated_article, kind="lifehacks").update(access="public")


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text)
    return [part.strip() for part in parts if len(part.split()) >= 5]


def _visible_text(raw: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def test_demo_ldn_article_leaks_no_members_sentence_on_any_channel(client, demo_articles):
    article = Article.objects.get(slug="ldn-naltrexone-genetics")
    gated = list(article.sections.filter(access="members"))
    assert {section.kind for section in gated} == {"genotype_report", "lifehacks"}
    sentences = [s for section in gated for s in _sentences(section.body_text)]
    assert len(sentences) > 20

    channels = {
        "page": client.get(article.get_absolute_url()),
        "page (cached)": client.get(article.get_absolute_url()),
        "feed": client.get(reverse("articles:feed")),
        "sitemap": client.get(reverse("articles:sitemap")),
        "home": client.get(reverse("articles:home")),
        "list": client.get(reverse("articles:list")),
    }
    for query in (
        "naltrexone",
        "COMBINE alcohol trial",
        "compounding pharmacy diary",
        "OPRM1 carriers",
        "Asn40Asp",
        "vivid dreams",
        "sufentanil",
    ):
        channels[f"search {query}"] = client.get(reverse("articles:search"), {"q": query})
    for name, response in channels.items():
        assert response.status_code == 200, name
        text = _visible_text(response.content.decode())
        raw = response.content.decode()
        for sentence in sentences:
            assert sentence not in text and sentence not in raw, f"{name} leaks: {sentence}"

    page_html = channels["page"].content.decode()
    assert "Dose ranges at a glance" in page_html
    assert "Toljan" in page_html
    assert "Why is this section for members?" in page_html
    assert "AKR1C4" in page_html


def test_cached_member_article_never_shows_one_members_genotypes_to_another(
    client, gated_article, monkeypatch
):
    import dataclasses

    from articles import reports
    from genotypes.selectors import genotype_report_for as real_report

    def personal_report(*, user, snps, overrides=None):
        report = real_report(user=user, snps=snps, overrides=overrides)
        rows = [
            dataclasses.replace(
                row, status="match", genotype="AG", interpretation=f"for {user.email}"
            )
            for row in report.rows
        ]
        return dataclasses.replace(report, state="ready", rows=rows)

    monkeypatch.setattr(reports, "genotype_report_for", personal_report)
    first, second = MemberFactory(), MemberFactory()
    client.force_login(first)
    assert f"for {first.email}" in page(client, gated_article)
    client.force_login(second)
    content = page(client, gated_article)
    assert f"for {second.email}" in content
    assert f"for {first.email}" not in content
    assert GATED_TEXT in content


def test_member_page_is_served_from_the_article_cache_on_repeat_visits(client, gated_article):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(MemberFactory())
    with CaptureQueriesContext(connection) as first:
        client.get(gated_article.get_absolute_url())
    with CaptureQueriesContext(connection) as second:
        response = client.get(gated_article.get_absolute_url())
    assert GATED_TEXT in response.content.decode()
    assert not any("articles_section" in query["sql"] for query in second.captured_queries)
    assert len(second) < len(first)


def test_reference_links_can_only_be_http(gated_article):
    from django.db import IntegrityError, transaction

    from articles.models import Reference

    with pytest.raises(IntegrityError), transaction.atomic():
        Reference.objects.filter(article=gated_article).update(url="javascript:alert(1)")
