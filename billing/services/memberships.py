"""Memberships: granting, checkout, the billing portal, and resyncing from Stripe."""

from __future__ import annotations

import datetime as dt
import time

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import stripe_gateway
from billing.models import Membership, Plan, StripeEvent
from billing.selectors import (
    MEMBER_STATUSES,
    PAYING_STATUSES,
    SUBSCRIBED_STATUSES,
    membership_is_entitled,
    membership_is_subscribed,
    membership_list_stale,
)
from billing.services import emails, plans
from billing.services.emails import MembershipEmail
from genlife import queue
from members.models import User

# Stripe's subscription statuses mapped onto ours ("paused" and "incomplete_expired" end it).
STRIPE_STATUS = {
    "active": Membership.Status.ACTIVE,
    "trialing": Membership.Status.TRIALING,
    "past_due": Membership.Status.PAST_DUE,
    "unpaid": Membership.Status.UNPAID,
    "incomplete": Membership.Status.INCOMPLETE,
    "incomplete_expired": Membership.Status.CANCELED,
    "canceled": Membership.Status.CANCELED,
    "paused": Membership.Status.CANCELED,
}


# How long the success page waits for the webhook before asking Stripe itself.
NUDGE_AFTER = dt.timedelta(seconds=15)


class AlreadyMember(Exception):
    """The user already has a live subscription; a second checkout would charge twice."""


# A paid membership that ends (cancelled at period end, or renewals failed for good) gets the
# "ended" email; a complimentary one is ended by us, and a checkout that never paid never began.
ENDS_WITH_EMAIL = frozenset(
    {Membership.Status.ACTIVE, Membership.Status.TRIALING, Membership.Status.PAST_DUE}
)


def _tasks():
    """The tasks module, imported on first use (it imports this one)."""
    from billing import tasks

    return tasks


def membership_get_or_create(*, user: User) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user)
    return membership


def membership_grant_complimentary(*, user: User, until: dt.datetime | None = None) -> Membership:
    """Membership without payment, forever or until a date (granted by staff)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(
            pk=membership_get_or_create(user=user).pk
        )
        membership.status = Membership.Status.COMPLIMENTARY
        membership.complimentary_until = until
        membership.full_clean()
        membership.save()
    return membership


def membership_customer_ensure(*, user: User) -> str:
    """The user's Stripe customer id, creating the customer once (concurrent calls agree)."""
    membership = membership_get_or_create(user=user)
    if membership.stripe_customer_id:
        return membership.stripe_customer_id
    customer_id = stripe_gateway.customer_create(
        email=user.email,
        name=user.name,
        user_id=user.pk,
        # the same key for every attempt: two clicks at once get one customer from Stripe
        # (the membership's update time changes when a lost customer is forgotten)
        idempotency_key=f"genlife-customer-{user.pk}-{membership.updated.timestamp():.6f}",
    )
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if not membership.stripe_customer_id:
            membership.stripe_customer_id = customer_id
            membership.save(update_fields=["stripe_customer_id", "updated"])
    return membership.stripe_customer_id


