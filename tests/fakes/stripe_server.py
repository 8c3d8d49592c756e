"""A small stateful fake of the Stripe API, hosted Checkout and Customer Portal, for loopback use.

Run it beside the site when no real Stripe key is configured:

    python -m tests.fakes.stripe_server --port 12111 \\
        --webhook-url http://127.0.0.1:8000/stripe/webhook/ --webhook-secret whsec_local \\
        [--state-file .data/fake_stripe.json] [--public-url http://127.0.0.1:12111]

and point the app at it with STRIPE_API_BASE=http://127.0.0.1:12111 and any sk_test_ key.
With ``--port 0`` it picks a free port; either way it prints ``FAKE_STRIPE_READY <base url>``
once it is listening.

What it covers (the calls genlife makes through the real ``stripe`` library): customers
(create, retrieve, update, delete, list by email, search), products and prices (create,
retrieve, update, list filtered by lookup_keys/product/active, search by metadata), Checkout
Sessions in subscription mode (create, retrieve, list, expire, line_items), billing portal
sessions, subscriptions (retrieve, list, update cancel_at_period_end/metadata, cancel),
invoices and events (retrieve, list). Request bodies are form-encoded as Stripe's are,
``Idempotency-Key`` is honoured, and errors come back in Stripe's JSON shape.

Hosted pages: ``/checkout/<cs_id>`` (Pay / Cancel) and ``/portal/<bps_id>`` (cancel at period
end, renew, update card, simulate a failed payment). Webhooks are signed as Stripe signs them
and delivered by background threads with retries.

Test-only controls live under ``/_control/`` (no auth; loopback only): see ``CONTROL_ROUTES``.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.stripe_state import FakeStripe, StripeError, WebhookDispatcher, new_id, to_bool

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\]]*\])*)$")
_SEARCH_CLAUSE_RE = re.compile(r"""(\w+(?:\[['"][^'"]+['"]\])?)\s*:\s*['"]([^'"]*)['"]""")
_CURRENCY = {"usd": "$", "eur": "€", "gbp": "£"}


def parse_params(pairs: list[tuple[str, str]]) -> dict:
    """Turn Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if not match:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        node = root
        for index, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if index == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise StripeError(f"Invalid nesting for parameter {key}", param=key)
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def search_matches(obj: dict, query: str) -> bool:
    """A subset of Stripe's search language: ``field:'v'`` clauses joined by AND."""
    clauses = _SEARCH_CLAUSE_RE.findall(query)
    if not clauses:
        raise StripeError(f"Invalid search query: {query}", param="query")
    for field, expected in clauses:
        meta = re.match(r"""metadata\[['"]([^'"]+)['"]\]""", field)
        if meta:
            actual = obj.get("metadata", {}).get(meta.group(1))
        else:
            actual = obj.get(field)
        if isinstance(actual, bool):
            actual = str(actual).lower()
        if actual is None or str(actual).lower() != expected.lower():
            return False
    return True


def money(amount: int, currency: str) -> str:
    symbol = _CURRENCY.get(currency, currency.upper() + " ")
    return f"{symbol}{amount / 100:,.2f}"


class FakeStripeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, *, stripe: FakeStripe | None = None, verbose: bool = False):
        super().__init__(address, Handler)
        self.stripe = stripe
        self.verbose = verbose


