"""Reads for the SNP and gene pages and for catalogue search.

Each page has a public part, for everyone (what the variant or gene is, its names, alleles,
population frequencies, the articles that discuss it), and a members' part (the reader's own
genotype and every genotype's finding). Which part a reader gets is decided here, once, by
``billing.selectors.is_member``: the same gate as the article page's. The reader's own
genotypes come only through ``genotypes.selectors.genotype_report_for`` (owner-only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from billing.selectors import is_member
from genotypes.article_links import articles_for_snps
from genotypes.matching import Status
from genotypes.models import GENE_SYMBOL_PATTERN, Gene, Snp, SnpInterpretation
from genotypes.selectors import (
    FrequencyBar,
    GenotypeReport,
    GenotypeRow,
    PopulationChart,
    genotype_report_for,
    population_chart_for,
)

CATALOGUE_SEARCH_LIMIT = 20


@dataclass(frozen=True)
class MembersPart:
    """What only a member reads. ``report.state`` says whether they have data: "ready" (then
    ``rows`` hold their genotypes), "processing" or "no_upload"."""

    report: GenotypeReport
    findings: list[SnpInterpretation] = field(default_factory=list)

    @property
    def has_genotypes(self) -> bool:
        return self.report.state == "ready"

    @property
    def row(self) -> GenotypeRow | None:
        return self.report.rows[0] if self.has_genotypes and self.report.rows else None

    @property
    def yours(self) -> str:
        row = self.row
        return row.genotype if row is not None and row.status == Status.MATCH else ""


@dataclass(frozen=True)
class SnpPage:
    snp: Snp
    gene: Gene | None
    articles: list
    genotype_bars: list[FrequencyBar]
    population_chart: PopulationChart | None
    members: MembersPart | None  # None: the reader is not a member

    @property
    def chart_height(self) -> int:
        return 20 + 34 * len(self.genotype_bars)


def _articles_about(snp_ids: list[int]) -> list:
    """Published articles whose genotype report covers any of ``snp_ids``."""
    return [article for article, _ in articles_for_snps(snp_ids=snp_ids)]


def _genotype_bars(snp: Snp, interpretations: list[SnpInterpretation], yours: str):
    """The share of people with each genotype (public numbers); the member's marked."""
    bars = []
    shares = [i for i in interpretations if i.frequency is not None]
    for index, interpretation in enumerate(shares):
        bars.append(
            FrequencyBar(
                genotype=interpretation.genotype,
                frequency=interpretation.frequency,
                label="",
                is_yours=bool(yours) and interpretation.genotype == yours,
                x=60,
                width=max(round(interpretation.frequency * 100 * 2.4, 1), 1.0),  # 240 px = 100%
                y=10 + index * 34,
            )
        )
    return bars


def snp_page_for(*, user, rsid: str, population: str = "") -> SnpPage:
    """The SNP page as ``user`` may read it; Http404 for an rsid the catalogue lacks."""
    snp = Snp.objects.filter(rsid=rsid.lower()).first() if len(rsid) <= 20 else None
    if snp is None:
        raise Http404("No such SNP in our catalogue.")
    interpretations = list(snp.interpretations.order_by("genotype"))
    members = None
    if is_member(user):
        members = MembersPart(
            report=genotype_report_for(user=user, snps=[snp]), findings=interpretations
        )
    yours = members.yours if members else ""
    return SnpPage(
        snp=snp,
        gene=Gene.objects.filter(symbol=snp.gene).first() if snp.gene else None,
        articles=_articles_about([snp.pk]),
        genotype_bars=_genotype_bars(snp, interpretations, yours),
        population_chart=population_chart_for(snp=snp, population=population[:80], genotype=yours),
        members=members,
    )


@dataclass(frozen=True)
class GenePage:
    symbol: str
    gene: Gene | None
    snps: list[Snp]
    articles: list
    members: MembersPart | None


def gene_symbol_canonical(*, symbol: str) -> str | None:
    """The symbol as the catalogue writes it ("comt" -> "COMT"), or None when neither a gene
    nor a catalogue SNP names it."""
    if not re.fullmatch(GENE_SYMBOL_PATTERN, symbol):
        return None
    gene = Gene.objects.filter(symbol__iexact=symbol).values_list("symbol", flat=True).first()
    if gene:
        return gene
    return (
        Snp.objects.filter(gene__iexact=symbol)
        .order_by("gene")
        .values_list("gene", flat=True)
        .first()
    )


