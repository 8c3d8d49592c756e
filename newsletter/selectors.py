"""Reads that decide who gets the newsletter and what each recipient may read in it.

The email goes through the same gate as the article page:
`articles.selectors.article_sections_visible_to` at the level `article_access_for` gives the
recipient (`billing.selectors.is_member` underneath), asked at the moment of sending. A
non-member's email therefore holds no members-only text at all, only each locked section's
heading and teaser. A member's email holds the members' sections as every member reads them,
and nothing that depends on whose it is: no genotype report rows, no genotype-conditioned
blocks (each is replaced by a line pointing to the page), nothing from any genotype table.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from articles.models import Article
from articles.personal_blocks import block_markers
from articles.selectors import AccessLevel, article_access_for, article_sections_visible_to
from members.models import User

from .models import Delivery, Issue, Subscription

# Where the page has a block chosen by the reader's genotype, the email says this instead.
PERSONAL_BLOCK_NOTE = (
    '<p class="personal-note"><em>A part chosen by your genotype goes here: '
    '<a href="{url}">read it on the article page</a>.</em></p>'
)
_RELATIVE_HREF = re.compile(r'href="(#|/(?!/))')


@dataclass(frozen=True)
class EmailSection:
    """One section as a recipient's email prints it."""

    heading: str
    locked: bool
    teaser: str
    html: str
    text: str
    is_genotype_report: bool
    has_personal_parts: bool


def newsletter_access_for(*, user: User) -> AccessLevel:
    """The version a recipient gets: members', or everyone's. Asked afresh at every send."""
    return article_access_for(user=user)


def _absolute(html: str, *, article_url: str) -> str:
    """Links inside an article body point within the site; an email needs full addresses."""

    def absolute(match: re.Match) -> str:
        start = match.group(1)
        return f'href="{article_url}#' if start == "#" else f'href="{settings.SITE_URL}/'

    return _RELATIVE_HREF.sub(absolute, html)


def newsletter_sections_for(*, article: Article, access: AccessLevel) -> list[EmailSection]:
    """The article's sections as the email prints them for a reader at ``access``."""
    visible = article_sections_visible_to(article=article, access=access)
    article_url = settings.SITE_URL + article.get_absolute_url()
    markers = block_markers(visible)
    note = PERSONAL_BLOCK_NOTE.format(url=article_url)
    sections = []
    for section in visible:
        html = str(section.html)
        personal = False
        for marker in markers:
            if marker in html:
                html = html.replace(marker, note)
                personal = True
        sections.append(
            EmailSection(
                heading=section.heading,
                locked=section.locked,
                teaser=section.teaser,
                html=_absolute(html, article_url=article_url),
                text=section.text,
                is_genotype_report=section.is_genotype_report,
                has_personal_parts=personal,
            )
        )
    return sections


def article_list_due_for_newsletter(*, now: dt.datetime | None = None) -> QuerySet[Article]:
    """Live articles that have no issue yet and went live recently (scheduled ones included,
    once their time has come). Older ones are the back catalogue: never mailed."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.NEWSLETTER_MAX_AGE_HOURS)
    return (
        Article.objects.published(now=now)
        .filter(published_at__gte=since, newsletter_issue__isnull=True)
        .order_by("published_at", "pk")
    )


def subscriber_ids() -> list[int]:
    """Everyone who opted in and can still sign in, in a stable order."""
    return list(
        Subscription.objects.filter(subscribed=True, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def subscription_is_on(*, user: User) -> bool:
    return Subscription.objects.filter(user=user, subscribed=True).exists()


def delivery_ids_pending(*, issue: Issue, queued_before: dt.datetime | None = None) -> list[int]:
    deliveries = Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
    if queued_before is not None:
        deliveries = deliveries.filter(queued_at__lt=queued_before)
    return list(deliveries.order_by("pk").values_list("pk", flat=True))


def issue_list_unfinished() -> QuerySet[Issue]:
    return Issue.objects.filter(finished_at__isnull=True).order_by("pk")
