"""Shared set-up for the pipeline benchmarks: a bench database, media folder and workers.

The benchmarks run against real PostgreSQL and Redis (``DATABASE_URL`` and
``CELERY_BROKER_URL`` from the environment; defaults: database ``genlife_bench`` on
127.0.0.1, Redis db 14). The database is created if needed and migrated; the media folder is
a temporary directory shared with the worker processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure() -> dict[str, str]:
    from cryptography.fernet import Fernet

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/genlife_bench")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("REDIS_URL", os.environ["CELERY_BROKER_URL"])
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="genlife-bench-media-"))
    os.environ.setdefault("GENOME_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genlife.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    sys.path.insert(0, str(ROOT))
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return dict(os.environ)


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "select 1 from pg_database where datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'create database "{name}"')


def purge_broker() -> None:
    from genlife.celery import app

    app.control.purge()


class Workers:
    """``celery worker`` with N prefork processes, started fresh for the measurement."""

    def __init__(self, concurrency: int = 2) -> None:
        self.log = Path(tempfile.mkstemp(prefix="genlife-bench-worker-", suffix=".log")[1])
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Workers:
        handle = open(self.log, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "genlife",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--without-mingle",
                "--without-gossip",
                "--pool=prefork",
                "-E",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b"ready." not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise SystemExit(f"worker did not start; see {self.log}")
            time.sleep(0.2)
        return self

    def peak_rss_mib(self) -> float:
        """Largest RSS among the worker's processes right now (MiB)."""
        if not self.process:
            return 0.0
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        peak = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
