"""The page cache: rendered pages kept whole in the cache, stamped with the versions of what
they were built from, and the validators readers revalidate them with. It knows no app.

Scopes. A cached value depends on named scopes, chosen by the apps: ``"articles"`` (every
article, topic and author), ``"genotypes:catalogue"``, ``"genotypes:member:42"``. An app
announces a change with ``scope_changed``: each scope's version takes a new random value, at
once and again when the transaction commits (which also retires a page rebuilt from the old
rows while the change was still open). ``slot`` reads a value only if it was stored under the
current versions of all its scopes, so nothing has to find and delete stale pages. A change
announced while the cache is unreachable is lost (and logged); pages then expire on their own.

Audience. Who may see a copy decides how it is kept and served (``page_response``):
- SHARED, one copy for every visitor: ``no-cache``, revalidated by ETag or by Last-Modified
  (when this copy was built, not when the article was edited);
- PRIVATE, one signed-in reader's page without personal data: ``private, no-cache``,
  revalidated by ETag only (no date shortcut across readers);
- PERSONAL, a page with one person's data (their genotypes): kept for them alone, encrypted in
  the cache (``cipher_register``; nothing is stored without a cipher), at most
  ``PERSONAL_SECONDS``, and served like /genetics/me/: never stored by the browser.
An ETag hashes the page together with its variant, so it never matches another reader's copy.

A failing cache backend never takes a page down: reads miss, writes are dropped. (Redis being
away is already handled, and logged, by genlife.cache.ResilientRedisCache.)
"""

from __future__ import annotations

import enum
import hashlib
import logging
import pickle
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_vary_headers
from django.utils.http import http_date

logger = logging.getLogger(__name__)

# Were a version change lost while the cache was unreachable, this bounds how long a person
# could still be shown their own data as it was before the change.
PERSONAL_SECONDS = 300

_cipher_factory: Callable[[], object] | None = None


class Audience(enum.Enum):
    SHARED = "shared"
    PRIVATE = "private"
    PERSONAL = "personal"


def _quietly(operation, fallback, *args):
    try:
        return operation(*args)
    except Exception:  # any backend failure: serve uncached (logged)
        logger.warning("page cache unavailable; serving without it", exc_info=True)
        return fallback


# --- Scopes -------------------------------------------------------------------------------------


def _version_key(scope: str) -> str:
    return f"page_cache:version:{scope}"


def scope_changed(*scopes: str) -> None:
    """Retire every cached value read under any of ``scopes``: now, and again on commit."""
    keys = [_version_key(scope) for scope in scopes]
    if not keys:
        return

    def bump() -> None:
        _quietly(cache.set_many, None, {key: uuid.uuid4().hex for key in keys}, None)

    bump()
    transaction.on_commit(bump)


def _stamp(keys: list[str], found: dict) -> tuple | None:
    """The current versions of ``keys`` (starting any that are missing), None when unknown."""
    missing = [key for key in keys if key not in found]
    if missing:  # first use, or evicted: start a version (add: a racing request may win)
        for key in missing:
            _quietly(cache.add, False, key, uuid.uuid4().hex, None)
        found.update(_quietly(cache.get_many, {}, missing))
        if any(key not in found for key in keys):
            return None
    return tuple(found[key] for key in keys)


# --- Sealing ------------------------------------------------------------------------------------


def cipher_register(factory: Callable[[], object]) -> None:
    """Set what encrypts personal pages: a callable returning a Fernet-like object (``encrypt``,
    ``decrypt``); the app that owns the personal data registers its key at start-up."""
    global _cipher_factory
    _cipher_factory = factory


def seal(value: object) -> bytes | None:
    """``value`` compressed and encrypted; None when no cipher is registered."""
    if _cipher_factory is None:
        return None
    return _cipher_factory().encrypt(zlib.compress(pickle.dumps(value), 1))


def unseal(token: object) -> object | None:
    """What ``seal`` was given; None when no current key opens the token."""
    if _cipher_factory is None or not isinstance(token, bytes):
        return None
    try:
        return pickle.loads(zlib.decompress(_cipher_factory().decrypt(token)))
    except Exception:  # noqa: BLE001 (a retired key, a damaged entry: a miss)
        return None


# --- Get and set --------------------------------------------------------------------------------


@dataclass
class Slot:
    """One cache entry as read under its scopes' current versions.

    ``value`` is what was cached, or None; ``store`` keeps a freshly built value under the
    versions read before it was built, so a change made meanwhile retires it at once.
    """

    key: str
    stamp: tuple | None
    personal: bool
    value: object | None = None

    def store(self, value: object, *, timeout: int) -> None:
        if self.stamp is None:  # the cache is unavailable
            return
        if self.personal:
            value = seal(value)
            if value is None:
                return
            timeout = min(timeout, PERSONAL_SECONDS)
        _quietly(cache.set, None, self.key, {"stamp": self.stamp, "value": value}, timeout)


def slot(key: str, *, scopes: Sequence[str], personal: bool = False) -> Slot:
    """The cached value under ``key`` if it is current for ``scopes`` (one round trip)."""
    version_keys = [_version_key(scope) for scope in scopes]
    page_key = f"page_cache:page:{key}"
    found = _quietly(cache.get_many, {}, [*version_keys, page_key])
    entry = found.pop(page_key, None)
    stamp = _stamp(version_keys, found)
    result = Slot(key=page_key, stamp=stamp, personal=personal)
    if stamp is not None and isinstance(entry, dict) and entry.get("stamp") == stamp:
        result.value = unseal(entry["value"]) if personal else entry["value"]
    return result


# --- Whole pages and their validators -----------------------------------------------------------


@dataclass(frozen=True)
class Page:
    html: str
    etag: str
    built: float
    audience: Audience


def page_build(html: str, *, variant: str, audience: Audience) -> Page:
    """A rendered page with its validator: the ETag covers the page and whose variant it is."""
    digest = hashlib.sha256(f"{variant}\0{html}".encode()).hexdigest()[:32]
    return Page(html=html, etag=f'"{digest}"', built=time.time(), audience=audience)


def page_response(request: HttpRequest, page: Page) -> HttpResponse:
    """The page, or 304 when the reader's validators match this very copy."""
    shared = page.audience is Audience.SHARED
    last_modified = int(page.built) if shared else None
    response = get_conditional_response(request, etag=page.etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(page.html)
    response["ETag"] = page.etag
    if shared:
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = "no-cache"
    elif page.audience is Audience.PRIVATE:
        response["Cache-Control"] = "private, no-cache"
    else:
        add_never_cache_headers(response)
    patch_vary_headers(response, ["Cookie"])
    return response