def membership_checkout_start(*, user: User, plan: Plan, site_url: str) -> str:
    """Create a Stripe Checkout Session for the plan and return the URL to send the user to.

    Raises `AlreadyMember` when the user already pays (or is in a trial or grace period), and
    `stripe_gateway.StripeUnavailable` when Stripe cannot be reached (nothing is written).
    """
    membership = membership_get_or_create(user=user)
    if membership_is_subscribed(membership=membership):
        raise AlreadyMember()
    if not plan.stripe_price_id:
        plans.plan_sync_to_stripe(plan=plan)
    # A trial is for a first subscription only.
    trial_days = plan.trial_days if not membership.stripe_subscription_id else 0
    window = int(time.time() // 600)  # repeated clicks within ten minutes reuse one session

    def create_session():
        customer_id = membership_customer_ensure(user=user)
        return stripe_gateway.checkout_session_create(
            customer_id=customer_id,
            price_id=plan.stripe_price_id,
            client_reference_id=str(user.pk),
            trial_days=trial_days,
            success_url=(
                site_url + reverse("billing:join_success") + "?session_id={CHECKOUT_SESSION_ID}"
            ),
            cancel_url=site_url + reverse("billing:join_cancel"),
            idempotency_key=(
                f"genlife-checkout-{user.pk}-{customer_id}-{plan.stripe_price_id}-{window}"
            ),
        )

    repaired: set[str] = set()
    while True:
        try:
            session = create_session()
            break
        except stripe_gateway.StripeNotFound as exc:
            # The stored customer or price is gone from Stripe (deleted, or the keys now point
            # at another Stripe account): recreate each at most once, then try again.
            what = "customer" if exc.param == "customer" else "price"
            if what in repaired:
                raise
            repaired.add(what)
            if what == "customer":
                _membership_forget_customer(membership_id=membership.pk)
            else:
                plans.plan_sync_to_stripe(plan=plan)
    Membership.objects.filter(pk=membership.pk).update(checkout_started_at=timezone.now())
    return session.url


def _membership_forget_customer(*, membership_id: int) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.status not in SUBSCRIBED_STATUSES:
            membership.stripe_customer_id = ""
            membership.save(update_fields=["stripe_customer_id", "updated"])


def membership_portal_url(*, user: User, return_url: str, fix_card: bool = False) -> str | None:
    membership = Membership.objects.filter(user=user).first()
    if membership is None or not membership.stripe_customer_id:
        return None
    return stripe_gateway.portal_session_create(
        customer_id=membership.stripe_customer_id,
        return_url=return_url,
        update_payment_method=fix_card,
    ).url


def _subscription_pick(
    subscriptions: list[stripe_gateway.SubscriptionState],
) -> stripe_gateway.SubscriptionState | None:
    """The subscription that decides the membership: the newest live one, else the newest."""
    live = [s for s in subscriptions if s.is_live]
    return (live or subscriptions or [None])[0]


def _plan_for(sub: stripe_gateway.SubscriptionState) -> Plan | None:
    """The plan a subscription pays for; members on a price since replaced keep their plan."""
    plan = Plan.objects.filter(stripe_price_id=sub.price_id).first() if sub.price_id else None
    if plan is None and sub.plan_key and sub.plan_key.startswith("genlife_"):
        plan = Plan.objects.filter(slug=sub.plan_key.removeprefix("genlife_")).first()
    return plan


def membership_sync(*, membership_id: int) -> Membership:
    """Re-read the member's subscriptions from Stripe and write the one source of truth.

    Safe whatever order events arrive in: it never trusts an event's payload, only Stripe's
    current state, and a result fetched earlier never overwrites one fetched later.
    """
    membership = Membership.objects.get(pk=membership_id)
    if not membership.stripe_customer_id:
        return membership
    fetched_at = timezone.now()
    subscriptions = stripe_gateway.subscription_list(customer_id=membership.stripe_customer_id)
    sub = _subscription_pick(subscriptions)
    to_send: list[str] = []
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.stripe_synced_at and membership.stripe_synced_at > fetched_at:
            return membership  # a later fetch has already written newer facts
        before_status = membership.status
        before_cancel = membership.cancel_at_period_end
        was_member = membership_is_entitled(membership=membership)
        membership.stripe_synced_at = fetched_at
        if sub is None:
            if membership.status != Membership.Status.COMPLIMENTARY:
                membership.status = Membership.Status.NONE
        else:
            status = STRIPE_STATUS.get(sub.status, Membership.Status.CANCELED)
            keep_complimentary = (
                membership.status == Membership.Status.COMPLIMENTARY and not sub.is_live
            )
            if not keep_complimentary:
                membership.status = status
            membership.stripe_subscription_id = sub.id
            membership.current_period_end = sub.current_period_end
            membership.cancel_at_period_end = sub.cancel_at_period_end and sub.is_live
            membership.plan = _plan_for(sub)
        if membership.status == Membership.Status.PAST_DUE:
            membership.past_due_since = membership.past_due_since or fetched_at
        else:
            membership.past_due_since = None
        membership.full_clean()
        membership.save()
        now_member = membership_is_entitled(membership=membership)
        if now_member and not was_member and membership.status in PAYING_STATUSES:
            to_send.append(MembershipEmail.WELCOME)
        if membership.status == Membership.Status.PAST_DUE and before_status != membership.status:
            to_send.append(MembershipEmail.PAYMENT_FAILED)
        if membership.cancel_at_period_end and not before_cancel:
            to_send.append(MembershipEmail.ENDING)
        if before_status in ENDS_WITH_EMAIL and membership.status not in MEMBER_STATUSES:
            to_send.append(MembershipEmail.ENDED)
        for kind in to_send:
            emails.membership_email_enqueue(membership_id=membership.pk, kind=kind)
    return membership


def membership_sync_nudge(*, user: User) -> bool:
    """Queue a resync for a member waiting on the success page whose webhook is overdue.

    Waiting for the webhook is the normal path; this only helps when it was lost. It reads
    Stripe's state (never the redirect), at most once every 30 seconds per member, and only
    from 15 seconds after the checkout began. Returns whether a resync was queued.
    """
    membership = Membership.objects.filter(user=user).first()
    now = timezone.now()
    if (
        membership is None
        or not membership.stripe_customer_id
        or membership.checkout_started_at is None
        or not now - dt.timedelta(hours=1) < membership.checkout_started_at < now - NUDGE_AFTER
    ):
        return False
    if not cache.add(f"members:sync-nudge:{membership.pk}", 1, timeout=30):
        return False
    # The broker down: the reconciliation task will get there.
    return queue.task_send(_tasks().membership_sync, membership.pk)


def membership_reconcile() -> int:
    """Queue a resync for every membership whose stored state may be stale; returns how many.

    Stale means: paid-up according to us but past its period end (a renewal or cancellation
    webhook may have been lost), a checkout started in the last two days that never turned
    into a subscription (a lost checkout.session.completed), or not synced for a day.
    """
    ids = list(membership_list_stale().values_list("pk", flat=True))
    for membership_id in ids:
        queue.task_send(_tasks().membership_sync, membership_id)
    # Events stored but never processed (the broker was down when they arrived).
    stuck = StripeEvent.objects.filter(
        status=StripeEvent.Status.RECEIVED,
        received__lt=timezone.now() - dt.timedelta(minutes=2),
    ).values_list("pk", flat=True)
    for event_pk in stuck:
        queue.task_send(_tasks().stripe_event_process, event_pk)
    return len(ids)
