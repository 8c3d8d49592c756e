"""Upload storm: many members upload a full-size raw-DNA file at the same moment.

Starts the site as bench/load.py does (tests/e2e/site.py: gunicorn with production settings,
a Celery worker with two processes, PostgreSQL, Redis), makes ``--members`` complimentary
members and logs each in through the login form, then every member posts a full-size
23andMe v5 file (``--lines`` lines, generated once, each member's copy carrying its own
genotypes for the LDN SNPs) to the upload page at once. The clock runs from the first post
until the last upload is finished. Meanwhile the worker's processes are sampled for memory
(resident set size, from /proc).

Checks: every upload ends "done" (none failed, none still queued), each member's genotype
report shows the genotypes written into that member's file. Reports the time to drain, the
upload (HTTP) times, and the worker's memory peak (largest single process and whole tree).
Goal from issue 7: every job completes, none is lost. Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/genlife_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/upload_storm.py [--members 20] [--lines 640000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import OUT_DIR, ROOT, Client, environment_check  # noqa: E402

PASSWORD = "storm-member-password-4417"
# Each member's file carries one of these per SNP, chosen by the member's number.
CHOICES = {
    "rs1799971": ("AA", "AG", "GG"),
    "rs4680": ("GG", "AG", "AA"),
    "rs1045642": ("AA", "AG", "GG"),
}


def calls_for(number: int) -> dict[str, str]:
    return {
        rsid: options[(number + i) % len(options)]
        for i, (rsid, options) in enumerate(CHOICES.items())
    }


class MemorySampler(threading.Thread):
    """Samples the resident memory of a process and its descendants every ``interval``."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_process_kib = 0
        self.peak_tree_kib = 0
        self._stopping = threading.Event()

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def _tree(self) -> list[int]:
        pids, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            queue += self._children(pid)
        return pids

    @staticmethod
    def _rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self._stopping.is_set():
            sizes = [self._rss_kib(pid) for pid in self._tree()]
            self.peak_process_kib = max(self.peak_process_kib, max(sizes, default=0))
            self.peak_tree_kib = max(self.peak_tree_kib, sum(sizes))
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def members_create(site, count: int) -> list[str]:
    emails = [f"storm-{n:02d}@genlife.test" for n in range(count)]
    site.manage(
        "shell",
        "-c",
        "from members.services.users import user_ensure_verified\n"
        "from billing.services.memberships import membership_grant_complimentary\n"
        f"for email in {emails!r}:\n"
        f"    user = user_ensure_verified(email=email, password={PASSWORD!r}, name='Storm')\n"
        "    membership_grant_complimentary(user=user)\n",
    )
    return emails


def member_login(site, email: str) -> Client:
    client = Client("127.0.0.1", site.web_port)
    token = client.csrf_token_from("/accounts/login/")
    status, _, text = client.post_form(
        "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD}
    )
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {email} failed (HTTP {status}):\n{text[:1000]}")
    return client


def upload_post(client: Client, data: bytes, name: str) -> tuple[str, float]:
    token = client.csrf_token_from("/genetics/upload/")
    started = time.monotonic()
    status, headers, text = client.post_multipart(
        "/genetics/upload/", {"csrfmiddlewaretoken": token, "consent": "on"}, {"file": (name, data)}
    )
    elapsed = time.monotonic() - started
    if status != 302:
        raise RuntimeError(f"upload refused (HTTP {status}):\n{text[:1000]}")
    return urlsplit(headers["Location"]).path + "status.json", elapsed


def report_genotypes(client: Client) -> dict[str, str]:
    """The genotypes the member's LDN article shows on its report cards, by rsid (or the label
    saying why there is none)."""
    import re

    _, _, html = client.request("GET", "/articles/ldn-naltrexone-genetics/")
    rows = re.findall(
        r'data-rsid="(rs\d+)">.*?(?:<strong class="genotype">|class="gt-label gt-label--[a-z_]+">)'
        r"([^<]+)",
        html,
        re.S,
    )
    return {rsid: cell.strip() for rsid, cell in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument(
        "--lines",
        type=int,
        default=640_000,
        help="lines in each generated 23andMe v5 file (640,000 is full size)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds to wait for the queue to drain"
    )
    args = parser.parse_args()
    database, redis_db = environment_check(need_wrk=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from genotypes.samples import generate_genome
    from tests.e2e.site import Site

    files = [
        generate_genome("23andme", n_snps=args.lines, seed=1000 + n, include=calls_for(n))
        for n in range(args.members)
    ]
    workdir = Path(tempfile.mkdtemp(prefix="genlife-storm-"))
    site = Site(
        workdir,
        database_name=database,
        redis_dbs=(redis_db, redis_db),
        web_workers=3,
        web_threads=1,
        access_log=False,
    )
    try:
        print(f"starting the site in {workdir} ...", flush=True)
        site.start()
        emails = members_create(site, args.members)
        clients = [member_login(site, email) for email in emails]
        sampler = MemorySampler(site.processes["worker"].pid)
        sampler.start()
        print(
            f"{args.members} members upload {len(files[0]) / 1e6:.1f} MB each at once ...",
            flush=True,
        )
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.members) as pool:
            posted = list(
                pool.map(
                    lambda n: upload_post(clients[n], files[n], f"genome_storm_{n:02d}.txt"),
                    range(args.members),
                )
            )
        all_posted = time.monotonic() - started
        pending = {n: status_url for n, (status_url, _) in enumerate(posted)}
        finished: dict[int, dict] = {}
        finish_times: dict[int, float] = {}
        deadline = started + args.timeout
        while pending and time.monotonic() < deadline:
            for n, status_url in list(pending.items()):
                _, _, text = clients[n].request("GET", status_url)
                state = json.loads(text)
                if state["finished"]:
                    finished[n] = state
                    finish_times[n] = time.monotonic() - started
                    del pending[n]
            time.sleep(0.2)
        drained = time.monotonic() - started
        sampler.stop()
        failed = {n: s for n, s in finished.items() if s["status"] != "done"}
        wrong = {}
        for n in finished:
            shown = report_genotypes(clients[n])
            expected = calls_for(n)
            if any(shown.get(rsid) != genotype for rsid, genotype in expected.items()):
                wrong[n] = {"expected": expected, "shown": shown}
        worker_log_tail = site.log("worker")[-2000:] if (pending or failed) else ""
    finally:
        site.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    upload_seconds = [elapsed for _, elapsed in posted]
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "members": args.members,
        "lines": args.lines,
        "file_mb": round(len(files[0]) / 1e6, 1),
        "worker_concurrency": 2,
        "all_posted_s": round(all_posted, 2),
        "upload_http_s": {
            "median": round(statistics.median(upload_seconds), 2),
            "max": round(max(upload_seconds), 2),
        },
        "drain_s": round(drained, 2) if not pending else None,
        "finish_s": {
            "first": round(min(finish_times.values()), 2) if finish_times else None,
            "median": round(statistics.median(finish_times.values()), 2) if finish_times else None,
        },
        "done": len(finished) - len(failed),
        "failed": len(failed),
        "lost": len(pending),
        "wrong_results": len(wrong),
        "worker_peak_rss_mib": {
            "largest_process": round(sampler.peak_process_kib / 1024),
            "whole_tree": round(sampler.peak_tree_kib / 1024),
        },
    }
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"upload-storm-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if failed or pending or wrong:
        print(
            f"PROBLEM: failed {failed}, still pending {sorted(pending)}, wrong {wrong}\n"
            f"{worker_log_tail}"
        )
        sys.exit(1)
    print(f"all {args.members} uploads done in {drained:.1f} s; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
