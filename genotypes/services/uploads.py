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
from genotypes.genome_store import GenomeBlobError, SealedWriter, sealed_chunks
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
)
from genotypes.parsers.detect import looks_like_vcf
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


def upload_max_bytes() -> int:
    """The largest upload of any format: the web server reads a body up to this size."""
    return max(settings.GENOME_UPLOAD_MAX_BYTES, settings.GENOME_VCF_UPLOAD_MAX_BYTES)


def _too_large(file: UploadedFile) -> str | None:
    """The member-facing refusal when ``file`` is over its format's limit, else None.

    A whole-genome VCF (plain or .gz) may reach GENOME_VCF_UPLOAD_MAX_BYTES; every other
    file GENOME_UPLOAD_MAX_BYTES. The format is judged from the start of the file.
    """
    chip_mb = settings.GENOME_UPLOAD_MAX_BYTES // (1024 * 1024)
    vcf_mb = settings.GENOME_VCF_UPLOAD_MAX_BYTES // (1024 * 1024)
    if file.size is None or file.size > upload_max_bytes():
        return (
            f"The file is larger than {max(chip_mb, vcf_mb)} MB, more than even a whole-genome "
            "VCF, so please check you picked the right one."
        )
    if file.size <= settings.GENOME_UPLOAD_MAX_BYTES:
        return None
    if file.size <= settings.GENOME_VCF_UPLOAD_MAX_BYTES and looks_like_vcf(_head(file)):
        return None
    return (
        f"The file is larger than {chip_mb} MB; raw DNA files from a DNA testing chip are much "
        f"smaller, so please check you picked the right one. Only a whole-genome VCF (.vcf or "
        f".vcf.gz) may be larger, up to {vcf_mb} MB."
    )


def _head(file: UploadedFile) -> bytes:
    """The first plaintext bytes of an upload (opening its first sealed frame if sealed)."""
    file.seek(0)
    try:
        if getattr(file, "sealed", False):
            return next(sealed_chunks(file.file), b"")[:65536]
        return file.read(65536)
    except GenomeBlobError:
        return b""
    finally:
        file.seek(0)


def genome_upload_create(
    *, user, file: UploadedFile, consent: bool, keep_raw: bool = False
) -> GenomeUpload:
    """Store an uploaded file (streamed to storage in chunks) and queue it for parsing."""
    if not consent:
        raise ValidationError({"consent": "Please agree to the processing of your genetic data."})
    too_large = _too_large(file)
    if too_large:
        raise ValidationError({"file": too_large})
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
