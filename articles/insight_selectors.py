"""A member's results across the published articles: the highlights page, the member's part
of the home page and My genetics (the dashboard).

One read for all three: ``member_results_for`` asks ``genotypes.selectors.genotype_report_for``
for the member's row on every catalogue SNP (the same rows, labels and findings as an
article's report) and ``selectors.article_report_links`` for the articles discussing them; the
functions below only group, order and filter those rows. Genetic data is read only for a
member (``is_member``) whom ``can_view_genetic_data_of`` lets see their own data; the views
record the read in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.selectors import is_member
from genotypes.matching import Status
from genotypes.models import GenomeUpload, SnpInterpretation
from genotypes.selectors import (
    STATE_LABELS,
    GenotypeRow,
    can_view_genetic_data_of,
    genome_uploads_of,
    genotype_report_for,
    snp_catalogue,
)

from .models import Article, ArticleFinding
from .selectors import article_report_links
from .services.visits import NO_BASELINE, VisitBaseline

Label = SnpInterpretation.Label
# Notable first: the order rows, articles and topics are shown in.
LABEL_ORDER = [
    Label.NOTABLE,
    Label.UNCERTAIN,
    Label.TYPICAL,
    "",  # a genotype we read but have no finding for yet
    Status.AMBIGUOUS_STRAND,
    Status.OTHER_CHROMOSOME,
    Status.NO_CALL,
    Status.NOT_ON_CHIP,
]
_RANK = {key: rank for rank, key in enumerate(LABEL_ORDER)}
CALLED = (Status.MATCH, Status.AMBIGUOUS_STRAND)
HOME_HIGHLIGHTS = 5


def label_choices() -> list[tuple[str, str]]:
    """The label scheme's keys and words, notable first (the dashboard's label filter)."""
    words = {**dict(Label.choices), **STATE_LABELS}
    return [(str(key), str(words[key])) for key in LABEL_ORDER if key]


def _row_rank(row: GenotypeRow) -> tuple:
    return (_RANK.get(row.label_key, len(_RANK)), row.gene.casefold(), row.rsid)


def _called(row: GenotypeRow) -> bool:
    return row.status in CALLED


@dataclass(frozen=True)
class ResultItem:
    """One of the member's rows as an article shows it: ``url`` opens the article at the
    report that holds it."""

    row: GenotypeRow
    url: str
    is_new: bool = False
    finding: str = ""  # the member's finding in the article's own words where it has them


@dataclass(frozen=True)
class ArticleResults:
    article: Article
    items: list[ResultItem]
    is_new: bool = False

    @property
    def url(self) -> str:
        return self.items[0].url if self.items else self.article.get_absolute_url()

    @property
    def notable(self) -> int:
        return sum(1 for item in self.items if item.row.label == Label.NOTABLE)

    @property
    def found(self) -> int:
        return sum(1 for item in self.items if _called(item.row))

    @property
    def new(self) -> int:
        return sum(1 for item in self.items if item.is_new)


@dataclass(frozen=True)
class TopicResults:
    name: str
    slug: str  # "" for the articles that have no topic
    articles: list[ArticleResults]

    @property
    def notable(self) -> int:
        return sum(entry.notable for entry in self.articles)

    @property
    def anchor(self) -> str:
        return f"topic-{self.slug or 'other'}"


@dataclass(frozen=True)
class MemberResults:
    """Everything the three pages start from. ``state``: "members_only" (signed in, not a
    member), "no_upload", "processing" or "ready"."""

    state: str
    uploads: list[GenomeUpload] = field(default_factory=list)
    rows: list[GenotypeRow] = field(default_factory=list)
    links: list[tuple[Article, list[tuple[int, str]]]] = field(default_factory=list)
    # (article id, SNP id, genotype) -> the article's own finding (ArticleFinding)
    article_findings: dict[tuple[int, int, str], str] = field(default_factory=dict)

    @property
    def current(self) -> GenomeUpload | None:
        return next((u for u in self.uploads if u.is_current), None)

    @property
    def pending(self) -> GenomeUpload | None:
        return next((u for u in self.uploads if not u.is_finished), None)

    @property
    def snp_ids(self) -> list[int]:
        return [row.snp.pk for row in self.rows]

    @property
    def article_ids(self) -> list[int]:
        return [article.pk for article, _ in self.links]

    @property
    def found(self) -> int:
        return sum(1 for row in self.rows if _called(row))

    @property
    def no_calls(self) -> int:
        return sum(1 for row in self.rows if row.status == Status.NO_CALL)


def member_results_for(*, user) -> MemberResults:
    """The member's rows for the whole catalogue and the published articles discussing them;
    no rows for anyone who is not a member allowed to see their own genetic data."""
    if not user.is_authenticated:
        return MemberResults(state="members_only")
    uploads = genome_uploads_of(user=user)
    if not is_member(user) or not can_view_genetic_data_of(viewer=user, owner_id=user.pk):
        return MemberResults(state="members_only", uploads=uploads)
    if not any(u.is_current for u in uploads):
        pending = any(not u.is_finished for u in uploads)
        return MemberResults(state="processing" if pending else "no_upload", uploads=uploads)
    report = genotype_report_for(user=user, snps=snp_catalogue())
    links = article_report_links(snp_ids=[row.snp.pk for row in report.rows])
    findings = ArticleFinding.objects.filter(
        article_id__in=[article.pk for article, _ in links],
        snp_id__in=[row.snp.pk for row in report.rows if row.yours],
    ).values_list("article_id", "snp_id", "genotype", "text")
    return MemberResults(
        state="ready",
        uploads=uploads,
        rows=report.rows,
        links=links,
        article_findings={(a, snp, genotype): text for a, snp, genotype, text in findings},
    )


def _finding_in(results: MemberResults, article: Article, row: GenotypeRow) -> str:
    """The member's finding as ``article`` words it (its report shows the same text)."""
    if row.yours is None:
        return row.interpretation
    key = (article.pk, row.snp.pk, row.yours.genotype)
    return results.article_findings.get(key) or row.interpretation


