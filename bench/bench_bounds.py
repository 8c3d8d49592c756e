"""Peak memory of parsing a crafted "record bomb": a small gzip VCF of millions of tiny records.

The issue's file: 7 MB of gzip, 1.06 GB unpacked, 37 million records (it passes the ratio
check). Each parse runs in its own subprocess, given the file's bytes the way the worker
does (``_parse_source`` decrypts into memory), and reports its own peak RSS (``VmHWM``)
and the outcome. "No cap" is ``max_records`` above the file's count, which is what the
parser did before GENOME_MAX_RECORDS existed. Usage::

    .venv/bin/python bench/bench_bounds.py [--records 37000000] [--uncapped-records 8000000]

The uncapped run uses a smaller bomb by default (``--uncapped-records``): the full one takes
about 9 GB, too much for a shared machine; pass the same number to measure it anyway.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from genotypes.parsers import GenomeFormatError, parse_genome
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
try:
    genome = parse_genome(data, max_bytes=1024 ** 3, max_records=int(sys.argv[2]))
    outcome = f"parsed {genome.snp_count:,} records"
except GenomeFormatError as error:
    outcome = f"refused ({error.code})"
seconds = time.perf_counter() - start
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": int(hwm) / 1024}))
"""

HEADER = (
    b"##fileformat=VCFv4.2\n##reference=GRCh37\n"
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
)


def bomb(path: Path, records: int) -> None:
    """Tiny records: positions that change every 64 lines and a random one of three
    genotypes, about 29 bytes a record and 150:1 gzipped, under the 200:1 ratio check."""
    if path.exists():
        return
    rng = random.Random(37)
    genotypes = ["0/0", "0/1", "1/1"]
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(HEADER)
        step = 200_000
        for start in range(0, records, step):
            out.write(
                "".join(
                    f"{1 + (i // 1_700_000) % 22}\t{1000 + i // 64}\t.\tA\tG\t.\t.\t.\tGT\t"
                    f"{rng.choice(genotypes)}\n"
                    for i in range(start, min(start + step, records))
                ).encode()
            )


def run(path: Path, max_records: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(max_records)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=37_000_000)
    parser.add_argument("--uncapped-records", type=int, default=8_000_000)
    parser.add_argument("--cap", type=int, default=6_000_000, help="GENOME_MAX_RECORDS")
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "genlife-bench-bounds"
    folder.mkdir(exist_ok=True)
    rows = []
    for records, cap, label in [
        (args.uncapped_records, args.uncapped_records + 1, "no cap (as before)"),
        (args.uncapped_records, args.cap, f"cap {args.cap:,}"),
        (args.records, args.cap, f"cap {args.cap:,}"),
    ]:
        path = folder / f"bomb-{records}.vcf.gz"
        bomb(path, records)
        result = run(path, cap)
        rows.append((records, path.stat().st_size, label, result))
    print(f"{'records':>12} {'gzip MB':>8}  {'limit':<20} {'peak RSS MB':>11} {'s':>6}  outcome")
    for records, size, label, result in rows:
        print(
            f"{records:>12,} {size / 2**20:>8.1f}  {label:<20} {result['peak_mb']:>11.0f} "
            f"{result['seconds']:>6.1f}  {result['outcome']}"
        )


if __name__ == "__main__":
    main()
