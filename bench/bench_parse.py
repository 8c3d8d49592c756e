"""Parse a full-size 23andMe v5 file with our parser and with ``snps.SNPs`` in one run.

Each reader runs in its own subprocess so that wall time includes interpreter start-up and
imports (the child also reports its time with and without the imports), and peak RSS is that
process's own high-water mark (``VmHWM``). Every reader
runs ``--repeat`` times per file; medians are reported, with our figures as ratios of the
``snps`` library's. Usage (the ``bench`` extra installs snps)::

    .venv/bin/python bench/bench_parse.py [--lines 640000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD_OURS = """
import sys, time
t = time.perf_counter()
from genotypes.parsers import parse_genome
imported = time.perf_counter()
genome = parse_genome(sys.argv[1])
elapsed = time.perf_counter() - t
parse_only = time.perf_counter() - imported
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(genome.snp_count, parse_only, elapsed, hwm)
"""

CHILD_SNPS = """
import sys, time
t = time.perf_counter()
from snps import SNPs
imported = time.perf_counter()
s = SNPs(sys.argv[1])
elapsed = time.perf_counter() - t
parse_only = time.perf_counter() - imported
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(s.count, parse_only, elapsed, hwm)
"""


def run_child(code: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    _, status, _usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    process.stdout.close()
    process.stderr.close()
    if status != 0:
        raise SystemExit(f"reader failed:\n{err}")
    # Peak RSS is the child's own VmHWM: ru_maxrss would carry over the parent's high-water
    # mark through fork and exec on Linux.
    count, parse_only, in_process, hwm_kib = out.split()[-4:]
    return {
        "wall_s": wall,
        "peak_mib": int(hwm_kib) / 1024,
        "in_process_s": float(in_process),
        "parse_only_s": float(parse_only),
        "snps": int(count),
    }


def median_of(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=640_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from genotypes.samples import generate_genome

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "genome_23andme_v5.txt"
        gz = Path(tmp) / "genome_23andme_v5.txt.gz"
        plain.write_bytes(generate_genome("23andme", n_snps=args.lines, seed=5))
        gz.write_bytes(generate_genome("23andme", n_snps=args.lines, seed=5, compression="gzip"))
        for label, path in (("plain", plain), ("gzip", gz)):
            ours, theirs = [], []
            for _ in range(args.repeat):  # interleaved so both see the same machine load
                ours.append(run_child(CHILD_OURS, path))
                theirs.append(run_child(CHILD_SNPS, path))
            ours_m, theirs_m = median_of(ours), median_of(theirs)
            results[label] = {
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "genlife": ours_m,
                "snps": theirs_m,
                "speedup_wall": theirs_m["wall_s"] / ours_m["wall_s"],
                "speedup_in_process": theirs_m["in_process_s"] / ours_m["in_process_s"],
                "speedup_parse_only": theirs_m["parse_only_s"] / ours_m["parse_only_s"],
                "peak_memory_ratio": ours_m["peak_mib"] / theirs_m["peak_mib"],
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"23andMe v5 file, {args.lines:,} SNP lines, median of {args.repeat} runs each, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'file':6} {'reader':8} {'wall s':>7} {'in-proc s':>9} {'parse s':>8} "
        f"{'peak MiB':>9} {'SNPs':>8}"
    )
    for label, result in results.items():
        for reader in ("genlife", "snps"):
            r = result[reader]
            print(
                f"{label:6} {reader:8} {r['wall_s']:7.3f} {r['in_process_s']:9.3f} "
                f"{r['parse_only_s']:8.3f} {r['peak_mib']:9.1f} {int(r['snps']):8,}"
            )
        print(
            f"{label:6} speed-up: {result['speedup_wall']:.1f}x wall, "
            f"{result['speedup_in_process']:.1f}x in-process with imports, "
            f"{result['speedup_parse_only']:.1f}x parse only; peak memory "
            f"{result['peak_memory_ratio']:.2f} of snps"
        )


if __name__ == "__main__":
    main()
