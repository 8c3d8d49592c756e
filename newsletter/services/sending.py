"""Sending the newsletter: one issue per article that goes live, in batches, each email once.

The flow, every step safe to run twice:

1. Beat runs `newsletter_issues_due` every minute. Each article that went live since the last
   sweep (published now, or a scheduled time that has come) gets its `Issue`; the unique
   article column makes a second sweep, or two at once, find it already made.
2. `newsletter_issue_send` lists the recipients once: a `Delivery` row per subscriber, unique
   per (issue, user), made in the same transaction that marks the issue listed. It then hands
   the pending rows to the broker in batches of `NEWSLETTER_BATCH_SIZE`.
3. `newsletter_batch_send` sends one batch over one mail-server connection. For each row it
   first moves PENDING to SENDING in one committed UPDATE (the claim); only the worker whose
   UPDATE changed the row sends, then marks it SENT. A retried task, a batch queued twice or
   two workers on the same batch find the row no longer PENDING and skip it.

A crash between handing the email to the mail server and marking it SENT leaves the row in
SENDING, and nothing sends it again: the choice is at most once. Sending again could not tell
"the server took it" from "it never left", and a reader who gets the same article twice is
what this design refuses; a row stuck in SENDING is shown in the admin as "outcome unknown".
A send that fails with an error (the server refused, the connection dropped) is known not to
have been delivered: the row goes back to PENDING and the task retries, up to
`NEWSLETTER_MAX_ATTEMPTS` attempts per recipient, after which it is FAILED.

Which version a recipient gets is decided when their email is sent, by the same gate as the
page: a member who lapsed since the article went live gets the visitor version.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from articles.models import Article
from articles.selectors import AccessLevel, article_get_for_preview
from genlife import queue
from members.models import User
from newsletter import selectors
from newsletter.emails import newsletter_message
from newsletter.models import Delivery, Issue

logger = logging.getLogger(__name__)

Status = Delivery.Status


def _tasks():
    """The tasks module, imported on first use (it imports this one)."""
    from newsletter import tasks

    return tasks


def _article_is_live(article: Article, now: dt.datetime) -> bool:
    return article.status == Article.Status.PUBLISHED and article.published_at <= now


# --- 1. Issues --------------------------------------------------------------------------------


def newsletter_issues_due(*, now: dt.datetime | None = None) -> int:
    """Beat: make the issue of each article that went live, and re-send lost work.

    Returns the number of issues made. Work the broker lost (it was down when a task was sent:
    genlife.queue drops the send and counts on this sweeper) is sent again once it has waited
    `NEWSLETTER_REQUEUE_SECONDS`; sending it twice is harmless (see the module docstring).
    """
    now = now or timezone.now()
    made = []
    for article in selectors.article_list_due_for_newsletter(now=now):
        try:
            with transaction.atomic():
                issue = Issue.objects.create(article=article)
                queue.task_send_on_commit(_tasks().newsletter_issue_send, issue.pk)
        except IntegrityError:  # another sweep made it first
            continue
        logger.info("Newsletter issue %s made for article %s", issue.pk, article.pk)
        made.append(issue.pk)
    stale = now - dt.timedelta(seconds=settings.NEWSLETTER_REQUEUE_SECONDS)
    for issue in selectors.issue_list_unfinished().exclude(pk__in=made):
        if issue.recipients_listed_at is None:
            if issue.created < stale:
                queue.task_send(_tasks().newsletter_issue_send, issue.pk)
            continue
        delivery_ids = selectors.delivery_ids_pending(issue=issue, queued_before=stale)
        if delivery_ids:
            _batches_enqueue(issue=issue, delivery_ids=delivery_ids, now=now)
        elif not selectors.delivery_ids_pending(issue=issue):
            _issue_finish(issue=issue, now=now)
    return len(made)


# --- 2. Recipients ----------------------------------------------------------------------------


def newsletter_issue_send(*, issue_id: int) -> int:
    """List the issue's recipients (once) and queue their batches; returns the batch count."""
    now = timezone.now()
    with transaction.atomic():
        issue = Issue.objects.select_for_update().filter(pk=issue_id).first()
        if issue is None:
            return 0
        if issue.recipients_listed_at is None:
            Delivery.objects.bulk_create(
                [Delivery(issue=issue, user_id=pk) for pk in selectors.subscriber_ids()],
                ignore_conflicts=True,
            )
            issue.recipients_listed_at = now
            issue.save(update_fields=["recipients_listed_at"])
    delivery_ids = selectors.delivery_ids_pending(issue=issue)
    if not delivery_ids:
        _issue_finish(issue=issue, now=now)
        return 0
    return _batches_enqueue(issue=issue, delivery_ids=delivery_ids, now=now)


