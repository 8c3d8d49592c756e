"""Throughput and latency of the main pages under load, each as a ratio to a bare Django view.

Starts the whole site on loopback the way the browser tests do (``tests/e2e/site.py``:
gunicorn with production settings and collected static files, a Celery worker, the fake
Stripe server, PostgreSQL and Redis), with the floor view enabled (``GENLIFE_BENCH_FLOOR=1``).
A member is created, logs in through the login form and uploads a generated 23andMe file
through the upload page; the worker parses it, so the member's LDN article shows a filled
genotype table. ``--members`` minus one more members are made through the services, so that
the member pages are requested with that many sessions in turn (one per connection by
default), as fifty different readers would. Then, for each target in turn, ``wrk`` (a
separate process, loopback only) runs for a fixed time with the same number of connections
and records requests/s, p50/p95 latency, responses outside 2xx and socket errors.

Goals from issue 7 on the 2-core machine: anonymous article >= 50% of the floor, member
article >= 25%, no errors at 50 concurrent clients. Usage (PostgreSQL and Redis required)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/genlife_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/load.py [--duration 20] [--connections 50] [--workers 2]

The site gets the database named in DATABASE_URL (dropped and re-created) and the Redis
database named in CELERY_BROKER_URL for both broker and cache (flushed). Results are printed
as a table and written as JSON under ``bench/out/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"
LDN_SLUG = "ldn-naltrexone-genetics"
MEMBER = ("load-member@genlife.test", "load-member-password-5830")
# Genotypes written into the member's file for the LDN report's SNPs (rs17134592 is left out
# on purpose, so the table also has a "not on your chip" row).
CALLS = {
    "rs1799971": "AG",
    "rs4680": "AG",
    "rs1045642": "AA",
    "rs2032582": "AC",
    "rs4986790": "AA",
    "rs4986791": "CT",
    "rs3829125": "CG",
}
GOALS = {"article_anonymous": 0.50, "article_member": 0.25, "floor_identified": 0.40}


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    member: bool = False
    # Text the page must contain (and, for the anonymous article, must not contain) before it
    # is measured, so that the benchmark measures the page it claims to.
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()


TARGETS = [
    Target("floor", "/bench/floor", must_contain=("floor",)),
    # The floor again with the member's session: what being logged in costs every request
    # (session, user and session-activity queries) before any page does its own work.
    Target("floor_member", "/bench/floor", member=True, must_contain=("floor",)),
    # The identified floor: session, user and membership, and nothing else (what every member
    # page pays before its own work).
    Target("floor_identified", "/bench/identified", member=True, must_contain=("member",)),
    Target(
        "article_anonymous",
        f"/articles/{LDN_SLUG}/",
        must_contain=("Your genotype report",),
        must_not_contain=("variant-cards",),
    ),
    Target(
        "article_member",
        f"/articles/{LDN_SLUG}/",
        member=True,
        must_contain=('data-rsid="rs1799971"', '<strong class="genotype">AG</strong>'),
    ),
    Target("home", "/", must_contain=("<h1",)),
    Target("search", "/search/?" + urlencode({"q": "naltrexone"}), must_contain=(LDN_SLUG,)),
]


# --- a tiny HTTP client that keeps cookies ---------------------------------------------------


@dataclass
class Client:
    """Enough of a browser for logging in and uploading: cookies, CSRF tokens, no redirects.

    The site marks its cookies Secure (production settings); over loopback HTTP we send them
    anyway, as the TLS-terminating proxy in front of production would.
    """

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        all_headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, dict(response.headers.items()), text
        finally:
            connection.close()

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def csrf_token_from(self, path: str) -> str:
        status, _, text = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if status != 200 or not match:
            raise RuntimeError(f"no form with a CSRF token at {path} (HTTP {status})")
        return match.group(1)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        body = urlencode(fields).encode()
        return self.request(
            "POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_multipart(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, str], str]:
        boundary = "----genlife-load-" + uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, data) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            body=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


# --- preparing the member --------------------------------------------------------------------


def member_prepare(site, *, genome_snps: int) -> Client:
    """A complimentary member, logged in through the form, whose upload the worker has parsed."""
    site.manage(
        "shell",
        "-c",
        "from members.services.users import user_ensure_verified; "
        "from billing.services.memberships import membership_grant_complimentary; "
        f"user = user_ensure_verified(email='{MEMBER[0]}', password='{MEMBER[1]}', "
        "name='Lena Load'); membership_grant_complimentary(user=user)",
    )
    client = Client("127.0.0.1", site.web_port)
    token = client.csrf_token_from("/accounts/login/")
    status, headers, text = client.post_form(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "login": MEMBER[0], "password": MEMBER[1]},
    )
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login failed (HTTP {status}):\n{text[:2000]}")

    from genotypes.samples import generate_genome

    data = generate_genome("23andme", n_snps=genome_snps, seed=77, include=CALLS)
    token = client.csrf_token_from("/genetics/upload/")
    started = time.monotonic()
    status, headers, text = client.post_multipart(
        "/genetics/upload/",
        {"csrfmiddlewaretoken": token, "consent": "on"},
        {"file": ("genome_load_member.txt", data)},
    )
    if status != 302:
        raise RuntimeError(f"upload refused (HTTP {status}):\n{text[:2000]}")
    status_json = urlsplit(headers["Location"]).path + "status.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, _, text = client.request("GET", status_json)
        state = json.loads(text)
        if state["finished"]:
            if state["status"] != "done":
                raise RuntimeError(f"the worker could not parse the member's file: {state}")
            print(
                f"member's upload ({len(data) / 1e6:.1f} MB, {state['snp_count']} SNPs) parsed "
                f"in {time.monotonic() - started:.1f} s"
            )
            return client
        time.sleep(0.2)
    raise RuntimeError(
        "the worker did not finish the member's upload:\n" + site.log("worker")[-3000:]
    )


OTHER_MEMBERS_SCRIPT = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from genotypes.samples import generate_genome
from genotypes.services.uploads import genome_upload_create
from billing.services.memberships import membership_grant_complimentary
from members.services.users import user_ensure_verified

for number in range({count}):
    user = user_ensure_verified(email=f"load-member-{{number:03d}}@genlife.test",
                                password="{password}", name="Load Member")
    membership_grant_complimentary(user=user)
    data = generate_genome("23andme", n_snps={snps}, seed=number, include={calls!r})
    upload = genome_upload_create(user=user, consent=True,
                                  file=SimpleUploadedFile("genome.txt", data))
    client = Client()
    client.force_login(user)
    print(json.dumps({{"sessionid": client.cookies["sessionid"].value,
                      "upload": str(upload.pk)}}))
"""


