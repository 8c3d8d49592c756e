"""Stripe webhook events: stored once, then processed by a worker (a resync from Stripe)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Membership, StripeEvent
from billing.services import memberships
from genlife import queue
from members.models import User

logger = logging.getLogger(__name__)

# Event types that can change a membership; every other type is answered 200 and dropped.
HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


def _tasks():
    """The tasks module, imported on first use (it imports this one)."""
    from billing import tasks

    return tasks


def stripe_event_record(*, event: dict) -> StripeEvent | None:
    """Store a verified event once and queue its processing; None for a repeat or a type we
    do not handle. The row is written before anything else, so the unique event id is the
    guard against concurrent duplicate deliveries."""
    if event.get("type") not in HANDLED_EVENT_TYPES:
        return None
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                created=dt.datetime.fromtimestamp(int(event.get("created") or 0), tz=dt.UTC),
                payload=event,
            )
            queue.task_send_on_commit(_tasks().stripe_event_process, record.pk)
    except IntegrityError:
        return None
    return record


def stripe_event_process(*, event_pk: int) -> StripeEvent:
    """Find whose membership the event is about and resync it from Stripe."""
    record = StripeEvent.objects.get(pk=event_pk)
    if record.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
        return record
    obj = record.payload.get("data", {}).get("object", {})
    customer_id = obj.get("customer")
    if isinstance(customer_id, dict):
        customer_id = customer_id.get("id")
    membership = None
    if customer_id:
        membership = Membership.objects.filter(stripe_customer_id=customer_id).first()
    if membership is None and record.type == "checkout.session.completed":
        membership = _membership_link_from_checkout(session=obj)
    if membership is None:
        record.status = StripeEvent.Status.IGNORED
        record.note = f"No member has Stripe customer {customer_id or '(none)'}."
        record.processed_at = timezone.now()
        record.save(update_fields=["status", "note", "processed_at"])
        logger.warning("Stripe event %s is for an unknown customer", record.event_id)
        return record
    memberships.membership_sync(membership_id=membership.pk)
    record.status = StripeEvent.Status.PROCESSED
    record.processed_at = timezone.now()
    record.save(update_fields=["status", "processed_at"])
    return record


def _membership_link_from_checkout(*, session: dict) -> Membership | None:
    """A completed checkout whose customer we had not stored: trust client_reference_id (the
    event is signed) and attach the customer to that user if they have none yet."""
    reference, customer_id = session.get("client_reference_id"), session.get("customer")
    if not (reference and str(reference).isdigit() and customer_id):
        return None
    user = User.objects.filter(pk=int(reference)).first()
    if user is None:
        return None
    membership = memberships.membership_get_or_create(user=user)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.stripe_customer_id and membership.stripe_customer_id != customer_id:
            logger.warning(
                "Checkout for user %s used customer %s but %s is on file; keeping the paid one",
                user.pk,
                customer_id,
                membership.stripe_customer_id,
            )
        membership.stripe_customer_id = customer_id
        membership.save(update_fields=["stripe_customer_id", "updated"])
    return membership


def stripe_event_payloads_delete(*, customer_id: str) -> int:
    """Delete the stored events about a Stripe customer (their payloads carry the email
    address and name Stripe had); returns how many."""
    deleted, _ = StripeEvent.objects.filter(payload__data__object__customer=customer_id).delete()
    return deleted
