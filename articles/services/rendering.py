"""Rendering an article after any edit: Markdown to stored HTML, text, anchors, word counts,
the search vector; and the SNPs a genotype report section lists."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from articles import receivers
from articles.blocks import (
    BLOCK_KINDS,
    ArticleParts,
    GridBlock,
    IfBlock,
    TextPart,
    article_problems,
    body_parts_parse,
    citations_missing,
    part_rsids,
    problems_text,
    section_body_problems,
)
from articles.citations import CitationMarks, citation_order
from articles.models import Article, Reference, Section, SectionSnp
from articles.rendering import RenderedSection, section_body_render, slug_for
from articles.selectors import article_public_text
from genotypes.conditions import snp_genotypes
from genotypes.models import Snp

BLOCK_MARKER = "<!--genlife:block:{anchor}:{index}-->"

WORDS_RE = re.compile(r"\w+")
RESERVED_ANCHORS = frozenset(
    {
        "main",
        "toc-title",
        "key-takeaways-title",
        "references-title",
        "related-title",
        "why-join-title",
        "author-box-title",
        "search-q",
        "what-changed-title",
    }
)


def article_render(*, article: Article) -> Article:
    """Render every section's Markdown once, store HTML, text, anchors and problems.

    Called after any edit (admin save, import). Pages only read the stored results.
    """
    sections = list(article.sections.order_by("order", "pk"))
    references = list(article.references.all())
    reference_numbers = {reference.number for reference in references}
    marks = CitationMarks(_citation_order(sections, reference_numbers))
    # Ids the article template uses itself; sections and sub-headings never take them.
    taken: set[str] = set(RESERVED_ANCHORS) | {
        f"ref-{number}" for number in reference_numbers | set(marks.shown.values())
    }
    # Explicit anchors first, so generated ones never steal them.
    for section in sections:
        if section.anchor:
            taken.add(section.anchor)
    parsed = {section.pk: body_parts_parse(section.body)[0] for section in sections}
    catalogue = block_catalogue(rsids=[r for parts in parsed.values() for r in part_rsids(parts)])
    problems = []
    words = public_words = 0  # all of it (members), and what a visitor is shown
    for section in sections:
        if not section.anchor:
            base = slug_for(section.heading)
            anchor, counter = base, 2
            while anchor in taken:
                anchor, counter = f"{base}-{counter}", counter + 1
            section.anchor = anchor
            taken.add(anchor)
        rendered, section.blocks, block_words = _section_render(
            section,
            parts=parsed[section.pk],
            reference_numbers=reference_numbers,
            taken=taken,
            catalogue=catalogue,
            marks=marks,
        )
        section.body_html = rendered.html
        section.body_text = rendered.text
        section.subheadings = [
            {"level": entry.level, "anchor": entry.anchor, "title": entry.title}
            for entry in rendered.subheadings
        ]
        heading_words, text_words = (
            len(WORDS_RE.findall(section.heading)),
            len(WORDS_RE.findall(rendered.text)) + block_words,
        )
        words += heading_words + text_words
        public_words += heading_words + (
            text_words if section.access == Section.Access.PUBLIC else 0
        )
        for line, reason in section_body_problems(
            body=section.body,
            kind=section.kind,
            reference_numbers=reference_numbers,
            catalogue=catalogue,
        ):
            problems.append({"section": section.heading, "line": line, "message": reason})
    problems += [
        {"section": "Article", "line": None, "message": message}
        for message in article_problems(
            article_parts(article=article, bodies=[s.body for s in sections])
        )
    ]
    if sections:
        Section.objects.bulk_update(
            sections, ["anchor", "body_html", "body_text", "blocks", "subheadings"]
        )
    for reference in references:
        reference.display_number = marks.number(reference.number)
    if references:
        Reference.objects.bulk_update(references, ["display_number"])
    article.word_count = words
    article.public_word_count = public_words
    article.render_problems = problems
    article.public_text = article_public_text(article=_with_sections(article))
    article._prefetched_objects_cache = {}
    article.updated = timezone.now()
    Article.objects.filter(pk=article.pk).update(
        word_count=words,
        public_word_count=public_words,
        render_problems=problems,
        public_text=article.public_text,
        updated=article.updated,
    )
    _search_vector_update(article=article)
    receivers.articles_changed()
    return article


def _citation_order(sections: list[Section], reference_numbers: set[int]) -> dict[int, int]:
    """The numbers readers see (articles.citations.citation_order): a first pass over every
    section's Markdown, in page order, collects the order in which references are cited."""
    cited: list[int] = []
    for section in sections:
        cited += section_body_render(
            body=section.body, reference_numbers=reference_numbers, anchor_prefix="order"
        ).cited
    return citation_order(cited=cited, reference_numbers=reference_numbers)