def other_members_prepare(site, *, count: int, genome_snps: int) -> list[Client]:
    """More members, so that the load comes from many sessions as it would in production.

    Made through the services (account, membership, genome upload) and logged in with
    Django's test client, since the login form's rate limit (30 a minute from one address)
    would refuse fifty logins from loopback; the worker parses their uploads as usual.
    """
    if count <= 0:
        return []
    result = site.manage(
        "shell",
        "-c",
        OTHER_MEMBERS_SCRIPT.format(count=count, password=MEMBER[1], snps=genome_snps, calls=CALLS),
    )
    made = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    clients = []
    for member in made:
        client = Client("127.0.0.1", site.web_port, cookies={"sessionid": member["sessionid"]})
        status_json = f"/genetics/uploads/{member['upload']}/status.json"
        deadline = time.monotonic() + 180
        while True:
            _, _, text = client.request("GET", status_json)
            state = json.loads(text)
            if state["finished"] and state["status"] == "done":
                break
            if state["finished"] or time.monotonic() > deadline:
                raise RuntimeError(f"a member's upload was not parsed: {state}")
            time.sleep(0.2)
        clients.append(client)
    print(f"{len(clients)} more members, each with a parsed upload")
    return clients


def targets_check(site, client: Client, targets: list[Target] = TARGETS) -> None:
    """Each page answers 200 with what it should show, before anything is timed."""
    for target in targets:
        page = client if target.member else Client("127.0.0.1", site.web_port)
        status, _, text = page.request("GET", target.path)
        missing = [s for s in target.must_contain if s not in text]
        present = [s for s in target.must_not_contain if s in text]
        if status != 200 or missing or present:
            raise RuntimeError(
                f"{target.name} {target.path}: HTTP {status}, missing {missing}, "
                f"unexpected {present}"
            )


# --- running wrk -----------------------------------------------------------------------------


