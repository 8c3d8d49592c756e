"""The one way the project hands work to Celery: after commit, never blocking on a dead broker.

Services call :func:`task_send_on_commit` inside their transaction; the task is sent only once
the rows it reads are committed. When the broker is unreachable the send is logged and
dropped: every queued job has a row that a beat sweeper (uploads, Stripe events) re-sends, so
the caller's committed work is never lost and the request that made it still succeeds.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def task_send(task, *args) -> bool:
    """Send ``task`` with positional JSON arguments now; False when the broker is unreachable."""
    try:
        task.apply_async(args=list(args), retry=False)
    except Exception:  # broker down: the caller's sweeper re-sends from the database
        logger.warning(
            "Broker unreachable; %s was not queued (the sweeper re-sends it)",
            task.name,
            exc_info=True,
        )
        return False
    return True


def task_send_on_commit(task, *args) -> None:
    """Send ``task`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: task_send(task, *args))
