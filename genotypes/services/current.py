"""Which of a member's finished uploads their results come from, and removing one upload.

Every upload that was read successfully keeps its encrypted genome (``genome_file``) until
the member removes it, so the member can go back to an earlier file. Exactly one finished
upload is current (a database constraint); ``GenotypeResult`` rows always come from it.
The worker makes each newly read upload current (the newest upload wins:
``parsing._commit``); the member may then choose another one here, and results are
recomputed from that upload's stored genome against today's catalogue.
"""

from __future__ import annotations

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from genotypes.genome_store import GenomeBlobError, genome_from_blob
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult, Snp
from genotypes.parsers import GenomeFormat
from genotypes.services import deletion
from genotypes.services.audit import genetic_data_audit
from genotypes.services.parsing import genome_results_for
from genotypes.signals import genetic_data_deleted
from genotypes.versions import genotype_data_changed

Action = GeneticDataAuditLog.Action
Status = GenomeUpload.Status
VCF_LABELS = (GenomeFormat.VCF.label, GenomeFormat.GVCF.label)

NOT_SELECTABLE = (
    "Only a file we have read successfully can be the one in use; this one has no results."
)
GONE = "That file has been removed meanwhile."
UNREADABLE = (
    "We could not open the stored copy of that file, so your results still come from the "
    "file in use. Please upload it again."
)


class UploadNotSelectable(Exception):
    """The upload cannot become current; ``message`` is for the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@sensitive_variables()
def genome_upload_make_current(
    *, user, upload_id, only_if_none_current: bool = False
) -> GenomeUpload | None:
    """Make one of ``user``'s finished uploads the one their results come from.

    The stored genome is read outside the transaction; the switch (flags, every result row
    replaced) is one transaction under the lock of the member's uploads, and is given up if
    the upload changed meanwhile. Audited. With ``only_if_none_current`` nothing happens when
    another upload became current meanwhile (the worker finished a newer file). Returns the
    upload, or None when nothing was switched for that reason.
    """
    upload = GenomeUpload.objects.filter(pk=upload_id, user_id=user.pk).first()
    if upload is None:
        raise UploadNotSelectable(GONE)
    if upload.status != Status.DONE or not upload.genome_file:
        raise UploadNotSelectable(NOT_SELECTABLE)
    if upload.is_current:
        return upload
    snps = list(Snp.objects.all())
    blob_name = upload.genome_file.name
    try:
        with upload.genome_file.open("rb") as handle:
            blob = handle.read()
        positions = (
            [
                (snp.chromosome, position)
                for snp in snps
                for position in (snp.position_grch37, snp.position_grch38)
                if position and snp.chromosome
            ]
            if upload.format in VCF_LABELS
            else []
        )
        frame = genome_from_blob(blob, rsids=[snp.rsid for snp in snps], positions=positions)
    except (FileNotFoundError, GenomeBlobError) as error:
        raise UploadNotSelectable(UNREADABLE) from error
    del blob
    results = genome_results_for(frame, upload.build, snps, format_label=upload.format)
    with transaction.atomic():
        rows = list(GenomeUpload.objects.select_for_update().filter(user_id=user.pk))
        fresh = next((row for row in rows if row.pk == upload.pk), None)
        if fresh is None:
            raise UploadNotSelectable(GONE)
        if fresh.status != Status.DONE or fresh.genome_file.name != blob_name:
            raise UploadNotSelectable(NOT_SELECTABLE)
        if fresh.is_current:
            return fresh
        if only_if_none_current and any(row.is_current for row in rows):
            return None
        GenomeUpload.objects.filter(user_id=user.pk, is_current=True).update(is_current=False)
        GenotypeResult.objects.filter(user_id=user.pk).delete()
        GenotypeResult.objects.bulk_create(
            GenotypeResult(user_id=user.pk, upload_id=fresh.pk, snp_id=snp_id, genotype=genotype)
            for snp_id, genotype in results.items()
        )
        fresh.is_current = True
        fresh.save(update_fields=["is_current"])
        genotype_data_changed(user_ids=[user.pk])
        genetic_data_audit(
            actor=user,
            subject_user_id=user.pk,
            action=Action.CHOSE_CURRENT,
            upload_id=fresh.pk,
        )
    return fresh


def genome_upload_remove(*, user, upload_id) -> bool:
    """The member removes one of their uploads: its raw file, its genome and its results go
    (``deletion.genome_upload_delete``, audited). When it was the file in use, the newest
    other finished upload takes its place, if there is one. False when it was already gone.
    """
    upload = GenomeUpload.objects.filter(pk=upload_id, user_id=user.pk).only("is_current").first()
    if upload is None:
        return False
    was_current = upload.is_current
    if not deletion.genome_upload_delete(
        upload_id=upload_id, actor=user, detail="one upload, removed by the member"
    ):
        return False
    if was_current:
        # What the member's share links showed is gone: they stop working (articles revokes).
        genetic_data_deleted.send(sender=GenomeUpload, user_id=user.pk)
        successors = (
            GenomeUpload.objects.filter(user_id=user.pk, status=Status.DONE)
            .exclude(genome_file="")
            .order_by("-created")
            .values_list("pk", flat=True)
        )
        for successor in successors:
            try:
                genome_upload_make_current(
                    user=user, upload_id=successor, only_if_none_current=True
                )
            except UploadNotSelectable:
                continue  # removed meanwhile, or its genome cannot be read: try the next
            break
    return True
