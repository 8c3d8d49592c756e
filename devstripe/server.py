"""The devstripe server: Stripe's API as genlife calls it, two hosted pages, signed webhooks.

Development only (see the package docstring). What it answers, and nothing else:

API (each is one call in ``members/stripe_gateway.py``; form-encoded bodies, Stripe's JSON and
error shapes, ``Idempotency-Key`` honoured):
    POST   /v1/customers                      customer_create
    DELETE /v1/customers/<id>                 customer_delete (ends the customer's subscriptions)
    GET    /v1/products/search                product_ensure (metadata['genlife_product'])
    POST   /v1/products                       product_ensure
    GET    /v1/prices?lookup_keys[]=&active=  price_find
    POST   /v1/prices                         price_create (transfer_lookup_key)
    POST   /v1/checkout/sessions              checkout_session_create
    POST   /v1/billing_portal/sessions        portal_session_create
    GET    /v1/subscriptions?customer=        subscription_list

Pages a person clicks through:
    /checkout/<cs_id>   Pay (creates the subscription) or Cancel, then back to the site
    /portal/<bps_id>    Cancel subscription (at period end), Renew, Update card; Return

Every change a click makes is announced as Stripe announces it: an event, signed with the
webhook secret as Stripe signs it, POSTed to ``webhook_url`` from a background thread (a few
retries). Events are also kept in ``account.events`` in order, delivered or not.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

API_VERSION = "2026-10-28.endive"
DECLINED_CARD = "4000000000000002"  # Stripe's test card for "Your card was declined."
COLLECTIONS = (
    "customers",
    "products",
    "prices",
    "checkout_sessions",
    "portal_sessions",
    "subscriptions",
)


class StripeError(Exception):
    """An answer in Stripe's error shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        param: str | None = None,
        type: str = "invalid_request_error",
    ):
        super().__init__(message)
        self.message, self.status, self.code, self.param, self.type = (
            message,
            status,
            code,
            param,
            type,
        )

    def body(self) -> dict:
        error = {"type": self.type, "message": self.message}
        error.update({k: v for k, v in (("code", self.code), ("param", self.param)) if v})
        return {"error": error}


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def now() -> int:
    return int(time.time())


