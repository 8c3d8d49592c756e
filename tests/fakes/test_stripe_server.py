"""The fake Stripe server, driven through the real ``stripe`` library as the app drives it."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.fakes.fixtures import API_KEY, WEBHOOK_SECRET, start_fake_stripe, stop_fake_stripe


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, form: dict | None = None) -> tuple[int, dict, str]:
    data = urllib.parse.urlencode(form or {}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


class Receiver:
    """A webhook endpoint that verifies every delivery with stripe.Webhook.construct_event."""

    def __init__(self, *, failures: int = 0):
        self.events: list = []
        self.raw: list[tuple[str, str]] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                signature = self.headers.get("Stripe-Signature")
                receiver.raw.append((signature, body))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    status = 500
                else:
                    receiver.events.append(
                        stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
                    )
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"

    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def wait_for(self, *types: str, timeout: float = 10) -> None:
        """Wait until each named type has arrived (as many times as it is named)."""

        def missing():
            seen = self.types()
            return [t for t in set(types) if seen.count(t) < types.count(t)]

        deadline = time.monotonic() + timeout
        while missing() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not missing(), self.types()


@pytest.fixture
def receiver(fake_stripe):
    receiver = Receiver()
    fake_stripe.control.webhooks(url=receiver.url)
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def client(fake_stripe) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": fake_stripe.base_url})


@pytest.fixture
def price(client):
    product = client.v1.products.create(params={"name": "genlife membership"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "lookup_key": "genlife_monthly",
            "metadata": {"plan": "monthly"},
        }
    )


def checkout(client, fake_stripe, price, **extra):
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    params = {
        "mode": "subscription",
        "customer": customer.id,
        "client_reference_id": "42",
        "line_items": [{"price": price.id, "quantity": 1}],
        "allow_promotion_codes": True,
        "success_url": "http://site.test/join/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://site.test/join/cancelled/",
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)


def test_customers_are_created_found_by_email_and_updated(client):
    created = client.v1.customers.create(
        params={"email": "ada@example.com", "metadata": {"user_id": "7"}}
    )
    assert created.id.startswith("cus_") and created.object == "customer"
    assert client.v1.customers.list(params={"email": "ada@example.com"}).data[0].id == created.id
    found = client.v1.customers.search(params={"query": "metadata['user_id']:'7'"})
    assert [c.id for c in found.data] == [created.id]
    updated = client.v1.customers.update(created.id, params={"name": "Ada"})
    assert updated.name == "Ada"
    assert client.v1.customers.retrieve(created.id).name == "Ada"


def test_module_level_api_base_works_too(fake_stripe):
    stripe.api_key, stripe.api_base = API_KEY, fake_stripe.base_url
    try:
        customer = stripe.Customer.create(email="grace@example.com")
        assert stripe.Customer.retrieve(customer.id).email == "grace@example.com"
    finally:
        stripe.api_key, stripe.api_base = None, stripe.DEFAULT_API_BASE


def test_prices_are_listed_by_lookup_key_and_searched_by_metadata(client, price):
    assert price.id.startswith("price_") and price.product.startswith("prod_")
    listed = client.v1.prices.list(params={"lookup_keys": ["genlife_monthly"], "active": True})
    assert [p.id for p in listed.data] == [price.id]
    searched = client.v1.prices.search(params={"query": "metadata['plan']:'monthly'"})
    assert [p.id for p in searched.data] == [price.id]
    expanded = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert expanded.product.name == "genlife membership"


def test_wrong_api_key_is_an_authentication_error(fake_stripe):
    client = stripe.StripeClient("sk_live_nope", base_addresses={"api": fake_stripe.base_url})
    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.list()


def test_invalid_request_names_the_parameter(client, fake_stripe):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": "price_missing", "quantity": 1}],
                "success_url": "http://site.test/",
            }
        )
    assert excinfo.value.param == "line_items[0][price]"
    assert excinfo.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.retrieve("sub_missing")


def test_idempotency_key_replays_the_first_answer(client):
    options = {"idempotency_key": "user-1-customer"}
    first = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    again = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    assert first.id == again.id
    assert len(client.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "b@example.com"}, options=options)


def test_paying_on_the_hosted_page_creates_the_subscription_and_signed_webhooks(
    client, fake_stripe, price, receiver
):
    session = checkout(client, fake_stripe, price)
    assert session.id.startswith("cs_") and session.status == "open"
    assert session.url == f"{fake_stripe.base_url}/checkout/{session.id}"

    status, _, page = http("GET", session.url)
    assert status == 200 and "Pay</button>" in page and "http://site.test/join/cancelled/" in page

    status, headers, _ = http("POST", session.url, {"card": "4242 4242 4242 4242"})
    assert status == 303
    assert headers["Location"] == f"http://site.test/join/success/?session_id={session.id}"

    receiver.wait_for("checkout.session.completed", "customer.subscription.created", "invoice.paid")
    completed = next(e for e in receiver.events if e.type == "checkout.session.completed")
    assert completed.data.object.client_reference_id == "42"
    assert completed.id.startswith("evt_")

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert done.status == "complete" and done.payment_status == "paid"
    sub = done.subscription
    assert sub.id.startswith("sub_") and sub.status == "active"
    assert sub.current_period_end > time.time() + 27 * 86400
    assert sub["items"].data[0].current_period_end == sub.current_period_end
    assert client.v1.invoices.retrieve(sub.latest_invoice).status == "paid"

    status, headers, _ = http("POST", session.url)  # a second click never charges twice
    assert status == 303
    assert len(client.v1.subscriptions.list(params={"customer": sub.customer}).data) == 1


def test_signature_header_has_the_stripe_format(client, fake_stripe, price, receiver):
    fake_stripe.control.pay_checkout(checkout(client, fake_stripe, price).id)
    receiver.wait_for("invoice.paid")
    signature, body = receiver.raw[0]
    timestamp, v1 = (part.split("=", 1) for part in signature.split(","))
    assert timestamp[0] == "t" and abs(int(timestamp[1]) - time.time()) < 30
    assert v1[0] == "v1" and len(v1[1]) == 64
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_other")


def test_trial_days_make_a_trialing_subscription(client, fake_stripe, price):
    session = checkout(client, fake_stripe, price, subscription_data={"trial_period_days": 14})
    fake_stripe.control.pay_checkout(session.id)
    sub = client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )
    assert sub.status == "trialing"
    assert sub.trial_end == sub.current_period_end
    assert 13 * 86400 < sub.trial_end - time.time() <= 14 * 86400


def test_declined_card_shows_an_error_and_creates_nothing(client, fake_stripe, price):
    session = checkout(client, fake_stripe, price)
    status, _, page = http("POST", session.url, {"card": "4000 0000 0000 0002"})
    assert status == 402 and "Your card was declined." in page
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.subscriptions.list().data == []


def test_portal_cancel_then_period_end_cancels_the_subscription(
    client, fake_stripe, price, receiver
):
    session = checkout(client, fake_stripe, price)
    fake_stripe.control.pay_checkout(session.id)
    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    customer = client.v1.subscriptions.retrieve(sub_id).customer
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": "http://site.test/account/"}
    )
    assert portal.id.startswith("bps_") and portal.url.endswith(f"/portal/{portal.id}")

    status, _, page = http("GET", portal.url)
    assert status == 200 and "Cancel subscription" in page
    status, headers, _ = http("POST", f"{portal.url}/cancel", {"subscription": sub_id})
    assert status == 303 and headers["Location"] == "http://site.test/account/"
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub.cancel_at_period_end is True and sub.status == "active"

    fake_stripe.control.advance_clock(subscription=sub_id)
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    assert client.v1.subscriptions.list(params={"customer": customer}).data == []
    receiver.wait_for("customer.subscription.updated", "customer.subscription.deleted")


def test_failed_payment_then_new_card_recovers(client, fake_stripe, price, receiver):
    session = checkout(client, fake_stripe, price)
    fake_stripe.control.pay_checkout(session.id)
    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    fake_stripe.control.fail_payment(sub_id)
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    fake_stripe.control.call("POST", f"subscriptions/{sub_id}/pay")
    assert client.v1.subscriptions.retrieve(sub_id).status == "active"
    receiver.wait_for("invoice.payment_failed", "invoice.paid", "invoice.paid")
    assert receiver.types().count("invoice.paid") == 2


def test_renewal_failure_marks_past_due_and_then_cancels(client, fake_stripe, price, receiver):
    session = checkout(client, fake_stripe, price)
    fake_stripe.control.pay_checkout(session.id)
    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    fake_stripe.control.fail_next_invoice()
    fake_stripe.control.advance_clock(subscription=sub_id)
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    fake_stripe.control.advance_clock(subscription=sub_id)
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"


def test_cancel_through_the_api_sends_subscription_deleted(client, fake_stripe, price, receiver):
    session = checkout(client, fake_stripe, price)
    fake_stripe.control.pay_checkout(session.id)
    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    assert client.v1.subscriptions.cancel(sub_id).status == "canceled"
    receiver.wait_for("customer.subscription.deleted")


def test_held_webhooks_are_released_in_reverse_and_duplicated(client, fake_stripe, price, receiver):
    session = checkout(client, fake_stripe, price)
    assert fake_stripe.control.wait_for_webhooks(10)
    receiver.events.clear()
    fake_stripe.control.webhooks(mode="hold")
    fake_stripe.control.pay_checkout(session.id)
    time.sleep(0.3)
    assert receiver.events == []
    fake_stripe.control.release(order="reverse", duplicate=True)
    receiver.wait_for(
        *(["checkout.session.completed", "customer.subscription.created", "invoice.paid"] * 2)
    )
    assert fake_stripe.control.wait_for_webhooks(5)
    ids = [e.id for e in receiver.events]
    assert len(ids) == 2 * len(set(ids))
    assert receiver.types()[:2] == ["invoice.paid"] * 2  # the newest event arrived first


def test_dropped_webhooks_are_never_sent(client, fake_stripe, price, receiver):
    session = checkout(client, fake_stripe, price)
    assert fake_stripe.control.wait_for_webhooks(5)
    fake_stripe.control.webhooks(mode="drop")
    fake_stripe.control.pay_checkout(session.id)
    assert fake_stripe.control.wait_for_webhooks(5)
    time.sleep(0.2)
    assert "invoice.paid" not in receiver.types()
    assert {e["type"] for e in fake_stripe.control.events()} >= {"invoice.paid"}


def test_failed_deliveries_are_retried(client, fake_stripe, price, receiver):
    receiver.failures = 2
    fake_stripe.control.pay_checkout(checkout(client, fake_stripe, price).id)
    receiver.wait_for(
        "checkout.session.completed", "customer.subscription.created", "invoice.paid", timeout=15
    )
    assert fake_stripe.control.wait_for_webhooks(15)
    assert len(receiver.raw) == len(receiver.events) + 2
    attempts = [a for e in fake_stripe.control.events() for a in e["attempts"]]
    assert attempts.count(500) == 2 and all(not e["pending"] for e in fake_stripe.control.events())


def test_state_file_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    fake = start_fake_stripe(extra_args=["--state-file", str(state)])
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.base_url})
        customer = client.v1.customers.create(params={"email": "kept@example.com"})
    finally:
        stop_fake_stripe(fake)
    fake = start_fake_stripe(extra_args=["--state-file", str(state)])
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.base_url})
        assert client.v1.customers.retrieve(customer.id).email == "kept@example.com"
    finally:
        stop_fake_stripe(fake)


def test_simulated_api_errors_surface_as_stripe_api_errors(client, fake_stripe):
    fake_stripe.control.api_errors(count=1, status=500)
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    assert client.v1.customers.list().data == []


def test_undelivered_webhooks_survive_a_restart_with_a_state_file(tmp_path):
    state = tmp_path / "state.json"
    fake = start_fake_stripe(extra_args=["--state-file", str(state)])  # no webhook URL yet
    try:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.base_url})
        product = client.v1.products.create(params={"name": "genlife membership"})
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "eur",
                "unit_amount": 600,
                "recurring": {"interval": "month"},
            }
        )
        session = checkout(client, fake, price)
        fake.control.pay_checkout(session.id)
    finally:
        stop_fake_stripe(fake)
    receiver = Receiver()
    fake = start_fake_stripe(webhook_url=receiver.url, extra_args=["--state-file", str(state)])
    try:
        receiver.wait_for(
            "checkout.session.completed", "customer.subscription.created", "invoice.paid"
        )
        assert fake.control.wait_for_webhooks(10)
        assert not any(e["pending"] for e in fake.control.events())
    finally:
        stop_fake_stripe(fake)
        receiver.server.shutdown()


def test_delay_and_reorder_modes_still_deliver_everything(client, fake_stripe, price, receiver):
    fake_stripe.control.webhooks(mode="delay", delay=0.6)
    started = time.monotonic()
    fake_stripe.control.pay_checkout(checkout(client, fake_stripe, price).id)
    receiver.wait_for("invoice.paid")
    assert time.monotonic() - started >= 0.6

    fake_stripe.control.webhooks(mode="reorder", window=0.5)
    fake_stripe.control.pay_checkout(checkout(client, fake_stripe, price).id)
    receiver.wait_for(
        "invoice.paid", "invoice.paid", "checkout.session.completed", "checkout.session.completed"
    )
    assert fake_stripe.control.wait_for_webhooks(10)
