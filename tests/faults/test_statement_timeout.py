"""A query that hangs (here: behind a lock another session holds) is cancelled by PostgreSQL's
statement timeout, and the reader gets the friendly 503 quickly instead of a request that
sits until gunicorn's 60-second timeout kills the worker. Once the lock goes, the same
gunicorn workers serve normally again.
"""

import psycopg
import pytest
from django.db import connection

from tests.articles.factories import ArticleFactory

from .processes import http

pytestmark = [pytest.mark.worker]

STATEMENT_TIMEOUT = 1  # seconds (DJANGO_DB_STATEMENT_TIMEOUT); production default 15


def _locking_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=False,
    )


def test_a_query_stuck_behind_a_lock_ends_in_a_quick_503_and_the_site_recovers(stack):
    if connection.vendor != "postgresql":
        pytest.skip("the statement timeout is PostgreSQL's (SQLite has its own lock timeout)")
    article = ArticleFactory(title="Locked out", slug="locked-out")
    web = stack.web(workers=1, threads=2, DJANGO_DB_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT))
    url = web.base_url + article.get_absolute_url()
    status, _, _, _ = http("GET", web.base_url + "/articles/")
    assert status == 200, web.log()[-3000:]
    pids = web.worker_pids()

    locker = _locking_connection()
    try:
        locker.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
        status, body, headers, seconds = http("GET", url, timeout=30)
        assert status == 503, (status, body[:500])
        assert headers.get("Retry-After") == "30"
        assert b"Back in a moment" in body, body[:500]
        assert STATEMENT_TIMEOUT <= seconds < STATEMENT_TIMEOUT + 4, seconds
    finally:
        locker.rollback()
        locker.close()

    status, body, _, _ = http("GET", url)
    assert status == 200 and b"Locked out" in body
    assert web.worker_pids() == pids, "gunicorn had to replace a worker"
