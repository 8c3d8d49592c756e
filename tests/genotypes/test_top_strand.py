"""Issue 16: an Illumina final report on the TOP strand only, oriented against the catalogue.

The TOP strand is the plus strand or its complement, so each call is turned to the plus
strand by the SNP's known alleles when the member's results are written (and backfilled);
an A/T or C/G SNP, or one whose alleles the catalogue does not know, is "strand unclear".
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from genotypes.matching import UNORIENTED, Status, match_genotype, top_to_plus
from genotypes.models import GenotypeResult
from genotypes.services import backfill, parsing, uploads
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory

pytestmark = pytest.mark.django_db

REPORT = (
    "[Header]\r\nGSGT Version\t2.0.4\r\nNum SNPs\t5\r\nNum Samples\t1\r\n[Data]\r\n"
    "SNP Name\tSample ID\tAllele1 - Top\tAllele2 - Top\tChr\tPosition\tGC Score\r\n"
    # rs101: plus alleles C/T, so TOP A/G is the minus strand: read as CT.
    "rs101\tS1\tA\tG\t1\t1001\t0.9\r\n"
    # rs102: plus alleles A/G, TOP is the plus strand: read as GG.
    "rs102\tS1\tG\tG\t2\t1002\t0.9\r\n"
    # rs103: A/T, palindromic: strand unclear.
    "rs103\tS1\tA\tT\t3\t1003\t0.9\r\n"
    # rs104: alleles unknown to the catalogue: strand unclear.
    "rs104\tS1\tA\tC\t4\t1004\t0.9\r\n"
    "rs105\tS1\t-\t-\t5\t1005\t0.1\r\n"
)


def _upload(member, text: str = REPORT):
    file = SimpleUploadedFile("report.txt", text.encode(), content_type="text/plain")
    upload = uploads.genome_upload_create(user=member, file=file, consent=True)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t1")
    upload.refresh_from_db()
    return upload


def _results(member) -> dict[str, str]:
    return dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))


def test_top_strand_calls_are_turned_to_the_plus_strand_by_the_catalogues_alleles():
    SnpFactory(rsid="rs101", chromosome="1", ref="C", alt="T")
    SnpFactory(rsid="rs102", chromosome="2", ref="A", alt="G")
    SnpFactory(rsid="rs103", chromosome="3", ref="A", alt="T")
    SnpFactory(rsid="rs104", chromosome="4", ref="", alt="")
    SnpFactory(rsid="rs105", chromosome="5", ref="G", alt="T")
    member = MemberFactory()
    upload = _upload(member)
    assert upload.status == upload.Status.DONE, upload.failure_reason
    assert upload.format == "Illumina GenomeStudio (TOP strand)"
    assert any("TOP strand" in w for w in upload.warnings)
    results = _results(member)
    assert results == {
        "rs101": "CT",
        "rs102": "GG",
        "rs103": "AT",
        "rs104": UNORIENTED,
        "rs105": "--",
    }
    snp_103 = dict(ref="A", alt="T")
    assert match_genotype(genotype=results["rs103"], **snp_103).status == Status.AMBIGUOUS_STRAND
    unclear = match_genotype(genotype=results["rs104"], ref="", alt="")
    assert (unclear.status, unclear.genotype) == (Status.AMBIGUOUS_STRAND, "")


def test_a_snp_added_later_is_backfilled_on_the_plus_strand_too():
    member = MemberFactory()
    upload = _upload(member)
    later = SnpFactory(rsid="rs101", chromosome="1", ref="T", alt="C")
    backfill.genotype_results_backfill_chunk(snp_id=later.pk, upload_ids=[str(upload.pk)])
    assert _results(member)["rs101"] == "CT"


@pytest.mark.parametrize(
    "genotype,ref,alt,plus",
    [
        ("AG", "C", "T", "CT"),
        ("AG", "G", "A", "AG"),
        ("CC", "G", "A", "GG"),
        ("AT", "T", "A", "AT"),
        ("AC", "", "", UNORIENTED),
        ("--", "C", "T", "--"),
        ("DI", "C", "CA", "DI"),
    ],
)
def test_top_to_plus(genotype, ref, alt, plus):
    assert top_to_plus(genotype=genotype, ref=ref, alt=alt) == plus
