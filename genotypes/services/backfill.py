"""Filling in members' results for a SNP added or changed after they uploaded."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from genlife import queue
from genotypes.genome_store import genome_from_blob
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    Snp,
)
from genotypes.parsers import GenomeFormat
from genotypes.services.audit import genetic_data_audit_many
from genotypes.services.parsing import genome_results_for
from genotypes.versions import genotype_data_changed

BACKFILL_CHUNK = 50
VCF_LABELS = (GenomeFormat.VCF.label, GenomeFormat.GVCF.label)


def snp_catalogue_changed(*, snp: Snp) -> None:
    """After an editor adds or changes a SNP, fill in every member's result for it."""
    from genotypes.tasks import snp_results_backfill

    snp_id = snp.pk
    queue.task_send_on_commit(snp_results_backfill, snp_id)


def snps_catalogue_changed(*, snp_ids: list[int]) -> None:
    """After several SNPs are added or changed at once (a catalogue import), fill in every
    member's results for all of them in one pass over each stored genome."""
    from genotypes.tasks import snps_results_backfill

    if snp_ids:
        queue.task_send_on_commit(snps_results_backfill, sorted(set(snp_ids)))


def snp_results_backfill(*, snp_id: int) -> int:
    return snps_results_backfill(snp_ids=[snp_id])


def snps_results_backfill(*, snp_ids: list[int]) -> int:
    """Split the backfill of some SNPs into chunks of uploads, one task each; each task reads
    each of its genomes once for all the SNPs."""
    from genotypes.tasks import genotype_results_backfill_snps

    ids = [
        str(pk)
        for pk in GenomeUpload.objects.filter(is_current=True)
        .exclude(genome_file="")
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    for start in range(0, len(ids), BACKFILL_CHUNK):
        queue.task_send(
            genotype_results_backfill_snps, list(snp_ids), ids[start : start + BACKFILL_CHUNK]
        )
    return len(ids)


def genotype_results_backfill_chunk(*, snp_id: int, upload_ids: list[str]) -> int:
    return genotype_results_backfill_snps(snp_ids=[snp_id], upload_ids=upload_ids)


@sensitive_variables()
def genotype_results_backfill_snps(*, snp_ids: list[int], upload_ids: list[str]) -> int:
    """Materialise some SNPs for a chunk of stored genomes, reading each genome once.
    Safe to run twice; returns the number of uploads written.

    Blobs are read and decrypted outside any transaction; the results are then written in
    one statement for the uploads that are still current (a newer upload that committed in
    the meantime has already written its own results for these SNPs).
    """
    snps = list(Snp.objects.filter(pk__in=snp_ids))
    if not snps:
        return 0
    rsids = [snp.rsid for snp in snps]
    positions = [
        (snp.chromosome, p)
        for snp in snps
        for p in (snp.position_grch37, snp.position_grch38)
        if p and snp.chromosome
    ]
    found: dict = {}
    uploads = GenomeUpload.objects.filter(pk__in=upload_ids, is_current=True).only(
        "pk", "user_id", "build", "format", "genome_file"
    )
    for upload in uploads:
        try:
            with upload.genome_file.open("rb") as handle:
                blob = handle.read()
        except (FileNotFoundError, ValueError):
            continue
        # Only VCFs hold records without an rsid; positions are looked up among those.
        frame = genome_from_blob(
            blob, rsids=rsids, positions=positions if upload.format in VCF_LABELS else ()
        )
        found[upload.pk] = (
            upload.user_id,
            genome_results_for(frame, upload.build, snps, format_label=upload.format),
        )
    if not found:
        return 0
    now = timezone.now()
    with transaction.atomic():
        current = set(
            GenomeUpload.objects.select_for_update()
            .filter(pk__in=list(found), is_current=True)
            .values_list("pk", flat=True)
        )
        GenotypeResult.objects.bulk_create(
            [
                GenotypeResult(
                    user_id=user_id, upload_id=pk, snp=snp, genotype=genotypes[snp.pk], updated=now
                )
                for pk, (user_id, genotypes) in found.items()
                if pk in current
                for snp in snps
            ],
            update_conflicts=True,
            unique_fields=["user", "snp"],
            update_fields=["upload", "genotype", "updated"],
        )
        genotype_data_changed(
            user_ids=[user_id for pk, (user_id, _) in found.items() if pk in current]
        )
        # Every genome read is on its owner's activity page, whether or not it was written.
        genetic_data_audit_many(
            subjects=[(user_id, pk) for pk, (user_id, _) in found.items()],
            action=GeneticDataAuditLog.Action.BACKFILLED,
            detail=", ".join(sorted(rsids)),
        )
    return len(current)