def article_parts(*, article: Article, bodies: list[str]) -> ArticleParts:
    """The stored article as the publish check (articles.blocks.article_problems) reads it."""
    return ArticleParts(
        key_takeaways=list(article.key_takeaways or []),
        topic_count=article.topics.count(),
        bodies=bodies,
        reference_dois=dict(article.references.values_list("number", "doi")),
        report_rsids=set(
            SectionSnp.objects.filter(
                section__article=article, section__kind=Section.Kind.GENOTYPE_REPORT
            ).values_list("snp__rsid", flat=True)
        ),
        rsids_not_reported=set(article.rsids_not_reported.lower().split()),
    )


def block_catalogue(*, rsids: list[str]) -> dict[str, Snp]:
    """The catalogue SNPs that blocks name, by rsid (conditions are checked against them)."""
    return {snp.rsid: snp for snp in Snp.objects.filter(rsid__in=set(rsids))} if rsids else {}


def _section_render(
    section: Section,
    *,
    parts: list,
    reference_numbers: set[int],
    taken: set[str],
    catalogue,
    marks: CitationMarks | None = None,
) -> tuple[RenderedSection, list[dict], int]:
    """The section's HTML (with a marker where each block goes), its blocks, rendered, and the
    number of words in them. A section without blocks renders exactly as plain Markdown."""

    def render(markdown: str) -> RenderedSection:
        return section_body_render(
            body=markdown,
            reference_numbers=reference_numbers,
            anchor_prefix=section.anchor,
            taken_anchors=taken,
            citation_marks=marks,
        )

    if not any(isinstance(part, IfBlock | GridBlock) for part in parts):
        return render(section.body), [], 0
    html, texts, subheadings, blocks, block_words = [], [], [], [], 0
    for part in parts:
        if isinstance(part, TextPart):
            rendered = render(part.markdown)
            html.append(rendered.html)
            texts.append(rendered.text)
            subheadings += rendered.subheadings
            continue
        if section.kind not in BLOCK_KINDS or section.access != Section.Access.MEMBERS:
            continue  # never published (a problem); a draft never shows it, even in a preview
        html.append(BLOCK_MARKER.format(anchor=section.anchor, index=len(blocks)))
        if isinstance(part, IfBlock):
            rendered = render(part.markdown)  # its headings stay out of the contents list
            block_words += len(WORDS_RE.findall(f"{part.title} {rendered.text}"))
            blocks.append(
                {
                    "kind": "if",
                    "condition": part.condition if part.valid else "",
                    "title": part.title,
                    "html": rendered.html,
                }
            )
        else:
            blocks.append(_grid_render(part, render=render, catalogue=catalogue))
            block_words += sum(len(WORDS_RE.findall(text)) for text, _ in part.cells.values())
    text = " ".join(t for t in texts if t)
    return (
        RenderedSection(html="".join(html), text=text, subheadings=subheadings),
        blocks,
        block_words,
    )


