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


def snp_results_backfill(*, snp_id: int) -> int:
    """Split the backfill of one SNP into chunks of uploads, one task each."""
    from genotypes.tasks import genotype_results_backfill_chunk

    ids = [
        str(pk)
        for pk in GenomeUpload.objects.filter(is_current=True)
        .exclude(genome_file="")
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    for start in range(0, len(ids), BACKFILL_CHUNK):
        queue.task_send(
            genotype_results_backfill_chunk, snp_id, ids[start : start + BACKFILL_CHUNK]
        )
    return len(ids)


@sensitive_variables()
def genotype_results_backfill_chunk(*, snp_id: int, upload_ids: list[str]) -> int:
    """Materialise one SNP for a chunk of stored genomes. Safe to run twice.

    Blobs are read and decrypted outside any transaction; the results are then written in
    one statement for the uploads that are still current (a newer upload that committed in
    the meantime has already written its own result for this SNP).
    """
    snp = Snp.objects.filter(pk=snp_id).first()
    if snp is None:
        return 0
    positions = [(snp.chromosome, p) for p in (snp.position_grch37, snp.position_grch38) if p]
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
            blob, rsids=[snp.rsid], positions=positions if upload.format in VCF_LABELS else ()
        )
        found[upload.pk] = (
            upload.user_id,
            genome_results_for(frame, upload.build, [snp], format_label=upload.format)[snp.pk],
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
                    user_id=user_id, upload_id=pk, snp=snp, genotype=genotype, updated=now
                )
                for pk, (user_id, genotype) in found.items()
                if pk in current
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
            detail=snp.rsid,
        )
    return len(current)
