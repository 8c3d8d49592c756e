"""The Stripe webhook endpoint: signatures, idempotency, ordering and the worker boundary."""

import random
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing import stripe_gateway
from billing.models import Membership, StripeEvent
from billing.services import memberships as services
from tests.factories import UserFactory
from tests.stripe_events import deliver, pay, portal_press, recorded, subscription_change
from tests.utils import wait_until

from .helpers import membership_of, signed, subscription_event

URL = "/stripe/webhook/"


def post(client: Client, body: str, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_webhook_url_is_the_one_stripe_is_configured_with():
    assert reverse("stripe_webhook") == URL


@pytest.mark.django_db
def test_bad_signature_is_rejected_and_nothing_is_written(client, stripe_settings, queued):
    body, header = signed(subscription_event(), secret="whsec_someone_else")
    response = post(client, body, header)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0 and queued == []


@pytest.mark.django_db
def test_unsigned_body_is_rejected(client, stripe_settings, queued):
    body, _ = signed(subscription_event())
    assert post(client, body, None).status_code == 400
    assert post(client, body, "").status_code == 400
    assert StripeEvent.objects.count() == 0 and queued == []


@pytest.mark.django_db
def test_stale_timestamp_is_rejected(client, stripe_settings, queued):
    body, header = signed(subscription_event(), timestamp=int(time.time()) - 600)
    assert post(client, body, header).status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_with_a_valid_signature_is_rejected(client, stripe_settings, queued):
    body, header = signed('{"id": "evt_1", "type": ')
    assert post(client, body, header).status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_unknown_event_type_is_acknowledged_and_ignored(client, stripe_settings, queued):
    body, header = signed(recorded("payment_intent.created", customer="cus_1"))
    assert post(client, body, header).status_code == 200
    assert StripeEvent.objects.count() == 0 and queued == []


@pytest.mark.django_db(transaction=True)  # the task is queued on commit
def test_known_event_is_stored_once_and_queued(client, stripe_settings, queued):
    body, header = signed(subscription_event())
    assert post(client, body, header).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.event_id == "evt_test_1" and stored.status == StripeEvent.Status.RECEIVED
    assert queued == [stored.pk]


@pytest.mark.django_db(transaction=True)  # the task is queued on commit
def test_duplicate_event_returns_200_and_does_nothing(client, stripe_settings, queued):
    body, header = signed(subscription_event())
    assert post(client, body, header).status_code == 200
    assert post(client, body, header).status_code == 200
    assert StripeEvent.objects.count() == 1 and len(queued) == 1


@pytest.mark.django_db(transaction=True)  # the task is queued on commit
def test_event_for_an_unknown_customer_changes_nothing(client, stripe_settings, eager_tasks):
    member = UserFactory()
    Membership.objects.create(
        user=member, stripe_customer_id="cus_known", status=Membership.Status.ACTIVE
    )
    body, header = signed(subscription_event(customer="cus_stranger"))
    assert post(client, body, header).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.IGNORED
    assert "cus_stranger" in stored.note
    assert membership_of(member).status == Membership.Status.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_same_event_delivered_concurrently_has_exactly_one_effect(stripe_settings, queued):
    body, header = signed(subscription_event(event_id="evt_concurrent"))
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def deliver():
        barrier.wait()
        try:
            statuses.append(post(Client(), body, header).status_code)
        finally:
            connection.close()  # each thread opened its own database connection

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert StripeEvent.objects.filter(event_id="evt_concurrent").count() == 1
    assert len(queued) == 1


def _checkout_paid(fake, user, plans, client) -> str:
    """Start a checkout as `user` and press Pay on devstripe; returns the subscription id."""
    client.force_login(user)
    response = client.post(reverse("billing:join_checkout"), {"plan": "monthly"})
    assert response.status_code == 302, response
    pay(response.url)
    (sub_id,) = [
        s["id"]
        for s in fake.account.subscriptions.values()
        if s["customer"] == membership_of(user).stripe_customer_id
    ]
    return sub_id


@pytest.mark.django_db(transaction=True)
def test_subscription_deleted_delivered_before_created_ends_canceled(
    client, live_server, stripe_settings, plans, eager_tasks
):
    fake = stripe_settings
    user = UserFactory()
    sub_id = _checkout_paid(fake, user, plans, client)
    # the subscription is cancelled at once; Stripe's events then arrive newest first
    events = fake.account.events + subscription_change(fake, sub_id, status="canceled")
    statuses = deliver(live_server.url + URL, events[::-1])
    assert statuses == [200] * len(events)
    membership = membership_of(user)
    assert membership.status == Membership.Status.CANCELED
    assert membership.stripe_subscription_id == sub_id
    types = list(StripeEvent.objects.order_by("received").values_list("type", flat=True))
    assert types[0] == "customer.subscription.deleted"
    assert "customer.subscription.created" in types


def _shuffled_twice(events: list[dict]) -> list[dict]:
    """Every event delivered twice, in a random order (Stripe promises neither once nor order)."""
    deliveries = events * 2
    random.shuffle(deliveries)
    return deliveries


@pytest.mark.django_db(transaction=True)
def test_duplicated_and_reordered_deliveries_end_in_stripes_state(
    client, live_server, stripe_settings, plans, eager_tasks
):
    fake = stripe_settings
    user = UserFactory()
    _checkout_paid(fake, user, plans, client)
    deliveries = _shuffled_twice(fake.account.events)
    assert deliver(live_server.url + URL, deliveries, concurrency=4) == [200] * len(deliveries)
    membership = membership_of(user)
    assert membership.status == Membership.Status.ACTIVE
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids)) >= 3


