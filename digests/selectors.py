"""Who the new-findings digest is for, and what it may say to them.

A result is new for the digest when the member has a call (a genotype read from their file)
for a catalogue SNP that the last digest had not counted: a SNP added to the catalogue after
their file was read (the backfill fills it in). An article is new when it was published since,
and discusses at least one SNP the member has a call for. Before a member's first digest, what
their file gave them when it was read is the starting point: SNPs whose result rows the parse
wrote, and articles published by then.

The digest says only how many and which article titles: never a genotype, a variant, a gene or
a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from articles.insight_selectors import CALLED, member_results_for
from articles.models import Article
from billing.selectors import is_member
from genotypes.models import GenomeUpload, GenotypeResult

from .models import DigestSubscription


@dataclass(frozen=True)
class DigestNews:
    """What a digest would say, and the state to remember once it is sent."""

    new_results: int
    new_articles: int
    article_titles: list[str]  # articles with new results or newly published, by title
    snp_ids: list[int]  # what to remember as told
    article_ids: list[int]

    @property
    def empty(self) -> bool:
        return not self.new_results and not self.new_articles


def digest_offered_to(user) -> bool:
    """Whether the account page offers the digest: only members ever get it."""
    return is_member(user)


def digest_opted_out(*, user) -> bool:
    return DigestSubscription.objects.filter(user=user, opted_out=True).exists()


def digest_candidate_ids() -> list[int]:
    """Users with a processed current file who have not opted out (membership is checked as
    each digest is built: it can lapse in between)."""
    opted_out = DigestSubscription.objects.filter(opted_out=True).values("user_id")
    return list(
        GenomeUpload.objects.filter(is_current=True, user__is_active=True)
        .exclude(user_id__in=opted_out)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def _first_baseline(user) -> tuple[set[int], set[int]]:
    """What the member's file gave them when it was read: the rows the parse wrote (a
    backfill writes later ones) and the articles published by then."""
    current = GenomeUpload.objects.filter(user=user, is_current=True).first()
    if current is None or current.finished_at is None:
        return set(), set()
    snps = GenotypeResult.objects.filter(user=user, updated__lte=current.finished_at)
    articles = Article.objects.filter(published_at__lte=current.finished_at)
    return set(snps.values_list("snp_id", flat=True)), set(articles.values_list("pk", flat=True))


def digest_news_for(*, user, subscription: DigestSubscription) -> DigestNews | None:
    """None when the digest may not read this member's results (not a member, no current
    file); otherwise the news since ``subscription``'s last digest (possibly empty)."""
    results = member_results_for(user=user)
    if results.state != "ready":
        return None
    if subscription.has_baseline:
        told_snps = set(subscription.notified_snp_ids)
        told_articles = set(subscription.notified_article_ids)
    else:
        told_snps, told_articles = _first_baseline(user)
    called = {row.snp.pk for row in results.rows if row.status in CALLED}
    new_snps = called - told_snps
    titles = []
    new_articles = 0
    for article, links in results.links:
        with_call = {snp_id for snp_id, _ in links} & called
        if not with_call:
            continue
        is_new = article.pk not in told_articles
        new_articles += is_new
        if is_new or with_call & new_snps:
            titles.append(article.title)
    return DigestNews(
        new_results=len(new_snps),
        new_articles=new_articles,
        article_titles=sorted(titles, key=str.casefold),
        snp_ids=sorted(called),
        article_ids=sorted(results.article_ids),
    )
