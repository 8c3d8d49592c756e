"""Recording a member's visits to My genetics, for "new since your last visit".

What "new" means: a result row (one catalogue SNP) or an article with results that the
member's previous visit never showed. Rows come from a catalogue SNP added after the member's
file was read (the backfill writes them), articles from a publication since. A new file does
not make anything new: its rows are for the same catalogue SNPs. The first visit marks nothing
(there is nothing to compare with), and neither does a visit before the member has results.

A visit is a run of page views with less than ``VISIT_GAP`` between them, so a result stays
marked while the member reads the page, reloads it or filters it, and is no longer new on the
visit after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from articles.models import GeneticsVisit

VISIT_GAP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class VisitBaseline:
    """What the member had seen before this visit; ``first`` when nothing can be new."""

    snp_ids: frozenset[int]
    article_ids: frozenset[int]
    first: bool = False

    def snp_is_new(self, snp_id: int) -> bool:
        return not self.first and snp_id not in self.snp_ids

    def article_is_new(self, article_id: int) -> bool:
        return not self.first and article_id not in self.article_ids


NO_BASELINE = VisitBaseline(snp_ids=frozenset(), article_ids=frozenset(), first=True)


def genetics_visit_record(
    *, user, snp_ids: list[int], article_ids: list[int], now: dt.datetime | None = None
) -> VisitBaseline:
    """Record that ``user`` sees these result rows and articles now; return what counts as
    already seen for this visit."""
    now = now or timezone.now()
    snp_ids, article_ids = sorted(set(snp_ids)), sorted(set(article_ids))
    with transaction.atomic():
        # get_or_create: two first views at once (two tabs) must not both insert; the loser
        # of the unique constraint reads, and locks, the winner's row.
        visit, created = GeneticsVisit.objects.select_for_update().get_or_create(
            user=user,
            defaults={
                "visit_started_at": now,
                "last_seen_at": now,
                "known_snp_ids": snp_ids,
                "known_article_ids": article_ids,
                "baseline_snp_ids": snp_ids,
                "baseline_article_ids": article_ids,
            },
        )
        if created:
            return NO_BASELINE
        if now - visit.last_seen_at >= VISIT_GAP:
            # A new visit: what the previous one showed by its end is now the old news.
            visit.visit_started_at = now
            visit.baseline_snp_ids = visit.known_snp_ids
            visit.baseline_article_ids = visit.known_article_ids
        visit.last_seen_at = now
        visit.known_snp_ids = snp_ids
        visit.known_article_ids = article_ids
        visit.save()
    return VisitBaseline(
        snp_ids=frozenset(visit.baseline_snp_ids), article_ids=frozenset(visit.baseline_article_ids)
    )