def _grid_render(block: GridBlock, *, render, catalogue) -> dict:
    """A grid as stored: both SNPs' genotypes (every one the alleles allow) and each cell."""
    axes = []
    for position, rsid in enumerate(block.rsids):
        snp = catalogue.get(rsid)
        genotypes = snp_genotypes(ref=snp.ref, alt=snp.alt) if snp is not None else []
        named = [pair[position] for pair in block.cells]
        axes.append(genotypes or list(dict.fromkeys(named)))
    return {
        "kind": "grid",
        "rsids": list(block.rsids),
        "title": block.title,
        "genotypes": axes,
        "cells": {f"{a} {b}": render(text).html for (a, b), (text, _) in block.cells.items()},
    }


@dataclass(frozen=True)
class SectionPreview:
    html: str  # with a block marker where each block goes
    blocks: dict[str, dict]  # marker -> rendered block
    genes: dict[str, str]
    missing_citations: list[int]
    problems: list[str]


def section_preview(*, body: str, kind: str, reference_numbers: set[int]) -> SectionPreview:
    """A section body rendered for the editor's preview, with what would block publishing."""
    parts = body_parts_parse(body)[0]
    catalogue = block_catalogue(rsids=part_rsids(parts))
    section = Section(body=body, kind=kind, access=Section.Access.MEMBERS, anchor="preview")
    rendered, blocks, _ = _section_render(
        section, parts=parts, reference_numbers=reference_numbers, taken=set(), catalogue=catalogue
    )
    problems = section_body_problems(
        body=body, kind=kind, reference_numbers=reference_numbers, catalogue=catalogue
    )
    missing = sorted({number for _, number in citations_missing(body, reference_numbers)})
    return SectionPreview(
        html=rendered.html,
        blocks={BLOCK_MARKER.format(anchor="preview", index=i): b for i, b in enumerate(blocks)},
        genes={rsid: snp.gene for rsid, snp in catalogue.items()},
        missing_citations=missing,
        problems=problems_text(problems),
    )


def sections_delete(*, sections: QuerySet[Section]) -> None:
    """Delete sections and render their articles again at once: a deleted section's text leaves
    the page, search (public text, search vector), word counts and the feed's updated date."""
    with transaction.atomic():
        article_ids = set(sections.values_list("article_id", flat=True))
        sections.delete()
        for article in Article.objects.filter(pk__in=article_ids):
            article_render(article=article)


def _search_vector_update(*, article: Article) -> None:
    """Store the weighted search document (PostgreSQL only; SQLite searches by substring)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    from articles.selectors import SEARCH_CONFIG

    Article.objects.filter(pk=article.pk).update(
        search_vector=(
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("description", weight="B", config=SEARCH_CONFIG)
            + SearchVector("public_text", weight="C", config=SEARCH_CONFIG)
        )
    )


def _with_sections(article: Article) -> Article:
    """The article with fresh sections (and their SNP links) in its prefetch cache."""
    article._prefetched_objects_cache = {}
    prefetch_related_objects(
        [article],
        Prefetch(
            "sections",
            queryset=Section.objects.order_by("order", "pk").prefetch_related(
                Prefetch(
                    "section_snps",
                    queryset=SectionSnp.objects.select_related("snp").order_by("order", "pk"),
                )
            ),
        ),
    )
    return article


def section_snps_set(*, section: Section, rsids: list[str]) -> None:
    """Attach catalogue SNPs to a genotype report section, in the given order."""
    snps = {snp.rsid: snp for snp in Snp.objects.filter(rsid__in=rsids)}
    missing = [rsid for rsid in rsids if rsid not in snps]
    if missing:
        raise ValidationError(f"Not in the SNP catalogue: {', '.join(missing)}")
    if rsids and section.kind != Section.Kind.GENOTYPE_REPORT:
        raise ValidationError("SNPs can only be attached to a genotype report section.")
    SectionSnp.objects.filter(section=section).exclude(snp__rsid__in=rsids).delete()
    existing = {link.snp.rsid: link for link in section.section_snps.select_related("snp")}
    for order, rsid in enumerate(rsids, start=1):
        link = existing.get(rsid)
        if link is None:
            SectionSnp.objects.create(section=section, snp=snps[rsid], order=order)
        elif link.order != order:
            link.order = order
            link.save(update_fields=["order"])
