"""Reads of articles, and the one gate that decides what each reader may see.

`article_sections_visible_to` is the only function that turns stored sections into something a
channel can print. The article page, previews, the cached page, search snippets, the feed, the
sitemap, Open Graph / meta tags and JSON-LD all read through it (directly, or through
`Article.public_text`, which `services.article_render` builds with it at access level PUBLIC).
"""

import enum
import re
from collections import defaultdict
from dataclasses import dataclass

from django.core import signing
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from billing.selectors import is_member
from genotypes.catalogue_selectors import CatalogueHits, catalogue_search

from .models import Article, Author, Reference, Section, SectionSnp, Topic

PREVIEW_SALT = "articles.preview"
PREVIEW_MAX_AGE = 14 * 24 * 3600
SEARCH_MAX_QUERY = 200
SEARCH_MAX_TERMS = 12
SEARCH_LIMIT = 30
SNIPPET_CHARS = 220
SEARCH_CONFIG = "english"


class AccessLevel(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


DEFAULT_TEASERS = {
    Section.Kind.GENOTYPE_REPORT: (
        "Members see their own genotype for each variant listed here, with what the studies found."
    ),
    Section.Kind.LIFEHACKS: (
        "Members get practical, evidence-tagged suggestions to discuss with their doctor."
    ),
    Section.Kind.STANDARD: "This section is for members.",
}


@dataclass(frozen=True)
class VisibleSection:
    """A section as one reader may see it. A locked section carries no text at all."""

    anchor: str
    heading: str
    kind: str
    gated: bool
    locked: bool
    html: SafeString
    text: str
    teaser: str
    genes: tuple[str, ...]
    snps: tuple
    subheadings: tuple[dict, ...]
    blocks: tuple[dict, ...] = ()  # genotype-conditioned blocks, chosen per member at request

    @property
    def is_genotype_report(self) -> bool:
        return self.kind == Section.Kind.GENOTYPE_REPORT


def article_access_for(*, user) -> AccessLevel:
    """The access level of a reader; membership itself is decided by members.is_member."""
    return AccessLevel.MEMBERS if is_member(user) else AccessLevel.PUBLIC


def article_sections_visible_to(*, article: Article, access: AccessLevel) -> list[VisibleSection]:
    """The single gate: every section of `article` as a reader with `access` may see it."""
    visible = []
    for section in article.sections.all():
        locked = section.access == Section.Access.MEMBERS and access != AccessLevel.MEMBERS
        snps = tuple(link.snp for link in section.section_snps.all())
        genes = tuple(dict.fromkeys(snp.gene or snp.rsid for snp in snps))
        visible.append(
            VisibleSection(
                anchor=section.anchor,
                heading=section.heading,
                kind=section.kind,
                gated=section.access == Section.Access.MEMBERS,
                locked=locked,
                html=mark_safe("" if locked else section.body_html),  # sanitised by nh3 at save
                text="" if locked else section.body_text,
                teaser=section.teaser
                or DEFAULT_TEASERS.get(section.kind, DEFAULT_TEASERS[Section.Kind.STANDARD]),
                genes=genes,
                snps=() if locked else snps,
                subheadings=() if locked else tuple(section.subheadings or ()),
                blocks=() if locked else tuple(section.blocks or ()),
            )
        )
    return visible


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!:" else f"{text}."


def article_public_text(*, article: Article) -> str:
    """Everything a visitor can read in the sections: what search and feeds may index."""
    return "\n".join(
        f"{_sentence(section.heading)} {section.text}".strip()
        for section in article_sections_visible_to(article=article, access=AccessLevel.PUBLIC)
        if not section.locked
    )


# --- Lists ------------------------------------------------------------------------------------


def _card_queryset() -> QuerySet[Article]:
    return (
        Article.objects.published()
        .select_related("author")
        .defer("public_text", "render_problems", "search_vector")
    )


def article_list_published() -> QuerySet[Article]:
    return _card_queryset().order_by("-published_at", "-pk")


def article_home_lists(*, latest: int = 6) -> tuple[Article | None, list[Article]]:
    """(featured article, latest others) for the home page; two queries."""
    featured = article_list_published().filter(featured=True).first()
    latest_qs = article_list_published()
    if featured is not None:
        latest_qs = latest_qs.exclude(pk=featured.pk)
    return featured, list(latest_qs[:latest])


def article_next_due_in() -> float | None:
    """Seconds until the next scheduled article goes live; None when none is scheduled."""
    now = timezone.now()
    due = (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return (due - now).total_seconds() if due else None


def article_list_for_topic(*, topic: Topic) -> QuerySet[Article]:
    return article_list_published().filter(topics=topic)


def article_list_for_author(*, author: Author) -> QuerySet[Article]:
    return article_list_published().filter(author=author)


def topic_list_with_articles() -> QuerySet[Topic]:
    return (
        Topic.objects.filter(articles__in=Article.objects.published()).distinct().order_by("name")
    )


# --- One article ------------------------------------------------------------------------------


def _detail_queryset(base: QuerySet[Article]) -> QuerySet[Article]:
    sections = Section.objects.defer("body").prefetch_related(
        Prefetch(
            "section_snps",
            queryset=SectionSnp.objects.select_related("snp").order_by("order", "pk"),
        )
    )
    related = (
        Article.objects.published()
        .defer("public_text", "render_problems", "search_vector")
        .order_by("-published_at")
    )
    return base.select_related("author").prefetch_related(
        "topics",
        Prefetch("sections", queryset=sections),
        Prefetch("references", queryset=Reference.objects.order_by("number")),
        Prefetch("related", queryset=related),
    )


def article_get_published(*, slug: str) -> Article | None:
    """A published, due article with everything its page prints, in six queries."""
    return _detail_queryset(Article.objects.published()).filter(slug=slug).first()


def article_get_for_preview(*, pk: int) -> Article | None:
    """Any article, whatever its status, for a signed preview link."""
    return _detail_queryset(Article.objects.all()).filter(pk=pk).first()


def article_preview_token(*, article: Article, access: AccessLevel) -> str:
    return signing.dumps({"a": article.pk, "l": str(access)}, salt=PREVIEW_SALT, compress=True)


def article_preview_url(*, article: Article, access: AccessLevel) -> str:
    token = article_preview_token(article=article, access=access)
    return reverse("articles:preview", kwargs={"token": token})


def article_preview_resolve(*, token: str) -> tuple[int, AccessLevel] | None:
    """(article id, requested access) from a preview token, or None when forged or expired."""
    try:
        data = signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
        return int(data["a"]), AccessLevel(data["l"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


# --- Search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    article: Article
    snippet: SafeString
    covers: tuple[str, ...] = ()  # the catalogue variants the query named that it discusses


@dataclass(frozen=True)
class SearchResults:
    """Articles, then the SNP and gene pages (genotypes.catalogue_selectors) a query finds."""

    articles: list[SearchHit]
    catalogue: CatalogueHits

    def __len__(self) -> int:
        return len(self.articles) + len(self.catalogue.snps) + len(self.catalogue.genes)


_MARK_START, _MARK_STOP = "\x02", "\x03"


def _highlighted(raw: str) -> SafeString:
    """Escape a snippet, then turn our private markers into <mark> tags."""
    escaped = escape(raw)
    return mark_safe(
        escaped.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")
    )  # our markers only


def search_query_clean(raw: str | None) -> str:
    text = (raw or "")[: SEARCH_MAX_QUERY * 4]
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())[:SEARCH_MAX_QUERY]
    return text


def _terms(query: str) -> list[str]:
    words = re.findall(r"\w[\w\-]*", query)
    return list(dict.fromkeys(word.lower() for word in words if len(word) > 1))[:SEARCH_MAX_TERMS]


def _python_snippet(text: str, terms: list[str]) -> SafeString:
    if not text:
        return mark_safe("")
    lower = text.lower()
    positions = [lower.find(term) for term in terms if lower.find(term) >= 0]
    start = max(0, min(positions) - 60) if positions else 0
    window = text[start : start + SNIPPET_CHARS]
    if start > 0:
        window = "…" + window
    if start + SNIPPET_CHARS < len(text):
        window += "…"
    if terms:
        pattern = re.compile(
            "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)),
            re.IGNORECASE,
        )
        window = pattern.sub(lambda m: f"{_MARK_START}{m.group(0)}{_MARK_STOP}", window)
    return _highlighted(window)


def article_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Published articles matching `query`, best first, with snippets from public text only."""
    return site_search(query=query, limit=limit).articles


def site_search(*, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Articles and catalogue pages matching `query`; every snippet is public text.

    An article's genotype report is members-only, so the genes, rsids and common names it
    covers are not in its public text: an article is also found when the query names (by
    rsid, gene symbol or common name) a catalogue variant its report covers, which its SNP
    page says publicly. Those come first, then the full-text matches.
    """
    query = search_query_clean(query)
    terms = _terms(query)
    if not terms:
        return SearchResults(articles=[], catalogue=CatalogueHits())
    catalogue = catalogue_search(query=query, terms=terms)
    if connection.vendor == "postgresql":
        text_hits = _search_postgres(query=" ".join(terms), limit=limit)
    else:
        text_hits = _search_fallback(terms=terms, limit=limit)
    return SearchResults(
        articles=_with_catalogue_articles(text_hits, catalogue.named_snps, limit=limit),
        catalogue=catalogue,
    )


def _with_catalogue_articles(hits: list[SearchHit], snps: list, *, limit: int) -> list[SearchHit]:
    """``hits`` with the articles covering ``snps`` first, each saying which it covers."""
    if not snps:
        return hits
    by_id = {snp.pk: snp for snp in snps}
    covering = article_list_covering_snps(snp_ids=list(by_id))
    cards = article_list_published().in_bulk([article.pk for article, _ in covering])
    text = {hit.article.pk: hit for hit in hits}
    first = []
    for found, snp_ids in covering:
        article = cards.get(found.pk)
        if article is None:
            continue
        covers = tuple(f"{by_id[i].gene} {by_id[i].rsid}".strip() for i in snp_ids if i in by_id)
        hit = text.pop(article.pk, None)
        snippet = hit.snippet if hit else _highlighted(article.description)
        first.append(SearchHit(article=article, snippet=snippet, covers=covers))
    first.sort(key=lambda hit: (-len(hit.covers), -hit.article.published_at.timestamp()))
    return (first + [hit for hit in hits if hit.article.pk in text])[:limit]


def _search_postgres(*, query: str, limit: int) -> list[SearchHit]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    rows = (
        article_list_published()
        .filter(search_vector=search_query)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .annotate(
            snippet=SearchHeadline(
                "public_text",
                search_query,
                config=SEARCH_CONFIG,
                start_sel=_MARK_START,
                stop_sel=_MARK_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .order_by("-rank", "-published_at")[:limit]
    )
    return [
        SearchHit(article=row, snippet=_highlighted(row.snippet or row.description)) for row in rows
    ]


def _search_fallback(*, terms: list[str], limit: int) -> list[SearchHit]:
    condition = Q()
    for term in terms:
        condition &= (
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(public_text__icontains=term)
        )
    rows = list(Article.objects.published().select_related("author").filter(condition)[: limit * 3])

    def score(article: Article) -> int:
        title, description = article.title.lower(), article.description.lower()
        return sum(3 * (term in title) + 2 * (term in description) + 1 for term in terms)

    rows.sort(key=lambda article: (-score(article), -(article.published_at.timestamp())))
    hits = []
    for article in rows[:limit]:
        source = (
            article.public_text
            if any(t in article.public_text.lower() for t in terms)
            else article.description
        )
        hits.append(SearchHit(article=article, snippet=_python_snippet(source, terms)))
    return hits


def reference_list_for(*, article: Article) -> list[Reference]:
    return list(article.references.all())


def related_articles_for(*, article: Article, limit: int = 6) -> list[Article]:
    return [related for related in article.related.all() if related.pk != article.pk][:limit]


def sitemap_articles() -> QuerySet[Article]:
    return (
        Article.objects.published()
        .only("slug", "updated", "published_at")
        .order_by("-published_at")
    )


def feed_articles(*, limit: int = 30) -> QuerySet[Article]:
    return article_list_published().prefetch_related("topics")[:limit]


def author_get(*, slug: str) -> Author | None:
    return Author.objects.filter(slug=slug).first()


def topic_get(*, slug: str) -> Topic | None:
    return Topic.objects.filter(slug=slug).first()


def article_get_image(*, slug: str, include_drafts: bool = False) -> Article | None:
    articles = Article.objects.all() if include_drafts else Article.objects.published()
    return articles.only("slug", "overview_image").filter(slug=slug).first()


def article_list_covering_snps(*, snp_ids: list[int]) -> list[tuple[Article, list[int]]]:
    """(article, [snp ids in section order]) for live articles covering any of ``snp_ids``.

    Registered with genotypes.article_links at start-up, for the "My genetics" page.
    """
    if not snp_ids:
        return []
    links = (
        SectionSnp.objects.filter(
            snp_id__in=snp_ids, section__article__in=Article.objects.published()
        )
        .order_by("section__article_id", "section__order", "order")
        .values_list("section__article_id", "snp_id")
    )
    by_article: dict[int, list[int]] = defaultdict(list)
    for article_id, snp_id in links:
        if snp_id not in by_article[article_id]:
            by_article[article_id].append(snp_id)
    # without the long text columns: at scale a gene or rsid is covered by hundreds of articles
    articles = Article.objects.defer("public_text", "render_problems", "search_vector").in_bulk(
        list(by_article)
    )
    return [(articles[pk], ids) for pk, ids in by_article.items() if pk in articles]
