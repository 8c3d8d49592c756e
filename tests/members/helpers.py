"""Helpers for signing webhook bodies and building Stripe-shaped events in tests."""

import json
import time

import stripe

from billing.models import Membership
from tests.fakes.fixtures import WEBHOOK_SECRET


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """A body and Stripe-Signature header, signed as Stripe signs them."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp or int(time.time())
    )
    return body, header


def event(event_type: str, obj: dict, *, event_id: str = "evt_test_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "type": event_type,
    }


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user)
