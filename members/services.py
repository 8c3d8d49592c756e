"""Writes about users, memberships, plans and Stripe events.

Stripe is called through `stripe_gateway` and always outside database transactions; the
transactions that follow lock the membership row and write what Stripe said. Every function
here is safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from genlife import queue

from . import stripe_gateway
from .models import Membership, Plan, StripeEvent, User
from .selectors import (
    MEMBER_STATUSES,
    PAYING_STATUSES,
    SUBSCRIBED_STATUSES,
    membership_is_entitled,
    membership_list_stale,
)
from .signals import user_deleting

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
ENDS_WITH_EMAIL = frozenset({Membership.Status.ACTIVE, Membership.Status.TRIALING,
                             Membership.Status.PAST_DUE})


class MembershipEmail:
    WELCOME = "welcome"
    PAYMENT_FAILED = "payment_failed"
    ENDING = "ending"
    ENDED = "ended"
    ACCOUNT_DELETED = "account_deleted"


def _tasks():
    """The tasks module, imported on first use (it imports this one)."""
    from . import tasks

    return tasks


# --- users ------------------------------------------------------------------------------------
@transaction.atomic
def user_ensure_verified(
    *, email: str, password: str, is_staff: bool = False, is_superuser: bool | None = None,
    name: str = "",
) -> User:
    """Create or reset a user whose email address is already verified (demo and support use).

    Staff are superusers unless `is_superuser=False` says otherwise.
    """
    user, _ = User.objects.get_or_create(email=email.lower(), defaults={"name": name})
    user.name = name or user.name
    user.is_staff = is_staff
    user.is_superuser = is_staff if is_superuser is None else is_superuser
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def user_delete(*, user: User, actor: User | None = None) -> None:
    """Delete the account: end billing in Stripe, erase genetic data, then the user and all
    rows that hang off it; a confirmation goes to the address the account had.

    Raises `stripe_gateway.StripeUnavailable` before deleting anything if Stripe cannot be
    reached, so that nobody is left paying for an account that no longer exists.
    """
    membership = Membership.objects.filter(user=user).first()
    if membership and membership.stripe_customer_id:
        # Deleting the Stripe customer cancels every subscription at once and removes the
        # email address and name we gave Stripe.
        stripe_gateway.customer_delete(customer_id=membership.stripe_customer_id)
    user_deleting.send(sender=User, user=user, actor=actor or user)
    email, name = user.email, user.get_short_name()
    customer_id = membership.stripe_customer_id if membership else ""
    with transaction.atomic():
        if customer_id:  # stored webhook payloads carry the email address Stripe had
            StripeEvent.objects.filter(payload__data__object__customer=customer_id).delete()
        user.delete()
    _email_send(
        to=email,
        kind=MembershipEmail.ACCOUNT_DELETED,
        context={"name": name},
    )


# --- plans ------------------------------------------------------------------------------------
def plan_sync_to_stripe(*, plan: Plan) -> str:
    """Make sure Stripe has a Price for the plan's amount; store and return its id.

    Idempotent: an existing Price with the plan's lookup key and the same amount, currency
    and interval is reused; a changed amount creates a new Price that takes the lookup key
    over (existing subscribers keep the old one).
    """
    product_id = stripe_gateway.product_ensure(
        lookup_key="genlife_membership",
        name=f"{settings.SITE_NAME} membership",
        description="Members-only sections and your own genotype inside every article.",
    )
    price = stripe_gateway.price_find(lookup_key=plan.lookup_key)
    matches = price is not None and (
        price["unit_amount"] == plan.amount
        and price["currency"] == plan.currency
        and price["interval"] == plan.interval
    )
    price_id = (
        price["id"]
        if matches
        else stripe_gateway.price_create(
            product_id=product_id,
            lookup_key=plan.lookup_key,
            unit_amount=plan.amount,
            currency=plan.currency,
            interval=plan.interval,
        )
    )
    if plan.stripe_price_id != price_id:
        plan.stripe_price_id = price_id
        plan.full_clean()
        plan.save(update_fields=["stripe_price_id"])
    return price_id


# --- memberships ------------------------------------------------------------------------------
def membership_get_or_create(*, user: User) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user)
    return membership


EDITOR_GROUP = "Editors"
EDITOR_APP_MODELS = {
    "articles": None,  # every articles model
    "genotypes": {"snp", "snpinterpretation"},  # the catalogue, never members' genetic data
}


@transaction.atomic
def editor_group_ensure() -> Group:
    """The "Editors" group: write articles and the SNP catalogue, see no member's data."""
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=EDITOR_APP_MODELS)
    chosen = [
        p for p in permissions.select_related("content_type")
        if EDITOR_APP_MODELS[p.content_type.app_label] is None
        or p.content_type.model in EDITOR_APP_MODELS[p.content_type.app_label]
    ]
    group.permissions.set(chosen)
    return group


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
    if membership.status in SUBSCRIBED_STATUSES and membership.stripe_subscription_id:
        raise AlreadyMember()
    if not plan.stripe_price_id:
        plan_sync_to_stripe(plan=plan)
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
                site_url + reverse("members:join_success") + "?session_id={CHECKOUT_SESSION_ID}"
            ),
            cancel_url=site_url + reverse("members:join_cancel"),
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
                plan_sync_to_stripe(plan=plan)
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
    emails: list[str] = []
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
            emails.append(MembershipEmail.WELCOME)
        if membership.status == Membership.Status.PAST_DUE and before_status != membership.status:
            emails.append(MembershipEmail.PAYMENT_FAILED)
        if membership.cancel_at_period_end and not before_cancel:
            emails.append(MembershipEmail.ENDING)
        if before_status in ENDS_WITH_EMAIL and membership.status not in MEMBER_STATUSES:
            emails.append(MembershipEmail.ENDED)
        for kind in emails:
            _email_enqueue(membership_id=membership.pk, kind=kind)
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


# --- Stripe events ----------------------------------------------------------------------------
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
    membership_sync(membership_id=membership.pk)
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
    membership = membership_get_or_create(user=user)
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


# --- emails -----------------------------------------------------------------------------------
def _email_enqueue(*, membership_id: int, kind: str) -> None:
    queue.task_send_on_commit(_tasks().membership_email_send, membership_id, kind)


def membership_email_send(*, membership_id: int, kind: str) -> None:
    membership = Membership.objects.select_related("user", "plan").filter(pk=membership_id).first()
    if membership is None:
        return
    site = settings.SITE_URL
    _email_send(
        to=membership.user.email,
        kind=kind,
        context={
            "name": membership.user.get_short_name(),
            "membership": membership,
            "account_url": site + reverse("members:account"),
            "fix_card_url": site + reverse("members:fix_card"),
            "join_url": site + reverse("members:join"),
            "genetics_url": site + reverse("genotypes:mine"),
        },
    )


def _email_send(*, to: str, kind: str, context: dict) -> None:
    context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    subject = render_to_string(f"email/members/{kind}_subject.txt", context).strip()
    body = render_to_string(f"email/members/{kind}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