def _batches_enqueue(*, issue: Issue, delivery_ids: list[int], now: dt.datetime) -> int:
    size = settings.NEWSLETTER_BATCH_SIZE
    batches = [delivery_ids[i : i + size] for i in range(0, len(delivery_ids), size)]
    for batch in batches:
        Delivery.objects.filter(pk__in=batch).update(queued_at=now)
        queue.task_send_on_commit(_tasks().newsletter_batch_send, issue.pk, batch)
    return len(batches)


def _issue_finish(*, issue: Issue, now: dt.datetime) -> None:
    Issue.objects.filter(pk=issue.pk, finished_at__isnull=True).update(finished_at=now)


# --- 3. Batches -------------------------------------------------------------------------------


def _claim(delivery_id: int, issue_id: int) -> bool:
    """PENDING -> SENDING in one committed statement; True for the one caller that moved it."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, issue_id=issue_id, status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    )


def _give_back(delivery: Delivery, error: Exception) -> None:
    """A send that raised was not delivered: pending again, or failed after the last attempt."""
    delivery.refresh_from_db(fields=["attempts"])
    failed = delivery.attempts >= settings.NEWSLETTER_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=Status.FAILED if failed else Status.PENDING,
        error=f"{type(error).__name__}: {error}"[:300],
    )


def newsletter_batch_send(*, issue_id: int, delivery_ids: list[int]) -> int:
    """Send one batch; returns how many emails this call sent. Raises on a failed send (the
    task retries; rows already sent are skipped then)."""
    issue = Issue.objects.filter(pk=issue_id).first()
    if issue is None:
        return 0
    now = timezone.now()
    article = article_get_for_preview(pk=issue.article_id)
    if article is None or not _article_is_live(article, now):
        Delivery.objects.filter(pk__in=delivery_ids, status=Status.PENDING).update(
            status=Status.SKIPPED, error="The article was unpublished before this send."
        )
        return 0
    users = User.objects.in_bulk(
        Delivery.objects.filter(pk__in=delivery_ids).values_list("user_id", flat=True)
    )
    sections_by_access: dict[AccessLevel, list] = {}
    sent = 0
    connection = get_connection()  # one mail-server connection for the batch, opened on need
    try:
        for delivery in Delivery.objects.filter(pk__in=delivery_ids).order_by("pk"):
            if not _claim(delivery.pk, issue_id):
                continue  # sent, skipped or claimed by an earlier attempt
            user = users.get(delivery.user_id)
            if user is None or not user.is_active or not selectors.subscription_is_on(user=user):
                Delivery.objects.filter(pk=delivery.pk).update(status=Status.SKIPPED)
                continue
            access = selectors.newsletter_access_for(user=user)
            if access not in sections_by_access:
                sections_by_access[access] = selectors.newsletter_sections_for(
                    article=article, access=access
                )
            message = newsletter_message(
                article=article,
                sections=sections_by_access[access],
                access=access,
                user=user,
                connection=connection,
            )
            try:
                connection.open()  # no-op once open
                message.send()
            except Exception as exc:
                _give_back(delivery, exc)
                raise
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Status.SENT, sent_at=timezone.now(), access=str(access), error=""
            )
            sent += 1
    finally:
        connection.close()
    if not selectors.delivery_ids_pending(issue=issue):
        _issue_finish(issue=issue, now=timezone.now())
    return sent


# --- The admin's test send --------------------------------------------------------------------


def newsletter_test_send_enqueue(*, article: Article, user: User, access: AccessLevel) -> None:
    queue.task_send_on_commit(_tasks().newsletter_test_send, article.pk, user.pk, str(access))


def newsletter_test_send(*, article_id: int, user_id: int, access: str) -> bool:
    """Send one version of an article's email to a staff member's own address only."""
    article = article_get_for_preview(pk=article_id)
    user = User.objects.filter(pk=user_id, is_staff=True, is_active=True).first()
    if article is None or user is None:
        return False
    level = AccessLevel(access)
    sections = selectors.newsletter_sections_for(article=article, access=level)
    newsletter_message(
        article=article, sections=sections, access=level, user=user, test=True
    ).send()
    return True
