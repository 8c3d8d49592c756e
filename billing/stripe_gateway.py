"""The one module that talks to Stripe (and the only one that imports ``stripe``).

Every function takes keyword arguments, calls the Stripe API through ``stripe.StripeClient``
and returns plain Python values, so the rest of the app never handles Stripe objects. Failures
come back as the three exceptions below; the message of ``StripeUnavailable`` is written for
a member to read.

Settings: ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET`` and ``STRIPE_API_BASE`` (the fake
server's URL in tests and local runs; Stripe's own URL otherwise).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

import stripe
from django.conf import settings

# Stripe's statuses that still entitle the customer to something; the rest have ended.
LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete")


class StripeGatewayError(Exception):
    """Stripe refused the request (a bug or a configuration problem on our side)."""


class StripeUnavailable(StripeGatewayError):
    """Stripe could not be reached or failed; trying again later may work."""

    def __init__(
        self,
        message: str = "Payments are unavailable right now. Nothing was charged; "
        "please try again in a few minutes.",
    ):
        super().__init__(message)


class StripeNotFound(StripeGatewayError):
    """The object does not exist (or no longer exists) in Stripe; ``param`` names the request
    parameter that pointed at it, when there was one."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class WebhookSignatureInvalid(Exception):
    """The webhook body is unsigned, wrongly signed, too old, not JSON, or (signed, yet) not
    shaped like a Stripe event."""


@dataclass(frozen=True)
class SubscriptionState:
    """What genlife needs to know about one Stripe subscription."""

    id: str
    customer_id: str
    status: str
    price_id: str | None
    plan_key: str | None  # the price's genlife_plan metadata: the plan's lookup key
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    created: int

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


@dataclass(frozen=True)
class RedirectSession:
    id: str
    url: str


@functools.cache
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=(3, 20)),
    )


