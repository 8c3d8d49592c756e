"""A webhook body signed with our secret but not shaped like a Stripe event answers 400 and
stores nothing (it answered 500 before)."""

import json
import time

import pytest
import stripe

from billing.models import StripeEvent

URL = "/stripe/webhook/"
SECRET = "whsec_test_malformed"


def post_signed(client, body: str):
    header = stripe.WebhookSignature.generate_signature_header(
        body, SECRET, timestamp=int(time.time())
    )
    return client.post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def event(**changes) -> dict:
    base = {
        "id": "evt_shape_1",
        "object": "event",
        "created": int(time.time()),
        "type": "invoice.paid",
        "data": {"object": {"customer": "cus_shape"}},
    }
    return {**base, **changes}


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps([event()]), id="json-array"),
        pytest.param(json.dumps("evt_shape_1"), id="json-string"),
        pytest.param(json.dumps(event(created="yesterday")), id="created-not-a-number"),
        pytest.param(json.dumps(event(created=10**20)), id="created-out-of-range"),
        pytest.param(json.dumps(event(id="evt_" + "x" * 296)), id="id-300-chars"),
        pytest.param(json.dumps(event(id=12345)), id="id-not-a-string"),
        pytest.param(json.dumps(event(type="invoice." + "p" * 200)), id="type-too-long"),
        pytest.param(json.dumps(event(data=["not", "an", "object"])), id="data-not-an-object"),
        pytest.param(json.dumps(event(data={"object": "cus_shape"})), id="object-not-an-object"),
    ],
)
def test_signed_but_malformed_event_answers_400_and_stores_nothing(client, body):
    response = post_signed(client, body)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_a_well_formed_signed_event_is_still_accepted(client):
    response = post_signed(client, json.dumps(event()))
    assert response.status_code == 200
    assert StripeEvent.objects.get().event_id == "evt_shape_1"