def wrk_run(
    url: str, *, duration: float, connections: int, threads: int, cookie_file: Path | None = None
) -> dict:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
    ]
    command.append(url)
    if cookie_file is not None:
        command += ["--", str(cookie_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((out for out in result.stdout.splitlines() if out.startswith("WRK_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(
        raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p95_ms": round(raw["latency_us"]["p95"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "mean_ms": round(raw["latency_us"]["mean"] / 1000, 2),
        "non2xx": raw["non2xx"],
        "socket_errors": socket_errors,
        "wrk": raw,
    }


def profile_pages(site, targets: list[Target], *, cookie: str) -> None:
    """Run bench/profile_pages.py in the site's environment; print and keep its report."""
    command = [sys.executable, str(ROOT / "bench" / "profile_pages.py"), "--cookie", cookie]
    for target in targets:
        command += ["--page", target.name, target.path]
        if target.member:
            command += ["--member", target.name]
    result = subprocess.run(
        command, cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"profiling failed:\n{result.stdout}\n{result.stderr}")
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"profile-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.txt"
    out.write_text(result.stdout)
    for line in result.stdout.splitlines():
        if line.startswith("==="):
            print(line)
    print(f"profiles written to {out.relative_to(ROOT)}")


def runs_combine(runs: list[dict]) -> dict:
    """A page's figures over rounds: medians of rate and latencies, sums of counts."""
    combined = {
        key: statistics.median(run[key] for run in runs)
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
    }
    combined.update(
        {key: sum(run[key] for run in runs) for key in ("requests", "non2xx", "socket_errors")}
    )
    combined["max_ms"] = max(run["max_ms"] for run in runs)
    combined["rounds"] = [{k: v for k, v in run.items() if k != "wrk"} for run in runs]
    return combined


# --- reporting -------------------------------------------------------------------------------


def _command_output(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (
        (result.stdout or result.stderr).strip().splitlines()[0]
        if (result.stdout or result.stderr)
        else ""
    )


def machine_describe(site) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    import psycopg
    import redis

    with psycopg.connect(site.env["DATABASE_URL"]) as db:
        postgres = db.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(site.env["REDIS_URL"]).info("server")["redis_version"]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": redis_version,
        "wrk": _command_output("wrk", "--version"),
        "git_commit": commit,
        # Several engineers share this working tree: say whether it differed from the commit.
        "uncommitted_files": len(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout.splitlines()
        ),
    }


def table_format(results: dict[str, dict]) -> str:
    floor = results["floor"]["rps"]
    lines = [
        f"{'page':<18} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}"
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<18} {r['rps']:>8.1f} {r['rps'] / floor:>6.0%} {r['p50_ms']:>8.1f} "
            f"{r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['non2xx']:>8} "
            f"{r['socket_errors']:>8}"
        )
    return "\n".join(lines)


def goals_check(results: dict[str, dict]) -> dict[str, bool]:
    floor = results["floor"]["rps"]
    checks = {
        f"{name} >= {share:.0%} of floor": results[name]["rps"] / floor >= share
        for name, share in GOALS.items()
        if name in results
    }
    checks["no errors"] = all(
        r["non2xx"] == 0 and r["socket_errors"] == 0 for r in results.values()
    )
    return checks


# --- main ------------------------------------------------------------------------------------


def site_stop(site, workdir: Path, *, keep_logs: bool) -> None:
    """Stop the site's processes; keep its working folder (the logs) only when asked."""
    site.stop()
    if keep_logs:
        print(f"site logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def environment_check(*, need_wrk: bool = True) -> tuple[str, int]:
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url.startswith("postgres") or not broker_url.startswith("redis"):
        sys.exit(
            "bench/load.py measures the production shape: set DATABASE_URL to PostgreSQL "
            "and CELERY_BROKER_URL (and REDIS_URL) to Redis; see the module docstring."
        )
    if need_wrk and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    database = urlsplit(database_url).path.lstrip("/")
    if not database or database == "postgres":
        sys.exit("DATABASE_URL must name a database of its own; it is dropped and re-created")
    redis_db = int(urlsplit(broker_url).path.lstrip("/") or 0)
    import redis

    # A worker left over from another run on the same Redis database would take this run's
    # parse task and fail it (its media folder is elsewhere): refuse to start instead.
    clients = redis.Redis.from_url(broker_url).client_list()
    others = [c for c in clients if c.get("db") == str(redis_db)]
    if len(others) > 1:  # our own connection is one of them
        sys.exit(
            f"{len(others) - 1} other client(s) are connected to Redis database {redis_db}; "
            "stop them or pick another database number in CELERY_BROKER_URL"
        )
    return database, redis_db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds of wrk per page and round"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds over all pages; a page's figures are its medians over rounds",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=3,
        help="seconds of wrk per page before measuring, not recorded",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn worker processes (3, as in the Dockerfile)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker (1: sync workers, as in the Dockerfile)",
    )
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (each a busy CPU; the server shares the machine)",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=50,
        help="members whose sessions the member pages rotate through",
    )
    parser.add_argument(
        "--genome-snps",
        type=int,
        default=20_000,
        help="lines in the member's generated 23andMe file",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="PAGE",
        help="measure only these pages (the floor is always measured)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile each page in process (bench/profile_pages.py)",
    )
    parser.add_argument(
        "--settings-module",
        default="genlife.settings",
        help="for what-if experiments: a module that imports genlife.settings "
        "and changes one thing (bench/whatif/ is on the path)",
    )
    parser.add_argument(
        "--keep-logs",
        action="store_true",
        help="keep the site's working folder (logs) and print its path",
    )
    args = parser.parse_args()
    database, redis_db = environment_check()
    # A timeout or kill must still stop the site's processes (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    from tests.e2e.site import Site

    targets = [t for t in TARGETS if args.only is None or t.name in args.only or t.name == "floor"]
    workdir = Path(tempfile.mkdtemp(prefix="genlife-load-"))
    site = Site(
        workdir,
        database_name=database,
        redis_dbs=(redis_db, redis_db),
        web_workers=args.workers,
        web_threads=args.threads,
        access_log=False,
        extra_env={
            "GENLIFE_BENCH_FLOOR": "1",
            "DJANGO_SETTINGS_MODULE": args.settings_module,
            # where the what-if settings modules live
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT / "bench" / "whatif"), os.environ.get("PYTHONPATH")])
            ),
        },
    )
    results: dict[str, dict] = {}
    try:
        print(f"starting the site in {workdir} ...", flush=True)
        site.start()
        client = member_prepare(site, genome_snps=args.genome_snps)
        others = other_members_prepare(site, count=args.members - 1, genome_snps=args.genome_snps)
        targets_check(site, client)
        if others:
            targets_check(site, others[-1])
        cookie_file = workdir / "member-cookies.txt"
        cookie_file.write_text("".join(c.cookie_header() + "\n" for c in [client, *others]))
        base = f"http://127.0.0.1:{site.web_port}"
        for target in targets:
            wrk_run(
                base + target.path,
                duration=args.warmup,
                connections=args.connections,
                threads=args.wrk_threads,
                cookie_file=cookie_file if target.member else None,
            )
        # Rounds interleave the pages, so that a burst of other work on the shared machine
        # lands on every page alike rather than on whichever page ran at the time.
        runs: dict[str, list[dict]] = {t.name: [] for t in targets}
        for round_number in range(1, args.rounds + 1):
            for target in targets:
                print(
                    f"round {round_number}/{args.rounds}: {target.name} ({target.path}) "
                    f"for {args.duration:g} s ...",
                    flush=True,
                )
                runs[target.name].append(
                    wrk_run(
                        base + target.path,
                        duration=args.duration,
                        connections=args.connections,
                        threads=args.wrk_threads,
                        cookie_file=cookie_file if target.member else None,
                    )
                )
                time.sleep(1)
        results = {
            t.name: {"path": t.path, "member": t.member, **runs_combine(runs[t.name])}
            for t in targets
        }
        machine = machine_describe(site)
        if args.profile:
            profile_pages(site, targets, cookie=client.cookie_header())
    finally:
        site_stop(site, workdir, keep_logs=args.keep_logs)

    goals = goals_check(results)
    floor = results["floor"]["rps"]
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "settings_module": args.settings_module,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "wrk_threads": args.wrk_threads,
            "genome_snps": args.genome_snps,
            "members": args.members,
        },
        "machine": machine,
        "results": {
            name: {**r, "ratio_to_floor": round(r["rps"] / floor, 3)} for name, r in results.items()
        },
        "goals": goals,
    }
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"load-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(
        f"{machine['cpu']}, {machine['cores']} cores; gunicorn {args.workers}x{args.threads}, "
        f"wrk {args.connections} connections, "
        f"{args.rounds} rounds of {args.duration:g} s per page"
    )
    print(table_format(results))
    print()
    for goal, met in goals.items():
        print(f"{'met   ' if met else 'MISSED'} {goal}")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
