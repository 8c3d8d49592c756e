"""Uploads are judged by their bytes, never by the content type or name the browser sends.

Each file goes through the upload view the way a member's browser posts it, then through the
parse task (run eagerly once the upload commits, as the worker would run it).
"""

import gzip
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from tests.factories import MemberFactory
from tests.genotypes.factories import demo_catalogue

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 64
        + b"\xff\xd9"
    )


def _genome() -> bytes:
    return generate_genome("23andme", n_snps=2_000, seed=7, include={"rs4680": "AG"})


def _zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genome_Jane_Doe_v5_Full.txt", data)
    return buffer.getvalue()


NOT_GENOMES = {
    "PNG image sent as text/plain .txt": ("genome.txt", "text/plain", _png, "image (PNG)"),
    "JPEG image sent as text/csv .csv": ("genome.csv", "text/csv", _jpeg, "image (JPEG)"),
    "PDF sent as text/plain .txt": ("genome.txt", "text/plain", _pdf, "PDF document"),
    "PDF sent as application/gzip .gz": ("genome.txt.gz", "application/gzip", _pdf, "PDF document"),
    "HTML page sent as text/tab-separated-values .tsv": (
        "genome.tsv",
        "text/tab-separated-values",
        lambda: b"<!DOCTYPE html><html><body><p>Session expired</p></body></html>",
        "web page (HTML)",
    ),
}

GENOMES = {
    "23andMe text sent as application/octet-stream": (
        "genome.txt",
        "application/octet-stream",
        _genome,
    ),
    "23andMe text sent as image/png with a .png name": ("genome.png", "image/png", _genome),
    "23andMe text sent as application/pdf": ("genome.pdf", "application/pdf", _genome),
    "gzip sent as text/plain .txt": ("genome.txt", "text/plain", lambda: gzip.compress(_genome())),
    "zip sent as text/plain with no extension": (
        "download",
        "text/plain",
        lambda: _zipped(_genome()),
    ),
}


def _post(client, name: str, content_type: str, data: bytes, capture) -> GenomeUpload:
    with capture(execute=True):
        response = client.post(
            reverse("genotypes:upload"),
            {"file": SimpleUploadedFile(name, data, content_type=content_type), "consent": "on"},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    upload = GenomeUpload.objects.get()
    upload.refresh_from_db()
    return upload


@pytest.mark.parametrize(
    ("name", "content_type", "make", "problem"), NOT_GENOMES.values(), ids=NOT_GENOMES.keys()
)
def test_a_file_that_is_not_a_genome_fails_by_its_content_whatever_it_claims(
    client, eager_tasks, django_capture_on_commit_callbacks, name, content_type, make, problem
):
    demo_catalogue()
    member = MemberFactory()
    client.force_login(member)
    upload = _post(client, name, content_type, make(), django_capture_on_commit_callbacks)
    assert upload.status == GenomeUpload.Status.FAILED
    assert problem in upload.failure_reason
    assert not GenotypeResult.objects.filter(user=member).exists()
    status = client.get(reverse("genotypes:upload_status_json", args=[upload.pk])).json()
    assert status["status"] == "failed" and problem in status["reason"]


@pytest.mark.parametrize(("name", "content_type", "make"), GENOMES.values(), ids=GENOMES.keys())
def test_a_genome_is_read_by_its_content_whatever_type_or_name_it_is_sent_with(
    client, eager_tasks, django_capture_on_commit_callbacks, name, content_type, make
):
    demo_catalogue()
    member = MemberFactory()
    client.force_login(member)
    upload = _post(client, name, content_type, make(), django_capture_on_commit_callbacks)
    assert upload.status == GenomeUpload.Status.DONE, upload.failure_reason
    assert upload.format == "23andMe" and upload.snp_count >= 2_000
    assert GenotypeResult.objects.get(user=member, snp__rsid="rs4680").genotype == "AG"


def test_the_stored_file_keeps_no_trace_of_the_claimed_name_or_type(
    client, eager_tasks, django_capture_on_commit_callbacks
):
    member = MemberFactory()
    client.force_login(member)
    upload = _post(
        client,
        "<script>alert(1)</script>.html",
        "text/html",
        _genome(),
        django_capture_on_commit_callbacks,
    )
    assert upload.raw_file.name == "" or upload.raw_file.name.endswith(f"{upload.pk}.upload")
    assert upload.genome_file.name.endswith(".parquet.fernet")
    page = client.get(reverse("genotypes:upload_status", args=[upload.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
