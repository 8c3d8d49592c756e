"""A member's article page is cached for that member alone, encrypted, and retired the moment
anything it shows changes: a new upload, a catalogue edit, a backfilled SNP, a deletion."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Section
from articles.receivers import articles_changed
from articles.services import rendering as article_rendering
from genlife.page_cache import unseal
from genotypes.models import SnpInterpretation
from genotypes.services import backfill, deletion, parsing
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, demo_catalogue, upload_for

pytestmark = pytest.mark.django_db

# A report card: the member's genotype, or the label saying why there is none.
ROW_RE = re.compile(
    r'data-rsid="(rs\d+)">.*?(?:<strong class="genotype">|class="gt-label gt-label--[a-z_]+">)'
    r"([^<]+)",
    re.S,
)


@pytest.fixture
def catalogue(db):
    return demo_catalogue()  # first, so that the article's SNPs carry their real alleles


@pytest.fixture
def article(catalogue, gated_article):
    return gated_article


def _member_with(calls: dict[str, str]):
    """A member whose processed upload holds ``calls``, and a client logged in as them."""
    member = MemberFactory()
    upload = upload_for(member, include=calls)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    client = Client()
    client.force_login(member)
    return member, client


def _genotypes(client, article) -> dict[str, str]:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return dict(ROW_RE.findall(response.content.decode()))


def test_each_member_gets_their_own_cached_page_and_it_is_encrypted(article):
    alice, alice_client = _member_with({"rs1799971": "AG"})
    bob, bob_client = _member_with({"rs1799971": "GG"})
    assert _genotypes(alice_client, article)["rs1799971"] == "AG"
    assert _genotypes(bob_client, article)["rs1799971"] == "GG"

    with CaptureQueriesContext(connection) as queries:
        assert _genotypes(alice_client, article)["rs1799971"] == "AG"
    sql = [q["sql"] for q in queries.captured_queries]
    # Nothing is read from the genotype tables; the one write is the view on Alice's activity log.
    reads = [q for q in sql if "genotypes_" in q and "genotypes_geneticdataauditlog" not in q]
    assert not reads, "the second view should be the cached page"
    logged = [q for q in sql if q.startswith('INSERT INTO "genotypes_geneticdataauditlog"')]
    assert len(logged) == 1
    # The gate itself is never cached: the membership is read on every request.
    assert [q for q in sql if "members_membership" in q]

    entry = cache.get(f"page_cache:page:articles:page:member-{alice.pk}:{article.slug}")
    sealed = entry["value"]
    assert isinstance(sealed, bytes)
    assert b"rs1799971" not in sealed and b"variant-card" not in sealed
    page, shown_title = unseal(sealed)
    assert "rs1799971" in page.html and shown_title == article.title


def test_a_new_upload_shows_at_once(article):
    alice, client = _member_with({"rs1799971": "AG"})
    assert _genotypes(client, article)["rs1799971"] == "AG"
    upload = upload_for(alice, include={"rs1799971": "AA"})
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t2")
    assert _genotypes(client, article)["rs1799971"] == "AA"


def test_an_interpretation_edit_shows_at_once(article, catalogue):
    _, client = _member_with({"rs1799971": "AG"})
    client.get(article.get_absolute_url())
    interpretation = SnpInterpretation.objects.get(snp=catalogue["rs1799971"], genotype="AG")
    interpretation.text = "Freshly reworded by an editor."
    interpretation.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Freshly reworded by an editor." in page


def test_a_snp_backfilled_after_the_page_was_cached_shows_at_once(article):
    alice, client = _member_with({"rs1799971": "AG", "rs3094315": "CT"})
    marker = SnpFactory(rsid="rs3094315", gene="MARKER", chromosome="1", ref="C", alt="T")
    report = Section.objects.get(article=article, kind="genotype_report")
    article_rendering.section_snps_set(section=report, rsids=["rs1799971", marker.rsid])
    articles_changed()
    assert _genotypes(client, article)["rs3094315"] == "Not on your chip"  # not read yet

    upload = alice.genome_uploads.get(is_current=True)
    backfill.genotype_results_backfill_chunk(snp_id=marker.pk, upload_ids=[str(upload.pk)])
    assert _genotypes(client, article)["rs3094315"] == "CT"


def test_deleting_genetic_data_empties_the_cached_page(article):
    alice, client = _member_with({"rs1799971": "AG"})
    assert _genotypes(client, article)["rs1799971"] == "AG"
    deletion.genome_data_delete_all(user=alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Upload your DNA file" in page
    assert "<strong>AG</strong>" not in page
