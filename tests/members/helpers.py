"""Helpers for the membership tests."""

from billing.models import Membership
from tests.stripe_events import recorded, signed  # noqa: F401 - used by the tests


def subscription_event(event_id="evt_test_1", customer="cus_unknown", event_type=None) -> dict:
    """A recorded subscription event for `customer` (updated, unless `event_type` says)."""
    return recorded(
        event_type or "customer.subscription.updated",
        event_id=event_id,
        id="sub_123",
        customer=customer,
        status="active",
    )


# The members-only text of the ``gated_article`` fixture (tests/members/conftest.py).
SECRET = "Members learn here which dose worked best in the trial."


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user)
