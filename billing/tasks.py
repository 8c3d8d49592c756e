"""Celery tasks: thin wrappers that take ids and call the service of the same name."""

from smtplib import SMTPException

from celery import shared_task

from billing.services import emails, memberships, stripe_events
from billing.stripe_gateway import StripeUnavailable

_STRIPE_RETRY = {
    "autoretry_for": (StripeUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(**_STRIPE_RETRY)
def stripe_event_process(event_pk: int) -> None:
    stripe_events.stripe_event_process(event_pk=event_pk)


@shared_task(**_STRIPE_RETRY)
def membership_sync(membership_id: int) -> None:
    memberships.membership_sync(membership_id=membership_id)


@shared_task
def membership_reconcile() -> int:
    return memberships.membership_reconcile()


@shared_task(
    autoretry_for=(SMTPException, OSError), retry_backoff=30, max_retries=8, retry_jitter=True
)
def membership_email_send(membership_id: int, kind: str) -> None:
    emails.membership_email_send(membership_id=membership_id, kind=kind)
