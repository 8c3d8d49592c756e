"""Fixtures shared by the whole suite.

The suite runs against whatever the environment configures: PostgreSQL and Redis in CI
(`DATABASE_URL`, `CELERY_BROKER_URL`), SQLite and the file-system broker on a laptop.
"""

import email
import email.policy
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from genlife.celery import app as celery_app
from tests.stripe_events import (  # noqa: F401 - fixtures
    devstripe_server,
    stripe_failing,
    stripe_settings,
)
from tests.utils import TEST_PASSWORD_HASHERS, wait_until

ROOT = Path(__file__).resolve().parent.parent

# The fast test hasher for this process (override below) and every process a test starts.
os.environ["DJANGO_PASSWORD_HASHERS"] = ",".join(TEST_PASSWORD_HASHERS)

# A private broker folder for this test session, so that a local development worker sharing
# `.data/broker` never steals (and runs against the wrong database) a task a test enqueued.
_TEST_BROKER_DIR: str | None = None
# Likewise a private cache folder when the cache is the file-based default.
_TEST_CACHE_DIR: str | None = None
if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    _TEST_CACHE_DIR = tempfile.mkdtemp(prefix="genlife-test-cache-")
# The email a test's worker sends is written here, one file per connection
# (``worker_mail_messages``), instead of reaching for a mail server.
WORKER_MAIL_DIR = tempfile.mkdtemp(prefix="genlife-test-worker-mail-")
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    _TEST_BROKER_DIR = tempfile.mkdtemp(prefix="genlife-test-broker-")
    celery_app.conf.broker_transport_options = {
        "data_folder_in": _TEST_BROKER_DIR,
        "data_folder_out": _TEST_BROKER_DIR,
        "control_folder": os.path.join(_TEST_BROKER_DIR, "control"),
    }


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """Production settings, minus what only makes sense behind a real TLS front end, and with
    the fast test password hasher."""
    caches = settings.CACHES
    if _TEST_CACHE_DIR:
        caches = {"default": {**settings.CACHES["default"], "LOCATION": _TEST_CACHE_DIR}}
    with override_settings(
        CACHES=caches,
        PASSWORD_HASHERS=TEST_PASSWORD_HASHERS,
        SECURE_SSL_REDIRECT=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


def _database_url_for(db_settings: dict) -> str:
    engine = db_settings["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{db_settings['NAME']}"
    user = db_settings.get("USER") or ""
    password = db_settings.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db_settings.get("HOST") or "127.0.0.1"
    port = db_settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db_settings['NAME']}"


def worker_environment() -> dict[str, str]:
    """Environment for a worker subprocess bound to this session's test database and broker."""
    env = dict(os.environ)
    env["DATABASE_URL"] = _database_url_for(settings.DATABASES["default"])
    env.setdefault("DJANGO_SECRET_KEY", settings.SECRET_KEY)
    env.setdefault("DJANGO_DEBUG", "false")
    # The worker runs in the production shape, where the genome keys have no default: hand
    # it the keys this process uses (in local mode, the one derived from SECRET_KEY).
    from genotypes.genome_store import encryption_keys

    env.setdefault("GENOME_ENCRYPTION_KEYS", ",".join(k.decode() for k in encryption_keys()))
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    if _TEST_BROKER_DIR:
        env["GENLIFE_BROKER_DIR"] = _TEST_BROKER_DIR
    if _TEST_CACHE_DIR:
        env["GENLIFE_CACHE_DIR"] = _TEST_CACHE_DIR
    # django-environ reads the path after "filemail:///", so an absolute one takes a fourth /.
    env["EMAIL_URL"] = f"filemail:///{WORKER_MAIL_DIR}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def worker_mail_messages() -> list[email.message.EmailMessage]:
    """Every email the test session's workers have sent so far."""
    messages = []
    for path in sorted(Path(WORKER_MAIL_DIR).glob("*.log")):
        chunks = path.read_bytes().split(b"\n" + b"-" * 79 + b"\n")
        messages += [
            email.message_from_bytes(c, policy=email.policy.default) for c in chunks if c.strip()
        ]
    return messages


# Every worker a test started, so that none outlives the session (see pytest_sessionfinish).
_STARTED_WORKERS: list["WorkerProcess"] = []


class WorkerProcess:
    """A real `celery worker` process; `stop(signal.SIGKILL)` serves the fault tests."""

    # Seconds a warm shutdown may take before the worker is killed. Once a test is over the
    # worker has nothing left to do that the test waits for, and an idle worker's own shutdown
    # takes a few seconds of polling loops (six with the file-system broker).
    STOP_GRACE_SECONDS = 2.0

    def __init__(
        self,
        log_path: Path,
        *,
        app: str = "genlife",
        env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
        launcher: tuple[str, ...] = (),
    ) -> None:
        """`app`, `env` (overrides of `worker_environment()`), `extra_args` and `launcher` (a
        command the worker runs through, e.g. onto another host) serve the fault tests, which
        run workers against private brokers and databases."""
        self.log_path = log_path
        self.app = app
        self.env = dict(env or {})
        self.extra_args = tuple(extra_args)
        self.launcher = tuple(launcher)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # A restarted worker appends to the same log: look for "ready." after this point only.
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    *self.launcher,
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    self.app,
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    "--without-mingle",
                    "--without-gossip",
                    "--pool=prefork",
                    *self.extra_args,
                ],
                cwd=ROOT,
                env={**worker_environment(), **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _STARTED_WORKERS.append(self)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            return b"ready." in self.log_path.read_bytes()[offset:]

        # A hang bound, not a speed goal: a busy machine may take a while to import Django.
        if not wait_until(ready, timeout=120, interval=0.1, raise_on_timeout=False):
            self.stop(signal.SIGKILL)
            raise RuntimeError(f"celery worker did not become ready; see {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: a warm shutdown of at most STOP_GRACE_SECONDS, then the worker, its pool and
        beat are killed. SIGKILL: all of them at once (the fault tests' crash)."""
        if not self.process or self.process.poll() is not None:
            return
        if sig != signal.SIGKILL:
            os.kill(self.process.pid, sig)  # the parent; it tells its pool to finish
            try:
                self.process.wait(timeout=self.STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group: pool processes and beat
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once per session under production settings (manifest), for
    the gunicorn servers the fault and browser tests start."""
    folder = tmp_path_factory.mktemp("static")
    # DEBUG off, as in the servers the tests start: the manifest storage writes its manifest.
    env = {**os.environ, "DJANGO_STATIC_ROOT": str(folder), "DJANGO_DEBUG": "false"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker subprocess consuming from the configured broker."""
    worker = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def pytest_sessionfinish(session, exitstatus):
    for worker in _STARTED_WORKERS:  # none survives the session, whatever failed
        worker.stop(signal.SIGKILL)
    for folder in (_TEST_BROKER_DIR, _TEST_CACHE_DIR, WORKER_MAIL_DIR):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process as soon as they are sent (tests not about the worker)."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
