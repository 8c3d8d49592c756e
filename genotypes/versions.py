"""Version stamps for cached pages that show a member's genotypes.

A page that shows genetic data may be cached only under the versions it was built from: the
SNP catalogue's (rsids, alleles, interpretations; the same for everyone) and the member's own
(their uploads and results). Any change to either replaces the version with a new random one,
so every page built before the change stops matching; nothing has to find and delete it.

Bumps go through ``genlife.cache.versions_bump``, as the article generation's do: at once,
and again when the transaction commits. Signals on uploads, SNPs and interpretations cover
every save and delete (the site, the worker, the admin, the shell). Results are written in bulk, which sends no
signals, and always beside an upload save, except in the backfill and in the deletion of a
member's data, which call ``genotype_data_changed`` themselves. (A signal on results
would also cost Django's fast delete: every row loaded, one bump per row.)

A lost bump (the cache unreachable at that moment) can leave a member's page in the cache
until it expires; such a page is only ever shown to that member, and it is encrypted
(``genome_store.seal``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save

from genlife.cache import versions_bump

CATALOGUE_VERSION_KEY = "genotypes:version:catalogue"


def member_version_key(user_id: int) -> str:
    return f"genotypes:version:member:{user_id}"


def genotype_version_keys(*, user_id: int) -> list[str]:
    """The cache keys whose values, together, stamp a page with this member's genotypes."""
    return [CATALOGUE_VERSION_KEY, member_version_key(user_id)]


def genotype_data_changed(*, user_ids: Iterable[int]) -> None:
    """These members' uploads or results changed: retire the pages showing their genotypes."""
    keys = [member_version_key(user_id) for user_id in set(user_ids)]
    if keys:
        versions_bump(keys)


def genotype_catalogue_changed() -> None:
    """A SNP or an interpretation changed: retire every page that shows genotypes."""
    versions_bump([CATALOGUE_VERSION_KEY])


def _member_data_changed(sender, instance, **kwargs) -> None:
    genotype_data_changed(user_ids=[instance.user_id])


def _catalogue_changed(sender, **kwargs) -> None:
    genotype_catalogue_changed()


def connect_signals() -> None:
    from genotypes.models import GenomeUpload, Snp, SnpInterpretation

    for signal in (post_save, post_delete):
        name = "save" if signal is post_save else "delete"
        signal.connect(_member_data_changed, sender=GenomeUpload,
                       dispatch_uid=f"genotypes.versions.GenomeUpload.{name}")
        for model in (Snp, SnpInterpretation):
            signal.connect(_catalogue_changed, sender=model,
                           dispatch_uid=f"genotypes.versions.{model.__name__}.{name}")
