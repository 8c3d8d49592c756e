"""The exported genome (23andMe layout) read back by our own upload, through HTTP, the real
broker and a worker process: every stored call, the build and every catalogue result equal."""

import io
import zipfile

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from genotypes.genome_store import genome_from_blob
from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from tests.factories import TEST_PASSWORD, MemberFactory
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CALLS = {"rs1799971": "AG", "rs4680": "GG", "rs1045642": "--"}


def _upload_and_wait(client: Client, name: str, data: bytes, celery_worker) -> GenomeUpload:
    response = client.post(
        reverse("genotypes:upload"), {"file": SimpleUploadedFile(name, data), "consent": "on"}
    )
    assert response.status_code == 302, response.content[:500]
    upload_id = response["Location"].rstrip("/").split("/")[-1]

    def finished():
        upload = GenomeUpload.objects.get(pk=upload_id)
        return upload if upload.is_finished else None

    done = wait_until(finished, raise_on_timeout=False)
    assert done, "the worker did not finish:\n" + celery_worker.log()[-3000:]
    assert done.status == "done", done.failure_reason
    return done


def _stored_calls(upload: GenomeUpload) -> pl.DataFrame:
    with upload.genome_file.open("rb") as handle:
        frame = genome_from_blob(handle.read())
    return frame.with_columns(
        pl.col("chromosome").cast(pl.String), pl.col("genotype").cast(pl.String)
    ).sort("rsid", "chromosome", "position")


def _results(member) -> dict[str, str]:
    return {
        rsid: genotype
        for rsid, genotype in (
            (r.snp.rsid, r.genotype)
            for r in GenotypeResult.objects.filter(user=member).select_related("snp")
        )
    }


@pytest.mark.parametrize("fmt", ["ancestry", "23andme"])
def test_exported_genome_uploads_back_to_identical_calls_and_results(celery_worker, fmt):
    demo_catalogue()
    original_member, copy_member = MemberFactory(), MemberFactory()
    owner = Client()
    owner.force_login(original_member)
    data = generate_genome(fmt, n_snps=20_000, seed=11, male=True, include=CALLS)
    original = _upload_and_wait(owner, f"original-{fmt}.txt", data, celery_worker)

    owner.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    response = owner.post(reverse("genotypes:export"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    exported = archive.read("genlife-genome-23andme.txt")

    reader = Client()
    reader.force_login(copy_member)
    copy = _upload_and_wait(reader, "genlife-genome-23andme.txt", exported, celery_worker)

    assert copy.format == "23andMe"
    assert (copy.build, copy.snp_count, copy.no_call_count) == (
        original.build,
        original.snp_count,
        original.no_call_count,
    )
    first, second = _stored_calls(original), _stored_calls(copy)
    assert first.height >= 19_000  # the whole genome, not a sample of it
    assert first.equals(second), "the exported text reads back to different calls"
    results = _results(original_member)
    assert results and results == _results(copy_member)
    assert results["rs1799971"] == "AG" and results["rs1045642"] == "--"
