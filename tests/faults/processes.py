"""Processes the fault tests start, break and bring back: a private Redis, a private PostgreSQL
cluster and gunicorn serving the site. The machine's shared Redis and PostgreSQL are never
stopped; every outage happens to an instance the test itself owns.

Every wait here is bounded, and every ``stop`` is safe to call twice and after a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_port(
    port: int,
    *,
    timeout: float,
    process: subprocess.Popen | None = None,
    what: str = "server",
    host: str = "127.0.0.1",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {host}:{port} within {timeout} s")


def stop_group(
    process: subprocess.Popen | None, *, sig: int = signal.SIGTERM, timeout: float = 20
) -> None:
    """Signal a process started with ``start_new_session=True`` and all its children."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class RedisServer:
    """``redis-server`` on a free loopback port (or on ``host``), in memory only; stop() and
    start() again keep the port, as a restarted production Redis would."""

    def __init__(self, log_path: Path, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    self.host,
                    # Off the loopback (the test hosts' services address) Redis refuses clients
                    # without a password unless told that this network is trusted.
                    "--protected-mode",
                    "yes" if self.host == "127.0.0.1" else "no",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_port(self.port, host=self.host, timeout=15, process=self.process, what="redis-server")

    def stop(self) -> None:
        stop_group(self.process, sig=signal.SIGKILL)


class PostgresCluster:
    """A throw-away PostgreSQL 15 cluster in a temporary folder, run as the ``postgres`` OS
    user (initdb refuses root), on a free port with trust authentication on loopback."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="genlife-faults-pg-"))
        self.data = self.folder / "data"
        self.log_path = self.folder / "postgres.log"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres", group="postgres")
        self._initialised = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self._as_postgres, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if not self._initialised:
            self._run(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
            self._initialised = True
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
            timeout=40,
        )

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, as in a restart or a failover."""
        if self._initialised and (self.data / "postmaster.pid").exists():
            self._run(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "-t",
                "30",
                "stop",
                timeout=40,
            )

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        try:
            self.stop()
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        shutil.rmtree(self.folder, ignore_errors=True)


class WebServer:
    """gunicorn serving genlife with production settings (gunicorn.conf.py, with the test's
    worker and thread counts) and the given environment.

    ``launcher`` runs the server through another command (``tests/faults/hosts.py`` puts it on
    another host), where it listens on ``host`` and ``port`` instead of a free loopback port.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        host: str = "127.0.0.1",
        port: int | None = None,
        launcher: tuple[str, ...] = (),
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.host = host
        self.port = port or free_port()
        self.base_url = f"http://{host}:{self.port}"
        self.workers = workers
        self.threads = threads
        self.launcher = tuple(launcher)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    *self.launcher,
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "genlife.wsgi:application",
                    "--config",
                    str(ROOT / "gunicorn.conf.py"),
                    "--bind",
                    f"{self.host}:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_port(self.port, host=self.host, timeout=60, process=self.process, what="gunicorn")

    def worker_pids(self) -> set[int]:
        """The pids of gunicorn's worker processes (children of the master)."""
        if self.process is None:
            return set()
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except OSError:
            return set()

    def stop(self) -> None:
        stop_group(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def http(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, bytes, dict, float]:
    """One request without following redirects: (status, body, headers, seconds taken)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response:
            return (
                response.status,
                response.read(),
                dict(response.headers),
                time.monotonic() - started,
            )
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers), time.monotonic() - started
