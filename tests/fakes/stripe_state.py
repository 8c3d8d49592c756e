"""The fake Stripe's memory: API objects, their lifecycle, events and webhook delivery.

Nothing here speaks HTTP (that is stripe_server.py). Objects are plain dicts shaped like the
Stripe API's, stored newest-last in insertion-ordered dicts. One re-entrant lock guards every
read and write; webhook delivery runs on its own threads and never holds it while sending.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import hashlib
import heapq
import hmac
import itertools
import json
import os
import random
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from typing import Any

API_VERSION = "2026-10-28.endive"
_ALPHABET = string.ascii_letters + string.digits
# id prefix -> collection, for `expand`
PREFIXES = {
    "cus_": "customers",
    "prod_": "products",
    "price_": "prices",
    "cs_": "checkout_sessions",
    "bps_": "portal_sessions",
    "sub_": "subscriptions",
    "in_": "invoices",
    "evt_": "events",
}
COLLECTIONS = tuple(PREFIXES.values())
DECLINED_CARDS = {"4000000000000002", "4000000000009995"}


class StripeError(Exception):
    """An error the API answers with, in Stripe's JSON shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ):
        super().__init__(message)
        self.message, self.status, self.type, self.code, self.param = (
            message,
            status,
            type,
            code,
            param,
        )

    def to_dict(self) -> dict:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["param"] = self.param
        return {"error": body}


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def missing(kind: str, object_id: str, *, param: str | None = None, status: int = 404):
    return StripeError(
        f"No such {kind}: '{object_id}'", status=status, code="resource_missing", param=param
    )


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def to_int(value: Any, *, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=param) from None


