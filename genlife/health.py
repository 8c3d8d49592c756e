"""/healthz: is the database answering, is the broker reachable, is there room for uploads?

Database or broker down: 503, the instance cannot serve. Upload storage under
STORAGE_MIN_FREE_BYTES: still 200 (articles and pages are served; taking the instance out of
the load balancer would not free a byte), with ``"status": "degraded"`` and
``"storage": "low"`` for monitoring; uploads are refused with a message meanwhile.
"""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app
from .storage import storage_is_low

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not healthy"; the detail goes to the log only
        logger.warning("healthz: database check failed", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("healthz: broker check failed", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    low = storage_is_low()
    body = {"status": "unavailable" if not healthy else "degraded" if low else "ok"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    body["storage"] = "low" if low else "ok"
    return JsonResponse(body, status=200 if healthy else 503)