def _article_results(results: MemberResults, baseline: VisitBaseline, keep) -> list[ArticleResults]:
    rows = {row.snp.pk: row for row in results.rows}
    entries = []
    for article, links in results.links:
        article_new = baseline.article_is_new(article.pk)
        base = article.get_absolute_url()
        items = [
            ResultItem(
                row=rows[snp_id],
                url=f"{base}#{anchor}" if anchor else base,
                is_new=article_new or baseline.snp_is_new(snp_id),
                finding=_finding_in(results, article, rows[snp_id]),
            )
            for snp_id, anchor in links
            if snp_id in rows
        ]
        items = sorted(
            (item for item in items if keep(article, item)), key=lambda i: _row_rank(i.row)
        )
        if items:
            entries.append(ArticleResults(article=article, items=items, is_new=article_new))
    entries.sort(key=lambda e: (-e.notable, -e.found, e.article.title.casefold()))
    return entries


def _by_topic(entries: list[ArticleResults]) -> list[TopicResults]:
    """Each article under its first topic (by name), so no result is listed twice."""
    groups: dict[str, TopicResults] = {}
    for entry in entries:
        topic = next(iter(sorted(entry.article.topics.all(), key=lambda t: t.name)), None)
        slug = topic.slug if topic else ""
        if slug not in groups:
            name = topic.name if topic else "Other articles"
            groups[slug] = TopicResults(name=name, slug=slug, articles=[])
        groups[slug].articles.append(entry)
    return sorted(groups.values(), key=lambda t: (-t.notable, t.slug == "", t.name.casefold()))


def _keep_all(article, item) -> bool:
    return True


def _keep_notable(article, item) -> bool:
    return item.row.label == Label.NOTABLE


# --- Highlights and the home page ------------------------------------------------------------


@dataclass(frozen=True)
class Highlights:
    results: MemberResults
    topics: list[TopicResults]

    @property
    def count(self) -> int:
        return len({item.row.snp.pk for t in self.topics for a in t.articles for item in a.items})


