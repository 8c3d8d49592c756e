"""The site's Redis cache, which treats an unreachable Redis as an empty cache, not an error.

The cache holds nothing that must survive: rendered article pages, allauth's rate-limit
counters and short-lived nudge markers. When Redis restarts or fails over, Django's own
``RedisCache`` raises on every call, and every page that touches the cache (login, signup,
checkout, a genome upload, all of them rate limited) answers 500. Here reads miss, writes are
dropped and ``add`` reports success: allauth takes its rate-limit lock with ``add``, so while
Redis is away requests go through without being counted (rate limits fail open) rather than
fail. Security checks fail closed instead: ``add`` on a key that starts with one of
``settings.CACHE_FAIL_CLOSED_KEY_PREFIXES`` (the "TOTP code already used" marker, the locks of
the sign-in throttles) raises ``SecurityCheckUnavailable``, which the site answers with a 503
"try again in a moment" (genlife.errors). After a failure the backend stops trying for a few
seconds, so an outage costs one refused connection per process every few seconds, not one per
cache call; it logs a warning each time it gives up.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5.0
# Shared by every thread's backend instance in the process (Django makes one per thread).
_down_until = 0.0


def _call(operation, fallback, *args, **kwargs):
    global _down_until
    if time.monotonic() < _down_until:
        return fallback
    try:
        return operation(*args, **kwargs)
    except UNAVAILABLE:
        logger.warning(
            "Redis cache unreachable; serving without it for %.0f s",
            RETRY_AFTER_SECONDS,
            exc_info=True,
        )
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        return fallback


class SecurityCheckUnavailable(Exception):
    """A security check that keeps its state in the cache cannot run: Redis is unreachable."""


_UNAVAILABLE = object()


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every cache call, and building one fills a table of
    some 500 response callbacks: about 0.1 ms, a third of what serving a cached article costs.
    A ``redis.Redis`` is only a handle on its (thread-safe) pool, so one per pool is enough.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives Redis being away."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def get(self, key, default=None, version=None):
        return _call(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return _call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return _call(super().has_key, False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        added = _call(super().add, _UNAVAILABLE, key, value, timeout, version)
        if added is not _UNAVAILABLE:
            return added
        if key.startswith(tuple(settings.CACHE_FAIL_CLOSED_KEY_PREFIXES)):
            # "Was this TOTP code used already?" or "may this sign-in attempt be counted?"
            # cannot be answered: refuse rather than let a code be used twice.
            raise SecurityCheckUnavailable(key)
        # Success, so that a lock taken with add() (allauth's rate limits on pages that are
        # no security check) is not refused.
        return True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        _call(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().set_many, [], data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return _call(super().delete, False, key, version)

    def delete_many(self, keys, version=None):
        _call(super().delete_many, None, keys, version)

    def clear(self):
        _call(super().clear, None)