class Handler(BaseHTTPRequestHandler):
    server: FakeStripeServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add about 40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    # --- dispatch ------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length).decode() if length else ""
        self.query = parse_params(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        stripe = self.server.stripe
        try:
            if path.startswith("/v1/"):
                self._api(method, path)
            elif path.startswith("/_control/"):
                self._control(method, path)
            elif path.startswith(("/checkout/", "/portal/", "/invoice/")):
                with stripe.lock:
                    self._hosted(method, path)
            elif path == "/favicon.ico":
                self._send(204, b"", "image/x-icon")
            else:
                raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        except StripeError as exc:
            if path.startswith(("/checkout/", "/portal/", "/invoice/")):
                self._page(exc.status, "Something went wrong", f"<p>{html.escape(exc.message)}</p>")
            else:
                self._json(exc.status, exc.to_dict())

    # --- the API -------------------------------------------------------------------------
    def _api(self, method: str, path: str) -> None:
        stripe = self.server.stripe
        api_key = self._api_key()
        if not api_key or not api_key.startswith("sk_test_"):
            shown = (api_key[:8] + "*" * 4) if api_key else ""
            raise StripeError(
                f"Invalid API Key provided: {shown}"
                if api_key
                else "You did not provide an API key.",
                status=401,
            )
        params = self.query
        if method == "POST":
            params = parse_params(urllib.parse.parse_qsl(self.body, keep_blank_values=True))
        with stripe.lock:
            if stripe.api_errors:
                status = stripe.api_errors.pop(0)
                raise StripeError(
                    "An unexpected error occurred (simulated).", status=status, type="api_error"
                )
            key = self.headers.get("Idempotency-Key")
            if method == "POST" and key:
                slot = f"{api_key}:{key}"
                fingerprint = f"{method} {path} {self.body}"
                stored = stripe.data["idempotency"].get(slot)
                if stored:
                    if stored["fingerprint"] != fingerprint:
                        raise StripeError(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            type="idempotency_error",
                        )
                    self._json(stored["status"], stored["body"], {"Idempotent-Replayed": "true"})
                    return
                try:
                    status, body = 200, self._route(method, path, params)
                except StripeError as exc:
                    if exc.status >= 500:
                        raise
                    status, body = exc.status, exc.to_dict()
                stripe.data["idempotency"][slot] = {
                    "fingerprint": fingerprint,
                    "status": status,
                    "body": body,
                }
            else:
                status, body = 200, self._route(method, path, params)
            if method != "GET":
                stripe.save()
        self._json(status, body)

    def _api_key(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:].strip()
        if header.startswith("Basic "):
            try:
                return base64.b64decode(header[6:]).decode().split(":")[0]
            except ValueError:
                return None
        return None

    def _route(self, method: str, path: str, params: dict) -> dict:
        stripe = self.server.stripe
        data = stripe.data
        parts = path.split("/")[2:]  # after /v1/
        expand = _as_list(params.pop("expand", None))
        limit, after = params.get("limit"), params.get("starting_after")

        def listed(items, url):
            listing = stripe.list_of(items, url, limit=limit, starting_after=after)
            return stripe.expand(listing, expand)

        def searched(collection, url):
            query = params.get("query") or ""
            hits = [o for o in stripe.newest_first(collection) if search_matches(o, query)]
            result = stripe.list_of(hits, url, limit=limit)
            result.update(object="search_result", next_page=None)
            return stripe.expand(result, expand)

        one = lambda obj: stripe.expand(obj, expand)
        head, rest = parts[0], parts[1:]
        if head == "checkout" and rest and rest[0] == "sessions":
            head, rest = "checkout_sessions", rest[1:]
        elif head == "billing_portal" and rest and rest[0] == "sessions":
            head, rest = "portal_sessions", rest[1:]
        route = (method, head, len(rest))

        if head == "customers":
            if route == ("POST", "customers", 0):
                return one(stripe.customer_create(params))
            if route == ("GET", "customers", 0):
                items = stripe.newest_first("customers")
                if params.get("email"):
                    items = [
                        c for c in items if (c["email"] or "").lower() == params["email"].lower()
                    ]
                return listed(items, "/v1/customers")
            if rest == ["search"] and method == "GET":
                return searched("customers", "/v1/customers/search")
            if route == ("GET", "customers", 1):
                return one(stripe.get("customers", rest[0], kind="customer"))
            if route == ("POST", "customers", 1):
                return one(stripe.customer_update(rest[0], params))
            if route == ("DELETE", "customers", 1):
                return stripe.customer_delete(rest[0])
        if head == "products":
            if route == ("POST", "products", 0):
                return one(stripe.product_create(params))
            if route == ("GET", "products", 0):
                items = stripe.newest_first("products")
                if "active" in params:
                    items = [p for p in items if p["active"] == to_bool(params["active"])]
                ids = _as_list(params.get("ids"))
                if ids:
                    items = [p for p in items if p["id"] in ids]
                return listed(items, "/v1/products")
            if rest == ["search"] and method == "GET":
                return searched("products", "/v1/products/search")
            if route == ("GET", "products", 1):
                return one(stripe.get("products", rest[0], kind="product"))
            if route == ("POST", "products", 1):
                return one(stripe.product_update(rest[0], params))
        if head == "prices":
            if route == ("POST", "prices", 0):
                return one(stripe.price_create(params))
            if route == ("GET", "prices", 0):
                items = stripe.newest_first("prices")
                keys = _as_list(params.get("lookup_keys"))
                if keys:
                    items = [p for p in items if p["lookup_key"] in keys]
                if params.get("product"):
                    items = [p for p in items if p["product"] == params["product"]]
                if "active" in params:
                    items = [p for p in items if p["active"] == to_bool(params["active"])]
                if params.get("type"):
                    items = [p for p in items if p["type"] == params["type"]]
                return listed(items, "/v1/prices")
            if rest == ["search"] and method == "GET":
                return searched("prices", "/v1/prices/search")
            if route == ("GET", "prices", 1):
                return one(stripe.get("prices", rest[0], kind="price"))
            if route == ("POST", "prices", 1):
                return one(stripe.price_update(rest[0], params))
        if head == "checkout_sessions":
            if route == ("POST", "checkout_sessions", 0):
                return one(stripe.checkout_session_create(params))
            if route == ("GET", "checkout_sessions", 0):
                items = stripe.newest_first("checkout_sessions")
                for field in ("customer", "subscription", "status"):
                    if params.get(field):
                        items = [s for s in items if s[field] == params[field]]
                return listed(items, "/v1/checkout/sessions")
            if route == ("GET", "checkout_sessions", 1):
                return one(stripe.get("checkout_sessions", rest[0], kind="checkout.session"))
            if method == "GET" and len(rest) == 2 and rest[1] == "line_items":
                stripe.get("checkout_sessions", rest[0], kind="checkout.session")
                url = f"/v1/checkout/sessions/{rest[0]}/line_items"
                return listed(data["line_items"].get(rest[0], []), url)
            if method == "POST" and len(rest) == 2 and rest[1] == "expire":
                return one(stripe.checkout_session_expire(rest[0]))
        if route == ("POST", "portal_sessions", 0):
            return stripe.portal_session_create(params)
        if head == "subscriptions":
            if route == ("GET", "subscriptions", 0):
                items = stripe.newest_first("subscriptions")
                status = params.get("status")
                if status and status != "all":
                    items = [s for s in items if s["status"] == status]
                elif not status:
                    items = [
                        s for s in items if s["status"] not in ("canceled", "incomplete_expired")
                    ]
                if params.get("customer"):
                    items = [s for s in items if s["customer"] == params["customer"]]
                if params.get("price"):
                    items = [
                        s
                        for s in items
                        if any(i["price"]["id"] == params["price"] for i in s["items"]["data"])
                    ]
                return listed(items, "/v1/subscriptions")
            if route == ("GET", "subscriptions", 1):
                return one(stripe.get("subscriptions", rest[0], kind="subscription"))
            if route == ("POST", "subscriptions", 1):
                return one(stripe.subscription_update(rest[0], params))
            if route == ("DELETE", "subscriptions", 1):
                return one(stripe.subscription_cancel(rest[0]))
        if head == "invoices":
            if route == ("GET", "invoices", 0):
                items = stripe.newest_first("invoices")
                for field in ("customer", "subscription", "status"):
                    if params.get(field):
                        items = [i for i in items if i[field] == params[field]]
                return listed(items, "/v1/invoices")
            if route == ("GET", "invoices", 1):
                return one(stripe.get("invoices", rest[0], kind="invoice"))
        if head == "events":
            if route == ("GET", "events", 0):
                items = stripe.newest_first("events")
                if params.get("type"):
                    items = [e for e in items if e["type"] == params["type"]]
                return listed(items, "/v1/events")
            if route == ("GET", "events", 1):
                return stripe.get("events", rest[0], kind="event")
        raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)

    # --- test controls -------------------------------------------------------------------
    def _control(self, method: str, path: str) -> None:
        stripe, hooks = self.server.stripe, self.server.stripe.webhooks
        body = json.loads(self.body) if self.body.strip() else {}
        if not isinstance(body, dict):
            raise StripeError("Control requests take a JSON object.")
        name = path[len("/_control/") :]
        with stripe.lock:
            result = self._control_locked(method, name, body, stripe, hooks)
        if result is None:
            if (method, name) == ("POST", "webhooks/wait"):
                idle = hooks.wait_idle(float(body.get("timeout", 10)))
                result = {"idle": idle, **hooks.describe()}
            else:
                raise StripeError(f"Unknown control {method} {path}", status=404)
        self._json(200, result)

    def _control_locked(self, method, name, body, stripe: FakeStripe, hooks: WebhookDispatcher):
        match (method, name.split("/")):
            case ("GET", ["health"]):
                return {"ok": True, "now": stripe.now()}
            case ("POST", ["reset"]):
                stripe.reset()
                return {"ok": True}
            case ("GET", ["state"]):
                return stripe.data
            case ("POST", ["clock", "advance"]):
                seconds = int(body.get("seconds", 0))
                if body.get("subscription"):
                    sub = stripe.get("subscriptions", body["subscription"], kind="subscription")
                    seconds = max(seconds, sub["current_period_end"] - stripe.now() + 1)
                result = stripe.advance_clock(seconds)
                stripe.save()
                return result
            case ("POST", ["invoices", "fail_next"]):
                stripe.data["fail_next_invoice"].append(body.get("customer") or "*")
                stripe.save()
                return {"fail_next_invoice": stripe.data["fail_next_invoice"]}
            case ("POST", ["subscriptions", sub_id, "fail_payment"]):
                result = stripe.subscription_fail_payment(sub_id)
                stripe.save()
                return result
            case ("POST", ["subscriptions", sub_id, "pay"]):
                result = stripe.subscription_pay_open_invoices(sub_id)
                stripe.save()
                return result
            case ("POST", ["checkout", session_id, "pay"]):
                result = stripe.checkout_session_pay(
                    session_id, card=body.get("card", "4242424242424242")
                )
                stripe.save()
                return result
            case ("POST", ["api_errors"]):
                stripe.api_errors[:] = [int(body.get("status", 500))] * int(body.get("count", 1))
                return {"api_errors": len(stripe.api_errors)}
            case ("GET", ["webhooks"]):
                return hooks.describe()
            case ("POST", ["webhooks"]):
                return hooks.configure(**body)
            case ("POST", ["webhooks", "release"]):
                released = hooks.release(
                    order=body.get("order", "fifo"),
                    duplicate=to_bool(body.get("duplicate", False)),
                    concurrency=int(body.get("concurrency", 1)),
                )
                return {"released": released}
            case ("POST", ["webhooks", "resend"]):
                event = stripe.get("events", body.get("event", ""), kind="event")
                hooks.submit(event)
                return {"resent": event["id"]}
            case ("GET", ["events"]):
                attempts: dict[str, list] = {}
                for row in list(hooks.log):
                    attempts.setdefault(row["event"], []).append(row["outcome"])
                return {
                    "data": [
                        {
                            "id": e["id"],
                            "type": e["type"],
                            "created": e["created"],
                            "object_id": e["data"]["object"].get("id"),
                            "pending": e["id"] in stripe.data["pending_webhooks"],
                            "attempts": attempts.get(e["id"], []),
                        }
                        for e in stripe.data["events"].values()
                    ]
                }
            case ("GET", ["events", event_id]):
                return stripe.get("events", event_id, kind="event")
        return None

    # --- hosted pages --------------------------------------------------------------------
    def _hosted(self, method: str, path: str) -> None:
        stripe = self.server.stripe
        kind, object_id, *action = path.strip("/").split("/")
        form = parse_params(urllib.parse.parse_qsl(self.body, keep_blank_values=True))
        if kind == "checkout":
            session = stripe.get("checkout_sessions", object_id, kind="checkout.session")
            if method == "POST":
                try:
                    session = stripe.checkout_session_pay(object_id, card=form.get("card", ""))
                except StripeError as exc:
                    if exc.type != "card_error":
                        raise
                    return self._checkout_page(session, error=exc.message, status=402)
                finally:
                    stripe.save()
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                return self._redirect(target)
            if session["status"] == "complete":
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                return self._page(
                    200,
                    "Already paid",
                    f'<p>This checkout is complete.</p><p><a href="{html.escape(target)}">'
                    "Continue</a></p>",
                )
            return self._checkout_page(session)
        if kind == "portal":
            portal = stripe.get("portal_sessions", object_id, kind="billing_portal.session")
            if method == "POST":
                sub_id = form.get("subscription", "")
                owned = stripe.get("subscriptions", sub_id, kind="subscription")
                if owned["customer"] != portal["customer"]:
                    raise StripeError("That subscription belongs to another customer.", status=403)
                verb = action[0] if action else ""
                if verb == "cancel":
                    stripe.subscription_update(sub_id, {"cancel_at_period_end": "true"})
                elif verb == "renew":
                    stripe.subscription_update(sub_id, {"cancel_at_period_end": "false"})
                elif verb == "update_card":
                    stripe.subscription_pay_open_invoices(sub_id)
                elif verb == "fail_payment":
                    stripe.subscription_fail_payment(sub_id)
                else:
                    raise StripeError("Unknown portal action.", status=404)
                stripe.save()
                return self._redirect(portal["return_url"] or f"/portal/{object_id}")
            return self._portal_page(portal)
        invoice = stripe.get("invoices", object_id, kind="invoice")
        return self._page(
            200,
            f"Invoice {invoice['id']}",
            f"<p>{money(invoice['amount_due'], invoice['currency'])} — {invoice['status']}</p>",
        )

    def _checkout_page(self, session: dict, *, error: str | None = None, status: int = 200):
        stripe = self.server.stripe
        item = stripe.data["line_items"][session["id"]][0]
        price, product_name = item["price"], item["description"]
        recurring = price["recurring"]
        every = (
            recurring["interval"]
            if recurring["interval_count"] == 1
            else (f"{recurring['interval_count']} {recurring['interval']}s")
        )
        trial = session["subscription_data"]["trial_period_days"]
        email = session["customer_email"] or (
            stripe.data["customers"].get(session["customer"] or "", {}).get("email") or ""
        )
        action = html.escape(f"/checkout/{session['id']}")
        body = [
            f"<p class=plan>{html.escape(product_name)}</p>",
            (
                f"<p class=amount>{money(price['unit_amount'], price['currency'])} "
                f"per {html.escape(every)}</p>"
            ),
        ]
        if trial:
            body.append(f"<p>{trial} days free, then billed every {html.escape(every)}.</p>")
        if email:
            body.append(f"<p>Paying as {html.escape(email)}</p>")
        if error:
            body.append(f"<p class=error role=alert>{html.escape(error)}</p>")
        body.append(f'<form method=post action="{action}">')
        body.append(
            "<label for=card>Card number</label>"
            "<input id=card name=card inputmode=numeric autocomplete=cc-number "
            'value="4242 4242 4242 4242">'
        )
        if session["allow_promotion_codes"]:
            body.append(
                "<label for=promo>Promotion code (optional)</label>"
                "<input id=promo name=promotion_code autocomplete=off>"
            )
        body.append("<button type=submit>Pay</button></form>")
        if session["cancel_url"]:
            body.append(f'<p><a href="{html.escape(session["cancel_url"])}">Cancel</a></p>')
        self._page(status, "Checkout", "".join(body))

    def _portal_page(self, portal: dict) -> None:
        stripe = self.server.stripe
        subs = [
            s for s in stripe.newest_first("subscriptions") if s["customer"] == portal["customer"]
        ]
        rows = []
        for sub in subs:
            item = sub["items"]["data"][0]
            price = item["price"]
            sub_id = html.escape(sub["id"])
            summary = (
                f"<h2>{html.escape(stripe.data['products'][price['product']]['name'])}</h2>"
                f"<p>{money(price['unit_amount'], price['currency'])} per "
                f"{html.escape(price['recurring']['interval'])}</p>"
                f"<p>Status: <strong class=status>{html.escape(sub['status'])}</strong></p>"
            )
            if sub["cancel_at_period_end"]:
                summary += "<p>Cancels at the end of the current period.</p>"
            buttons = []

            def button(verb, label, sub_id=sub_id):
                return (
                    f'<form method=post action="/portal/{html.escape(portal["id"])}/{verb}">'
                    f'<input type=hidden name=subscription value="{sub_id}">'
                    f"<button type=submit>{label}</button></form>"
                )

            if sub["status"] != "canceled":
                if sub["cancel_at_period_end"]:
                    buttons.append(button("renew", "Renew subscription"))
                else:
                    buttons.append(button("cancel", "Cancel subscription"))
                buttons.append(button("update_card", "Update card"))
                buttons.append(button("fail_payment", "Simulate failed payment"))
            rows.append(f"<section>{summary}{''.join(buttons)}</section>")
        if not rows:
            rows.append("<p>No subscriptions.</p>")
        back = html.escape(portal["return_url"] or "/")
        rows.append(f'<p><a href="{back}">Return</a></p>')
        self._page(200, "Billing", "".join(rows))

    # --- responses -----------------------------------------------------------------------
    def _json(self, status: int, body: Any, headers: dict | None = None) -> None:
        payload = json.dumps(body, indent=2).encode()
        extra = {"Request-Id": new_id("req_", 14), **(headers or {})}
        self._send(status, payload, "application/json", extra)

    def _page(self, status: int, title: str, content: str) -> None:
        page = f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — Fake Stripe</title><link rel=icon href="data:,">
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
label{{display:block;margin-top:1rem}} input{{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;background:#4338ca;color:#fff;border:0;border-radius:4px}}
.error{{color:#b00020}} .amount{{font-size:1.5rem;font-weight:600}}
</style></head>
<body><main><p>Test mode — fake Stripe</p><h1>{html.escape(title)}</h1>{content}</main></body></html>"""
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    def _send(self, status: int, payload: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


CONTROL_ROUTES = """
GET  /_control/health                       liveness and the fake clock
POST /_control/reset                        forget everything
GET  /_control/state                        every object, as stored
POST /_control/clock/advance                {"seconds": N} or {"subscription": "sub_..."} (to its period end)
POST /_control/invoices/fail_next           {"customer": "cus_..."} (omit for any): next renewal fails
POST /_control/subscriptions/<id>/fail_payment   a renewal fails now: past_due + webhooks
POST /_control/subscriptions/<id>/pay            open invoices paid: active again + webhooks
POST /_control/checkout/<cs_id>/pay         press "Pay" without a browser ({"card": "..."} optional)
POST /_control/api_errors                   {"count": N, "status": 500}: next N API calls fail
GET  /_control/webhooks                     delivery settings and queue sizes
POST /_control/webhooks                     {"mode": normal|drop|delay|duplicate|reorder|hold,
                                             "delay": s, "window": s, "url": ..., "secret": ...,
                                             "max_attempts": n, "retry_base": s, "retry_cap": s}
POST /_control/webhooks/release             {"order": fifo|reverse|shuffle, "duplicate": bool,
                                             "concurrency": n}: send held events
POST /_control/webhooks/resend              {"event": "evt_..."}
POST /_control/webhooks/wait                {"timeout": s}: block until nothing is queued or in flight
GET  /_control/events                       events with their delivery attempts
GET  /_control/events/<id>                  one event as sent
"""


def build_server(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_fake",
    state_file: str | None = None,
    public_url: str | None = None,
    webhook_threads: int = 4,
    max_attempts: int = 8,
    retry_base: float = 0.5,
    verbose: bool = False,
) -> FakeStripeServer:
    hooks = WebhookDispatcher(
        url=webhook_url,
        secret=webhook_secret,
        threads=webhook_threads,
        max_attempts=max_attempts,
        retry_base=retry_base,
    )
    server = FakeStripeServer((host, port), verbose=verbose)
    bound_port = server.server_address[1]
    stripe = FakeStripe(
        public_url=public_url or f"http://{host}:{bound_port}",
        webhooks=hooks,
        state_file=state_file,
    )
    server.stripe = stripe
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Fake Stripe API, hosted Checkout/Portal and signed webhooks, for loopback.",
        epilog=CONTROL_ROUTES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--webhook-url", help="the app's endpoint; without it events wait")
    parser.add_argument("--webhook-secret", default="whsec_fake")
    parser.add_argument("--state-file", help="JSON file that keeps state across restarts")
    parser.add_argument("--public-url", help="base URL browsers use for hosted pages")
    parser.add_argument("--webhook-threads", type=int, default=4)
    parser.add_argument("--webhook-max-attempts", type=int, default=8)
    parser.add_argument("--webhook-retry-base", type=float, default=0.5)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server = build_server(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        state_file=args.state_file,
        public_url=args.public_url,
        webhook_threads=args.webhook_threads,
        max_attempts=args.webhook_max_attempts,
        retry_base=args.webhook_retry_base,
        verbose=args.verbose,
    )
    host, port = server.server_address[:2]
    print(f"FAKE_STRIPE_READY http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stripe.webhooks.stop()
        server.server_close()


def serve_in_thread(**kwargs) -> tuple[FakeStripeServer, threading.Thread]:
    """Start a server inside this process (handy in a Python shell); returns it and its thread."""
    server = build_server(**kwargs)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    return server, thread


if __name__ == "__main__":
    main(sys.argv[1:])
