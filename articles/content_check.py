"""The whole content checked at once (``manage.py check_content``, run by CI on the demo
content): every published article against the publish checks (articles.blocks: sections and
the whole article), self-relations in every article, and the SNP catalogue's positions and
alleles (genotypes.catalogue_selectors.snp_catalogue_problems)."""

from __future__ import annotations

from articles.blocks import article_problems, body_parts_parse, part_rsids, section_body_problems
from articles.models import Article
from articles.services.rendering import article_parts, block_catalogue
from genotypes.catalogue_selectors import snp_catalogue_problems


def content_problems() -> tuple[list[str], list[str]]:
    """Every problem found, one line each, prefixed by what it is about; and notices (known
    gaps that block nothing: catalogue SNPs marked not yet confirmed)."""
    problems = []
    articles = Article.objects.order_by("slug").prefetch_related("sections", "related")
    for article in articles:
        where = f"article {article.slug}"
        if any(other.pk == article.pk for other in article.related.all()):
            problems.append(f"{where}: it is listed among its own related articles")
        if article.status != Article.Status.PUBLISHED:
            continue
        sections = list(article.sections.all())
        bodies = [section.body for section in sections]
        catalogue = block_catalogue(
            rsids=[r for body in bodies for r in part_rsids(body_parts_parse(body)[0])]
        )
        numbers = set(article.references.values_list("number", flat=True))
        for section in sections:
            for line, reason in section_body_problems(
                body=section.body,
                kind=section.kind,
                reference_numbers=numbers,
                catalogue=catalogue,
            ):
                problems.append(f"{where}, section “{section.heading}”, line {line}: {reason}")
        problems += [
            f"{where}: {reason}"
            for reason in article_problems(article_parts(article=article, bodies=bodies))
        ]
    catalogue_problems, notices = snp_catalogue_problems()
    return problems + catalogue_problems, notices
