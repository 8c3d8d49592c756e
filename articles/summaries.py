"""A member's printable summary of one article, and the share links that show it.

The summary is what a member takes to their doctor: their genotype for each variant the
article's genotype reports discuss, the finding for it with its evidence level, and the
article's references with their DOIs. It reads genetic data only as the owner would
(``genotypes.selectors.can_view_genetic_data_of``) or through a share link the owner made,
which ``share_link_resolve`` checks (signature, stored hash, expiry, revocation, the owner
still a member). Callers audit each view (``genotypes.services.audit``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core import signing
from django.utils import timezone

from billing.selectors import is_member
from genotypes.selectors import GenotypeRow, can_view_genetic_data_of

from . import reports, selectors
from .citations import ResultSource
from .models import Article, Reference, SummaryShareLink

SHARE_SALT = "articles.summary-share-link"


@dataclass(frozen=True)
class ArticleSummary:
    article: Article
    state: str  # genotypes' report state: "ready", "processing" or "no_upload"
    rows: list[GenotypeRow]
    references: list[Reference]
    result_sources: list[ResultSource]
    made: dt.datetime


def article_summary_for(*, owner, article: Article, viewer=None) -> ArticleSummary | None:
    """The owner's summary of ``article``, or None when ``viewer`` (the owner by default) may
    not read the owner's genetic data or the owner is not a member (findings are theirs only
    while they are)."""
    viewer = viewer or owner
    if not can_view_genetic_data_of(viewer=viewer, owner_id=owner.pk) or not is_member(owner):
        return None
    sections = selectors.article_sections_visible_to(
        article=article, access=selectors.AccessLevel.MEMBERS
    )
    report_snps = {s.anchor: list(s.snps) for s in sections if s.is_genotype_report}
    built, combined = reports.article_reports_for(
        user=owner, report_snps=report_snps, inputs=reports.article_report_inputs(article=article)
    )
    rows: dict[int, GenotypeRow] = {}
    sources: list[ResultSource] = []
    for report, result_sources in built.values():
        for row in report.rows:
            rows.setdefault(row.snp.pk, row)
        sources += result_sources
    return ArticleSummary(
        article=article,
        state=combined.state if combined is not None else "ready",
        rows=list(rows.values()),
        references=selectors.reference_list_for(article=article),
        result_sources=sources,
        made=timezone.now(),
    )


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_link_resolve(*, token: str) -> SummaryShareLink | None:
    """The live share link the token opens, with its owner and article; None for a token that
    is forged, unknown, expired, revoked, or whose owner is no longer an active member."""
    try:
        signing.loads(
            token, salt=SHARE_SALT, max_age=dt.timedelta(days=SummaryShareLink.MAX_DAYS + 1)
        )
    except signing.BadSignature:
        return None
    link = (
        SummaryShareLink.objects.select_related("user", "article")
        .filter(token_hash=share_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if link is None or link.expires_at <= timezone.now():
        return None
    if link.article.status != Article.Status.PUBLISHED or not is_member(link.user):
        return None
    return link


def share_links_of(*, user, article: Article) -> list[SummaryShareLink]:
    """The member's links to this article's summary that still work, newest first."""
    return list(
        SummaryShareLink.objects.filter(
            user=user, article=article, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    )