@pytest.mark.django_db(transaction=True)
def test_lost_webhooks_are_recovered_by_reconciliation(client, stripe_settings, plans, eager_tasks):
    fake = stripe_settings  # its webhooks go nowhere: every one is lost
    user = UserFactory()
    _checkout_paid(fake, user, plans, client)
    assert membership_of(user).status == Membership.Status.NONE
    assert services.membership_reconcile() == 1
    assert membership_of(user).status == Membership.Status.ACTIVE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_webhook_is_processed_by_a_real_worker(
    client, live_server, stripe_settings, plans, celery_worker
):
    fake = stripe_settings
    fake.webhook_url = live_server.url + URL  # devstripe sends them, as Stripe would
    user = UserFactory()
    _checkout_paid(fake, user, plans, client)
    wait_until(
        lambda: membership_of(user).status == Membership.Status.ACTIVE,
        timeout=60,
        message="the worker never activated the membership",
    )
    assert fake.wait_sent(60)
    wait_until(
        lambda: not StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED).exists(),
        timeout=60,
        message="the worker left events unprocessed",
    )
    assert StripeEvent.objects.filter(status=StripeEvent.Status.PROCESSED).count() >= 3
    assert "billing.tasks.stripe_event_process" in celery_worker.log()


@pytest.mark.django_db(transaction=True)
def test_concurrent_shuffled_duplicated_webhooks_for_many_members_match_stripe(
    client, live_server, stripe_settings, plans, eager_tasks
):
    fake = stripe_settings
    users = [UserFactory() for _ in range(8)]
    subs = [_checkout_paid(fake, user, plans, client) for user in users]
    events = list(fake.account.events)
    events += subscription_change(fake, subs[0], status="canceled")
    events += subscription_change(fake, subs[1], status="past_due")  # a renewal failed
    portal = stripe_gateway.portal_session_create(
        customer_id=membership_of(users[2]).stripe_customer_id,
        return_url=live_server.url + "/healthz",
    )
    portal_press(portal.url, "cancel", subs[2])  # at period end
    events += fake.account.events[-1:]

    deliveries = _shuffled_twice(events)
    assert deliver(live_server.url + URL, deliveries, concurrency=8) == [200] * len(deliveries)
    state = fake.account.subscriptions
    expected = {
        "active": Membership.Status.ACTIVE,
        "canceled": Membership.Status.CANCELED,
        "past_due": Membership.Status.PAST_DUE,
    }
    for user, sub_id in zip(users, subs, strict=True):
        membership = membership_of(user)
        assert membership.status == expected[state[sub_id]["status"]], sub_id
        assert membership.cancel_at_period_end == (
            state[sub_id]["cancel_at_period_end"] and state[sub_id]["status"] != "canceled"
        )
    assert [state[s]["status"] for s in subs[:3]] == ["canceled", "past_due", "active"]
    assert state[subs[2]]["cancel_at_period_end"]
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))
