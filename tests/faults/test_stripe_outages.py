"""Stripe-side faults.

Stripe down during checkout is covered in tests/members/test_checkout.py:
`test_stripe_unreachable_shows_a_clear_message_and_writes_nothing` (nothing listening: the
member is sent back to the join page with "Nothing was charged", no customer or checkout is
written) and `test_stripe_failing_after_the_customer_exists_leaves_no_half_checkout` (the API
answers 500s). Here: webhooks that arrive while the Celery worker is down, and while Redis
(the broker) is down.
"""

import datetime as dt
import signal

import pytest
from django.utils import timezone

from billing.models import Membership, StripeEvent
from genlife.celery import app as celery_app
from tests.factories import UserFactory
from tests.stripe_events import deliver
from tests.utils import wait_until

from .conftest import checkout_paid, welcome_emails

pytestmark = [pytest.mark.worker]

WEBHOOK_PATH = "/stripe/webhook/"


def test_webhooks_while_the_worker_is_down_are_stored_then_processed_when_it_returns(
    stack, billing
):
    fake = billing
    web = stack.web()
    worker = stack.worker()
    worker.stop(signal.SIGKILL)  # the worker dies; web and Redis carry on

    users = [UserFactory() for _ in range(5)]
    subscriptions = [checkout_paid(fake, user) for user in users]
    statuses = deliver(web.base_url + WEBHOOK_PATH, fake.account.events)

    # Every event was acknowledged with a 2xx on its first (only) attempt, and stored,
    # unprocessed.
    assert statuses and all(status in range(200, 300) for status in statuses), statuses
    stored = StripeEvent.objects.all()
    assert stored.count() >= 3 * len(users)
    assert set(stored.values_list("status", flat=True)) == {StripeEvent.Status.RECEIVED}
    assert not Membership.objects.filter(status=Membership.Status.ACTIVE).exists()

    worker.start()
    done = wait_until(
        lambda: not StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED).exists(),
        timeout=60,
        raise_on_timeout=False,
    )
    assert done, "events were left unprocessed:\n" + stack.logs()
    for user, sub_id in zip(users, subscriptions, strict=True):
        membership = Membership.objects.get(user=user)
        assert membership.status == Membership.Status.ACTIVE
        assert membership.stripe_subscription_id == sub_id
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))
    wait_until(
        lambda: len(welcome_emails(stack.mail_dir)) >= len(users),
        timeout=30,
        message="welcome emails missing:\n" + stack.logs(),
    )
    assert sorted(welcome_emails(stack.mail_dir)) == sorted(u.email for u in users)


def test_webhooks_while_redis_is_down_are_acknowledged_kept_and_reconciled_later(stack, billing):
    fake = billing
    web = stack.web()
    worker = stack.worker()
    stack.redis.stop()

    users = [UserFactory() for _ in range(3)]
    for user in users:
        checkout_paid(fake, user)
    statuses = deliver(web.base_url + WEBHOOK_PATH, fake.account.events)
    # Acknowledged on the first attempt, quickly, though no task could be queued.
    assert statuses and all(status in range(200, 300) for status in statuses), statuses
    stored = StripeEvent.objects.all()
    assert stored.count() >= 3 * len(users)
    assert set(stored.values_list("status", flat=True)) == {StripeEvent.Status.RECEIVED}
    assert "was not queued" in web.log()

    stack.redis.start()
    wait_until(
        lambda: "Connected to redis" in worker.log().rsplit("Cannot connect", 1)[-1],
        timeout=60,
        message="the worker did not reconnect:\n" + stack.logs(),
    )
    # Beat's reconciliation (every 15 minutes) re-sends events stored over two minutes ago.
    StripeEvent.objects.update(received=timezone.now() - dt.timedelta(minutes=3))
    with celery_app.connection_for_write(stack.redis.url(0)) as connection:
        celery_app.send_task("billing.tasks.membership_reconcile", connection=connection)
    done = wait_until(
        lambda: not StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED).exists(),
        timeout=60,
        raise_on_timeout=False,
    )
    assert done, "events were left unprocessed:\n" + stack.logs()
    assert all(
        Membership.objects.get(user=user).status == Membership.Status.ACTIVE for user in users
    )
