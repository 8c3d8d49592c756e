"""Writes to articles: rendering on save, importing files, cache invalidation, demo content."""
import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from genlife.cache import versions_bump
from genotypes.models import Snp

from .article_file import ArticleFileError, ParsedArticle, article_file_parse, catalogue_parse
from .models import Article, Author, Reference, Section, SectionSnp, Topic
from .rendering import section_body_render, slug_for
from .selectors import article_public_text

CACHE_GENERATION_KEY = "articles:generation"
logger = logging.getLogger(__name__)
DEMO_DIR = Path(__file__).resolve().parent / "demo"
WORDS_RE = re.compile(r"\w+")
RESERVED_ANCHORS = frozenset({
    "main", "toc-title", "key-takeaways-title", "references-title", "related-title",
    "why-join-title", "author-box-title", "search-q",
})


# --- Cache --------------------------------------------------------------------------------------
# Every cached article page carries the "generation" it was built under; any edit bumps the
# generation, which retires all pages at once (related-article lists and topic names appear
# on other pages too).
# A cache outage must never take pages down: calls fail soft and are skipped for a short while.

_CACHE_RETRY_SECONDS = 30.0
_cache_down_until = 0.0


def _cache_call(operation, *args, **kwargs):
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        return operation(*args, **kwargs)
    except Exception:  # any backend error (Redis down, timeout): serve uncached
        logger.warning("article page cache unavailable; serving without it", exc_info=True)
        _cache_down_until = time.monotonic() + _CACHE_RETRY_SECONDS
        return None


def article_cache_invalidate() -> None:
    """Retire every cached article page (genlife.cache.versions_bump)."""
    versions_bump([CACHE_GENERATION_KEY])


def _page_key(*, slug: str, variant: str) -> str:
    return f"articles:page:{variant}:{slug}"


