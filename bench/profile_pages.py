"""Where a page's time goes, in process: queries, cache calls and the hottest functions.

Run by ``bench/load.py --profile`` inside the running site's environment (same database,
cache and settings as gunicorn), so the figures describe the pages that were just loaded.
Each page is requested through Django's test client (the whole middleware stack, no
network): ``--warm`` requests first, then ``--repeat`` timed ones under cProfile. Prints,
per page: milliseconds per request in process, SQL queries and cache calls per request,
and the functions with the most cumulative time (our code and templates first).

    .venv/bin/python bench/profile_pages.py --page NAME PATH [--cookie 'sessionid=...'] ...
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cache_counter():
    """Count calls on the default cache backend's class, by method name."""
    from django.core.cache import caches

    calls: Counter = Counter()
    backend_class = type(caches["default"])
    for name in ("get", "get_many", "set", "add", "delete", "incr", "touch", "has_key"):
        original = getattr(backend_class, name, None)
        if original is None:
            continue

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        setattr(backend_class, name, counted)
    return calls


def page_profile(client, path: str, *, calls: Counter, warm: int, repeat: int, top: int) -> dict:
    from django.db import connection

    for _ in range(warm):
        response = client.get(path, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, (path, response.status_code)
    calls.clear()
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(path, HTTP_HOST="127.0.0.1")
    per_request_cache = dict(calls)
    # Timed without the profiler first: wall time, and this process's CPU time (which other
    # work on a shared machine disturbs less; PostgreSQL and Redis time is not in it).
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        client.get(path, HTTP_HOST="127.0.0.1")
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        response = client.get(path, HTTP_HOST="127.0.0.1")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top // 2)
    return {
        "ms_per_request": round(1000 * wall / repeat, 2),
        "cpu_ms_per_request": round(1000 * cpu / repeat, 2),
        "bytes": len(response.content),
        "queries": len(queries),
        "query_sql": [sql[:160] for sql in queries],
        "cache_calls": per_request_cache,
        "profile": out.getvalue(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", nargs=2, action="append", metavar=("NAME", "PATH"), required=True)
    parser.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="NAME",
        help="pages requested with the member's session cookie",
    )
    parser.add_argument("--cookie", default="", help="the member's Cookie header")
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genlife.settings")
    import django

    django.setup()
    from django.test import Client

    calls = _cache_counter()
    report = {}
    for name, path in args.page:
        client = Client()
        if name in args.member:
            for pair in args.cookie.split("; "):
                key, _, value = pair.partition("=")
                client.cookies[key] = value
        report[name] = page_profile(
            client, path, calls=calls, warm=args.warm, repeat=args.repeat, top=args.top
        )
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, r in report.items():
        print(
            f"=== {name}: {r['ms_per_request']} ms/request in process "
            f"({r['cpu_ms_per_request']} ms CPU), {r['bytes']} bytes, "
            f"{r['queries']} queries, cache calls {r['cache_calls']}"
        )
        for sql in r["query_sql"]:
            print(f"    SQL {sql}")
        print(r["profile"])


if __name__ == "__main__":
    main()
