"""Sending the weekly new-findings digest, and the member's choice to receive it.

Safe to run twice: each member's digest locks their ``DigestSubscription`` row and claims the
ISO week before the email leaves, so a retried, redelivered or doubled task finds the week
taken and sends nothing. The email is sent after that claim commits (no network inside a
transaction); if sending fails, the claim is given back and the task's retry sends it once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from genlife import queue
from genlife.unsubscribe import unsubscribe_headers, unsubscribe_url
from genotypes.models import GeneticDataAuditLog
from genotypes.services.audit import genetic_data_audit
from members.models import User

from .models import DigestSubscription
from .selectors import DigestNews, digest_candidate_ids, digest_news_for

logger = logging.getLogger(__name__)

LIST_NAME = "digest"  # in the unsubscribe tokens (genlife/unsubscribe.py)
TEMPLATE = "email/digests/new_findings"


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of ``moment``'s ISO week (UTC): the unit "one digest a week" counts in."""
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def digest_opt_out_set(*, user, opted_out: bool) -> DigestSubscription:
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"opted_out": opted_out}
    )
    return subscription


def digest_unsubscribe(*, user_id: int) -> None:
    """From a digest's unsubscribe link; safe to repeat, and a no-op for an account gone."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        digest_opt_out_set(user=user, opted_out=True)


def digests_send_weekly() -> int:
    """Beat: one task per member who may get a digest this week; the task decides."""
    from digests.tasks import digest_send

    ids = digest_candidate_ids()
    for user_id in ids:
        queue.task_send(digest_send, user_id)
    return len(ids)


def _remember(subscription: DigestSubscription, news: DigestNews) -> None:
    subscription.notified_snp_ids = news.snp_ids
    subscription.notified_article_ids = news.article_ids
    subscription.has_baseline = True


def digest_send(*, user_id: int, now: dt.datetime | None = None) -> bool:
    """Send ``user_id`` this week's digest if there is news for them and none went out this
    week. True when an email was sent."""
    now = now or timezone.now()
    week = week_of(now)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    with transaction.atomic():
        subscription, _ = DigestSubscription.objects.select_for_update().get_or_create(user=user)
        if subscription.opted_out or subscription.sent_week == week:
            return False
        previous = (
            subscription.notified_snp_ids,
            subscription.notified_article_ids,
            subscription.has_baseline,
            subscription.sent_week,
            subscription.sent_at,
        )
        news = digest_news_for(user=user, subscription=subscription)
        if news is None:  # not a member now, or no file: nothing read, nothing said
            return False
        genetic_data_audit(
            actor=None,
            subject_user_id=user.pk,
            action=GeneticDataAuditLog.Action.COUNTED_FOR_DIGEST,
        )
        _remember(subscription, news)
        if not news.empty:
            subscription.sent_week, subscription.sent_at = week, now
        subscription.save()
    if news.empty:
        return False
    try:
        _email(user, news)
    except Exception:
        # Nothing left: give the week back so that the task's retry sends it, once.
        DigestSubscription.objects.filter(pk=subscription.pk, sent_week=week).update(
            notified_snp_ids=previous[0],
            notified_article_ids=previous[1],
            has_baseline=previous[2],
            sent_week=previous[3],
            sent_at=previous[4],
        )
        raise
    logger.info("New-findings digest sent to user %s", user.pk)
    return True


def _email(user, news: DigestNews) -> None:
    site = settings.SITE_URL
    unsubscribe = unsubscribe_url(
        list_name=LIST_NAME, user_id=user.pk, url_name="digests:unsubscribe"
    )
    context = {
        "name": user.get_short_name(),
        "news": news,
        "mine_url": site + reverse("genotypes:mine") + "?new=on",
        "highlights_url": site + reverse("articles:highlights"),
        "account_url": site + reverse("members:account"),
        "unsubscribe_url": unsubscribe,
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": site,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string(f"{TEMPLATE}_subject.txt", context).strip(),
        body=render_to_string(f"{TEMPLATE}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=unsubscribe_headers(unsubscribe),
    )
    message.attach_alternative(render_to_string(f"{TEMPLATE}.html", context), "text/html")
    message.send()
