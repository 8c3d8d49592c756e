"""Genotypes' answers to what lower apps announce (connected in GenotypesConfig.ready)."""

from __future__ import annotations

from genotypes.services.deletion import genome_data_delete_all


def genome_data_erase_on_account_deletion(sender, *, user, actor=None, **kwargs) -> None:
    """An account being deleted takes every upload, file and result of its owner with it."""
    genome_data_delete_all(user=user, actor=actor)


def connect() -> None:
    from members.signals import user_deleting

    user_deleting.connect(genome_data_erase_on_account_deletion,
                          dispatch_uid="genotypes.erase_on_account_deletion")