def metadata_merge(current: dict, update: Any) -> dict:
    """Stripe's metadata semantics: keys merge, an empty string removes a key."""
    if update in (None, ""):
        return {} if update == "" else dict(current)
    merged = dict(current)
    for key, value in dict(update).items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def add_interval(ts: int, interval: str, count: int) -> int:
    moment = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    if interval in ("month", "year"):
        months = count * (12 if interval == "year" else 1)
        month_index = moment.month - 1 + months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return int(moment.replace(year=year, month=month, day=day).timestamp())
    days = {"day": 1, "week": 7}.get(interval)
    if days is None:
        raise StripeError(f"Invalid interval: {interval}", param="recurring[interval]")
    return ts + days * count * 86400


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value, computed exactly as Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stripe counts a redirect as a failed delivery; so does the fake."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class WebhookDispatcher:
    """Delivers signed events to one endpoint, with retries and test-only misbehaviour.

    Modes: ``normal`` (as soon as possible), ``drop`` (recorded, never sent), ``delay``
    (each event waits ``delay`` seconds), ``duplicate`` (each event sent twice), ``reorder``
    (each event waits a random time up to ``window`` seconds), ``hold`` (kept until
    ``release``, which may reverse, shuffle or duplicate them and send them concurrently).
    """

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        threads: int = 4,
        max_attempts: int = 8,
        retry_base: float = 0.5,
        retry_cap: float = 10.0,
        on_delivered=None,
    ):
        self.url, self.secret = url, secret
        self.max_attempts, self.retry_base, self.retry_cap = max_attempts, retry_base, retry_cap
        self.mode: dict[str, Any] = {"mode": "normal", "delay": 0.0, "window": 1.0}
        self.on_delivered = on_delivered
        self._heap: list[tuple[float, int, dict, int]] = []
        # bumped by clear(): a delivery that started before a reset is never retried after it
        self._generation = 0
        self._held: list[dict] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._cond = threading.Condition()
        self._stopped = False
        self.log: list[dict] = []  # one row per delivery attempt
        self._threads = [
            threading.Thread(target=self._run, name=f"webhook-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    # --- configuration -------------------------------------------------------------------
    def configure(self, *, url=None, secret=None, mode=None, delay=None, window=None, **retry):
        with self._cond:
            if url is not None:
                self.url = url or None
            if secret is not None:
                self.secret = secret
            if mode is not None:
                if mode not in ("normal", "drop", "delay", "duplicate", "reorder", "hold"):
                    raise StripeError(f"Unknown webhook mode: {mode}", param="mode")
                self.mode["mode"] = mode
            if delay is not None:
                self.mode["delay"] = float(delay)
            if window is not None:
                self.mode["window"] = float(window)
            for key in ("max_attempts", "retry_base", "retry_cap"):
                if retry.get(key) is not None:
                    setattr(self, key, type(getattr(self, key))(retry[key]))
            self._cond.notify_all()
        return self.describe()

    def describe(self) -> dict:
        with self._cond:
            return {
                "url": self.url,
                **self.mode,
                "max_attempts": self.max_attempts,
                "retry_base": self.retry_base,
                "retry_cap": self.retry_cap,
                "queued": len(self._heap),
                "held": len(self._held),
                "in_flight": self._in_flight,
            }

    # --- submission ----------------------------------------------------------------------
    def submit(self, event: dict) -> None:
        with self._cond:
            mode = self.mode["mode"]
            if mode == "drop":
                self.log.append(self._row(event, 0, "dropped"))
                if self.on_delivered:
                    self.on_delivered(event["id"], dropped=True)
                return
            if mode == "hold":
                self._held.append(event)
                return
            now = time.monotonic()
            if mode == "delay":
                self._push(now + self.mode["delay"], event)
            elif mode == "reorder":
                self._push(now + random.uniform(0, self.mode["window"]), event)
            elif mode == "duplicate":
                self._push(now, event)
                self._push(now, event)
            else:
                self._push(now, event)

    def release(self, *, order: str = "fifo", duplicate: bool = False, concurrency: int = 1):
        """Send every held event now; with concurrency > 1 they go out from parallel threads."""
        with self._cond:
            events, self._held = self._held, []
        if duplicate:
            events = [e for e in events for _ in (0, 1)]
        if order == "reverse":
            events.reverse()
        elif order == "shuffle":
            random.shuffle(events)
        elif order != "fifo":
            raise StripeError(f"Unknown order: {order}", param="order")
        concurrency = max(1, concurrency)
        chunks = [events[i::concurrency] for i in range(concurrency)]
        with self._cond:
            self._in_flight += len(chunks)  # counted now so that wait_idle sees them at once
        for chunk in chunks:
            threading.Thread(target=self._send_all, args=(chunk,), daemon=True).start()
        return len(events)

    def _send_all(self, events: list[dict]) -> None:
        """Send in order from one thread; failures go back to the retry queue."""
        generation = self._generation
        try:
            for event in events:
                if not self._attempt(event, 1, generation):
                    with self._cond:
                        if generation == self._generation:
                            self._push(time.monotonic() + self.retry_base, event, 2)
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    def clear(self) -> None:
        with self._cond:
            self._generation += 1
            self._heap.clear()
            self._held.clear()
            self.log.clear()
            self.mode = {"mode": "normal", "delay": 0.0, "window": 1.0}

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    # --- delivery ------------------------------------------------------------------------
    def _push(self, due: float, event: dict, attempt: int = 1) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), event, attempt))
        self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self.url and self._heap[0][0] <= time.monotonic():
                        break
                    wait = 0.5
                    if self._heap and self.url:
                        wait = max(0.0, min(wait, self._heap[0][0] - time.monotonic()))
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, event, attempt = heapq.heappop(self._heap)
                self._in_flight += 1
                generation = self._generation
            try:
                ok = self._attempt(event, attempt, generation)
                with self._cond:
                    if not ok and attempt < self.max_attempts and generation == self._generation:
                        backoff = min(self.retry_base * 2 ** (attempt - 1), self.retry_cap)
                        self._push(time.monotonic() + backoff, event, attempt + 1)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, event: dict, attempt: int, generation: int | None = None) -> bool:
        with self._cond:
            if generation is not None and generation != self._generation:
                return True  # queued before a reset: forget it
            url, secret = self.url, self.secret
        payload = json.dumps(event, indent=2)
        request = urllib.request.Request(
            url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign_payload(payload, secret),
            },
        )
        status, error = None, None
        try:
            with _opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            error = str(exc)
        ok = status is not None and 200 <= status < 300
        with self._cond:
            self.log.append(self._row(event, attempt, status or error))
        if ok and self.on_delivered:
            self.on_delivered(event["id"])
        return ok

    @staticmethod
    def _row(event: dict, attempt: int, outcome: Any) -> dict:
        return {
            "event": event["id"],
            "type": event["type"],
            "attempt": attempt,
            "outcome": outcome,
            "at": time.time(),
        }


