"""Several SNPs added at once are backfilled in one pass over each stored genome."""

import pytest
from django.db import transaction

from genlife import queue
from genotypes import tasks
from genotypes.models import GenotypeResult
from genotypes.samples import sample_chromosome_for
from genotypes.services import backfill, catalogue
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, demo_catalogue, processed_upload_for

pytestmark = pytest.mark.django_db

NEW = {"rs3094315": "CT", "rs3131972": "AG", "rs4475691": "CC"}


def _processed(calls):
    member = MemberFactory()
    return member, processed_upload_for(member, n_snps=800, include=calls)


def _new_snps():
    return [
        SnpFactory(rsid=rsid, chromosome=sample_chromosome_for(rsid), ref=ref, alt=alt)
        for rsid, ref, alt in (
            ("rs3094315", "C", "T"),
            ("rs3131972", "A", "G"),
            ("rs4475691", "C", "T"),
        )
    ]


def test_each_genome_is_read_once_for_all_the_new_snps(monkeypatch):
    demo_catalogue()
    alice, alice_upload = _processed(NEW)
    bob, bob_upload = _processed({"rs3094315": "TT"})
    snps = _new_snps()
    reads = []
    original = backfill.genome_from_blob
    monkeypatch.setattr(
        backfill,
        "genome_from_blob",
        lambda blob, **kwargs: reads.append(kwargs["rsids"]) or original(blob, **kwargs),
    )
    written = backfill.genotype_results_backfill_snps(
        snp_ids=[snp.pk for snp in snps], upload_ids=[str(alice_upload.pk), str(bob_upload.pk)]
    )
    assert written == 2
    assert len(reads) == 2  # one read per genome, not one per genome and SNP
    assert all(sorted(rsids) == sorted(NEW) for rsids in reads)

    def results(member):
        return dict(
            GenotypeResult.objects.filter(user=member, snp__in=snps).values_list(
                "snp__rsid", "genotype"
            )
        )

    assert results(alice) == NEW
    assert results(bob)["rs3094315"] == "TT"
    assert set(results(bob)) == set(NEW)  # a row for every SNP, empty when not on the file
    # a second run changes nothing
    backfill.genotype_results_backfill_snps(
        snp_ids=[snp.pk for snp in snps], upload_ids=[str(alice_upload.pk)]
    )
    assert GenotypeResult.objects.filter(user=alice, snp__in=snps).count() == 3


def test_a_catalogue_import_sends_one_backfill_for_all_its_snps(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(queue, "task_send", lambda task, *args: sent.append((task.name, args)))
    rows = [
        {
            "rsid": rsid,
            "gene": "GENE",
            "chrom": "1",
            "genotype": genotype,
            "label": "typical",
            "finding": "Common.",
        }
        for rsid, genotype in NEW.items()
    ]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            catalogue.snp_catalogue_import(rows=rows)
        assert sent == []  # nothing before the commit
    from genotypes.models import Snp

    ids = sorted(Snp.objects.filter(rsid__in=NEW).values_list("pk", flat=True))
    assert sent == [("genotypes.tasks.snps_results_backfill", (ids,))]


def test_the_fan_out_sends_every_snp_with_each_chunk(monkeypatch):
    uploads = [_processed({})[1] for _ in range(3)]
    snps = _new_snps()
    chunks = []
    monkeypatch.setattr(backfill, "BACKFILL_CHUNK", 2)
    monkeypatch.setattr(queue, "task_send", lambda task, *args: chunks.append((task, args)))
    assert backfill.snps_results_backfill(snp_ids=[s.pk for s in snps]) == 3
    assert [task for task, _ in chunks] == [tasks.genotype_results_backfill_snps] * 2
    assert all(args[0] == [s.pk for s in snps] for _, args in chunks)
    assert sorted(pk for _, args in chunks for pk in args[1]) == sorted(str(u.pk) for u in uploads)
