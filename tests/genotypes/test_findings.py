"""Cited, graded findings: every interpretation carries its sources and an evidence level.

An editor meets this in the admin (a finding without a DOI or PMID is refused unless it is
marked unverified, with the reason); the database refuses it too.
"""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from genotypes.models import EvidenceLevel, Snp, SnpInterpretation
from tests.factories import UserFactory, sign_in_with_two_factor
from tests.genotypes.factories import SnpFactory, SnpInterpretationFactory

pytestmark = pytest.mark.django_db


def _admin_post(client, *, evidence: str, sources: str):
    sign_in_with_two_factor(client, UserFactory(is_staff=True, is_superuser=True))
    return client.post(
        reverse("admin:genotypes_snp_add"),
        {
            "rsid": "rs3094315",
            "gene": "MARKER",
            "chromosome": "1",
            "ref": "C",
            "alt": "T",
            "verified": "on",
            "interpretations-TOTAL_FORMS": "1",
            "interpretations-INITIAL_FORMS": "0",
            "interpretations-0-genotype": "CT",
            "interpretations-0-label": "typical",
            "interpretations-0-text": "Common.",
            "interpretations-0-evidence": evidence,
            "interpretations-0-sources": sources,
            "population_frequencies-TOTAL_FORMS": "0",
            "population_frequencies-INITIAL_FORMS": "0",
        },
    )


def test_editor_cannot_grade_a_finding_without_a_source_and_is_told_why(client):
    response = _admin_post(client, evidence="strong", sources="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "can only be saved as unverified" in html
    assert not Snp.objects.filter(rsid="rs3094315").exists()


def test_editor_saves_an_unsourced_finding_as_unverified(client):
    response = _admin_post(client, evidence="unverified", sources="")
    assert response.status_code == 302, response.content.decode()[:2000]
    finding = SnpInterpretation.objects.get(snp__rsid="rs3094315")
    assert finding.evidence == EvidenceLevel.UNVERIFIED and finding.sources == ""


def test_editor_saves_a_graded_finding_with_doi_and_pmid(client):
    response = _admin_post(
        client, evidence="moderate", sources="doi:10.1001/archpsyc.65.2.135\nPMID:8807664"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    finding = SnpInterpretation.objects.get(snp__rsid="rs3094315")
    assert finding.evidence == EvidenceLevel.MODERATE
    assert finding.source_links == [
        ("doi:10.1001/archpsyc.65.2.135", "https://doi.org/10.1001/archpsyc.65.2.135"),
        ("PMID:8807664", "https://pubmed.ncbi.nlm.nih.gov/8807664/"),
    ]


@pytest.mark.parametrize("bad", ["10.1001/x", "doi:11.1/x", "PMID:12a", "pubmed 123", "Zhao 2019"])
def test_editor_is_refused_a_malformed_source(client, bad):
    response = _admin_post(client, evidence="limited", sources=f"PMID:8807664\n{bad}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not a well-formed source" in html and bad in html
    assert not Snp.objects.filter(rsid="rs3094315").exists()


def test_database_refuses_a_graded_finding_without_a_source():
    snp = SnpFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SnpInterpretationFactory(snp=snp, evidence=EvidenceLevel.STRONG, sources="")
    SnpInterpretationFactory(snp=snp, evidence=EvidenceLevel.STRONG, sources="PMID:8807664")


def test_existing_interpretations_default_to_unverified():
    finding = SnpInterpretationFactory()
    assert finding.evidence == EvidenceLevel.UNVERIFIED and finding.sources == ""


def test_visitor_reads_the_evidence_scale_page(client):
    response = client.get(reverse("genotypes:evidence"))
    html = response.content.decode()
    assert response.status_code == 200
    for level in EvidenceLevel:
        assert f'id="evidence-{level.value}"' in html and level.label in html
    assert "doi.org" in html and "PubMed" in html
    _assert_page_basics(html)


def _graded_catalogue():
    from tests.genotypes.factories import demo_catalogue

    demo_catalogue()
    SnpInterpretation.objects.filter(snp__rsid="rs4680", genotype="GG").update(
        evidence=EvidenceLevel.LIMITED,
        evidence_note="limited for morphine dose",
        sources="PMC1995596\nPMID:8807664\ndoi:10.1097/j.pain.0000000000001370",
    )
    SnpInterpretation.objects.filter(snp__rsid="rs4680", genotype__in=["AA", "AG"]).update(
        evidence=EvidenceLevel.UNVERIFIED, sources=""
    )


def test_member_sees_each_findings_level_and_sources_as_links(client):
    from genotypes.services import parsing
    from tests.factories import MemberFactory
    from tests.genotypes.factories import upload_for

    _graded_catalogue()
    member = MemberFactory()
    upload = upload_for(member, include={"rs4680": "GG"})
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    client.force_login(member)
    response = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    html = response.content.decode()
    assert response.status_code == 200
    evidence_url = reverse("genotypes:evidence")
    # The member's own finding (GG) and the list of every genotype both show it.
    assert html.count("Evidence: Limited") == 2
    assert f'href="{evidence_url}#evidence-limited"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/8807664/"' in html
    assert 'href="https://doi.org/10.1097/j.pain.0000000000001370"' in html
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC1995596/"' in html
    assert "limited for morphine dose" in html
    # The unsourced AA finding says so in words.
    assert "Evidence: Unverified" in html
    assert "Unverified: not yet checked against a source we can cite." in html
    _assert_page_basics(html)


@pytest.mark.parametrize("who", ["visitor", "non-member"])
def test_findings_and_sources_stay_behind_the_member_gate(client, who):
    from tests.factories import UserFactory as PlainUser

    _graded_catalogue()
    if who == "non-member":
        client.force_login(PlainUser())
    response = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    html = response.content.decode()
    assert response.status_code == 200 and "Become a member" in html  # the public part
    assert "pubmed.ncbi.nlm.nih.gov/8807664" not in html and "Evidence:" not in html
    finding = SnpInterpretation.objects.get(snp__rsid="rs4680", genotype="GG")
    assert finding.text not in html


def _assert_page_basics(html: str):
    from tests.genotypes.test_views import _assert_page_basics as basics

    basics(html)
