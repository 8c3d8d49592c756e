"""Celery tasks: thin wrappers that take ids and call the service of the same name."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from digests import services


@shared_task(acks_late=True)
def digests_send_weekly() -> int:
    """Beat, Monday mornings: one ``digest_send`` per member who may get a digest."""
    return services.digests_send_weekly()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, OSError, OperationalError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=6,
)
def digest_send(user_id: int) -> bool:
    """This week's digest for one member; safe to run twice (see digests.services)."""
    return services.digest_send(user_id=user_id)
