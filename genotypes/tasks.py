"""Celery tasks: thin wrappers that take ids and call the service of the same name."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from genotypes.services import backfill, deletion, parsing


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=4,
)
def genome_upload_process(self, upload_id: str) -> None:
    """Parse one upload. A killed worker's message is redelivered and resumes."""
    parsing.genome_upload_process(upload_id=upload_id, task_id=self.request.id or "")


@shared_task(acks_late=True)
def genome_uploads_requeue_stuck() -> int:
    """Beat: re-queue uploads stuck in queued (broker down) or parsing (worker killed)."""
    return parsing.genome_uploads_requeue_stuck()


@shared_task(acks_late=True)
def genome_files_sweep_orphans() -> int:
    """Beat: delete raw files and genome blobs that no upload owns (older than a few minutes)."""
    return deletion.genome_files_sweep_orphans()


# The backfill: fan-out tasks list the genomes, chunk tasks read and write them (killed
# mid-way, a chunk is redelivered; written twice, it changes nothing).
FAN_OUT = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 4,
}
CHUNK = {**FAN_OUT, "reject_on_worker_lost": True}


@shared_task(**FAN_OUT)
def snp_results_backfill(snp_id: int) -> int:
    """Fan a new or changed catalogue SNP out to every stored genome, in chunks."""
    return backfill.snp_results_backfill(snp_id=snp_id)


@shared_task(**CHUNK)
def genotype_results_backfill_chunk(snp_id: int, upload_ids: list[str]) -> int:
    """Materialise one SNP for a chunk of stored genomes (messages sent before the tasks
    below existed)."""
    return backfill.genotype_results_backfill_chunk(snp_id=snp_id, upload_ids=upload_ids)


@shared_task(**FAN_OUT)
def snps_results_backfill(snp_ids: list[int]) -> int:
    """Fan several new or changed catalogue SNPs out to every stored genome, in chunks."""
    return backfill.snps_results_backfill(snp_ids=snp_ids)


@shared_task(**CHUNK)
def genotype_results_backfill_snps(snp_ids: list[int], upload_ids: list[str]) -> int:
    """Materialise several SNPs for a chunk of stored genomes, reading each genome once."""
    return backfill.genotype_results_backfill_snps(snp_ids=snp_ids, upload_ids=upload_ids)
