"""Receiving a genome upload and queueing it for the worker."""

from __future__ import annotations

import errno
import logging
import os
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from genlife import queue
from genotypes.genome_store import SealedWriter
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
)
from genotypes.services.audit import genetic_data_audit

logger = logging.getLogger(__name__)

Action = GeneticDataAuditLog.Action

STORAGE_FULL = (
    "We cannot store your file right now because our storage is full. Nothing of it "
    "was kept; please try again in a few hours. Our team has been told."
)


class UploadStorageFull(Exception):
    """The disk filled up while a file was being stored; ``message`` is for the member."""

    message = STORAGE_FULL


def is_no_space(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT)


class SealedUploadFile(UploadedFile):
    """An upload already sealed as it arrived (``genotypes.upload_handlers.SealingUploadHandler``).

    The file holds only ciphertext; ``size`` is the member's (plaintext) file size.
    """

    sealed = True

    def temporary_file_path(self) -> str:
        # FileSystemStorage then moves the sealed file into place instead of copying it.
        return self.file.name

    def close(self):
        try:
            return self.file.close()
        except FileNotFoundError:
            pass  # moved into storage already


def _sealed(file: UploadedFile) -> File:
    """``file`` as a sealed stream: as it is when it arrived sealed, else sealed now."""
    if getattr(file, "sealed", False):
        return file
    # Ciphertext only; closed by the caller once stored.
    spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    writer = SealedWriter(spool)
    for chunk in file.chunks():
        writer.write(chunk)
    writer.close()
    spool.seek(0)
    return File(spool, "upload")


def genome_upload_create(
    *, user, file: UploadedFile, consent: bool, keep_raw: bool = False
) -> GenomeUpload:
    """Store an uploaded file (streamed to storage in chunks) and queue it for parsing."""
    if not consent:
        raise ValidationError({"consent": "Please agree to the processing of your genetic data."})
    limit = settings.GENOME_UPLOAD_MAX_BYTES
    if file.size is None or file.size > limit:
        raise ValidationError(
            {
                "file": f"The file is larger than {limit // (1024 * 1024)} MB; raw DNA files are "
                "much smaller, so please check you picked the right one."
            }
        )
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
    # Stored sealed (encrypted as it arrived, genotypes/genome_store.py), chunk by chunk.
    name = upload.raw_file.field.generate_filename(upload, "upload")
    content = None
    try:
        content = _sealed(file)
        upload.raw_file.save("upload", content, save=False)
    except OSError as error:
        upload.raw_file.storage.delete(name)  # a partial file the full disk cut off
        if is_no_space(error):
            logger.error("Genome upload refused: no space left on the upload storage")
            raise UploadStorageFull() from error
        raise
    finally:
        if content is not None and content is not file:
            content.close()
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            genetic_data_audit(
                actor=user,
                subject_user_id=user.pk,
                action=Action.UPLOADED,
                upload_id=upload.pk,
                detail=f"{upload.size} bytes",
            )
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
