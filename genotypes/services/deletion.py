"""Erasing a member's genetic data: rows first, then every file of theirs in storage; and
the sweeper that removes any stored file no row owns."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
)
from genotypes.services.audit import genetic_data_audit
from genotypes.signals import genetic_data_deleted
from genotypes.versions import genotype_data_changed

Action = GeneticDataAuditLog.Action
logger = logging.getLogger(__name__)
GENOME_FOLDERS = ("genomes/raw", "genomes/blobs")


def genome_data_delete_all(*, user, actor=None) -> int:
    """Delete every upload, raw file, stored genome and result of ``user``, at once.

    Returns the number of uploads removed. Files go after the rows are gone, so a crash in
    between leaves orphan files (found by name prefix), never rows pointing at nothing.
    Safe to call for a user with no genetic data (the members app calls it on account
    deletion).
    """
    with transaction.atomic():
        uploads = list(GenomeUpload.objects.select_for_update().filter(user=user))
        names = [n for u in uploads for n in (u.raw_file.name, u.genome_file.name) if n]
        GenotypeResult.objects.filter(user=user).delete()
        GenomeUpload.objects.filter(user=user).delete()
        genotype_data_changed(user_ids=[user.pk])
        genetic_data_audit(
            actor=actor or user,
            subject_user_id=user.pk,
            action=Action.DELETED,
            detail=f"{len(uploads)} uploads",
        )
    genetic_data_deleted.send(sender=GenomeUpload, user_id=user.pk)
    storage = GenomeUpload._meta.get_field("raw_file").storage
    for name in names + _files_under(storage, user.pk):
        storage.delete(name)
    return len(uploads)


def genome_upload_delete(*, upload_id, actor, detail: str = "") -> bool:
    """Delete one upload: its raw file, every blob any attempt at it wrote, its results.

    For support in the admin (the change page and the bulk action both come here). Audited
    with the actor; False when the upload was already gone. A worker still parsing it finds
    the row gone at its final step and deletes its own blob.
    """
    with transaction.atomic():
        upload = GenomeUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None:
            return False
        user_id = upload.user_id
        names = [n for n in (upload.raw_file.name, upload.genome_file.name) if n]
        GenotypeResult.objects.filter(upload=upload).delete()
        upload.delete()
        genotype_data_changed(user_ids=[user_id])
        genetic_data_audit(
            actor=actor,
            subject_user_id=user_id,
            action=Action.DELETED,
            upload_id=upload_id,
            detail=detail or "one upload",
        )
    storage = GenomeUpload._meta.get_field("raw_file").storage
    prefix = str(upload_id)
    for folder in (f"genomes/raw/{user_id}", f"genomes/blobs/{user_id}"):
        names += [
            f"{folder}/{name}" for name in _listdir(storage, folder)[1] if name.startswith(prefix)
        ]
    for name in dict.fromkeys(names):
        storage.delete(name)
    return True


def _files_under(storage, user_id: int) -> list[str]:
    """Every stored file of the user, including any a killed worker left without a row."""
    names = []
    for folder in (f"genomes/raw/{user_id}", f"genomes/blobs/{user_id}"):
        try:
            _, files = storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue
        names += [f"{folder}/{name}" for name in files]
    return names


def _listdir(storage, folder: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return [], []


def _upload_id_of(file_name: str) -> uuid.UUID | None:
    """Files are named after their upload: ``<upload id><anything>``."""
    try:
        return uuid.UUID(file_name[:36])
    except ValueError:
        return None


def genome_files_sweep_orphans() -> int:
    """Delete every raw file or genome blob that no upload row owns, once it is old enough.

    Owned: the row's ``genome_file``, its ``raw_file`` while it is being read or when the
    member asked us to keep it, or any file of an upload still queued or parsing (its attempt
    may be about to commit). Anything else (left by a worker killed between writing and
    committing, a deletion that crashed half-way, an attempt that lost its claim or a
    finished upload whose clean-up failed) goes once older than
    ``GENOME_ORPHAN_AGE_SECONDS``, so a file written a moment before its row commits is never
    touched. Returns the count.
    """
    storage = GenomeUpload._meta.get_field("raw_file").storage
    cutoff = timezone.now() - timedelta(seconds=settings.GENOME_ORPHAN_AGE_SECONDS)
    candidates: list[tuple[str, int | None, uuid.UUID | None]] = []
    for root in GENOME_FOLDERS:
        folders, _ = _listdir(storage, root)
        for folder in folders:
            _, files = _listdir(storage, f"{root}/{folder}")
            user_id = int(folder) if folder.isdigit() else None
            candidates += [
                (f"{root}/{folder}/{name}", user_id, _upload_id_of(name)) for name in files
            ]
    if not candidates:
        return 0
    rows = {
        row.pk: row
        for row in GenomeUpload.objects.filter(
            pk__in={upload_id for _, _, upload_id in candidates if upload_id}
        ).only("pk", "user_id", "status", "raw_file", "genome_file", "keep_raw")
    }
    removed = 0
    for name, user_id, upload_id in candidates:
        row = rows.get(upload_id)
        if (
            row is not None
            and row.user_id == user_id
            and (
                not row.is_finished
                or name == row.genome_file.name
                or (name == row.raw_file.name and row.keep_raw)
            )
        ):
            continue
        try:
            if storage.get_modified_time(name) > cutoff:
                continue
            storage.delete(name)
        except (FileNotFoundError, OSError):
            continue
        if row is not None and name == row.raw_file.name:
            GenomeUpload.objects.filter(pk=row.pk, raw_file=name).update(raw_file="")
        removed += 1
    if removed:
        logger.info("Removed %d genome files that no upload owns", removed)
    return removed
