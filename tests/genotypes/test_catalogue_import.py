"""The catalogue import keeps each finding's sources and evidence level (issue 13, item 2).

An editor meets the import as the ``import_snps`` command; the shared research table's rows
marked ``sourced`` must arrive with their DOIs/PMIDs and their grade, and a row whose
references name no identifier must arrive as unverified, saying why.
"""

import csv
from io import StringIO
from pathlib import Path
from tempfile import NamedTemporaryFile

import pytest
from django.core.management import call_command

from genotypes.models import EvidenceLevel, Snp, SnpInterpretation
from genotypes.services.catalogue import evidence_parse, sources_parse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHARED_FACTS = next(
    (
        folder / "catalogue-facts.csv"
        for folder in (ROOT.parent / "shared" / "content", ROOT.parents[1] / "shared" / "content")
        if (folder / "catalogue-facts.csv").exists()
    ),
    None,
)
FACTS_COLUMNS = (
    "rsid,gene,chrom,pos_grch37,pos_grch38,ref,alt,effect_allele,common_name,genotype,"
    "finding,evidence,source,status,note"
).split(",")
_SNPS = {
    "rs1799971": ["OPRM1", "6", "154360797", "154039662", "A", "G", "G", "A118G"],
    "rs4680": ["COMT", "22", "19951271", "19963748", "G", "A", "A", "Val158Met"],
    "rs2032582": ["ABCB1", "7", "87160618", "87531302", "A", "C,T", "A", "G2677T/A"],
    "rs6897932": ["IL7R", "5", "", "", "C", "T", "T", ""],
    "(gene-level)": ["AKR1C4", "10", "", "", "", "", "", ""],
}
# The shared table's facts for a few genotypes (identifiers and grades as there; our words).
_FINDINGS = [
    (
        "rs1799971",
        "AA",
        "moderate (naltrexone, mixed); limited (placebo; single cohort)",
        "doi:10.1001/archpsyc.65.2.135 ; PMC1995596 ; doi:10.1097/j.pain.0000000000001370 ; "
        "Skryabin 2025 Psychopharmacol Bull 55(4):68-78",
    ),
    ("rs4680", "GG", "limited", "PMC1995596 ; PMID:8807664"),
    ("rs2032582", "CC", "limited", "Zhao 2019 ; Wang 2016"),
    ("rs6897932", "CC", "strong", "PMID:17660530"),
    ("(gene-level)", "*", "limited", "doi:10.1211/0022357045020"),
]


def _facts_csv(findings=_FINDINGS) -> str:
    text = StringIO()
    writer = csv.writer(text)
    writer.writerow(FACTS_COLUMNS)
    for rsid, genotype, evidence, source in findings:
        writer.writerow(
            [rsid, *_SNPS[rsid], genotype, "In our words.", evidence, source, "sourced", ""]
        )
    return text.getvalue()


def _import(text: str) -> str:
    out = StringIO()
    with NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    call_command("import_snps", handle.name, stdout=out)
    Path(handle.name).unlink()
    return out.getvalue()


def test_import_keeps_sources_and_evidence_levels():
    printed = _import(_facts_csv())
    oprm1 = SnpInterpretation.objects.get(snp__rsid="rs1799971", genotype="AA")
    # Two outcomes graded differently: the finding takes the weaker grade, the note both.
    assert oprm1.evidence == EvidenceLevel.LIMITED
    assert oprm1.evidence_note.startswith("moderate (naltrexone")
    assert oprm1.sources.splitlines() == [
        "doi:10.1001/archpsyc.65.2.135",
        "PMC1995596",
        "doi:10.1097/j.pain.0000000000001370",
    ]
    comt = SnpInterpretation.objects.get(snp__rsid="rs4680", genotype="GG")
    assert comt.evidence == EvidenceLevel.LIMITED
    assert comt.sources.splitlines() == ["PMC1995596", "PMID:8807664"]
    il7r = SnpInterpretation.objects.get(snp__rsid="rs6897932", genotype="CC")
    assert il7r.evidence == EvidenceLevel.STRONG and il7r.sources == "PMID:17660530"
    # Graded "limited" in the table, but no reference a reader can open: unverified, and why.
    abcb1 = SnpInterpretation.objects.get(snp__rsid="rs2032582", genotype="CC")
    assert abcb1.evidence == EvidenceLevel.UNVERIFIED and abcb1.sources == ""
    assert "no DOI or PMID" in abcb1.evidence_note
    assert "Skipped (gene-level) AKR1C4: not an rsid." in printed
    assert "rs2032582: Zhao 2019" in printed and "rs1799971: Skryabin 2025" in printed
    # Importing again changes nothing.
    _import(_facts_csv())
    assert SnpInterpretation.objects.count() == 4


def test_the_demo_catalogue_arrives_cited_and_graded():
    call_command("load_demo_snps", stdout=StringIO())
    finding = SnpInterpretation.objects.get(snp__rsid="rs1045642", genotype="AG")
    assert finding.sources.splitlines() == ["doi:10.6039/j.issn.1001-0408.2018.18.21"]
    assert finding.evidence == EvidenceLevel.MODERATE
    # Graded where it was read, but its studies carry no identifier yet: unverified, and why.
    uncited = SnpInterpretation.objects.get(snp__rsid="rs2032582", genotype="AC")
    assert uncited.evidence == EvidenceLevel.UNVERIFIED
    assert "no DOI or PMID" in uncited.evidence_note
    assert not Snp.objects.filter(frequency_note__contains="Hardy-Weinberg").exists()


@pytest.mark.skipif(SHARED_FACTS is None, reason="the shared content folder is not here")
def test_importing_the_shared_sourced_rows_keeps_every_identifier_and_grade():
    with open(SHARED_FACTS, newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["status"] == "sourced"]
    text = StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    _import(text.getvalue())
    checked = 0
    for row in rows:
        if not row["rsid"].startswith("rs") or row["genotype"] == "*":
            continue
        finding = SnpInterpretation.objects.get(
            snp__rsid=row["rsid"], genotype="".join(sorted(row["genotype"]))
        )
        ids, _ = sources_parse(text=row["source"])
        assert finding.sources.splitlines() == ids
        level, _ = evidence_parse(
            text=row["evidence"],
            status="sourced",
            sourced=any(i.startswith(("doi:", "PMID:")) for i in ids),
        )
        assert finding.evidence == level
        if finding.evidence != EvidenceLevel.UNVERIFIED:
            assert finding.evidence in row["evidence"]
        checked += 1
    assert checked >= 25
    graded = SnpInterpretation.objects.exclude(evidence=EvidenceLevel.UNVERIFIED)
    assert graded.count() >= 15


@pytest.mark.parametrize(
    ("cell", "ids", "rest"),
    [
        ("[1] 10.1001/x.1 ; [2] no-doi:grant", ["doi:10.1001/x.1"], ["[2] no-doi:grant"]),
        ("10.1097/ALN.0000000000000405* + 10.2217/pgs.13.187", None, []),
        ("medRxiv doi:10.1101/2020.04.26.20081273", ["doi:10.1101/2020.04.26.20081273"], []),
        ("PMID:26200952 ; PMC3757343", ["PMID:26200952", "PMC3757343"], []),
    ],
)
def test_sources_are_read_from_every_reference_style(cell, ids, rest):
    found, unresolved = sources_parse(text=cell)
    if ids is None:
        ids = ["doi:10.1097/ALN.0000000000000405", "doi:10.2217/pgs.13.187"]
    assert (found, unresolved) == (ids, rest)
