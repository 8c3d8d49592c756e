"""A webhook storm: 200+ Stripe events for 50 members, every one delivered twice, shuffled, 16
at a time, into gunicorn and a real worker. The memberships must end exactly as Stripe's own
state says, with one row per event and no effect (an email) repeated.

tests/members/test_webhooks.py proves the same guarantees for 8 members in-process with eager
tasks; this is the scale and the process boundaries of production.
"""

import datetime as dt
import random
from collections import Counter

import pytest

from billing import stripe_gateway
from billing.models import Membership, StripeEvent
from billing.services.stripe_events import HANDLED_EVENT_TYPES
from tests.factories import UserFactory
from tests.stripe_events import deliver, portal_press, subscription_change
from tests.utils import wait_until

from .conftest import checkout_paid, welcome_emails

pytestmark = [pytest.mark.worker]

MEMBERS = 50
STATUS = {
    "active": Membership.Status.ACTIVE,
    "canceled": Membership.Status.CANCELED,
    "past_due": Membership.Status.PAST_DUE,
}


def _period_end(sub: dict) -> dt.datetime:
    items = (sub.get("items") or {}).get("data") or []
    value = (items[0] if items else {}).get("current_period_end") or sub["current_period_end"]
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def _cancel_at_period_end_in_portal(fake, membership: Membership, sub_id: str) -> None:
    portal = stripe_gateway.portal_session_create(
        customer_id=membership.stripe_customer_id, return_url=fake.base_url + "/"
    )
    portal_press(portal.url, "cancel", sub_id)


def test_200_duplicated_shuffled_concurrent_webhooks_for_50_members_match_stripe(stack, billing):
    fake = billing  # its webhooks are held: this test delivers them
    web = stack.web(workers=2, threads=4)
    stack.worker()

    users = [UserFactory() for _ in range(MEMBERS)]
    plans = ["monthly" if i % 2 else "annual" for i in range(MEMBERS)]
    subs = [checkout_paid(fake, user, plan=plan) for user, plan in zip(users, plans, strict=True)]
    # A mix of fates: cancelled at once, a failed renewal, cancel at period end, left active.
    changes = []
    for sub_id in subs[0:10]:
        changes += subscription_change(fake, sub_id, status="canceled")
    for sub_id in subs[10:20]:
        changes += subscription_change(fake, sub_id, status="past_due")
    for user, sub_id in zip(users[20:30], subs[20:30], strict=True):
        _cancel_at_period_end_in_portal(fake, Membership.objects.get(user=user), sub_id)

    held = fake.account.events + changes
    assert len(held) >= 200, len(held)
    assert not StripeEvent.objects.exists()
    deliveries = held * 2  # every event twice, in a random order, 16 at a time
    random.shuffle(deliveries)
    statuses = deliver(web.base_url + "/stripe/webhook/", deliveries, concurrency=16)
    assert all(status in range(200, 300) for status in statuses), Counter(statuses)
    assert wait_until(
        lambda: not StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED).exists(),
        timeout=120,
        raise_on_timeout=False,
    ), "events left unprocessed:\n" + stack.logs()

    state = fake.account.subscriptions
    for user, sub_id, plan in zip(users, subs, plans, strict=True):
        sub = state[sub_id]
        membership = Membership.objects.get(user=user)
        assert (
            membership.status,
            membership.stripe_subscription_id,
            membership.stripe_customer_id,
            membership.cancel_at_period_end,
            membership.current_period_end,
            membership.plan.slug,
        ) == (
            STATUS[sub["status"]],
            sub_id,
            sub["customer"],
            sub["cancel_at_period_end"] and sub["status"] != "canceled",
            _period_end(sub),
            plan,
        ), user.email
    assert Counter(STATUS[state[s]["status"]] for s in subs) == {
        Membership.Status.ACTIVE: 30,
        Membership.Status.CANCELED: 10,
        Membership.Status.PAST_DUE: 10,
    }

    # One stored row per handled event, none twice; one membership per member.
    handled = {e["id"] for e in held if e["type"] in HANDLED_EVENT_TYPES}
    assert set(StripeEvent.objects.values_list("event_id", flat=True)) == handled
    assert StripeEvent.objects.count() == len(handled)
    assert Membership.objects.filter(user__in=users).count() == MEMBERS
    # No effect twice: at most one welcome email per member, and one for each still paying.
    wait_until(
        lambda: len(welcome_emails(stack.mail_dir)) >= 30,
        timeout=30,
        message="welcome emails missing:\n" + stack.logs(),
    )
    stack.wait_idle()  # a duplicate would be queued behind the first: let it show
    sent = Counter(welcome_emails(stack.mail_dir))
    assert max(sent.values()) == 1, sent.most_common(3)
    assert {u.email for u in users[20:]} <= set(sent)