def _stripe() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise StripeGatewayError("STRIPE_SECRET_KEY is not configured.")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def _translated(func):
    """Turn the stripe library's exceptions into this module's three."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise StripeUnavailable() from exc
        except stripe.APIError as exc:
            raise StripeUnavailable() from exc
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                raise StripeNotFound(exc.user_message or str(exc), exc.param) from exc
            raise StripeGatewayError(exc.user_message or str(exc)) from exc
        except stripe.StripeError as exc:
            raise StripeGatewayError(exc.user_message or str(exc)) from exc

    return wrapper


def _timestamp(value) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def _subscription_state(sub) -> SubscriptionState:
    sub = sub.to_dict()
    items = sub["items"]["data"] if sub.get("items") else []
    first = items[0] if items else None
    # Since API version 2025-03-31 the period lives on the items; older versions had it on the
    # subscription itself. Read the item first and fall back.
    period_end = (first or {}).get("current_period_end") or sub.get("current_period_end")
    customer = sub["customer"]
    return SubscriptionState(
        id=sub["id"],
        customer_id=customer if isinstance(customer, str) else customer["id"],
        status=sub["status"],
        price_id=first["price"]["id"] if first else None,
        plan_key=((first or {}).get("price", {}).get("metadata") or {}).get("genlife_plan"),
        current_period_end=_timestamp(period_end),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        created=int(sub.get("created") or 0),
    )


# --- customers ---------------------------------------------------------------------------------
@_translated
def customer_create(*, email: str, name: str, user_id: int, idempotency_key: str) -> str:
    customer = _stripe().v1.customers.create(
        params={"email": email, "name": name or None, "metadata": {"user_id": str(user_id)}},
        options={"idempotency_key": idempotency_key},
    )
    return customer.id


@_translated
def customer_delete(*, customer_id: str) -> None:
    """Delete the customer (Stripe cancels their subscriptions at once)."""
    try:
        _stripe().v1.customers.delete(customer_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise


# --- catalogue ---------------------------------------------------------------------------------
@_translated
def product_ensure(*, lookup_key: str, name: str, description: str) -> str:
    """The id of the product tagged ``metadata.genlife_product=lookup_key``; created if missing."""
    client = _stripe()
    found = client.v1.products.search(
        params={"query": f"metadata['genlife_product']:'{lookup_key}'"}
    )
    if found.data:
        return found.data[0].id
    product = client.v1.products.create(
        params={
            "name": name,
            "description": description,
            "metadata": {"genlife_product": lookup_key},
        },
        options={"idempotency_key": f"genlife-product-{lookup_key}"},
    )
    return product.id


@_translated
def price_find(*, lookup_key: str) -> dict | None:
    prices = _stripe().v1.prices.list(params={"lookup_keys": [lookup_key], "active": True})
    if not prices.data:
        return None
    price = prices.data[0]
    return {
        "id": price.id,
        "unit_amount": price.unit_amount,
        "currency": price.currency,
        "interval": price.recurring.interval if price.recurring else None,
    }


@_translated
def price_create(
    *, product_id: str, lookup_key: str, unit_amount: int, currency: str, interval: str
) -> str:
    price = _stripe().v1.prices.create(
        params={
            "product": product_id,
            "unit_amount": unit_amount,
            "currency": currency,
            "recurring": {"interval": interval},
            "lookup_key": lookup_key,
            # a new amount takes the key over from the old price, which stays for old subscribers
            "transfer_lookup_key": True,
            "metadata": {"genlife_plan": lookup_key},
        },
        options={"idempotency_key": f"genlife-price-{lookup_key}-{unit_amount}-{currency}"},
    )
    return price.id


# --- checkout and portal -----------------------------------------------------------------------
@_translated
def checkout_session_create(
    *,
    customer_id: str,
    price_id: str,
    client_reference_id: str,
    trial_days: int,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> RedirectSession:
    params: dict = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": client_reference_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "allow_promotion_codes": True,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "subscription_data": {"metadata": {"user_id": client_reference_id}},
    }
    if trial_days:
        params["subscription_data"]["trial_period_days"] = trial_days
    session = _stripe().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return RedirectSession(id=session.id, url=session.url)


@_translated
def portal_session_create(
    *, customer_id: str, return_url: str, update_payment_method: bool = False
) -> RedirectSession:
    params: dict = {"customer": customer_id, "return_url": return_url}
    if update_payment_method:
        params["flow_data"] = {"type": "payment_method_update"}
    session = _stripe().v1.billing_portal.sessions.create(params=params)
    return RedirectSession(id=session.id, url=session.url)


# --- subscriptions -----------------------------------------------------------------------------
@_translated
def subscription_list(*, customer_id: str) -> list[SubscriptionState]:
    """Every subscription of the customer, ended ones included, newest first."""
    subs = _stripe().v1.subscriptions.list(
        params={"customer": customer_id, "status": "all", "limit": 100}
    )
    return sorted(
        (_subscription_state(sub) for sub in subs.data), key=lambda s: s.created, reverse=True
    )


@_translated
def subscription_cancel(*, subscription_id: str) -> None:
    try:
        _stripe().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise


# --- webhooks ----------------------------------------------------------------------------------
def event_construct(*, payload: bytes, signature: str | None) -> dict:
    """Verify the Stripe-Signature header and parse the event (Stripe's 5-minute tolerance)."""
    if not signature or not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookSignatureInvalid("missing signature or secret")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            stripe.Webhook.DEFAULT_TOLERANCE,
        )
        # The verified body, as plain JSON types (the library's objects hold Decimals).
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise WebhookSignatureInvalid(str(exc)) from exc
    if not _event_is_well_formed(event):
        raise WebhookSignatureInvalid("not a Stripe event")
    return event


# The longest values the StripeEvent table stores; Stripe's own ids are far shorter.
EVENT_ID_MAX, EVENT_TYPE_MAX = 255, 100
_LATEST_TIMESTAMP = 253402300799  # 9999-12-31, the last second a datetime can hold


def _event_is_well_formed(event) -> bool:
    """Whether a verified body has the shape every later step relies on: an object with a
    string id and type that fit their columns, an integer ``created`` (when present), and a
    ``data.object`` that is an object."""
    if not isinstance(event, dict):
        return False
    event_id, event_type = event.get("id"), event.get("type")
    created = event.get("created", 0)
    data = event.get("data", {})
    return (
        isinstance(event_id, str)
        and 0 < len(event_id) <= EVENT_ID_MAX
        and isinstance(event_type, str)
        and 0 < len(event_type) <= EVENT_TYPE_MAX
        and isinstance(created, int)
        and not isinstance(created, bool)
        and 0 <= created <= _LATEST_TIMESTAMP
        and isinstance(data, dict)
        and isinstance(data.get("object", {}), dict)
    )
