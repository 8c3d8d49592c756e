"""Receiving a genome upload and queueing it for the worker."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from genlife import queue
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
)
from genotypes.services.audit import genetic_data_audit

Action = GeneticDataAuditLog.Action

logger = logging.getLogger(__name__)


def genome_upload_create(*, user, file: UploadedFile, consent: bool,
                         keep_raw: bool = False) -> GenomeUpload:
    """Store an uploaded file (streamed to storage in chunks) and queue it for parsing."""
    if not consent:
        raise ValidationError({"consent": "Please agree to the processing of your genetic data."})
    limit = settings.GENOME_UPLOAD_MAX_BYTES
    if file.size is None or file.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than {limit // (1024 * 1024)} MB; raw DNA files are "
                     "much smaller, so please check you picked the right one."})
    if file.size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload = GenomeUpload(
        user=user,
        original_name=os.path.basename(file.name or "")[:255],
        size=file.size,
        keep_raw=keep_raw,
        consented_at=timezone.now(),
    )
    upload.full_clean(exclude=["raw_file", "genome_file"])
    # FieldFile.save copies the upload chunk by chunk (Django spooled it to a temporary file
    # for anything above FILE_UPLOAD_MAX_MEMORY_SIZE), so it is never whole in memory.
    upload.raw_file.save("upload", file, save=False)
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            genetic_data_audit(actor=user, subject_user_id=user.pk, action=Action.UPLOADED,
                               upload_id=upload.pk, detail=f"{upload.size} bytes")
            transaction.on_commit(lambda: genome_upload_enqueue(upload_id=upload.pk))
    except Exception:
        upload.raw_file.delete(save=False)
        raise
    return upload


def genome_upload_enqueue(*, upload_id) -> bool:
    """Send the parse task; False when the broker is unreachable (the sweeper retries)."""
    from genotypes.tasks import genome_upload_process

    if queue.task_send(genome_upload_process, str(upload_id)):
        return True
    logger.warning("Broker unreachable; upload %s stays queued for the sweeper", upload_id)
    return False