def member_highlights_for(*, results: MemberResults) -> Highlights:
    """The member's notable results in every published article, grouped by topic."""
    return Highlights(
        results=results, topics=_by_topic(_article_results(results, NO_BASELINE, _keep_notable))
    )


@dataclass(frozen=True)
class HomeForMember:
    """The member's part of the home page: a few highlights and the articles with results."""

    results: MemberResults
    highlights: list[tuple[ResultItem, Article]]
    more_highlights: int
    articles: list[ArticleResults]


def member_home_for(*, user) -> HomeForMember | None:
    """None for a visitor, a non-member and a member without results: their home page is
    everyone's."""
    results = member_results_for(user=user)
    if results.state != "ready":
        return None
    notable = _article_results(results, NO_BASELINE, _keep_notable)
    seen: dict[int, tuple[ResultItem, Article]] = {}
    for entry in notable:
        for item in entry.items:
            seen.setdefault(item.row.snp.pk, (item, entry.article))
    articles = [e for e in _article_results(results, NO_BASELINE, _keep_all) if e.found]
    shown = list(seen.values())[:HOME_HIGHLIGHTS]
    return HomeForMember(
        results=results, highlights=shown, more_highlights=len(seen) - len(shown), articles=articles
    )


# --- My genetics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    label: str = ""
    topic: str = ""
    text: str = ""
    only_new: bool = False

    @property
    def active(self) -> bool:
        return bool(self.label or self.topic or self.text or self.only_new)


@dataclass(frozen=True)
class Dashboard:
    results: MemberResults
    topics: list[TopicResults]
    uncovered: list[ResultItem]  # rows of SNPs no published article discusses yet
    new_results: int  # rows with a call that are new this visit, whatever the filters
    new_articles: int

    @property
    def shown(self) -> int:
        listed = {i.row.snp.pk for t in self.topics for a in t.articles for i in a.items}
        return len(listed | {i.row.snp.pk for i in self.uncovered})


def topic_choices_for(*, results: MemberResults) -> list[tuple[str, str]]:
    """(slug, name) of every topic of the articles discussing the member's variants."""
    topics = {(t.slug, t.name) for article, _ in results.links for t in article.topics.all()}
    return sorted(topics, key=lambda pair: pair[1].casefold())


def _matches_text(article: Article, row: GenotypeRow, text: str) -> bool:
    haystack = " ".join(
        [row.gene, row.rsid, row.snp.common_names, article.title if article else ""]
    )
    return text.casefold() in haystack.casefold()


def genetics_dashboard_for(
    *, results: MemberResults, baseline: VisitBaseline, filters: DashboardFilters
) -> Dashboard:
    """My genetics: every row, grouped by topic and article, notable first; ``filters`` keep
    the rows with that label, in articles on that topic, whose gene, rsid, common names or
    article title hold the text, or that are new this visit."""

    def keep(article: Article | None, item: ResultItem) -> bool:
        if filters.label and item.row.label_key != filters.label:
            return False
        if filters.topic and (
            article is None or filters.topic not in {t.slug for t in article.topics.all()}
        ):
            return False
        if filters.text and not _matches_text(article, item.row, filters.text):
            return False
        return not filters.only_new or item.is_new

    everything = _article_results(results, baseline, _keep_all)
    covered = {item.row.snp.pk for entry in everything for item in entry.items}
    uncovered = [
        ResultItem(
            row=row,
            url=row.snp.get_absolute_url(),
            is_new=baseline.snp_is_new(row.snp.pk),
            finding=row.interpretation,
        )
        for row in sorted(results.rows, key=_row_rank)
        if row.snp.pk not in covered
    ]
    new_rows = {
        item.row.snp.pk
        for entry in everything
        for item in entry.items
        if item.is_new and _called(item.row)
    } | {item.row.snp.pk for item in uncovered if item.is_new and _called(item.row)}
    return Dashboard(
        results=results,
        topics=_by_topic(_article_results(results, baseline, keep)),
        uncovered=[item for item in uncovered if keep(None, item)] if not filters.topic else [],
        new_results=len(new_rows),
        new_articles=sum(1 for entry in everything if entry.is_new and entry.found),
    )