def gene_page_for(*, user, symbol: str) -> GenePage:
    """The gene page (``symbol`` as the catalogue writes it) as ``user`` may read it."""
    gene = Gene.objects.filter(symbol=symbol).first()
    snps = list(Snp.objects.filter(gene=symbol).order_by("rsid"))
    if gene is None and not snps:
        raise Http404("No such gene in our catalogue.")
    members = (
        MembersPart(report=genotype_report_for(user=user, snps=snps)) if is_member(user) else None
    )
    return GenePage(
        symbol=symbol,
        gene=gene,
        snps=snps,
        articles=_articles_about([snp.pk for snp in snps]),
        members=members,
    )


# --- Search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneHit:
    symbol: str
    name: str
    summary: str
    url: str


@dataclass(frozen=True)
class CatalogueHits:
    """Catalogue pages matching a query (public text only), and the SNPs the query names by
    an identifier (rsid, gene symbol or common name), whose articles search also finds."""

    snps: list[Snp] = field(default_factory=list)
    genes: list[GeneHit] = field(default_factory=list)
    named_snps: list[Snp] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.snps or self.genes)


def _names_match(snp: Snp, wanted: set[str]) -> bool:
    return any(name.casefold() in wanted for name in snp.common_name_list)


def catalogue_search(*, query: str, terms: list[str]) -> CatalogueHits:
    """SNPs and genes matching a cleaned ``query`` (its lower-cased ``terms``).

    A SNP is named by its rsid, its gene's symbol or one of its common names written whole
    ("Val158Met", "A118G", or the whole query, e.g. "c.118A>G"); SNPs and genes are also found
    when every term occurs in their public summary or gene name. All lookups are escaped ORM
    filters on a small table.
    """
    if not terms:
        return CatalogueHits()
    wanted = {term.casefold() for term in terms} | {query.casefold()}
    identifiers = Q(rsid__in=terms)
    for term in wanted:
        identifiers |= Q(gene__iexact=term) | Q(common_names__icontains=term)
    candidates = Snp.objects.filter(identifiers).order_by("gene", "rsid")[
        : CATALOGUE_SEARCH_LIMIT * 5
    ]
    named = [
        snp
        for snp in candidates
        if snp.rsid in wanted or snp.gene.casefold() in wanted or _names_match(snp, wanted)
    ]
    described = Q()
    for term in terms:
        described &= Q(summary__icontains=term)
    extra = Snp.objects.filter(described).exclude(pk__in=[s.pk for s in named])
    snps = (named + list(extra.order_by("gene", "rsid")))[:CATALOGUE_SEARCH_LIMIT]

    gene_described = Q()
    for term in terms:
        gene_described &= Q(summary__icontains=term) | Q(name__icontains=term)
    symbols = Q()
    for term in terms:
        symbols |= Q(symbol__iexact=term)
    genes = list(Gene.objects.filter(symbols | gene_described)[:CATALOGUE_SEARCH_LIMIT])
    gene_hits = [GeneHit(g.symbol, g.name, g.summary, g.get_absolute_url()) for g in genes]
    # A symbol searched for that only catalogue SNPs carry (no Gene row yet) has a page too.
    known = {g.symbol for g in genes}
    for snp in named:
        if snp.gene and snp.gene.casefold() in wanted and snp.gene not in known:
            known.add(snp.gene)
            url = Gene(symbol=snp.gene).get_absolute_url()
            gene_hits.append(GeneHit(snp.gene, "", "", url))
    return CatalogueHits(snps=snps, genes=gene_hits, named_snps=named)


def snp_catalogue_problems() -> tuple[list[str], list[str]]:
    """What the catalogue lacks for a SNP to be placed and matched against a member's file:
    its chromosome, a position on GRCh37 or GRCh38, and its alleles (``check_content``).
    Problems for SNPs marked verified; notices for those marked not yet confirmed, whose
    missing facts are known gaps (the site shows their calls without an interpretation)."""
    problems, notices = [], []
    for snp in Snp.objects.order_by("rsid"):
        missing = []
        if not snp.chromosome:
            missing.append("chromosome")
        if snp.position_grch37 is None and snp.position_grch38 is None:
            missing.append("position (GRCh37 or GRCh38)")
        if not snp.ref or not snp.alt:
            missing.append("alleles")
        if missing:
            text = f"SNP {snp.rsid} lacks: {', '.join(missing)}"
            (problems if snp.verified else notices).append(
                text if snp.verified else f"{text} (marked not yet confirmed)"
            )
    return problems, notices
