"""The printable summary of an article and its share links, through the test client: what the
member and a link holder see, expiry (by moving the stored expiry), revocation, deletion of
genetic data, headers that keep it out of caches and search engines, and who cannot reach it."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import SummaryShareLink
from articles.services import rendering
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.services import current, deletion
from tests.factories import MemberFactory, UserFactory
from tests.genotypes.factories import SnpFactory, SnpInterpretationFactory

from .factories import ArticleFactory, ReferenceFactory, SectionFactory

pytestmark = pytest.mark.django_db

FINDING = "One G copy: naltrexone helped carriers more in one trial."
DOI = "10.1001/archpsyc.65.2.135"


@pytest.fixture
def article(db):
    oprm1 = SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    SnpInterpretationFactory(
        snp=oprm1,
        genotype="AG",
        label="notable",
        text=FINDING,
        evidence="moderate",
        evidence_note="moderate for naltrexone response",
        sources=f"doi:{DOI}",
    )
    article = ArticleFactory(slug="ldn-summary", title="Low-dose naltrexone")
    ReferenceFactory(article=article, number=1, doi=DOI, pmid="")
    SectionFactory(article=article, order=1, heading="Background", body="Public [ref:1].")
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body="Cards.",
    )
    rendering.section_snps_set(section=report, rsids=["rs1799971"])
    article = rendering.article_render(article=article)
    article.oprm1 = oprm1
    return article


def _member_with_genotype(article, genotype="AG"):
    member = MemberFactory()
    upload = GenomeUpload.objects.create(
        user=member, status="done", is_current=True, consented_at=timezone.now(), format="23andMe"
    )
    GenotypeResult.objects.create(user=member, upload=upload, snp=article.oprm1, genotype=genotype)
    client = Client()
    client.force_login(member)
    return member, client


def _share(client, article, days=7) -> str:
    response = client.post(reverse("articles:share_create", args=[article.slug]), {"days": days})
    assert response.status_code == 200
    found = re.search(r'value="(https?://[^"]+/shared/[^"]+/)"', response.content.decode())
    assert found, "the new link is shown once"
    return found.group(1).split("testserver", 1)[1]


def _audit(member, action):
    return GeneticDataAuditLog.objects.filter(subject_user_id=member.pk, action=action)


def test_member_prints_their_genotypes_findings_evidence_and_references(article):
    member, client = _member_with_genotype(article)
    response = client.get(reverse("articles:summary", args=[article.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1 and 'name="description"' in html
    assert "OPRM1 rs1799971" in html and '<strong class="genotype">AG</strong>' in html
    assert FINDING in html and "Moderate (moderate for naltrexone response)" in html
    assert f'href="https://doi.org/{DOI}">{DOI}</a>' in html
    # The finding cites its source by the number of the article's reference that holds it.
    assert '<a href="#ref-1"' in html and '<li id="ref-1" value="1">' in html
    assert 'media="print"' in html and "css/print.css" in html
    assert "no-store" in response["Cache-Control"]
    assert _audit(member, "viewed_results").filter(detail__contains="printable summary").exists()
    activity = reverse("genotypes:activity")
    assert f'listed on <a href="{activity}">Who accessed my genetic data</a>' in html
    assert "without logging in" in html


def test_article_page_offers_the_summary_to_members_only(article, monkeypatch):
    monkeypatch.setattr(SummaryShareLink, "MAX_DAYS", 30)  # the page says the model's limit
    _, client = _member_with_genotype(article)
    summary_url = reverse("articles:summary", args=[article.slug])
    html = client.get(article.get_absolute_url()).content.decode()
    assert summary_url in html and "share for up to 30 days" in html
    assert summary_url not in Client().get(article.get_absolute_url()).content.decode()


def test_visitor_and_non_member_cannot_reach_a_summary_without_a_token(article):
    url = reverse("articles:summary", args=[article.slug])
    response = Client().get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    registered = Client()
    registered.force_login(UserFactory())
    response = registered.get(url)
    assert response.status_code == 403 and FINDING not in response.content.decode()


def test_another_member_sees_their_own_summary_never_the_owners(article):
    owner, owner_client = _member_with_genotype(article, "AG")
    _, other_client = _member_with_genotype(article, "AA")
    _share(owner_client, article)
    html = other_client.get(reverse("articles:summary", args=[article.slug])).content.decode()
    assert '<strong class="genotype">AA</strong>' in html and FINDING not in html
    assert "opened 0 times" not in html  # the owner's link is not listed for anyone else


def test_share_link_shows_the_summary_without_login_and_logs_each_view(article):
    member, client = _member_with_genotype(article)
    path = _share(client, article, days=3)
    link = SummaryShareLink.objects.get(user=member)
    assert path.split("/")[2] not in link.token_hash  # only the hash is stored
    assert (link.expires_at - timezone.now()) > dt.timedelta(days=2, hours=23)
    visitor = Client()
    for _ in range(2):
        response = visitor.get(path)
        html = response.content.decode()
        assert response.status_code == 200
        assert FINDING in html and '<strong class="genotype">AG</strong>' in html
    assert _audit(member, "share_viewed").count() == 2
    assert _audit(member, "share_created").count() == 1
    link.refresh_from_db()
    assert link.views == 2
    activity = client.get(reverse("genotypes:activity")).content.decode()
    assert "Someone holding your share link opened your printable summary" in activity


def test_share_link_is_never_cached_or_indexed(article):
    _, client = _member_with_genotype(article)
    path = _share(client, article)
    response = Client().get(path)
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in response.content.decode()
    robots = Client().get(reverse("articles:robots_txt")).content.decode()
    assert "Disallow: /shared/" in robots
    sitemap = Client().get(reverse("articles:sitemap")).content.decode()
    assert "/shared/" not in sitemap and "/summary/" not in sitemap


def test_share_link_stops_working_at_its_expiry(article, monkeypatch):
    member, client = _member_with_genotype(article)
    path = _share(client, article, days=14)
    assert Client().get(path).status_code == 200
    SummaryShareLink.objects.filter(user=member).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    monkeypatch.setattr(SummaryShareLink, "MAX_DAYS", 30)  # the page says the model's limit
    response = Client().get(path)
    assert response.status_code == 404 and FINDING not in response.content.decode()
    assert "work for at most 30 days" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("days", ["0", "15", "-1", "seven", ""])
def test_share_link_lifetime_must_be_one_to_fourteen_days(article, days):
    member, client = _member_with_genotype(article)
    response = client.post(reverse("articles:share_create", args=[article.slug]), {"days": days})
    assert response.status_code == 400
    assert "Choose how long the link works: 1 to 14 days." in response.content.decode()
    assert not SummaryShareLink.objects.filter(user=member).exists()


def test_revoked_link_no_longer_opens_and_only_the_owner_can_revoke(article):
    member, client = _member_with_genotype(article)
    path = _share(client, article)
    link = SummaryShareLink.objects.get(user=member)
    _, intruder = _member_with_genotype(article, "AA")
    revoke = reverse("articles:share_revoke", args=[article.slug, link.pk])
    intruder.post(revoke)
    assert Client().get(path).status_code == 200
    response = client.post(revoke, follow=True)
    assert "no longer opens your summary" in response.content.decode()
    assert Client().get(path).status_code == 404
    assert _audit(member, "share_revoked").count() == 1


def test_deleting_genetic_data_or_the_account_kills_every_link(article):
    member, client = _member_with_genotype(article)
    paths = [_share(client, article, days=d) for d in (1, 14)]
    deletion.genome_data_delete_all(user=member)
    assert all(Client().get(p).status_code == 404 for p in paths)
    assert not SummaryShareLink.objects.filter(user=member, revoked_at__isnull=True).exists()

    other, other_client = _member_with_genotype(article)
    path = _share(other_client, article)
    from members.services import users

    users.user_delete(user=other)
    assert Client().get(path).status_code == 404
    assert not SummaryShareLink.objects.filter(user_id=other.pk).exists()


def test_removing_the_file_in_use_kills_every_link(article):
    member, client = _member_with_genotype(article)
    path = _share(client, article)
    assert Client().get(path).status_code == 200
    upload = GenomeUpload.objects.get(user=member, is_current=True)
    assert current.genome_upload_remove(user=member, upload_id=upload.pk)
    assert Client().get(path).status_code == 404
    assert not SummaryShareLink.objects.filter(user=member, revoked_at__isnull=True).exists()


def test_a_head_request_is_not_counted_as_a_view(article):
    member, client = _member_with_genotype(article)
    path = _share(client, article)
    assert Client().head(path).status_code == 200
    assert _audit(member, "share_viewed").count() == 0
    assert Client().get(path).status_code == 200
    assert _audit(member, "share_viewed").count() == 1


def test_forged_or_tampered_tokens_open_nothing(article):
    _, client = _member_with_genotype(article)
    path = _share(client, article)
    token = path.split("/")[2]
    for bad in (token[:-2] + "xx", "x" + token[1:], "not-a-token"):
        response = Client().get(reverse("articles:shared", args=[bad]))
        assert response.status_code == 404 and FINDING not in response.content.decode()


def test_a_lapsed_membership_closes_the_link(article):
    member, client = _member_with_genotype(article)
    path = _share(client, article)
    member.membership.status = "canceled"
    member.membership.save()
    assert Client().get(path).status_code == 404
