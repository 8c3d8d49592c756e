"""Fault-test setup: a `stack` of real processes (a private Redis, gunicorn, Celery workers)
bound to the test database, torn down even when a test fails.

The media folder and the genome key go into the environment at import, as in
tests/genotypes/conftest.py (the same variables, so both conftests agree when the whole suite
runs), so that the test process and every subprocess read the same files with the same key.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from django.test import Client

from tests.conftest import WorkerProcess, worker_environment
from tests.stripe_events import WEBHOOK_SECRET, pay

from .processes import RedisServer, WebServer

_CREATED_MEDIA = "DJANGO_MEDIA_ROOT" not in os.environ
MEDIA_ROOT = os.environ.setdefault(
    "DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="genlife-faults-media-")
)
GENOME_KEY = os.environ.setdefault("GENOME_ENCRYPTION_KEYS", Fernet.generate_key().decode())


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(autouse=True)
def _faults_settings(settings):
    settings.MEDIA_ROOT = MEDIA_ROOT
    settings.GENOME_ENCRYPTION_KEYS = GENOME_KEY.split(",")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class Stack:
    """The processes one fault test owns. `env` is what every process gets: the session's
    test database and devstripe, a private Redis as broker (db 0) and cache (db 1), and the
    production settings minus TLS."""

    def __init__(self, folder: Path, static_root: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder / "redis.log")
        self.redis.start()
        self.mail_dir = folder / "mail"
        self.mail_dir.mkdir()
        self.env = {
            **worker_environment(),
            "CELERY_BROKER_URL": self.redis.url(0),
            "REDIS_URL": self.redis.url(1),
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_MEDIA_ROOT": MEDIA_ROOT,
            "GENOME_ENCRYPTION_KEYS": GENOME_KEY,
            "GENLIFE_DATA_DIR": str(folder / "data"),
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        self.env.pop("GENLIFE_BROKER_DIR", None)
        self.env.pop("GENLIFE_CACHE_DIR", None)
        self.webs: list[WebServer] = []
        self.workers: list[WorkerProcess] = []

    def web(self, *, workers: int = 1, threads: int = 4, **env: str) -> WebServer:
        server = WebServer(
            {**self.env, **env},
            self.folder / f"web{len(self.webs)}.log",
            workers=workers,
            threads=threads,
        )
        self.webs.append(server)
        server.start()
        return server

    def worker(
        self, *, app: str = "genlife", beat: bool = False, start: bool = True, **env: str
    ) -> WorkerProcess:
        extra = ("-B", "-s", str(self.folder / "beat-schedule")) if beat else ()
        worker = WorkerProcess(
            self.folder / f"worker{len(self.workers)}.log",
            app=app,
            env={**self.env, **env},
            extra_args=extra,
        )
        self.workers.append(worker)
        if start:
            worker.start()
        return worker

    def wait_idle(self, *, timeout: float = 120) -> None:
        """Until the broker holds no task, queued or taken (a task is acknowledged only once it
        has finished, and one it sends is queued before that): nothing is left to run."""
        import redis

        from tests.utils import wait_until

        broker = redis.Redis.from_url(self.env["CELERY_BROKER_URL"])
        wait_until(
            lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0,
            timeout=timeout,
            message="the workers never ran out of tasks:\n" + self.logs(),
        )

    def logs(self) -> str:
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        """Every worker and web server winds down at once (each may take its grace period,
        so one after the other the waits would add up), then Redis goes."""
        from concurrent.futures import ThreadPoolExecutor

        processes = [*self.workers, *self.webs]
        errors: list[BaseException] = []
        if processes:
            with ThreadPoolExecutor(max_workers=len(processes)) as pool:
                futures = [pool.submit(process.stop) for process in processes]
            errors = [future.exception() for future in futures if future.exception()]
        self.redis.stop()
        if errors:  # a failed stop spares none of the others, and still fails the test
            raise errors[0]


@pytest.fixture
def stack(transactional_db, static_root, tmp_path):
    """A private Redis and the processes a test starts on it; all stopped afterwards (before
    the test database is flushed, since this fixture depends on `transactional_db`)."""
    if shutil.which("redis-server") is None:
        pytest.skip("the fault tests need the redis-server program for a private Redis")
    running = Stack(tmp_path, static_root)
    try:
        yield running
    finally:
        running.close()


CSRF_TOKEN = "faultsCsrfToken0123456789abcdefg"  # 32 characters: a valid CSRF secret


def member_session(user) -> requests.Session:
    """An HTTP session logged in as `user` (a session row in the shared test database).

    The cookies go in a plain header: the site marks them Secure, and a cookie jar would not
    send those over loopback HTTP. POST forms need `csrfmiddlewaretoken=CSRF_TOKEN`.
    """
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.headers["Cookie"] = (
        f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF_TOKEN}"
    )
    return session


def pytest_sessionfinish(session, exitstatus):
    if _CREATED_MEDIA:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def billing(settings, stripe_settings, transactional_db):
    """The session's devstripe (an empty account) with the app pointed at it, and the two
    plans. Its webhooks go nowhere: each test delivers the events itself."""
    from billing.models import Plan

    # Fifty members check out from one test client (one IP) within the minute.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "checkout": "100/m/ip"}
    for order, (slug, interval, amount) in enumerate(
        [("monthly", "month", 600), ("annual", "year", 6000)], start=1
    ):
        Plan.objects.update_or_create(
            slug=slug,
            defaults={
                "name": slug.title(),
                "interval": interval,
                "amount": amount,
                "currency": "eur",
                "trial_days": 0,
                "is_active": True,
                "order": order,
                "stripe_price_id": "",
            },
        )
    return stripe_settings


def checkout_paid(fake, user, *, plan: str = "monthly") -> str:
    """Start a checkout as `user` (in process) and press Pay on devstripe; the subscription
    id."""
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    response = client.post(reverse("billing:join_checkout"), {"plan": plan})
    assert response.status_code == 302, response
    pay(response.url)
    session_id = response.url.rsplit("/", 1)[1]
    return fake.account.checkout_sessions[session_id]["subscription"]


def welcome_emails(mail_dir: Path) -> list[str]:
    """The recipients of every welcome email the worker sent (the file email backend)."""
    import email
    from email import policy

    recipients = []
    for path in mail_dir.glob("*.log"):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=policy.default)
                if str(message["Subject"]).startswith("Welcome to"):
                    recipients.append(str(message["To"]))
    return recipients
