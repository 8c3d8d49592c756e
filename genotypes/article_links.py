"""Which published articles discuss which catalogue SNPs (read across to the articles app)."""

from __future__ import annotations

from collections import defaultdict


def articles_for_snps(*, snp_ids: list[int]) -> list[tuple[object, list[int]]]:
    """(article, [snp ids in section order]) for live articles covering any of ``snp_ids``."""
    if not snp_ids:
        return []
    from articles.models import Article, SectionSnp

    links = (
        SectionSnp.objects.filter(snp_id__in=snp_ids,
                                  section__article__in=Article.objects.published())
        .order_by("section__article_id", "section__order", "order")
        .values_list("section__article_id", "snp_id")
    )
    by_article: dict[int, list[int]] = defaultdict(list)
    for article_id, snp_id in links:
        if snp_id not in by_article[article_id]:
            by_article[article_id].append(snp_id)
    articles = Article.objects.in_bulk(list(by_article))
    return [(articles[pk], ids) for pk, ids in by_article.items() if pk in articles]