class FakeStripe:
    """Stateful Stripe: customers, catalogue, checkout, portal, subscriptions, invoices."""

    def __init__(self, *, public_url: str, webhooks: WebhookDispatcher, state_file=None):
        self.lock = threading.RLock()
        self.public_url = public_url.rstrip("/")
        self.webhooks = webhooks
        self.state_file = state_file
        self.api_errors: list[int] = []  # statuses to answer the next API calls with
        self.data = self._empty()
        webhooks.on_delivered = self.webhook_delivered
        if state_file and os.path.exists(state_file):
            with open(state_file) as handle:
                self.data.update(json.load(handle))
            for event_id in list(self.data["pending_webhooks"]):
                self.webhooks.submit(self.data["events"][event_id])

    @staticmethod
    def _empty() -> dict:
        return {
            **{name: {} for name in COLLECTIONS},
            "line_items": {},  # checkout session id -> list of line items
            "idempotency": {},
            "pending_webhooks": [],
            "fail_next_invoice": [],  # customer ids, or "*" for any
            "clock_offset": 0,
        }

    # --- plumbing ------------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time() + self.data["clock_offset"])

    def save(self) -> None:
        if not self.state_file:
            return
        tmp = f"{self.state_file}.tmp"
        with open(tmp, "w") as handle:
            json.dump(self.data, handle)
        os.replace(tmp, self.state_file)

    def reset(self) -> None:
        with self.lock:
            self.webhooks.clear()
            self.api_errors.clear()
            self.data = self._empty()
            self.save()

    def webhook_delivered(self, event_id: str, dropped: bool = False) -> None:
        with self.lock:
            if event_id in self.data["pending_webhooks"]:
                self.data["pending_webhooks"].remove(event_id)
            event = self.data["events"].get(event_id)
            if event is not None and not dropped:
                event["pending_webhooks"] = 0
            self.save()

    def get(self, collection: str, object_id: str, *, kind: str, param=None, status=404):
        obj = self.data[collection].get(object_id)
        if obj is None:
            raise missing(kind, object_id, param=param, status=status)
        return obj

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        self.data["events"][event["id"]] = event
        self.data["pending_webhooks"].append(event["id"])
        self.webhooks.submit(event)
        return event

    def expand(self, obj: dict, paths: list[str]) -> dict:
        obj = copy.deepcopy(obj)
        for path in paths:
            self._expand_path(obj, path.split("."))
        return obj

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "line_items" and node.get("object") == "checkout.session":
            node["line_items"] = self.list_of(self.data["line_items"].get(node["id"], []), "")
            return
        if head not in node:
            return
        if not rest:
            value = node[head]
            if isinstance(value, str):
                for prefix, collection in PREFIXES.items():
                    if value.startswith(prefix) and value in self.data[collection]:
                        node[head] = copy.deepcopy(self.data[collection][value])
            return
        child = node[head]
        if isinstance(child, list):
            for item in child:
                self._expand_path(item, rest)
        else:
            self._expand_path(child, rest)

    @staticmethod
    def list_of(items: list[dict], url: str, *, limit=10, starting_after=None) -> dict:
        if starting_after:
            ids = [item["id"] for item in items]
            items = items[ids.index(starting_after) + 1 :] if starting_after in ids else []
        limit = max(1, min(int(limit or 10), 100))
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}

    def newest_first(self, collection: str) -> list[dict]:
        return list(reversed(self.data[collection].values()))

    # --- customers -----------------------------------------------------------------------
    def customer_create(self, params: dict) -> dict:
        customer = {
            "id": new_id("cus_", 14),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self.now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": params.get("description"),
            "email": params.get("email"),
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {"default_payment_method": None},
            "livemode": False,
            "metadata": metadata_merge({}, params.get("metadata")),
            "name": params.get("name"),
            "phone": params.get("phone"),
            "preferred_locales": [],
        }
        self.data["customers"][customer["id"]] = customer
        self.emit("customer.created", customer)
        return customer

    def customer_update(self, customer_id: str, params: dict) -> dict:
        customer = self.get("customers", customer_id, kind="customer")
        previous = {}
        for field in ("email", "name", "description", "phone"):
            if field in params:
                previous[field] = customer[field]
                customer[field] = params[field] or None
        if "metadata" in params:
            previous["metadata"] = customer["metadata"]
            customer["metadata"] = metadata_merge(customer["metadata"], params["metadata"])
        self.emit("customer.updated", customer, previous)
        return customer

    def customer_delete(self, customer_id: str) -> dict:
        customer = self.get("customers", customer_id, kind="customer")
        for sub in self.data["subscriptions"].values():
            if sub["customer"] == customer_id and sub["status"] not in ("canceled",):
                self._subscription_end(sub)
        del self.data["customers"][customer_id]
        self.emit("customer.deleted", customer)
        return {"id": customer_id, "object": "customer", "deleted": True}

    # --- catalogue -----------------------------------------------------------------------
    def product_create(self, params: dict) -> dict:
        if not params.get("name"):
            raise StripeError(
                "Missing required param: name.", code="parameter_missing", param="name"
            )
        product = {
            "id": params.get("id") or new_id("prod_", 14),
            "object": "product",
            "active": to_bool(params.get("active", True)),
            "created": self.now(),
            "default_price": None,
            "description": params.get("description") or None,
            "images": [],
            "livemode": False,
            "metadata": metadata_merge({}, params.get("metadata")),
            "name": params["name"],
            "type": "service",
            "updated": self.now(),
            "url": None,
        }
        if product["id"] in self.data["products"]:
            raise StripeError("Product already exists.", code="resource_already_exists", param="id")
        self.data["products"][product["id"]] = product
        self.emit("product.created", product)
        return product

    def product_update(self, product_id: str, params: dict) -> dict:
        product = self.get("products", product_id, kind="product")
        for field in ("name", "description"):
            if field in params:
                product[field] = params[field] or None
        if "active" in params:
            product["active"] = to_bool(params["active"])
        if "metadata" in params:
            product["metadata"] = metadata_merge(product["metadata"], params["metadata"])
        product["updated"] = self.now()
        self.emit("product.updated", product)
        return product

    def price_create(self, params: dict) -> dict:
        product_id = params.get("product")
        if isinstance(product_id, dict) or params.get("product_data"):
            product_id = self.product_create(params.get("product_data") or product_id)["id"]
        if not product_id:
            raise StripeError(
                "Missing required param: product.", code="parameter_missing", param="product"
            )
        self.get("products", product_id, kind="product", param="product", status=400)
        if not params.get("currency"):
            raise StripeError(
                "Missing required param: currency.", code="parameter_missing", param="currency"
            )
        recurring = params.get("recurring")
        if recurring:
            recurring = {
                "interval": recurring.get("interval", "month"),
                "interval_count": to_int(
                    recurring.get("interval_count", 1), param="recurring[interval_count]"
                ),
                "usage_type": "licensed",
                "aggregate_usage": None,
                "trial_period_days": None,
                "meter": None,
            }
            add_interval(0, recurring["interval"], 1)  # validates the interval
        lookup_key = params.get("lookup_key") or None
        if lookup_key:
            clash = [p for p in self.data["prices"].values() if p["lookup_key"] == lookup_key]
            if clash and not to_bool(params.get("transfer_lookup_key", False)):
                raise StripeError(
                    f"A price (`{clash[0]['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            for other in clash:
                other["lookup_key"] = None
        price = {
            "id": new_id("price_"),
            "object": "price",
            "active": to_bool(params.get("active", True)),
            "billing_scheme": "per_unit",
            "created": self.now(),
            "currency": params["currency"].lower(),
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": metadata_merge({}, params.get("metadata")),
            "nickname": params.get("nickname") or None,
            "product": product_id,
            "recurring": recurring or None,
            "tax_behavior": "unspecified",
            "type": "recurring" if recurring else "one_time",
            "unit_amount": to_int(params.get("unit_amount", 0), param="unit_amount"),
            "unit_amount_decimal": str(params.get("unit_amount", 0)),
        }
        self.data["prices"][price["id"]] = price
        self.emit("price.created", price)
        return price

    def price_update(self, price_id: str, params: dict) -> dict:
        price = self.get("prices", price_id, kind="price")
        if "active" in params:
            price["active"] = to_bool(params["active"])
        if "nickname" in params:
            price["nickname"] = params["nickname"] or None
        if "lookup_key" in params:
            price["lookup_key"] = params["lookup_key"] or None
        if "metadata" in params:
            price["metadata"] = metadata_merge(price["metadata"], params["metadata"])
        self.emit("price.updated", price)
        return price

    # --- checkout and portal -------------------------------------------------------------
    def checkout_session_create(self, params: dict) -> dict:
        mode = params.get("mode")
        if mode != "subscription":
            raise StripeError("This fake Stripe supports only mode=subscription.", param="mode")
        if not params.get("success_url"):
            raise StripeError(
                "Missing required param: success_url.",
                code="parameter_missing",
                param="success_url",
            )
        customer_id = params.get("customer")
        if customer_id:
            self.get("customers", customer_id, kind="customer", param="customer", status=400)
        line_items = params.get("line_items") or []
        if not line_items:
            raise StripeError(
                "Missing required param: line_items.",
                code="parameter_missing",
                param="line_items",
            )
        items = []
        for index, line in enumerate(line_items):
            param = f"line_items[{index}][price]"
            price = self.get("prices", line.get("price", ""), kind="price", param=param, status=400)
            if not price["recurring"]:
                raise StripeError(
                    "You must provide at least one recurring price in `subscription` mode.",
                    param=param,
                )
            if not price["active"]:
                raise StripeError(f"The price `{price['id']}` is not active.", param=param)
            quantity = to_int(line.get("quantity", 1), param=f"line_items[{index}][quantity]")
            items.append(
                {
                    "id": new_id("li_"),
                    "object": "item",
                    "amount_subtotal": price["unit_amount"] * quantity,
                    "amount_total": price["unit_amount"] * quantity,
                    "currency": price["currency"],
                    "description": self.data["products"][price["product"]]["name"],
                    "price": copy.deepcopy(price),
                    "quantity": quantity,
                }
            )
        subscription_data = params.get("subscription_data") or {}
        trial_days = subscription_data.get("trial_period_days")
        session_id = new_id("cs_test_", 58)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "allow_promotion_codes": to_bool(params.get("allow_promotion_codes", False)),
            "amount_subtotal": sum(i["amount_subtotal"] for i in items),
            "amount_total": sum(i["amount_total"] for i in items),
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id") or None,
            "created": self.now(),
            "currency": items[0]["currency"],
            "customer": customer_id or None,
            "customer_creation": None if customer_id else "always",
            "customer_details": None,
            "customer_email": params.get("customer_email") or None,
            "expires_at": to_int(params.get("expires_at", self.now() + 86400), param="expires_at"),
            "invoice": None,
            "livemode": False,
            "metadata": metadata_merge({}, params.get("metadata")),
            "mode": "subscription",
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": params["success_url"],
            "url": f"{self.public_url}/checkout/{session_id}",
            # kept for the hosted page; Stripe shows these in its own UI
            "subscription_data": {
                "trial_period_days": to_int(
                    trial_days, param="subscription_data[trial_period_days]"
                )
                if trial_days not in (None, "")
                else None,
                "metadata": metadata_merge({}, subscription_data.get("metadata")),
            },
        }
        self.data["checkout_sessions"][session_id] = session
        self.data["line_items"][session_id] = items
        return session

    def checkout_session_expire(self, session_id: str) -> dict:
        session = self.get("checkout_sessions", session_id, kind="checkout.session")
        if session["status"] != "open":
            raise StripeError(
                f"Only Checkout Sessions with a status of `open` can be expired. "
                f"This Checkout Session has a status of `{session['status']}`."
            )
        session.update(status="expired", url=None)
        self.emit("checkout.session.expired", session)
        return session

    def checkout_session_pay(self, session_id: str, *, card: str = "4242424242424242") -> dict:
        """What pressing "Pay" does: subscription, paid invoice, three webhooks."""
        session = self.get("checkout_sessions", session_id, kind="checkout.session")
        if session["status"] == "complete":
            return session  # a second click lands on the success page, never a second charge
        if session["status"] == "expired" or session["expires_at"] < self.now():
            raise StripeError("This Checkout Session has expired.", code="checkout_expired")
        card = "".join(ch for ch in card if ch.isdigit())
        if card in DECLINED_CARDS:
            raise StripeError(
                "Your card was declined.", status=402, type="card_error", code="card_declined"
            )
        if not session["customer"]:
            customer = self.customer_create({"email": session["customer_email"]})
            session["customer"] = customer["id"]
        customer = self.data["customers"][session["customer"]]
        customer["invoice_settings"]["default_payment_method"] = new_id("pm_")
        items = self.data["line_items"][session_id]
        sub = self._subscription_create(
            customer_id=customer["id"],
            price=items[0]["price"],
            quantity=items[0]["quantity"],
            trial_days=session["subscription_data"]["trial_period_days"],
            metadata=session["subscription_data"]["metadata"],
        )
        invoice = self._invoice_create(sub, billing_reason="subscription_create", paid=True)
        session.update(
            status="complete",
            payment_status="paid" if invoice["amount_due"] else "no_payment_required",
            subscription=sub["id"],
            invoice=invoice["id"],
            url=None,
            customer_details={"email": customer["email"], "name": customer["name"]},
        )
        self.emit("checkout.session.completed", session)
        self.emit("customer.subscription.created", sub)
        self.emit("invoice.paid", invoice)
        return session

    def portal_session_create(self, params: dict) -> dict:
        customer_id = params.get("customer")
        if not customer_id:
            raise StripeError(
                "Missing required param: customer.", code="parameter_missing", param="customer"
            )
        self.get("customers", customer_id, kind="customer", param="customer", status=400)
        session_id = new_id("bps_")
        session = {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": "bpc_fake",
            "created": self.now(),
            "customer": customer_id,
            "flow": params.get("flow_data") or None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"{self.public_url}/portal/{session_id}",
        }
        self.data["portal_sessions"][session_id] = session
        return session

    # --- subscriptions -------------------------------------------------------------------
    def _subscription_create(self, *, customer_id, price, quantity, trial_days, metadata) -> dict:
        now = self.now()
        recurring = price["recurring"]
        if trial_days:
            status, trial_start, period_end = "trialing", now, now + trial_days * 86400
            trial_end = period_end
        else:
            status, trial_start, trial_end = "active", None, None
            period_end = add_interval(now, recurring["interval"], recurring["interval_count"])
        sub_id = new_id("sub_")
        sub = {
            "id": sub_id,
            "object": "subscription",
            "billing_cycle_anchor": period_end if trial_days else now,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": now,
            "currency": price["currency"],
            "current_period_end": period_end,
            "current_period_start": now,
            "customer": customer_id,
            "default_payment_method": None,
            "ended_at": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": new_id("si_", 14),
                        "object": "subscription_item",
                        "created": now,
                        "current_period_end": period_end,
                        "current_period_start": now,
                        "metadata": {},
                        "price": copy.deepcopy(price),
                        "quantity": quantity,
                        "subscription": sub_id,
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": dict(metadata or {}),
            "start_date": now,
            "status": status,
            "trial_end": trial_end,
            "trial_start": trial_start,
        }
        self.data["subscriptions"][sub_id] = sub
        return sub

    def _set_period(self, sub: dict, start: int, end: int) -> None:
        sub["current_period_start"], sub["current_period_end"] = start, end
        for item in sub["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = start, end

    def subscription_update(self, sub_id: str, params: dict, *, send: bool = True) -> dict:
        sub = self.get("subscriptions", sub_id, kind="subscription")
        if sub["status"] == "canceled":
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in params:
            flag = to_bool(params["cancel_at_period_end"])
            if flag != sub["cancel_at_period_end"]:
                previous.update(
                    cancel_at_period_end=sub["cancel_at_period_end"],
                    cancel_at=sub["cancel_at"],
                    canceled_at=sub["canceled_at"],
                )
                sub["cancel_at_period_end"] = flag
                sub["cancel_at"] = sub["current_period_end"] if flag else None
                sub["canceled_at"] = self.now() if flag else None
                sub["cancellation_details"]["reason"] = "cancellation_requested" if flag else None
        if "metadata" in params:
            previous["metadata"] = sub["metadata"]
            sub["metadata"] = metadata_merge(sub["metadata"], params["metadata"])
        if send and previous:
            self.emit("customer.subscription.updated", sub, previous)
        return sub

    def subscription_cancel(self, sub_id: str) -> dict:
        sub = self.get("subscriptions", sub_id, kind="subscription")
        if sub["status"] == "canceled":
            raise StripeError(
                f"No such subscription: '{sub_id}'; it has been canceled.",
                code="resource_missing",
                status=404,
            )
        self._subscription_end(sub)
        return sub

    def _subscription_end(self, sub: dict) -> None:
        now = self.now()
        sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
        self.emit("customer.subscription.deleted", sub)

    def subscription_fail_payment(self, sub_id: str) -> dict:
        """A renewal charge that fails now: open invoice, past_due, two webhooks."""
        sub = self.get("subscriptions", sub_id, kind="subscription")
        invoice = self._invoice_create(sub, billing_reason="subscription_cycle", paid=False)
        previous = {"status": sub["status"]}
        sub["status"] = "past_due"
        self.emit("invoice.payment_failed", invoice)
        self.emit("customer.subscription.updated", sub, previous)
        return sub

    def subscription_pay_open_invoices(self, sub_id: str) -> dict:
        """A new card that works: the open invoices are paid and the subscription recovers."""
        sub = self.get("subscriptions", sub_id, kind="subscription")
        customer = self.data["customers"][sub["customer"]]
        customer["invoice_settings"]["default_payment_method"] = new_id("pm_")
        for invoice in list(self.data["invoices"].values()):
            if invoice["subscription"] == sub_id and invoice["status"] == "open":
                invoice.update(
                    status="paid",
                    paid=True,
                    amount_paid=invoice["amount_due"],
                    amount_remaining=0,
                    attempt_count=invoice["attempt_count"] + 1,
                    status_transitions={**invoice["status_transitions"], "paid_at": self.now()},
                )
                self.emit("invoice.paid", invoice)
        if sub["status"] in ("past_due", "unpaid"):
            previous = {"status": sub["status"]}
            sub["status"] = "active"
            self.emit("customer.subscription.updated", sub, previous)
        return sub

    def advance_clock(self, seconds: int) -> dict:
        """Move time forward and run every renewal, failure and cancellation that falls due."""
        self.data["clock_offset"] += int(seconds)
        now = self.now()
        for sub in list(self.data["subscriptions"].values()):
            guard = 0
            while sub["status"] != "canceled" and sub["current_period_end"] <= now and guard < 60:
                guard += 1
                self._roll_period(sub)
        return {"now": now, "clock_offset": self.data["clock_offset"]}

    def _roll_period(self, sub: dict) -> None:
        if sub["cancel_at_period_end"] or sub["status"] in ("past_due", "unpaid"):
            # the member asked to leave, or the last renewal was never paid
            sub.update(status="canceled", ended_at=sub["current_period_end"])
            sub["canceled_at"] = sub["canceled_at"] or sub["current_period_end"]
            self.emit("customer.subscription.deleted", sub)
            return
        recurring = sub["items"]["data"][0]["price"]["recurring"]
        start = sub["current_period_end"]
        end = add_interval(start, recurring["interval"], recurring["interval_count"])
        previous = {
            "current_period_start": sub["current_period_start"],
            "current_period_end": sub["current_period_end"],
            "status": sub["status"],
        }
        self._set_period(sub, start, end)
        fail = self.data["fail_next_invoice"]
        failing = sub["customer"] in fail or "*" in fail
        if failing:
            fail.remove(sub["customer"] if sub["customer"] in fail else "*")
        invoice = self._invoice_create(sub, billing_reason="subscription_cycle", paid=not failing)
        sub["status"] = "past_due" if failing else "active"
        self.emit("invoice.payment_failed" if failing else "invoice.paid", invoice)
        self.emit("customer.subscription.updated", sub, previous)

    # --- invoices ------------------------------------------------------------------------
    def _invoice_create(self, sub: dict, *, billing_reason: str, paid: bool) -> dict:
        item = sub["items"]["data"][0]
        in_trial = sub["status"] == "trialing" and billing_reason == "subscription_create"
        amount = 0 if in_trial else item["price"]["unit_amount"] * item["quantity"]
        now = self.now()
        invoice_id = new_id("in_")
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "amount_remaining": 0 if paid else amount,
            "attempt_count": 1,
            "attempted": True,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": sub["currency"],
            "customer": sub["customer"],
            "customer_email": self.data["customers"].get(sub["customer"], {}).get("email"),
            "hosted_invoice_url": f"{self.public_url}/invoice/{invoice_id}",
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": new_id("il_"),
                        "object": "line_item",
                        "amount": amount,
                        "currency": sub["currency"],
                        "period": {
                            "start": item["current_period_start"],
                            "end": item["current_period_end"],
                        },
                        "pricing": {"price_details": {"price": item["price"]["id"]}},
                        "quantity": item["quantity"],
                    }
                ],
                "has_more": False,
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "livemode": False,
            "next_payment_attempt": None if paid else now + 3 * 86400,
            "paid": paid,
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"metadata": sub["metadata"], "subscription": sub["id"]},
            },
            "period_end": item["current_period_end"],
            "period_start": item["current_period_start"],
            "status": "paid" if paid else "open",
            "status_transitions": {"finalized_at": now, "paid_at": now if paid else None},
            # older API versions carried the subscription id at the top level
            "subscription": sub["id"],
            "total": amount,
        }
        self.data["invoices"][invoice_id] = invoice
        sub["latest_invoice"] = invoice_id
        return invoice
