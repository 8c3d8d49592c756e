"""Uploads through the real broker and a real worker process, end to end."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from genotypes.selectors import genotype_report_for
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, demo_catalogue
from tests.utils import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CALLS = {"rs1799971": "AG", "rs4680": "GG", "rs1045642": "--"}


def _finished(upload_id):
    upload = GenomeUpload.objects.get(pk=upload_id)
    return upload if upload.is_finished else None


def test_upload_through_http_is_parsed_by_the_worker_into_the_article_report(client, celery_worker):
    catalogue = demo_catalogue()
    member = MemberFactory()
    client.force_login(member)
    data = generate_genome("23andme", n_snps=20_000, seed=7, include=CALLS, compression="zip")
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.zip", data), "consent": "on"},
    )
    assert response.status_code == 302
    upload = GenomeUpload.objects.get(user=member)
    done = wait_until(lambda: _finished(upload.pk), raise_on_timeout=False)
    assert done, "the worker did not finish:\n" + celery_worker.log()[-3000:]
    assert done.status == "done", done.failure_reason
    report = genotype_report_for(
        user=member, snps=[catalogue[r] for r in CALLS] + [catalogue["rs4986791"]]
    )
    shown = {row.rsid: (row.status, row.genotype) for row in report.rows}
    assert shown == {
        "rs1799971": ("match", "AG"),
        "rs4680": ("match", "GG"),
        "rs1045642": ("no_call", ""),
        "rs4986791": ("not_on_chip", ""),
    }
    assert "genotypes.tasks.genome_upload_process" in celery_worker.log()


def test_a_bad_file_fails_in_the_worker_and_the_worker_survives(client, celery_worker):
    member = MemberFactory()
    client.force_login(member)
    client.post(
        reverse("genotypes:upload"),
        {
            "file": SimpleUploadedFile("genome.txt", b"\x89PNG\r\n\x1a\n" + bytes(300)),
            "consent": "on",
        },
    )
    upload = GenomeUpload.objects.get(user=member)
    failed = wait_until(lambda: _finished(upload.pk), raise_on_timeout=False)
    assert failed and failed.status == "failed", celery_worker.log()[-3000:]
    assert "image (PNG)" in failed.failure_reason
    assert not GenotypeResult.objects.filter(user=member).exists()
    assert celery_worker.process.poll() is None


def test_catalogue_backfill_reaches_stored_genomes_through_the_worker(client, celery_worker):
    from genotypes.services import backfill

    demo_catalogue()
    member = MemberFactory()
    client.force_login(member)
    client.post(
        reverse("genotypes:upload"),
        {
            "file": SimpleUploadedFile(
                "g.txt", generate_genome(n_snps=3_000, seed=2, include={"rs3094315": "CT"})
            ),
            "consent": "on",
        },
    )
    upload = GenomeUpload.objects.get(user=member)
    assert wait_until(lambda: _finished(upload.pk), raise_on_timeout=False)
    snp = SnpFactory(rsid="rs3094315", chromosome="1", ref="C", alt="T")
    from django.db import transaction

    with transaction.atomic():
        backfill.snp_catalogue_changed(snp=snp)
    result = wait_until(
        lambda: GenotypeResult.objects.filter(user=member, snp=snp).first(), raise_on_timeout=False
    )
    assert result, celery_worker.log()[-3000:]
    assert result.genotype == "CT"
