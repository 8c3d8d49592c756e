"""Genotypes' answers to what happens elsewhere, in one place (connected in
GenotypesConfig.ready): account deletion (members.signals), and the saves and deletes that
retire cached pages showing genotypes (genotypes.versions)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from genotypes.services.deletion import genome_data_delete_all
from genotypes.versions import genotype_catalogue_changed, genotype_data_changed


def genome_data_erase_on_account_deletion(sender, *, user, actor=None, **kwargs) -> None:
    """An account being deleted takes every upload, file and result of its owner with it."""
    genome_data_delete_all(user=user, actor=actor)


def _member_data_changed(sender, instance, **kwargs) -> None:
    genotype_data_changed(user_ids=[instance.user_id])


def _catalogue_changed(sender, **kwargs) -> None:
    genotype_catalogue_changed()


def connect() -> None:
    from genlife import page_cache
    from genotypes import genome_store
    from genotypes.models import GenomeUpload, Snp, SnpInterpretation
    from members.signals import user_deleting

    user_deleting.connect(
        genome_data_erase_on_account_deletion, dispatch_uid="genotypes.erase_on_account_deletion"
    )
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(
            _member_data_changed, sender=GenomeUpload, dispatch_uid=f"genotypes.GenomeUpload.{name}"
        )
        for model in (Snp, SnpInterpretation):
            signal.connect(
                _catalogue_changed, sender=model, dispatch_uid=f"genotypes.{model.__name__}.{name}"
            )
    # A member's cached article page holds their genotypes: sealed with the genome key.
    page_cache.cipher_register(genome_store.cipher)