def period_end(start: int, interval: str) -> int:
    day = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    if interval == "year":
        day = day.replace(year=day.year + 1, day=min(day.day, 28))
    elif interval == "month":
        year, month = divmod(day.month, 12)
        day = day.replace(year=day.year + year, month=month + 1, day=min(day.day, 28))
    else:
        day += dt.timedelta(days={"week": 7}.get(interval, 1))
    return int(day.timestamp())


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`, as Stripe computes it."""
    timestamp = timestamp or now()
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def form_decode(text: str) -> dict:
    """Stripe's form encoding (``a[b][0]=v``) back into nested dicts and lists."""
    root: dict = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|(?<=\[)(?=\])", key)
        node = root
        for index, part in enumerate(parts):
            part = part or str(len(node))
            if index == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


@dataclass
class Account:
    """One Stripe account's objects (plain dicts shaped like the API's) and its events."""

    customers: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    prices: dict = field(default_factory=dict)
    checkout_sessions: dict = field(default_factory=dict)
    portal_sessions: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)
    idempotency: dict = field(default_factory=dict)
    events: list = field(default_factory=list)

    def get(self, collection: str, object_id: str, *, param: str | None = None) -> dict:
        obj = getattr(self, collection).get(object_id)
        if obj is None:
            kind = collection.rstrip("s").replace("_", " ")
            raise StripeError(
                f"No such {kind}: '{object_id}'",
                status=400 if param else 404,
                code="resource_missing",
                param=param,
            )
        return obj

    def event(self, event_type: str, obj: dict) -> dict:
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.events.append(event)
        return event


class DevStripe:
    """The server. ``start()`` serves on a thread (the CLI and in-process tests both use it)."""

    def __init__(
        self,
        *,
        port: int = 0,
        public_url: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        state_file: str | None = None,
    ):
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self._sending, self._pending = threading.Condition(), 0
        self.account = self._load()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.devstripe = self
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.public_url = public_url or self.base_url
        self._thread: threading.Thread | None = None

    def start(self) -> DevStripe:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        """Forget every object and event (a fresh account)."""
        with self.lock:
            self.account = Account()

    def _load(self) -> Account:
        if self.state_file and self.state_file.exists():
            return Account(**json.loads(self.state_file.read_text()))
        return Account()

    def _save(self) -> None:
        if self.state_file:
            state = {name: getattr(self.account, name) for name in COLLECTIONS}
            self.state_file.write_text(json.dumps(state))

    # --- events and webhooks ------------------------------------------------------------
    def emit(self, event_type: str, obj: dict) -> None:
        event = self.account.event(event_type, obj)
        if self.webhook_url:
            with self._sending:
                self._pending += 1
            threading.Thread(
                target=self._deliver, args=(self.webhook_url, event, self.account), daemon=True
            ).start()

    def _deliver(self, url: str, event: dict, account: Account) -> None:
        body = json.dumps(event)
        try:
            for attempt in range(6):  # Stripe retries for days; a few tries do for development
                if self.account is not account:
                    return  # the account was reset: its events are gone
                headers = {
                    "Content-Type": "application/json",
                    "Stripe-Signature": sign(body, self.webhook_secret),
                }
                request = urllib.request.Request(url, body.encode(), headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=30):
                        return
                except (urllib.error.URLError, OSError):
                    time.sleep(0.5 * 2**attempt)
        finally:
            with self._sending:
                self._pending -= 1
                self._sending.notify_all()

    def wait_sent(self, timeout: float) -> bool:
        """Wait until no webhook is on its way; False if some still are after `timeout`."""
        with self._sending:
            return self._sending.wait_for(lambda: self._pending == 0, timeout)

    # --- the API --------------------------------------------------------------------------
    def api(self, method: str, path: str, params: dict) -> dict:
        a = self.account
        parts = path.split("/")[2:]  # "/v1/customers/cus_123" -> ["customers", "cus_123"]
        route = (method, re.sub(r"/[a-z]+_\w+$", "/<id>", "/".join(parts)))
        if route == ("POST", "customers"):
            return self._create(
                "customers",
                {
                    "id": new_id("cus_"),
                    "object": "customer",
                    "created": now(),
                    "email": params.get("email"),
                    "name": params.get("name") or None,
                    "metadata": params.get("metadata") or {},
                    "livemode": False,
                },
            )
        if route == ("DELETE", "customers/<id>"):
            customer = a.get("customers", parts[1])
            for sub in a.subscriptions.values():
                if sub["customer"] == customer["id"] and sub["status"] != "canceled":
                    self._subscription_end(sub)
            del a.customers[customer["id"]]
            return {"id": customer["id"], "object": "customer", "deleted": True}
        if route == ("GET", "products/search"):
            match = re.fullmatch(r"metadata\['(\w+)'\]:'([^']*)'", params.get("query", ""))
            if not match:
                raise StripeError("devstripe searches only metadata['key']:'value'.", param="query")
            key, value = match.groups()
            found = [p for p in a.products.values() if p["metadata"].get(key) == value]
            return {
                "object": "search_result",
                "data": found,
                "has_more": False,
                "next_page": None,
                "url": "/v1/products/search",
            }
        if route == ("POST", "products"):
            return self._create(
                "products",
                {
                    "id": new_id("prod_"),
                    "object": "product",
                    "active": True,
                    "created": now(),
                    "name": params["name"],
                    "description": params.get("description") or None,
                    "metadata": params.get("metadata") or {},
                    "livemode": False,
                },
            )
        if route == ("GET", "prices"):
            keys = params.get("lookup_keys") or []
            found = [
                p
                for p in reversed(a.prices.values())
                if p["lookup_key"] in keys and (params.get("active") != "true" or p["active"])
            ]
            return {"object": "list", "data": found, "has_more": False, "url": "/v1/prices"}
        if route == ("POST", "prices"):
            a.get("products", params.get("product", ""), param="product")
            key = params.get("lookup_key")
            if key and params.get("transfer_lookup_key") == "true":
                for old in a.prices.values():
                    if old["lookup_key"] == key:
                        old["lookup_key"] = None
            return self._create(
                "prices",
                {
                    "id": new_id("price_"),
                    "object": "price",
                    "active": True,
                    "created": now(),
                    "currency": params["currency"],
                    "lookup_key": key,
                    "metadata": params.get("metadata") or {},
                    "product": params["product"],
                    "recurring": {"interval": params["recurring"]["interval"], "interval_count": 1},
                    "type": "recurring",
                    "unit_amount": int(params["unit_amount"]),
                    "livemode": False,
                },
            )
        if route == ("POST", "checkout/sessions"):
            a.get("customers", params.get("customer", ""), param="customer")
            item = (params.get("line_items") or [{}])[0]
            a.get("prices", item.get("price", ""), param="line_items[0][price]")
            session_id = new_id("cs_test_")
            subscription_data = params.get("subscription_data") or {}
            return self._create(
                "checkout_sessions",
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "created": now(),
                    "mode": "subscription",
                    "status": "open",
                    "payment_status": "unpaid",
                    "customer": params["customer"],
                    "client_reference_id": params.get("client_reference_id"),
                    "price": item["price"],
                    "subscription": None,
                    "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
                    "subscription_data": {  # as asked (Stripe keeps it off the returned object)
                        "trial_period_days": int(subscription_data.get("trial_period_days") or 0),
                        "metadata": subscription_data.get("metadata") or {},
                    },
                    "success_url": params["success_url"],
                    "cancel_url": params.get("cancel_url"),
                    "url": f"{self.public_url}/checkout/{session_id}",
                    "livemode": False,
                },
            )
        if route == ("POST", "billing_portal/sessions"):
            a.get("customers", params.get("customer", ""), param="customer")
            session_id = new_id("bps_")
            return self._create(
                "portal_sessions",
                {
                    "id": session_id,
                    "object": "billing_portal.session",
                    "created": now(),
                    "customer": params["customer"],
                    "return_url": params.get("return_url"),
                    "flow": params.get("flow_data") or None,
                    "url": f"{self.public_url}/portal/{session_id}",
                    "livemode": False,
                },
            )
        if route == ("GET", "subscriptions"):
            a.get("customers", params.get("customer", ""), param="customer")
            found = [
                s
                for s in reversed(a.subscriptions.values())
                if s["customer"] == params["customer"]
                and (params.get("status") == "all" or s["status"] != "canceled")
            ]
            return {"object": "list", "data": found, "has_more": False, "url": "/v1/subscriptions"}
        raise StripeError(
            f"Unrecognized request URL ({method}: {path}). devstripe serves only "
            "the calls genlife makes.",
            status=404,
        )

    def _create(self, collection: str, obj: dict) -> dict:
        getattr(self.account, collection)[obj["id"]] = obj
        return obj

    # --- what the clicks do -----------------------------------------------------------------
    def checkout_pay(self, session_id: str, *, card: str) -> dict:
        """Pressing Pay: a subscription, its paid first invoice, and Stripe's events."""
        a = self.account
        session = a.get("checkout_sessions", session_id)
        if session["status"] == "complete":
            return session  # a second click lands on the success page, never a second charge
        if "".join(ch for ch in card if ch.isdigit()) == DECLINED_CARD:
            raise StripeError(
                "Your card was declined.", status=402, code="card_declined", type="card_error"
            )
        price, start = a.get("prices", session["price"]), now()
        trial = session["subscription_data"]["trial_period_days"]
        end = start + trial * 86400 if trial else period_end(start, price["recurring"]["interval"])
        sub_id = new_id("sub_")
        sub = self._create(
            "subscriptions",
            {
                "id": sub_id,
                "object": "subscription",
                "created": start,
                "customer": session["customer"],
                "status": "trialing" if trial else "active",
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "current_period_start": start,
                "current_period_end": end,
                "metadata": session["subscription_data"]["metadata"],
                "livemode": False,
                "trial_end": end if trial else None,
                "items": {
                    "object": "list",
                    "has_more": False,
                    "data": [
                        {
                            "id": new_id("si_"),
                            "object": "subscription_item",
                            "price": price,
                            "quantity": 1,
                            "subscription": sub_id,
                            "current_period_start": start,
                            "current_period_end": end,
                        }
                    ],
                },
            },
        )
        invoice = self._invoice(sub, amount=0 if trial else price["unit_amount"])
        session.update(
            status="complete",
            subscription=sub_id,
            url=None,
            payment_status="paid" if not trial else "no_payment_required",
        )
        self.emit("customer.subscription.created", sub)
        self.emit("invoice.created", invoice)
        self.emit("invoice.finalized", invoice)
        self.emit("invoice.paid", invoice)
        self.emit("checkout.session.completed", session)
        return session

    def _invoice(self, sub: dict, *, amount: int) -> dict:
        return {
            "id": new_id("in_"),
            "object": "invoice",
            "created": now(),
            "customer": sub["customer"],
            "subscription": sub["id"],
            "status": "paid",
            "amount_due": amount,
            "amount_paid": amount,
            "currency": sub["items"]["data"][0]["price"]["currency"],
            "livemode": False,
        }

    def _subscription_end(self, sub: dict) -> None:
        sub.update(status="canceled", canceled_at=now(), ended_at=now())
        self.emit("customer.subscription.deleted", sub)

    def portal_action(self, portal: dict, verb: str, sub_id: str) -> None:
        sub = self.account.get("subscriptions", sub_id)
        if sub["customer"] != portal["customer"]:
            raise StripeError("That subscription belongs to another customer.", status=403)
        if verb in ("cancel", "renew"):
            sub["cancel_at_period_end"] = verb == "cancel"
            self.emit("customer.subscription.updated", sub)
        elif verb == "update_card":  # a new card pays what is owed
            if sub["status"] in ("past_due", "unpaid"):
                invoice = self._invoice(sub, amount=sub["items"]["data"][0]["price"]["unit_amount"])
                sub["status"] = "active"
                self.emit("invoice.paid", invoice)
                self.emit("customer.subscription.updated", sub)
        else:
            raise StripeError("Unknown portal action.", status=404)

    # --- pages --------------------------------------------------------------------------
    def checkout_page(self, session: dict, error: str = "") -> str:
        a = self.account
        price = a.prices[session["price"]]
        product = a.products.get(price["product"], {})
        email = a.customers.get(session["customer"], {}).get("email") or ""
        every = price["recurring"]["interval"]
        body = [
            f"<p class=plan>{html.escape(product.get('name', ''))}</p>",
            f"<p class=amount>{_money(price)} per {every}</p>",
        ]
        trial = session["subscription_data"]["trial_period_days"]
        if trial:
            body.append(f"<p>{trial} days free, then billed every {every}.</p>")
        if email:
            body.append(f"<p>Paying as {html.escape(email)}</p>")
        if error:
            body.append(f"<p class=error role=alert>{html.escape(error)}</p>")
        body.append(
            f'<form method=post action="/checkout/{html.escape(session["id"])}">'
            "<label for=card>Card number</label><input id=card name=card "
            'inputmode=numeric autocomplete=cc-number value="4242 4242 4242 4242">'
        )
        if session["allow_promotion_codes"]:
            body.append(
                "<label for=promo>Promotion code (optional)</label>"
                "<input id=promo name=promotion_code autocomplete=off>"
            )
        body.append("<button type=submit>Pay</button></form>")
        if session["cancel_url"]:
            body.append(f'<p><a href="{html.escape(session["cancel_url"])}">Cancel</a></p>')
        return _page("Checkout", "".join(body))

    def portal_page(self, portal: dict) -> str:
        a, rows = self.account, []
        for sub in reversed(a.subscriptions.values()):
            if sub["customer"] != portal["customer"]:
                continue
            price = sub["items"]["data"][0]["price"]
            name = a.products.get(price["product"], {}).get("name", "")
            row = (
                f"<section><h2>{html.escape(name)}</h2><p>{_money(price)} per "
                f"{price['recurring']['interval']}</p><p>Status: <strong class=status>"
                f"{sub['status']}</strong></p>"
            )
            if sub["cancel_at_period_end"]:
                row += "<p>Cancels at the end of the current period.</p>"
            if sub["status"] != "canceled":
                verbs = [
                    ("renew", "Renew subscription")
                    if sub["cancel_at_period_end"]
                    else ("cancel", "Cancel subscription"),
                    ("update_card", "Update card"),
                ]
                for verb, label in verbs:
                    row += (
                        f'<form method=post action="/portal/{portal["id"]}/{verb}">'
                        f'<input type=hidden name=subscription value="{sub["id"]}">'
                        f"<button type=submit>{label}</button></form>"
                    )
            rows.append(row + "</section>")
        if not rows:
            rows.append("<p>No subscriptions.</p>")
        rows.append(f'<p><a href="{html.escape(portal["return_url"] or "/")}">Return</a></p>')
        return _page("Billing", "".join(rows))


def _money(price: dict) -> str:
    symbol = {"eur": "€", "usd": "$", "gbp": "£"}.get(price["currency"], price["currency"])
    return f"{symbol}{price['unit_amount'] / 100:,.2f}"


def _page(title: str, content: str) -> str:
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{title} — devstripe (no real payments)</title><link rel=icon href="data:,">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
label,button{{display:block;margin-top:1rem}} input{{width:100%;padding:.5rem;font:inherit}}
button{{padding:.6rem 1.2rem;font:inherit;background:#4338ca;color:#fff;border:0}}
.error{{color:#b91c1c}}</style></head><body><h1>{title}</h1>
<p><small>devstripe: a development stand-in for Stripe. Nothing is charged.</small></p>
{content}</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the site's own log tells the story
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        stripe: DevStripe = self.server.devstripe
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = form_decode(body if method == "POST" else url.query)
        path = url.path.rstrip("/")
        try:
            with stripe.lock:
                if path.startswith("/v1/"):
                    return self._api(stripe, method, path, params)
                kind, _, rest = path.strip("/").partition("/")
                object_id, _, verb = rest.partition("/")
                if kind == "checkout":
                    session = stripe.account.get("checkout_sessions", object_id)
                    if method == "POST":
                        try:
                            session = stripe.checkout_pay(object_id, card=params.get("card", ""))
                        except StripeError as exc:
                            if exc.type != "card_error":
                                raise
                            return self._send(402, stripe.checkout_page(session, exc.message))
                        finally:
                            stripe._save()
                    if session["status"] == "complete":
                        return self._redirect(
                            session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                        )
                    return self._send(200, stripe.checkout_page(session))
                if kind == "portal":
                    portal = stripe.account.get("portal_sessions", object_id)
                    if method == "POST":
                        stripe.portal_action(portal, verb, params.get("subscription", ""))
                        stripe._save()
                        return self._redirect(portal["return_url"] or f"/portal/{object_id}")
                    return self._send(200, stripe.portal_page(portal))
                raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        except StripeError as exc:
            if path.startswith("/v1/"):
                return self._send(exc.status, json.dumps(exc.body()), "application/json")
            return self._send(
                exc.status, _page("Something went wrong", f"<p>{html.escape(exc.message)}</p>")
            )

    def _api(self, stripe: DevStripe, method: str, path: str, params: dict) -> None:
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
            raise StripeError("Invalid API key: devstripe takes any sk_test_ key.", status=401)
        key = self.headers.get("Idempotency-Key")
        if method == "POST" and key:
            request = f"{path} {json.dumps(params, sort_keys=True)}"
            if key not in stripe.account.idempotency:
                stripe.account.idempotency[key] = (request, stripe.api(method, path, params))
            first_request, result = stripe.account.idempotency[key]
            if first_request != request:
                raise StripeError(
                    "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with.",
                    type="idempotency_error",
                )
        else:
            result = stripe.api(method, path, params)
        stripe._save()
        self._send(200, json.dumps(result), "application/json")

    def _redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, text: str, content_type: str = "text/html; charset=utf-8"):
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
