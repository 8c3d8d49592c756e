"""Reads about membership. `is_member` is the one gate every channel asks.

Who counts as a member:
- staff, always;
- ACTIVE and TRIALING memberships until 30 minutes after the stored period end (the renewal
  webhook normally lands within seconds, and the reconciliation task, every 15 minutes,
  resyncs any membership past its period end);
- COMPLIMENTARY memberships until `complimentary_until`, or for ever when it is empty;
- PAST_DUE memberships for `settings.MEMBERSHIP_PAST_DUE_GRACE_DAYS` (7 unless set) after the
  first failed renewal, while Stripe retries the card and the member can fix it. Stripe's own retry
  schedule runs longer, but a week of free reading is where we draw the line.
UNPAID, CANCELED, INCOMPLETE and NONE are not members.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from members.models import User

from .auth_backends import MEMBERSHIP_READ_WITH_USER
from .models import Membership, Plan, StripeEvent

Status = Membership.Status
MEMBER_STATUSES = frozenset({Status.ACTIVE, Status.TRIALING, Status.COMPLIMENTARY, Status.PAST_DUE})
# A live Stripe subscription: starting another checkout would charge the member twice.
SUBSCRIBED_STATUSES = frozenset({Status.ACTIVE, Status.TRIALING, Status.PAST_DUE, Status.UNPAID})
PAYING_STATUSES = frozenset({Status.ACTIVE, Status.TRIALING})
RENEWAL_SLACK = dt.timedelta(minutes=30)


def past_due_grace() -> dt.timedelta:
    return dt.timedelta(days=settings.MEMBERSHIP_PAST_DUE_GRACE_DAYS)


def membership_is_entitled(*, membership: Membership, now: dt.datetime | None = None) -> bool:
    """Whether this membership row, on its own, opens the members' sections."""
    now = now or timezone.now()
    status = membership.status
    if status in PAYING_STATUSES:
        end = membership.current_period_end
        return end is None or now < end + RENEWAL_SLACK
    if status == Status.COMPLIMENTARY:
        until = membership.complimentary_until
        return until is None or now < until
    if status == Status.PAST_DUE:
        since = membership.past_due_since or membership.updated or now
        return now < since + past_due_grace()
    return False


def is_member(user: User | AnonymousUser) -> bool:
    """True when the user may read members-only content. Staff always may."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    if getattr(user, MEMBERSHIP_READ_WITH_USER, False):
        # The request's user, read with its membership in one query at the start of this
        # request (billing.auth_backends): this request's own read, never kept across requests.
        membership = getattr(user, "membership", None)
    else:
        # A fresh read otherwise: a user object can outlive a change made by a webhook.
        membership = next(iter(Membership.objects.filter(user_id=user.pk)[:1]), None)
    return membership is not None and membership_is_entitled(membership=membership)


def membership_for(*, user: User) -> Membership | None:
    return Membership.objects.select_related("plan").filter(user=user).first()


def membership_is_subscribed(*, membership: Membership | None) -> bool:
    """Whether the member has a live Stripe subscription: a second checkout would charge them
    twice, so the join page and the checkout both send them to their billing instead."""
    return (
        membership is not None
        and membership.status in SUBSCRIBED_STATUSES
        and bool(membership.stripe_subscription_id)
    )


def membership_join_url(*, next: str = "") -> str:
    """Where every "become a member" link points (the join page, with the plans); ``next``,
    the page the link is on, is where joining leads back to (``billing.return_to``)."""
    url = reverse("billing:join")
    return f"{url}?{urlencode({'next': next})}" if next else url


def plan_list_offered() -> QuerySet[Plan]:
    return Plan.objects.filter(is_active=True).order_by("order", "amount")


def membership_list_stale(*, now: dt.datetime | None = None) -> QuerySet[Membership]:
    """Memberships whose stored Stripe state may be out of date (see membership_reconcile)."""
    now = now or timezone.now()
    subscribed = Q(status__in=SUBSCRIBED_STATUSES)
    past_period = subscribed & Q(current_period_end__lt=now)
    # a checkout in the last two days that never became a subscription: at most hourly
    recent_checkout = (
        Q(checkout_started_at__gt=now - dt.timedelta(days=2))
        & ~subscribed
        & (Q(stripe_synced_at__isnull=True) | Q(stripe_synced_at__lt=now - dt.timedelta(hours=1)))
    )
    not_synced_lately = subscribed & (
        Q(stripe_synced_at__isnull=True) | Q(stripe_synced_at__lt=now - dt.timedelta(days=1))
    )
    return (
        Membership.objects.exclude(stripe_customer_id="")
        .filter(past_period | recent_checkout | not_synced_lately)
        .order_by("pk")
    )


# Stripe events worth showing a member in their own history, in their words.
_HISTORY_EVENTS = {
    "checkout.session.completed": "Checkout completed",
    "customer.subscription.created": "Subscription started",
    "customer.subscription.updated": "Subscription changed",
    "customer.subscription.deleted": "Subscription ended",
    "invoice.paid": "Invoice paid",
    "invoice.payment_failed": "Payment failed",
}


def billing_history_for(*, user: User) -> dict:
    """The member's membership and billing history, for their own export: the membership as
    stored, and the Stripe events about their customer (date, what happened, amount), never
    a card detail or the raw payload."""
    membership = membership_for(user=user)
    if membership is None:
        return {"membership": None, "events": []}
    events = []
    if membership.stripe_customer_id:
        found = StripeEvent.objects.filter(
            type__in=list(_HISTORY_EVENTS),
            payload__data__object__customer=membership.stripe_customer_id,
        ).order_by("created")
        for event in found:
            obj = (event.payload.get("data") or {}).get("object") or {}
            amount = obj.get("amount_paid", obj.get("amount_total"))
            events.append(
                {
                    "date": event.created.isoformat(),
                    "what": _HISTORY_EVENTS[event.type],
                    "amount": f"{amount / 100:.2f} {str(obj.get('currency', '')).upper()}".strip()
                    if isinstance(amount, int)
                    else "",
                }
            )
    plan = membership.plan
    return {
        "membership": {
            "status": membership.get_status_display(),
            "plan": f"{plan.name} ({plan.amount_display} per {plan.interval})" if plan else "",
            "member_since": membership.created.isoformat(),
            "last_changed": membership.updated.isoformat(),
            "current_period_end": _iso(membership.current_period_end),
            "cancels_at_period_end": membership.cancel_at_period_end,
            "complimentary_until": _iso(membership.complimentary_until),
        },
        "events": events,
    }


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""
