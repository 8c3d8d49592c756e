"""Slow clients against gunicorn: the old sync workers and gunicorn.conf.py, side by side.

Starts two gunicorn servers on loopback, both serving genlife on the embedded default (a
private SQLite file and file-system broker in a temporary folder): *old*, the previous
production command (``--workers 3``, sync workers), and *new*, ``--config gunicorn.conf.py``
(the Dockerfile's and docker-compose's command today). Then, for each count in
``--clients``, opens that many slow clients against both servers at once; each connects and
sends ``GET /healthz`` one byte every ``--byte-interval`` seconds, never finishing within the
round (a Slowloris-style client, or a phone on a bad line). Meanwhile a probe asks each server
for /healthz every 0.5 s with a 3 s timeout (docker-compose's health check allows 3 s) and
records the answer time or the timeout.

Bounded: at most 64 clients per server, rounds of at most 60 s, loopback only, and every
process and socket is closed at the end. Usage::

    .venv/bin/python bench/slow_clients.py [--clients 3 12] [--seconds 12]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
PROBE_TIMEOUT = 3.0
# The web command before gunicorn.conf.py. gunicorn reads ./gunicorn.conf.py by default, so
# the old server is given an empty configuration file instead.
OLD_OPTIONS = ["--workers", "3", "--timeout", "60"]
NEW_COMMAND = ["--config", str(ROOT / "gunicorn.conf.py")]
REQUEST = (
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client\r\n"
    + b"X-Pad: "
    + (b"a" * 200)
    + b"\r\n\r\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, options: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = folder / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "genlife.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    *options,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (a 503 is still an answer)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def slow_client(port: int, interval: float, stop: threading.Event, opened: list) -> None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    opened.append(sock)
    try:
        for byte in REQUEST[:-4]:  # never the final blank line within a round
            if stop.wait(interval):
                return
            sock.sendall(bytes([byte]))
        stop.wait()
    except OSError:
        return  # the server closed us: fine, that is what a buffering front end does
    finally:
        sock.close()


def probe(server: Server, stop: threading.Event, results: list) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            with urllib.request.urlopen(server.url("/healthz"), timeout=PROBE_TIMEOUT) as answer:
                answer.read()
            results.append(time.monotonic() - started)
        except urllib.error.HTTPError as error:  # answered (e.g. 503): still not stalled
            error.read()
            results.append(time.monotonic() - started)
        except OSError:
            results.append(None)  # timed out: a health check would fail
        stop.wait(max(0.0, 0.5 - (time.monotonic() - started)))


def summary(results: list) -> dict:
    answered = [r for r in results if r is not None]
    return {
        "probes": len(results),
        "timed_out": len(results) - len(answered),
        "p50_ms": round(statistics.median(answered) * 1000, 1) if answered else None,
        "max_ms": round(max(answered) * 1000, 1) if answered else None,
    }


def run_round(servers: list[Server], clients: int, seconds: float, interval: float) -> dict:
    stop = threading.Event()
    opened: list = []
    results = {server.name: [] for server in servers}
    threads = [
        threading.Thread(
            target=slow_client, args=(server.port, interval, stop, opened), daemon=True
        )
        for server in servers
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(min(2.0, seconds / 4))  # the slow clients connect and start sending
    probes = [
        threading.Thread(target=probe, args=(server, stop, results[server.name]), daemon=True)
        for server in servers
    ]
    for thread in probes:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads + probes:
        thread.join(timeout=PROBE_TIMEOUT + 5)
    for sock in opened:
        sock.close()
    return {name: summary(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[3, 12])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--byte-interval", type=float, default=0.5)
    args = parser.parse_args()
    if any(not 1 <= n <= 64 for n in args.clients) or not 1 <= args.seconds <= 60:
        parser.error("1-64 clients per server and rounds of 1-60 s")

    folder = Path(tempfile.mkdtemp(prefix="genlife-slow-clients-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "GENLIFE_"))
    }
    env.update({"GENLIFE_DATA_DIR": str(folder / "data"), "DJANGO_LOG_LEVEL": "WARNING"})
    servers: list[Server] = []
    report = {"clients": {}, "byte_interval_s": args.byte_interval, "seconds": args.seconds}
    try:
        empty_config = folder / "empty.conf.py"
        empty_config.write_text("")
        servers = [
            Server(
                "old (sync, 3 workers)", ["--config", str(empty_config), *OLD_OPTIONS], env, folder
            ),
            Server("new (gunicorn.conf.py)", NEW_COMMAND, env, folder),
        ]
        for server in servers:
            server.wait_ready()
        print(
            f"/healthz probed every 0.5 s with a {PROBE_TIMEOUT:.0f} s timeout while N slow "
            f"clients send a request one byte every {args.byte_interval} s "
            f"({args.seconds:.0f} s a round)\n"
        )
        print(
            f"{'N':>3}  {'server':<24} {'probes':>6} {'timed out':>9} {'p50 ms':>8} {'max ms':>8}"
        )
        for count in [0, *args.clients]:
            figures = run_round(servers, count, args.seconds, args.byte_interval)
            report["clients"][count] = figures
            for name, row in figures.items():
                print(
                    f"{count:>3}  {name:<24} {row['probes']:>6} {row['timed_out']:>9} "
                    f"{row['p50_ms'] if row['p50_ms'] is not None else '-':>8} "
                    f"{row['max_ms'] if row['max_ms'] is not None else '-':>8}"
                )
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "slow_clients.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
