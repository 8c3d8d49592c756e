"""pytest fixtures that run the fake Stripe server as a subprocess.

``fake_stripe_server`` starts one server per test session on a free port; ``fake_stripe``
hands each test the same server with its state reset and webhooks back in normal mode.
Import both into a conftest: ``from tests.fakes.fixtures import fake_stripe, fake_stripe_server``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_test_fake_stripe_secret"
API_KEY = "sk_test_fake_stripe_key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The session's server gets its port now, at import, and the variables below go into the
# environment, so that a Celery worker subprocess started later in the session (which reads
# its settings from the environment) talks to the same fake as the tests do.
SESSION_PORT = int(os.environ.get("GENLIFE_FAKE_STRIPE_PORT") or _free_port())
SESSION_ENV = {
    "STRIPE_API_BASE": f"http://127.0.0.1:{SESSION_PORT}",
    "STRIPE_SECRET_KEY": API_KEY,
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
os.environ.update(SESSION_ENV)


class FakeStripeControl:
    """Thin client for the server's ``/_control/`` endpoints."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def call(self, method: str, name: str, body: dict | None = None):
        request = urllib.request.Request(
            f"{self.base_url}/_control/{name}",
            data=json.dumps(body or {}).encode() if method == "POST" else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"control {name} failed: {exc.code} {exc.read()!r}") from None

    def reset(self):
        return self.call("POST", "reset")

    def state(self) -> dict:
        return self.call("GET", "state")

    def webhooks(self, **settings):
        """Set the endpoint (url, secret) and/or the delivery mode; see the server's --help."""
        return self.call("POST", "webhooks", settings)

    def release(self, *, order: str = "fifo", duplicate: bool = False, concurrency: int = 1):
        return self.call(
            "POST",
            "webhooks/release",
            {"order": order, "duplicate": duplicate, "concurrency": concurrency},
        )

    def wait_for_webhooks(self, timeout: float = 30) -> bool:
        return self.call("POST", "webhooks/wait", {"timeout": timeout})["idle"]

    def events(self) -> list[dict]:
        return self.call("GET", "events")["data"]

    def event(self, event_id: str) -> dict:
        return self.call("GET", f"events/{event_id}")

    def pay_checkout(self, session_id: str, card: str = "4242424242424242") -> dict:
        return self.call("POST", f"checkout/{session_id}/pay", {"card": card})

    def advance_clock(self, *, seconds: int = 0, subscription: str | None = None) -> dict:
        body: dict = {"seconds": seconds}
        if subscription:
            body["subscription"] = subscription
        return self.call("POST", "clock/advance", body)

    def fail_payment(self, subscription: str) -> dict:
        return self.call("POST", f"subscriptions/{subscription}/fail_payment")

    def fail_next_invoice(self, customer: str | None = None) -> dict:
        return self.call("POST", "invoices/fail_next", {"customer": customer} if customer else {})

    def api_errors(self, *, count: int, status: int = 500) -> dict:
        return self.call("POST", "api_errors", {"count": count, "status": status})


@dataclass
class FakeStripe:
    base_url: str
    control: FakeStripeControl
    webhook_secret: str = WEBHOOK_SECRET
    api_key: str = API_KEY
    process: subprocess.Popen | None = None


def start_fake_stripe(
    *,
    webhook_url: str | None = None,
    extra_args: list[str] | None = None,
    log_path: Path | None = None,
    port: int = 0,
) -> FakeStripe:
    """Start ``python -m tests.fakes.stripe_server`` (on a free port unless one is given) and
    wait until it listens."""
    args = [
        sys.executable,
        "-m",
        "tests.fakes.stripe_server",
        "--port",
        str(port),
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--webhook-retry-base",
        "0.2",
        *(extra_args or []),
    ]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    if log_path:
        with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                args, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True
            )
    else:
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    deadline = time.monotonic() + 20
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("FAKE_STRIPE_READY") or process.poll() is not None:
            break
    if not line.startswith("FAKE_STRIPE_READY"):
        process.kill()
        raise RuntimeError(f"fake Stripe server did not start: {line!r}")
    base_url = line.split()[1]
    return FakeStripe(base_url=base_url, control=FakeStripeControl(base_url), process=process)


def stop_fake_stripe(fake: FakeStripe) -> None:
    if fake.process and fake.process.poll() is None:
        fake.process.terminate()
        try:
            fake.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fake.process.kill()
            fake.process.wait()


@pytest.fixture(scope="session")
def fake_stripe_server(tmp_path_factory):
    """One fake Stripe process for the whole session."""
    fake = start_fake_stripe(
        port=SESSION_PORT, log_path=tmp_path_factory.mktemp("fake_stripe") / "server.log"
    )
    yield fake
    stop_fake_stripe(fake)


@pytest.fixture
def fake_stripe(fake_stripe_server):
    """The session's fake Stripe with its state reset; set ``control.webhooks(url=...)``."""
    fake_stripe_server.control.reset()
    fake_stripe_server.control.webhooks(url="", secret=WEBHOOK_SECRET, mode="normal")
    yield fake_stripe_server
    fake_stripe_server.control.webhooks(url="", mode="normal")
