"""Stripe in tests: recorded event bodies, signing, delivery, and devstripe on a thread.

The ``*.json`` files here are Stripe event bodies as Stripe sends them (trimmed to the fields a
reader needs). ``recorded()`` loads one with a fresh event id and the test's own ids, ``signed()``
signs a body with the test secret as Stripe does, and ``deliver()`` POSTs signed events to a
running site: in the order given, shuffled, duplicated or concurrently, as the test decides.

For the API calls the site makes (customers, checkout, portal, subscriptions), the
``stripe_settings`` fixture points the app at devstripe, the development stand-in, served on a
thread of the test process: a test reads its objects (``fake.account.customers``...), clicks
its hosted pages like a person (``pay()``, ``portal_press()``), and changes what Stripe would
change on its own (a renewal failing, a period ending) with ``subscription_change()``.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import stripe

from devstripe import DevStripe

HERE = Path(__file__).parent
WEBHOOK_SECRET = "whsec_test_fake_stripe_secret"
API_KEY = "sk_test_fake_stripe_key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The session's devstripe gets its port now, at import, and these go into the environment, so
# that web servers and Celery workers started later as subprocesses call the same devstripe.
SESSION_PORT = int(os.environ.get("GENLIFE_FAKE_STRIPE_PORT") or _free_port())
os.environ.update(
    STRIPE_API_BASE=f"http://127.0.0.1:{SESSION_PORT}",
    STRIPE_SECRET_KEY=API_KEY,
    STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
)

_sequence = iter(range(1, 10**9))


# --- recorded events --------------------------------------------------------------------------
def recorded(event_type: str, *, event_id: str | None = None, **fields) -> dict:
    """The recorded `event_type` body with a fresh id and `fields` set on its object."""
    event = json.loads((HERE / f"{event_type}.json").read_text())
    event["id"] = event_id or f"evt_test_{next(_sequence):06d}_{time.time_ns() % 10**9}"
    event["created"] = int(time.time())
    event["data"]["object"].update(fields)
    return event


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """A body and its Stripe-Signature header, signed as Stripe signs them."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp or int(time.time())
    )
    return body, header


def deliver(url: str, events: list[dict], *, concurrency: int = 1) -> list[int]:
    """Sign and POST each event to `url` once, in the order given; the answers' statuses."""

    def post(event: dict) -> int:
        body, header = signed(event)
        request = urllib.request.Request(
            url,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(post, events))


# --- devstripe --------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def press(url: str, form: dict | None = None) -> str:
    """Submit a form on a devstripe hosted page like a browser; returns the redirect target."""
    opener = urllib.request.build_opener(_NoRedirect)
    data = urllib.parse.urlencode(form or {}).encode()
    try:
        opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.read()
        return exc.headers["Location"]
    raise AssertionError("the hosted page did not redirect")


def pay(checkout_url: str, *, card: str = "4242 4242 4242 4242") -> str:
    """Press Pay on the hosted checkout page; returns where it sends the browser."""
    return press(checkout_url, {"card": card})


def portal_press(portal_url: str, verb: str, subscription_id: str) -> str:
    """Press a button ("cancel", "renew", "update_card") in the hosted billing portal."""
    return press(f"{portal_url}/{verb}", {"subscription": subscription_id})


def subscription_change(fake: DevStripe, subscription_id: str, **changes) -> list[dict]:
    """What Stripe does on its own (a renewal fails, a period ends, an immediate cancellation):
    change the subscription in devstripe's account and return the events Stripe sends for it,
    built from the recorded bodies (not delivered: the test does that)."""
    with fake.lock:
        sub = fake.account.subscriptions[subscription_id]
        sub.update(changes)
        snapshot = copy.deepcopy(sub)
    invoice = {
        "customer": sub["customer"],
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id},
        },
    }
    if snapshot["status"] == "canceled":
        return [recorded("customer.subscription.deleted", **snapshot)]
    events = [recorded("customer.subscription.updated", **snapshot)]
    if "status" in changes and snapshot["status"] == "past_due":
        events.insert(0, recorded("invoice.payment_failed", **invoice))
    elif "status" in changes and snapshot["status"] == "active":
        events.insert(0, recorded("invoice.paid", **invoice))
    return events


@pytest.fixture(scope="session")
def devstripe_server():
    """devstripe on a thread of the test process, for the whole session."""
    server = DevStripe(port=SESSION_PORT, webhook_secret=WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def stripe_settings(settings, devstripe_server):
    """Point the app at devstripe with an empty account; returns the server.

    Webhooks go nowhere unless the test sets ``fake.webhook_url`` (events are still kept in
    ``fake.account.events``)."""
    devstripe_server.reset()
    devstripe_server.webhook_url = None
    settings.STRIPE_API_BASE = devstripe_server.base_url
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield devstripe_server
    devstripe_server.webhook_url = None
    devstripe_server.wait_sent(30)  # none lands in the next test's database


@pytest.fixture
def stripe_failing(settings):
    """Stripe answering every API call with a server error (an outage); the status is set by
    ``stripe_failing.status`` (500 by default)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Failing(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _fail(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"error": {"type": "api_error", "message": "outage"}}).encode()
            self.send_response(server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _fail

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    server.status = 500
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield server
    server.shutdown()
    server.server_close()
