"""Erasing a member's genetic data: rows first, then every file of theirs in storage."""

from __future__ import annotations

from django.db import transaction

from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
)
from genotypes.services.audit import genetic_data_audit
from genotypes.versions import genotype_data_changed

Action = GeneticDataAuditLog.Action


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
        genetic_data_audit(actor=actor or user, subject_user_id=user.pk, action=Action.DELETED,
                           detail=f"{len(uploads)} uploads")
    storage = GenomeUpload._meta.get_field("raw_file").storage
    for name in names + _files_under(storage, user.pk):
        storage.delete(name)
    return len(uploads)


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
