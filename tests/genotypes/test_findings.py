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
