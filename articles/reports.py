"""The reader's genotype reports inside an article page, built per request.

The cached article body holds a marker per genotype report section (articles.views); this
fills each with the member's report: one ``genotype_report_for`` call for every SNP on the
page, the article's own finding texts (``ArticleFinding``) in place of the catalogue's, and the
findings' sources numbered against the article's references (articles.citations).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from genotypes.selectors import GenotypeReport, genotype_report_for, genotype_report_sample

from .citations import ResultSource, reports_cited
from .models import Article


@dataclass(frozen=True)
class ArticleReportInputs:
    """What an article contributes to its reports, the same for every member (cacheable with
    the members' article fragments): the article's own findings and its references' ids."""

    findings: dict[tuple[int, str], str]
    references: list[tuple[int, str, str]]


def article_report_inputs(*, article: Article) -> ArticleReportInputs:
    return ArticleReportInputs(
        findings={
            (snp_id, genotype): text
            for snp_id, genotype, text in article.findings.values_list("snp_id", "genotype", "text")
        },
        # The numbers readers see, so a finding citing a reference shows the text's number.
        references=[
            (reference.shown_number, reference.doi, reference.pmid)
            for reference in article.references.all()  # prefetched by the page
        ],
    )


def article_reports_for(
    *,
    user,
    report_snps: dict[str, list],
    inputs: ArticleReportInputs | None,
    extra_snps=(),
    sample: bool = False,
) -> tuple[dict[str, tuple[GenotypeReport, list[ResultSource]]], GenotypeReport | None]:
    """Per report section (anchor, in page order): the reader's report and the sources first
    cited there that the article's reference list lacks; and the combined report over every SNP
    on the page (``extra_snps``: those the genotype-conditioned blocks name), for the blocks.

    One ``genotype_report_for`` call for the whole page keeps the member's query count constant
    however many report sections and blocks an article has. With ``sample`` (an editor's
    preview as a member) the genotypes are the made-up sample genome's, never the reader's.
    """
    if not report_snps and not extra_snps:
        return {}, None
    inputs = inputs or ArticleReportInputs(findings={}, references=[])
    on_page = [*(snp for snps in report_snps.values() for snp in snps), *extra_snps]
    all_snps = list({snp.pk: snp for snp in on_page}.values())
    if sample:
        combined = genotype_report_sample(snps=all_snps, overrides=inputs.findings)
    else:
        combined = genotype_report_for(user=user, snps=all_snps, overrides=inputs.findings)
    rows_by_snp = {row.snp.pk: row for row in combined.rows}
    reports = {
        anchor: dataclasses.replace(
            combined, rows=[rows_by_snp[snp.pk] for snp in snps if snp.pk in rows_by_snp]
        )
        for anchor, snps in report_snps.items()
    }
    cited, sources = reports_cited(reports=reports, references=inputs.references)
    return {anchor: (cited[anchor], sources[anchor]) for anchor in cited}, combined
