"""PostgreSQL restarted under load: the site answers a quick, friendly 503 while it is down and
serves again once it is back, without gunicorn or the Celery worker being restarted.

The database is a private cluster this test creates, migrates and restarts; the machine's
shared PostgreSQL is never touched.
"""

import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
import requests
from django.urls import reverse

from genotypes.samples import generate_genome
from tests.utils import wait_until

from .conftest import CSRF_TOKEN
from .processes import PG_BIN, ROOT, PostgresCluster

pytestmark = [pytest.mark.worker]

CONNECT_TIMEOUT = 3  # DJANGO_DB_CONNECT_TIMEOUT
# A hang bound, not a speed goal (bench/ holds those): a request that waits for the database
# without a connect timeout waits until gunicorn kills the worker (60 s) or the client gives up.
HANG_SECONDS = 15
MEMBER_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from billing.services.memberships import membership_grant_complimentary
from members.services.users import user_ensure_verified
user = user_ensure_verified(email="restart@faults.test", password="pg-restart-member-2026")
membership_grant_complimentary(user=user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
"""


@dataclass
class Hit:
    path: str
    at: float
    status: int  # 0: no HTTP answer at all
    seconds: float
    body: str
    retry_after: str | None


@pytest.fixture
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL 15 server programs in {PG_BIN}")
    running = PostgresCluster()
    try:
        running.start()
        running.create_database("genlife")
        yield running
    finally:
        running.destroy()


def _manage(env, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _load(base_url: str, cookie: str, hits: list[Hit], stop: threading.Event) -> None:
    """One client: the home page and a member's page in turn, as fast as they answer."""
    http = requests.Session()
    paths = ["/", reverse("genotypes:mine")]
    turn = 0
    while not stop.is_set():
        path = paths[turn % 2]
        turn += 1
        started = time.monotonic()
        try:
            response = http.get(
                base_url + path, headers={"Cookie": cookie}, timeout=20, allow_redirects=False
            )
            hit = Hit(
                path,
                started,
                response.status_code,
                time.monotonic() - started,
                response.text,
                response.headers.get("Retry-After"),
            )
        except requests.RequestException as error:
            hit = Hit(path, started, 0, time.monotonic() - started, repr(error), None)
        hits.append(hit)
        time.sleep(0.05)


def _upload_and_wait(web, cookie: str, seed: int, stack) -> dict:
    # After a restart each pooled connection that died with the server is found broken once
    # (a 503 with Retry-After) and replaced: a client retries, at most once per thread.
    for _ in range(9):
        response = requests.post(
            web.base_url + reverse("genotypes:upload"),
            headers={"Cookie": cookie},
            data={"consent": "on", "csrfmiddlewaretoken": CSRF_TOKEN},
            files={"file": ("genome.txt", generate_genome(n_snps=5_000, seed=seed), "text/plain")},
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code != 503:
            break
    assert response.status_code == 302, response.text[:1000] + stack.logs()
    status_url = web.base_url + response.headers["Location"] + "status.json"

    def finished():
        answer = requests.get(status_url, headers={"Cookie": cookie}, timeout=20)
        return answer.json() if answer.status_code == 200 and answer.json()["finished"] else None

    done = wait_until(finished, timeout=60, interval=0.5, raise_on_timeout=False)
    assert done, "the worker did not parse the upload:\n" + stack.logs()
    return done


def test_postgres_restart_under_load_gives_a_quick_503_and_the_site_recovers(stack, cluster):
    database = {
        "DATABASE_URL": cluster.url("genlife"),
        "DJANGO_DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
    }
    env = {**stack.env, **database}
    _manage(env, "migrate", "--noinput")
    session_key = _manage(env, "shell", "-c", MEMBER_SCRIPT).split("SESSION ")[1].strip()
    cookie = f"sessionid={session_key}; csrftoken={CSRF_TOKEN}"
    web = stack.web(workers=2, threads=4, **database)
    worker = stack.worker(**database)
    # The worker has used its database connection before the restart.
    assert _upload_and_wait(web, cookie, 1, stack)["status"] == "done"
    web_pids, worker_pid = (web.process.pid, web.worker_pids()), worker.process.pid
    assert len(web_pids[1]) == 2

    hits: list[Hit] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_load, args=(web.base_url, cookie, hits, stop)) for _ in range(6)
    ]
    for client in clients:
        client.start()
    try:
        wait_until(
            lambda: sum(1 for h in hits if h.status == 200) >= 12,
            timeout=60,
            message="the clients were not served before the restart",
        )
        cluster.stop()  # returns once the server is down (pg_ctl -w)
        down_at = time.monotonic()
        # Down until every client has had the member's page refused a few times.
        wait_until(
            lambda: (
                sum(1 for h in hits if h.at > down_at + 0.5 and h.path != "/" and h.status == 503)
                >= 12
            ),
            timeout=120,
            message="the site did not answer 503 while PostgreSQL was down",
        )
        up_at = time.monotonic()
        cluster.start()
        wait_until(
            lambda: sum(1 for h in hits if h.at > up_at and h.status == 200) >= 20,
            timeout=120,
            message="the site did not serve again after the restart",
        )
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)

    # Requests made and answered while the server was down (one that waits for a pooled
    # connection may be answered after the restart, and then rightly with the page).
    during = [h for h in hits if down_at + 0.5 < h.at and h.at + h.seconds < up_at]
    assert during, "no request was made while PostgreSQL was down"
    assert {h.status for h in hits} <= {200, 503}, sorted(
        {
            (h.status, h.path, round(h.at - down_at, 1), h.body[:200])
            for h in hits
            if h.status not in (200, 503)
        }
    )
    # The member's page needs the database; the home page may come from Redis's page cache.
    assert {h.status for h in during if h.path != "/"} == {503}, Counter(
        (h.path, h.status) for h in during
    )
    for hit in (h for h in hits if h.status == 503):
        assert "Back in a moment" in hit.body and hit.retry_after == "30"
        assert "Traceback" not in hit.body and "OperationalError" not in hit.body
    slowest = max(h.seconds for h in hits)
    assert slowest < HANG_SECONDS, f"a request took {slowest:.1f} s"
    # Once PostgreSQL answers again, so does every page: at most each of gunicorn's threads
    # (2 workers x 4) meets its broken connection once more.
    first_ok = min(h.at for h in hits if h.at > up_at and h.status == 200)
    late_refusals = [h for h in hits if h.at > first_ok and h.status != 200]
    assert len(late_refusals) <= 8, Counter((h.path, h.status) for h in late_refusals)

    # Nothing was restarted: the same gunicorn master, workers and Celery worker.
    assert (web.process.pid, web.worker_pids()) == web_pids
    assert worker.process.pid == worker_pid and worker.process.poll() is None
    assert _upload_and_wait(web, cookie, 2, stack)["status"] == "done"


class SilentServer:
    """Accepts TCP connections and never answers: a database host that hangs (a network
    partition, a frozen server), where only a connect timeout stops the wait."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def test_a_database_that_never_answers_gives_the_503_after_the_connect_timeout(stack):
    silent = SilentServer()
    try:
        web = stack.web(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent.port}/genlife",
            DJANGO_DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        )
        for _ in range(2):
            started = time.monotonic()
            response = requests.get(web.base_url + "/", timeout=30)
            seconds = time.monotonic() - started
            # Only the connect timeout ends the wait on a server that never answers: the 503
            # proves it fired, the lower bound that it is the configured one.
            assert response.status_code == 503 and "Back in a moment" in response.text
            assert CONNECT_TIMEOUT - 0.5 < seconds < HANG_SECONDS, seconds
        assert silent.accepted, "the site never tried the database"
    finally:
        silent.close()
