"""Which published articles discuss which catalogue SNPs, for the SNP and gene pages.

Only the articles app can answer, and genotypes sits below it (never imports it): articles
registers its answer at start-up (``ArticlesConfig.ready``) and genotypes asks through here.
"""

from __future__ import annotations

from collections.abc import Callable

ArticlesForSnps = Callable[..., list[tuple[object, list[int]]]]

_provider: ArticlesForSnps | None = None


def articles_for_snps_provide(provider: ArticlesForSnps) -> None:
    """Register ``provider(snp_ids=[...])`` -> [(article, [snp ids in section order])]."""
    global _provider
    _provider = provider


def articles_for_snps(*, snp_ids: list[int]) -> list[tuple[object, list[int]]]:
    """(article, [snp ids in section order]) for live articles covering any of ``snp_ids``."""
    if not snp_ids or _provider is None:
        return []
    return _provider(snp_ids=snp_ids)