def article_page_cache_get(
    *, slug: str, variant: str, version_keys: tuple[str, ...] = ()
) -> tuple[object | None, tuple | None]:
    """(what was cached for this article and variant, the stamp to cache a fresh copy under).

    A cached value counts only if it was stored under the current stamp: the article
    generation plus the values of ``version_keys`` (a member's genotype versions, say). The
    versions and the page come back in one round trip. A None stamp means the cache is
    unavailable: build the page and do not store it.
    """
    keys = [CACHE_GENERATION_KEY, *version_keys]
    page_key = _page_key(slug=slug, variant=variant)
    found = _cache_call(cache.get_many, [*keys, page_key]) or {}
    missing = [key for key in keys if key not in found]
    if missing:  # first use, or evicted: start a version (add: a racing request may win)
        for key in missing:
            _cache_call(cache.add, key, uuid.uuid4().hex, None)
        found.update(_cache_call(cache.get_many, missing) or {})
        if any(key not in found for key in keys):
            return None, None
    stamp = tuple(found[key] for key in keys)
    entry = found.get(page_key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return entry["page"], stamp
    return None, stamp


def article_page_cache_set(*, slug: str, variant: str, stamp: tuple | None, page: object,
                           timeout: int) -> None:
    """Cache ``page`` under the stamp ``article_page_cache_get`` gave before it was built."""
    if stamp is not None:
        _cache_call(cache.set, _page_key(slug=slug, variant=variant),
                    {"stamp": stamp, "page": page}, timeout)


# --- Rendering ----------------------------------------------------------------------------------

def article_render(*, article: Article) -> Article:
    """Render every section's Markdown once, store HTML, text, anchors and problems.

    Called after any edit (admin save, import). Pages only read the stored results.
    """
    sections = list(article.sections.order_by("order", "pk"))
    reference_numbers = set(article.references.values_list("number", flat=True))
    # Ids the article template uses itself; sections and sub-headings never take them.
    taken: set[str] = set(RESERVED_ANCHORS) | {f"ref-{number}" for number in reference_numbers}
    # Explicit anchors first, so generated ones never steal them.
    for section in sections:
        if section.anchor:
            taken.add(section.anchor)
    problems = []
    words = 0
    for section in sections:
        if not section.anchor:
            base = slug_for(section.heading)
            anchor, counter = base, 2
            while anchor in taken:
                anchor, counter = f"{base}-{counter}", counter + 1
            section.anchor = anchor
            taken.add(anchor)
        rendered = section_body_render(
            body=section.body, reference_numbers=reference_numbers,
            anchor_prefix=section.anchor, taken_anchors=taken,
        )
        section.body_html = rendered.html
        section.body_text = rendered.text
        section.subheadings = [
            {"level": entry.level, "anchor": entry.anchor, "title": entry.title}
            for entry in rendered.subheadings
        ]
        words += len(WORDS_RE.findall(section.heading)) + len(WORDS_RE.findall(rendered.text))
        if rendered.missing_citations:
            problems.append({
                "section": section.heading,
                "message": "cites missing reference(s) "
                + ", ".join(str(number) for number in rendered.missing_citations),
            })
    if sections:
        Section.objects.bulk_update(sections, ["anchor", "body_html", "body_text", "subheadings"])
    article.word_count = words
    article.render_problems = problems
    article.public_text = article_public_text(article=_with_sections(article))
    article._prefetched_objects_cache = {}
    article.updated = timezone.now()
    Article.objects.filter(pk=article.pk).update(
        word_count=article.word_count, render_problems=problems,
        public_text=article.public_text, updated=article.updated,
    )
    _search_vector_update(article=article)
    article_cache_invalidate()
    return article


def _search_vector_update(*, article: Article) -> None:
    """Store the weighted search document (PostgreSQL only; SQLite searches by substring)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    from .selectors import SEARCH_CONFIG

    Article.objects.filter(pk=article.pk).update(search_vector=(
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector("public_text", weight="C", config=SEARCH_CONFIG)
    ))


def _with_sections(article: Article) -> Article:
    """The article with fresh sections (and their SNP links) in its prefetch cache."""
    article._prefetched_objects_cache = {}
    prefetch_related_objects([article], Prefetch(
        "sections",
        queryset=Section.objects.order_by("order", "pk").prefetch_related(
            Prefetch("section_snps", queryset=SectionSnp.objects.select_related("snp").order_by("order", "pk"))
        ),
    ))
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


# --- Import -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArticleImportResult:
    article: Article
    created: bool
    unresolved_related: list[str]
    skipped_snps: list[str]


def _catalogue(path: Path, required: tuple[str, ...]) -> dict[str, dict]:
    if not path.exists():
        return {}
    return catalogue_parse(path.read_text(encoding="utf-8"), required=required)


def _check_against_database(
    parsed: ParsedArticle, *, authors: dict, topics: dict, skip_missing_snps: bool
) -> list[tuple[int, str]]:
    errors = []
    line = parsed.lines
    if parsed.author not in authors and not Author.objects.filter(slug=parsed.author).exists():
        errors.append((line.get("author", 0), f"author '{parsed.author}' is neither in authors.yaml nor on the site"))
    known_topics = set(Topic.objects.filter(slug__in=parsed.topics).values_list("slug", flat=True)) | set(topics)
    for slug in parsed.topics:
        if slug not in known_topics:
            errors.append((line.get("topics", 0), f"topic '{slug}' is neither in topics.yaml nor on the site"))
    wanted = {rsid for section in parsed.sections for rsid in section.snps}
    known = set(Snp.objects.filter(rsid__in=wanted).values_list("rsid", flat=True))
    for section in parsed.sections:
        for rsid in section.snps:
            if rsid not in known and not skip_missing_snps:
                errors.append((section.line, f"{rsid} is not in the SNP catalogue; add it in the admin first"))
    return errors


def article_import(
    *, path: Path, dry_run: bool = False, skip_missing_snps: bool = False
) -> ArticleImportResult | None:
    """Create or update (by slug) the article in a Markdown file. Raises ArticleFileError.

    Authors and topics come from `authors.yaml` / `topics.yaml` next to the file when present.
    Nothing is written unless the whole file is valid. With dry_run, nothing is written at all.
    With skip_missing_snps, rsids not yet in the SNP catalogue are left out (and reported in
    the result) instead of failing the import; re-import once the catalogue has them.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArticleFileError([(0, "the file is not UTF-8 text")]) from None
    parsed = article_file_parse(text)
    authors = _catalogue(path.parent / "authors.yaml", ("name",))
    topics = _catalogue(path.parent / "topics.yaml", ("name",))
    errors = _check_against_database(parsed, authors=authors, topics=topics, skip_missing_snps=skip_missing_snps)
    image_path = path.parent / parsed.overview_image if parsed.overview_image else None
    if image_path is not None and not image_path.is_file():
        errors.append((parsed.lines.get("overview_image", 0), f"image file '{parsed.overview_image}' not found next to the article"))
    if errors:
        raise ArticleFileError(errors)
    if dry_run:
        return None
    catalogue = set(Snp.objects.filter(
        rsid__in=[rsid for section in parsed.sections for rsid in section.snps]
    ).values_list("rsid", flat=True))
    skipped = [rsid for section in parsed.sections for rsid in section.snps if rsid not in catalogue]
    with transaction.atomic():
        author = _author_upsert(slug=parsed.author, entry=authors.get(parsed.author), base=path.parent)
        topic_objects = [_topic_upsert(slug=slug, entry=topics.get(slug)) for slug in parsed.topics]
        article = Article.objects.select_for_update().filter(slug=parsed.slug).first()
        created = article is None
        if created:
            article = Article(slug=parsed.slug)
        article.title = parsed.title
        article.description = parsed.description
        article.key_takeaways = parsed.key_takeaways
        article.overview_image_alt = parsed.overview_image_alt
        article.author = author
        article.status = parsed.status
        article.featured = parsed.featured
        article.published_at = parsed.published_at or (
            article.published_at or timezone.now() if parsed.status == Article.Status.PUBLISHED else None
        )
        if image_path is not None:
            content = image_path.read_bytes()
            current = b""
            if article.overview_image:
                try:
                    with article.overview_image.open("rb") as handle:
                        current = handle.read()
                except OSError:
                    current = b""
            if current != content:
                article.overview_image.save(image_path.name, ContentFile(content), save=False)
        elif article.overview_image:
            article.overview_image = ""
        article.full_clean(exclude=["overview_image"])
        article.save()
        article.topics.set(topic_objects)
        article.sections.all().delete()
        article.references.all().delete()
        references = [
            Reference(article=article, number=ref.number, authors=ref.authors, title=ref.title,
                      journal=ref.journal, year=ref.year, doi=ref.doi, pmid=ref.pmid, url=ref.url)
            for ref in parsed.references
        ]
        for reference in references:
            reference.full_clean(validate_unique=False, validate_constraints=False)
        Reference.objects.bulk_create(references)
        for order, parsed_section in enumerate(parsed.sections, start=1):
            section = Section(
                article=article, order=order, heading=parsed_section.heading, anchor=parsed_section.anchor,
                body=parsed_section.body, access=parsed_section.access, kind=parsed_section.kind,
                teaser=parsed_section.teaser,
            )
            section.full_clean(validate_unique=False, validate_constraints=False)
            section.save()
            rsids = [rsid for rsid in parsed_section.snps if rsid in catalogue]
            if rsids:
                section_snps_set(section=section, rsids=rsids)
        related = list(Article.objects.filter(slug__in=parsed.related))
        article.related.set(related)
        article_render(article=article)
    found = {other.slug for other in related}
    unresolved = [slug for slug in parsed.related if slug not in found]
    return ArticleImportResult(
        article=article, created=created, unresolved_related=unresolved, skipped_snps=skipped
    )


def _author_upsert(*, slug: str, entry: dict | None, base: Path) -> Author:
    author = Author.objects.filter(slug=slug).first()
    if entry is None:
        return author  # exists, checked before
    if author is None:
        author = Author(slug=slug)
    author.name = entry["name"]
    author.bio = entry.get("bio", "")
    photo = entry.get("photo")
    if photo and (base / photo).is_file() and not author.photo:
        author.photo.save(Path(photo).name, ContentFile((base / photo).read_bytes()), save=False)
    author.full_clean(exclude=["photo"])
    author.save()
    return author


def _topic_upsert(*, slug: str, entry: dict | None) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if entry is None:
        return topic
    if topic is None:
        topic = Topic(slug=slug)
    topic.name = entry["name"]
    topic.description = entry.get("description", "")
    topic.full_clean()
    topic.save()
    return topic


def articles_import(*, paths: list[Path], skip_missing_snps: bool = False) -> list[ArticleImportResult]:
    """Import several files; `related` links between them resolve whatever their order."""
    results = [article_import(path=path, skip_missing_snps=skip_missing_snps) for path in paths]
    pending = [result for result in results if result.unresolved_related]
    final = []
    for result in results:
        if result in pending:
            article = result.article
            parsed_related = list(article.related.values_list("slug", flat=True)) + result.unresolved_related
            related = list(Article.objects.filter(slug__in=parsed_related).exclude(pk=article.pk))
            article.related.set(related)
            found = {other.slug for other in related}
            result = ArticleImportResult(
                article=article, created=result.created,
                unresolved_related=[slug for slug in result.unresolved_related if slug not in found],
                skipped_snps=result.skipped_snps,
            )
        final.append(result)
    if pending:
        article_cache_invalidate()
    return final


def demo_articles_load() -> list[ArticleImportResult]:
    """Import every demo article in articles/demo/ (idempotent: re-imports update by slug).

    SNPs missing from the catalogue are skipped, not fatal, so the demo loads in any order
    relative to the genotypes catalogue; running it again after the catalogue attaches them.
    """
    paths = sorted(path for path in DEMO_DIR.glob("*.md") if path.name != "README.md")
    return articles_import(paths=paths, skip_missing_snps=True)
