"""The demo catalogue (genotypes/demo/) loads with every finding cited and graded, or marked
unverified, and says what is not yet confirmed (issue 13, items 2 and 7)."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from genotypes.models import EvidenceLevel, Snp, SnpInterpretation

DEMO = Path(__file__).resolve().parents[2] / "genotypes" / "demo"


def _rows(name: str) -> list[dict]:
    with open(DEMO / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.django_db
def test_every_demo_finding_is_cited_and_graded_or_unverified():
    call_command("load_demo_snps", stdout=StringIO())
    findings = list(SnpInterpretation.objects.select_related("snp"))
    assert len(findings) == 33
    for finding in findings:
        assert finding.evidence == EvidenceLevel.UNVERIFIED or finding.is_sourced, finding
        assert finding.text.strip(), finding
    graded = [f for f in findings if f.evidence != EvidenceLevel.UNVERIFIED]
    assert len(graded) >= 25
    # The MS and HLA-B27 findings arrive graded, with their papers.
    dr15 = SnpInterpretation.objects.get(snp__rsid="rs3135388", genotype="AG")
    assert dr15.evidence == EvidenceLevel.MODERATE and "doi:10.1056/NEJMoa073493" in dr15.sources
    b27 = SnpInterpretation.objects.get(snp__rsid="rs4349859", genotype="AG")
    assert b27.evidence == EvidenceLevel.STRONG and "doi:10.1038/ng.873" in b27.sources


@pytest.mark.django_db
def test_unconfirmed_snps_load_unverified_and_say_what_is_unconfirmed():
    call_command("load_demo_snps", stdout=StringIO())
    for rsid in ("rs3135388", "rs6897932", "rs2104286", "rs4349859", "rs116488202", "rs4986791"):
        snp = Snp.objects.get(rsid=rsid)
        assert not snp.verified and snp.position_grch37 is None, rsid
        assert "NOT confirmed" in snp.notes, rsid
    # rs116488202: nobody has confirmed which allele tags HLA-B27, so no genotype is read.
    assert not SnpInterpretation.objects.filter(snp__rsid="rs116488202").exists()
    for rsid in ("rs3829125", "rs17134592"):
        akr = Snp.objects.get(rsid=rsid)
        assert not akr.verified and not akr.interpretations.exists()
    assert "L311V" in Snp.objects.get(rsid="rs17134592").notes
    # Alleles as consumer files report them, so the member's call can be read.
    assert {(s.rsid, s.ref, s.alt) for s in Snp.objects.filter(gene__in=["IL7R", "IL2RA"])} == {
        ("rs6897932", "C", "T"),
        ("rs2104286", "A", "G"),
    }


def test_every_demo_snp_has_a_summary_and_its_gene_a_description():
    rows = _rows("ldn-snps.csv")
    by_snp = {}
    for row in rows:
        by_snp.setdefault(row["rsid"], row)
        assert row["gene"] == row["gene"].strip() and " " not in row["gene"], row["gene"]
    assert len(by_snp) == 13
    for rsid, row in by_snp.items():
        assert row["summary"].strip(), rsid
        # rs3829125's protein change is unconfirmed, so it carries no common name yet.
        assert row["common_name"].strip() or rsid == "rs3829125", rsid
    assert "A118G" in by_snp["rs1799971"]["common_name"]
    assert "Val158Met" in by_snp["rs4680"]["common_name"]
    genes = {row["symbol"]: row for row in _rows("genes.csv")}
    assert {row["gene"] for row in rows} == set(genes)
    assert all(g["name"].strip() and g["summary"].strip() for g in genes.values())


def test_no_demo_text_pairs_rs17134592_with_ser145cys():
    for row in _rows("ldn-snps.csv"):
        if row["rsid"] == "rs17134592":
            for column in ("common_name", "summary", "finding"):
                assert "Ser145Cys" not in row[column] or "wrongly" in row[column]


def test_demo_population_frequencies_are_single_sourced_numbers_for_catalogue_snps():
    catalogue = {row["rsid"] for row in _rows("ldn-snps.csv")}
    for row in _rows("population-frequencies.csv"):
        assert row["rsid"] in catalogue
        assert 0 <= float(row["frequency"]) <= 1
        assert row["source"].strip() and row["release"].strip()
