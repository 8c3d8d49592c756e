"""The audit log of every touch of genetic data (who, whose, what; never a value)."""

from __future__ import annotations

from genotypes.models import (
    GeneticDataAuditLog,
)


def genetic_data_audit(
    *, actor, subject_user_id: int, action: str, upload_id=None, detail: str = ""
) -> None:
    """Record who touched whose genetic data. ``detail`` must never hold genotype values."""
    GeneticDataAuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject_user_id=subject_user_id,
        action=action,
        upload_id=upload_id,
        detail=detail[:255],
    )
