"""Which page-cache scopes (genlife.page_cache) a page showing a member's genotypes reads.

A page that shows genetic data may be cached only under the versions it was built from: the
SNP catalogue's (rsids, alleles, interpretations; the same for everyone) and the member's own
(their uploads and results). ``genotype_data_changed`` and ``genotype_catalogue_changed``
announce a change; genotypes/receivers.py calls them on every save and delete of uploads,
SNPs and interpretations (the site, the worker, the admin, the shell). Results are written in
bulk, which sends no signals, and always beside an upload save, except in the backfill and in
the deletion of a member's data, which call ``genotype_data_changed`` themselves. (A signal
on results would also cost Django's fast delete: every row loaded, one bump per row.)
"""

from __future__ import annotations

from collections.abc import Iterable

from genlife import page_cache

CATALOGUE_SCOPE = "genotypes:catalogue"


def member_scope(user_id: int) -> str:
    return f"genotypes:member:{user_id}"


def genotype_page_scopes(*, user_id: int) -> list[str]:
    """The scopes a page with this member's genotypes is read under."""
    return [CATALOGUE_SCOPE, member_scope(user_id)]


def genotype_data_changed(*, user_ids: Iterable[int]) -> None:
    """These members' uploads or results changed: retire the pages showing their genotypes."""
    page_cache.scope_changed(*[member_scope(user_id) for user_id in set(user_ids)])


def genotype_catalogue_changed() -> None:
    """A SNP or an interpretation changed: retire every page that shows genotypes."""
    page_cache.scope_changed(CATALOGUE_SCOPE)
