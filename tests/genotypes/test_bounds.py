"""Work is bounded by records as well as bytes: a small gzip of millions of tiny records is
refused at GENOME_MAX_RECORDS with a message for the member, without reading the rest."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genotypes import parsers
from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.parsers import GenomeFormatError, parse_genome
from genotypes.samples import generate_genome
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

VCF_HEADER = (
    b"##fileformat=VCFv4.2\n##reference=GRCh37\n"
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE\n"
)


def tiny_record_vcf(records: int) -> bytes:
    """A VCF of ``records`` minimal records: the shape of the 37-million-record bomb."""
    body = b"".join(
        b"%d\t%d\t.\tA\tG\t.\t.\t.\tGT\t0/1\n" % (1 + i % 22, 1000 + i) for i in range(records)
    )
    return gzip.compress(VCF_HEADER + body, compresslevel=9, mtime=0)


CRAFTED = {
    "vcf": lambda records=120_000: tiny_record_vcf(records),
    "chip": lambda records=120_000: generate_genome(
        "23andme", n_snps=records, seed=5, compression="gzip"
    ),
}


@pytest.mark.parametrize("kind", CRAFTED)
def test_a_file_with_more_records_than_the_cap_is_refused_with_a_message(
    client, settings, eager_tasks, django_capture_on_commit_callbacks, kind
):
    settings.GENOME_MAX_RECORDS = 50_000
    member = MemberFactory()
    client.force_login(member)
    data = CRAFTED[kind]()
    assert len(data) < 2 * 1024 * 1024  # small on the wire
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("genotypes:upload"),
            {"file": SimpleUploadedFile("genome.gz", data), "consent": "on"},
        )
    assert response.status_code == 302
    upload = GenomeUpload.objects.get(user=member)
    assert upload.status == GenomeUpload.Status.FAILED
    assert upload.failure_code == "too_many_records"
    assert "more than 50,000 records" in upload.failure_reason
    assert not GenotypeResult.objects.filter(user=member).exists()
    status = client.get(reverse("genotypes:upload_status_json", args=[upload.pk])).json()
    assert status["status"] == "failed" and "50,000 records" in status["reason"]


def test_the_same_file_under_a_cap_it_fits_is_read(settings):
    genome = parse_genome(tiny_record_vcf(60_000), max_records=60_000)
    assert genome.snp_count == 60_000


@pytest.mark.parametrize("kind", CRAFTED)
def test_the_reader_stops_unpacking_at_the_cap(monkeypatch, kind):
    """Only a small share of the text is ever unpacked when the cap is far below the file."""
    unpacked = []
    real = parsers.gunzip_pieces

    def counting(*args, **kwargs):
        for piece in real(*args, **kwargs):
            unpacked.append(len(piece))
            yield piece

    monkeypatch.setattr(parsers, "gunzip_pieces", counting)
    data = CRAFTED[kind](400_000)
    total = len(gzip.decompress(data))
    with pytest.raises(GenomeFormatError) as error:
        parse_genome(data, max_records=5_000)
    assert error.value.code == "too_many_records"
    assert sum(unpacked) < total / 4
