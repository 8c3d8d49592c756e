"""The audit log of every touch of genetic data (who, whose, what; never a value).

The same rows are the member's own activity page (``selectors.genetic_data_activity_for``)
and part of their export, so every path that reads, writes or shows genetic data writes one.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def genetic_data_shown(*, user, where: str) -> None:
    """A page showed ``user`` their own genotypes. ``where`` names the page as a plain noun
    phrase ("My genetics", "the article “COMT and you”"): the activity page puts it into one
    sentence (``selectors._activity_what``). Never a genotype value."""
    genetic_data_audit(
        actor=user,
        subject_user_id=user.pk,
        action=GeneticDataAuditLog.Action.VIEWED_RESULTS,
        detail=where,
    )


def genetic_data_audit_many(
    *, subjects: Iterable[tuple[int, object]], action: str, detail: str = ""
) -> None:
    """One row per (member id, upload id), with no actor: the worker acting for the site."""
    GeneticDataAuditLog.objects.bulk_create(
        [
            GeneticDataAuditLog(
                subject_user_id=user_id, action=action, upload_id=upload_id, detail=detail[:255]
            )
            for user_id, upload_id in subjects
        ]
    )
