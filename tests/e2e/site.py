"""The whole site on loopback for browser tests: gunicorn with production settings and collected
static files, a Celery worker, devstripe (the click-through Stripe stand-in), and a database of
its own.

The browser tests talk to these processes only over HTTP, as a person would; the test process
never touches the site's database. PostgreSQL and Redis are used when the environment names
them (CI), the embedded SQLite and file-system broker otherwise.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import urlsafe_b64encode
from email import policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
ADMIN_LOGIN = ("editor@genlife.test", "e2e-editor-password-7421")
# The editor is a superuser, so the admin asks for a TOTP code too (genlife/admin_site.py).
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
WEBHOOK_SECRET = "whsec_e2e_browser_journeys"
# The site asks for the password again this long after it was last given, so that the
# journeys meet the prompt.
REAUTHENTICATION_SECONDS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Site:
    """The site's processes. The keyword options exist for bench/load.py; their defaults are
    what the browser tests use.

    database_name: the PostgreSQL database to (re)create (default: one per test process).
    redis_dbs: Redis database numbers for the broker and the cache (may be the same one).
    web_workers, web_threads: gunicorn's process and thread counts (the rest: gunicorn.conf.py,
        as in production).
    access_log: gunicorn writes an access log line per request to web.log.
    extra_env: further environment variables for every process (e.g. GENLIFE_BENCH_FLOOR).
    redis_url: a Redis of the site's own (a private redis-server) to use, with `redis_dbs`,
        instead of the configured one, which concurrent test runs on one machine share.
    static_root: a folder where `collectstatic` already ran (production settings); by default
        the site collects its own.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        database_name: str = "",
        redis_dbs: tuple[int, int] = (6, 7),
        web_workers: int = 2,
        web_threads: int = 4,
        access_log: bool = True,
        extra_env: dict[str, str] | None = None,
        static_root: Path | None = None,
        redis_url: str = "",
    ) -> None:
        self.workdir = workdir
        self.static_root = static_root
        self._redis_url = redis_url
        self.web_workers = web_workers
        self.web_threads = web_threads
        self.access_log = access_log
        self._requested_database = database_name
        self._redis_dbs = redis_dbs
        self._extra_env = dict(extra_env or {})
        self.web_port = free_port()
        self.stripe_port = free_port()
        self.base_url = f"http://localhost:{self.web_port}"
        self.stripe_url = f"http://127.0.0.1:{self.stripe_port}"
        self.mail_dir = workdir / "mail"
        self.processes: dict[str, subprocess.Popen] = {}
        self._database_name = ""
        self.env = self._environment()

    # --- configuration --------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STRIPE_"))}
        outer_db = os.environ.get("DATABASE_URL", "")
        if outer_db.startswith("postgres"):
            self._database_name = self._requested_database or f"genlife_e2e_{os.getpid()}"
            env["DATABASE_URL"] = _with_path(outer_db, "/" + self._database_name)
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.workdir / 'e2e.sqlite3'}"
        outer_broker = self._redis_url or os.environ.get("CELERY_BROKER_URL", "")
        if outer_broker.startswith("redis"):
            broker_db, cache_db = self._redis_dbs
            env["CELERY_BROKER_URL"] = _with_path(outer_broker, f"/{broker_db}")
            env["REDIS_URL"] = _with_path(outer_broker, f"/{cache_db}")
        else:
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["GENLIFE_BROKER_DIR"] = str(self.workdir / "broker")
            env.pop("REDIS_URL", None)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "genlife.settings",
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": "e2e-" + urlsafe_b64encode(os.urandom(30)).decode(),
                "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
                # Loopback has no TLS in front; everything else stays as in production.
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DJANGO_STATIC_ROOT": str(self.static_root or self.workdir / "static"),
                "DJANGO_MEDIA_ROOT": str(self.workdir / "media"),
                "GENLIFE_DATA_DIR": str(self.workdir / "data"),
                "GENLIFE_SITE_URL": self.base_url,
                "EMAIL_URL": f"filemail:///{self.mail_dir}",
                "GENOME_ENCRYPTION_KEYS": urlsafe_b64encode(os.urandom(32)).decode(),
                "STRIPE_SECRET_KEY": "sk_test_e2e_browser",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_e2e_browser",
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "STRIPE_API_BASE": self.stripe_url,
                "GENLIFE_REAUTHENTICATION_TIMEOUT": str(REAUTHENTICATION_SECONDS),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self._extra_env)
        return env

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._create_database()
        self._flush_redis()
        # collectstatic needs no database: it runs beside the one process that migrates, loads
        # the demo content and creates the plans (each manage.py start costs seconds of
        # imports), unless the static files were collected already.
        collectstatic = None
        if self.static_root is None:
            collectstatic = subprocess.Popen(
                [sys.executable, "manage.py", "collectstatic", "--noinput"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        # devstripe first: the same process then creates the plans on it.
        self._spawn(
            "stripe",
            [
                sys.executable,
                "-m",
                "devstripe",
                "--port",
                str(self.stripe_port),
                "--webhook-url",
                f"http://127.0.0.1:{self.web_port}/stripe/webhook/",
                "--webhook-secret",
                WEBHOOK_SECRET,
                "--public-url",
                self.stripe_url,
            ],
        )
        self._wait_for_log("stripe", b"DEVSTRIPE_READY")
        self.manage(
            "shell",
            "-c",
            "from django.core.management import call_command; "
            "call_command('migrate', interactive=False, verbosity=0); "
            "call_command('load_demo_snps'); call_command('load_demo_articles'); "
            "from members.services.users import user_ensure_verified; "
            "from allauth.mfa.totp.internal.auth import TOTP; "
            f"editor = user_ensure_verified(email='{ADMIN_LOGIN[0]}', password='{ADMIN_LOGIN[1]}', "
            "is_staff=True, name='Erin Editor'); "
            f"TOTP.activate(editor, '{ADMIN_TOTP_SECRET}'); "
            "call_command('stripe_sync_plans')",
        )
        if collectstatic is not None:
            output, _ = collectstatic.communicate(timeout=600)
            if collectstatic.returncode != 0:
                raise RuntimeError(f"manage.py collectstatic failed:\n{output}")
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "genlife.wsgi:application",
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.web_threads),
                "--timeout",
                "60",
                *(["--access-logfile", "-"] if self.access_log else []),
            ],
        )
        self._spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "genlife",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
            ],
        )
        self._wait_for_http(f"{self.base_url}/healthz", "web server")
        self._wait_for_log("worker", b"ready.")

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM to every process group, `grace` seconds for all of them to finish, then
        SIGKILL (an idle Celery worker alone takes several seconds to wind down)."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # what is left of the group
            except ProcessLookupError:
                pass
            process.wait(timeout=30)
        if self._database_name:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')

    # --- helpers --------------------------------------------------------------------------
    def manage(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def emails(self) -> list[email.message.EmailMessage]:
        """Every email the site has sent, oldest first (the file backend's .log files)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk, policy=policy.default))
        return messages

    def _spawn(self, name: str, command: list[str]) -> None:
        with open(self.workdir / f"{name}.log", "ab") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_for_http(self, url: str, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{what} did not answer at {url}")

    def _wait_for_log(self, name: str, marker: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in (self.workdir / f"{name}.log").read_bytes():
                return
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not start:\n{self.log(name)[-3000:]}")

    def _admin_sql(self, statement: str) -> None:
        import psycopg

        admin_url = _with_path(os.environ["DATABASE_URL"], "/postgres")
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def _create_database(self) -> None:
        if self._database_name:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')
            self._admin_sql(f'CREATE DATABASE "{self._database_name}"')

    def _flush_redis(self) -> None:
        if self.env["CELERY_BROKER_URL"].startswith("redis"):
            import redis

            for url in {self.env["CELERY_BROKER_URL"], self.env["REDIS_URL"]}:
                redis.Redis.from_url(url).flushdb()
