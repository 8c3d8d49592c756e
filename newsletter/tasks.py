"""Celery tasks: thin wrappers that take ids and call the service of the same name."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from newsletter.services import sending

_RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(acks_late=True)
def newsletter_issues_due() -> int:
    """Beat: an issue for each article that went live; lost batches sent again."""
    return sending.newsletter_issues_due()


@shared_task(autoretry_for=(OperationalError,), **_RETRY)
def newsletter_issue_send(issue_id: int) -> int:
    return sending.newsletter_issue_send(issue_id=issue_id)


@shared_task(autoretry_for=(SMTPException, OSError, OperationalError), **_RETRY)
def newsletter_batch_send(issue_id: int, delivery_ids: list[int]) -> int:
    """A retry re-runs the whole batch; each recipient's row lets only one send through."""
    return sending.newsletter_batch_send(issue_id=issue_id, delivery_ids=delivery_ids)


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=10, max_retries=3)
def newsletter_test_send(article_id: int, user_id: int, access: str) -> bool:
    return sending.newsletter_test_send(article_id=article_id, user_id=user_id, access=access)
