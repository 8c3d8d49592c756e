"""Whole-genome VCF.gz and a full-size chip file: this project vs ``snps`` vs ``bcftools``.

Issue 16, item 3. Generates (deterministically) a 640,000-line 23andMe v5 file and a
5-million-record single-sample VCF.gz (BGZF, shaped like a 30x provider's variants file:
``bench/_wgs_vcf.py``), then reads each with

* genlife: the ``parse_genome`` management command (``manage.py parse_genome PATH --rsid
  rs4680 --json``), a whole Django process, as support runs it;
* snps: ``snps.SNPs(path)`` (the "bench" extra: ``make bench-deps``);
* bcftools: ``bcftools query -f '%ID\\t[%GT]\\n' PATH > /dev/null`` (VCF only; Debian's
  ``apt-get install -y bcftools tabix``).

Every reader runs in its own process under GNU time (``/usr/bin/time -f '%e %M'``): wall
seconds and peak RSS. Readers are interleaved ``--repeat`` times so that all see the same
machine load; medians are reported, with ours as ratios of the others'. Then, in one process,
the WGS genome is streamed into the encrypted store as the worker does: the sealed blob's
size, and the cost of a catalogue backfill's read of one SNP from it.

    .venv/bin/python bench/bench_wgs.py [--records 5000000] [--lines 640000] [--repeat 3]
        [--vcf-repeat 1] [--workdir DIR (keeps the generated files for the next run)] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SNPS_CHILD = "import sys; from snps import SNPs; print(SNPs(sys.argv[1]).count)"

STORE_CHILD = r"""
import io, json, statistics, sys, time
import django
django.setup()
from genotypes import genome_store
from genotypes.parsers import Keep, parse_genome_stream
from genotypes.parsers import parse_genome

def chunks(path):
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk

path, chip = sys.argv[1], sys.argv[2]
out = io.BytesIO()
writer = genome_store.GenomeBlobWriter(out)
started = time.perf_counter()
genome = parse_genome_stream(
    lambda: chunks(path), fallback=None, keep=Keep(rsids=frozenset()), sink=writer.write,
    max_unpacked_bytes=8 << 30,
)
writer.close()
stream_s = time.perf_counter() - started
blob = out.getvalue()
del out, writer
reads = []
for rsid in ("rs1000001", "rs5000000", "rs13999999"):
    t = time.perf_counter()
    frame = genome_store.genome_from_blob(blob, rsids=[rsid], positions=[("1", 450500)])
    reads.append(time.perf_counter() - t)
chip_blob = genome_store.genome_to_blob(parse_genome(chip).frame)
t = time.perf_counter()
genome_store.genome_from_blob(chip_blob, rsids=["rs4680"])
chip_read = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({
    "calls": genome.snp_count, "blob_mib": len(blob) / 2**20,
    "stream_and_store_s": stream_s, "backfill_read_s": statistics.median(reads),
    "chip_blob_mib": len(chip_blob) / 2**20, "chip_backfill_read_s": chip_read,
    "peak_mib": int(hwm) / 1024,
}))
"""


def timed(command: list[str], env: dict | None = None, stdout=subprocess.DEVNULL) -> dict:
    """Wall seconds and peak RSS (MiB) of ``command`` under GNU time."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *command],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr[-2000:]}")
    wall, kib = result.stderr.strip().splitlines()[-1].split()
    return {"wall_s": float(wall), "peak_mib": int(kib) / 1024}


def _env() -> dict:
    """The parse_genome command needs settings only: local mode, no database or broker."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("DJANGO_SETTINGS_MODULE", "genlife.settings")
    return env


def readers(path: Path, *, vcf: bool) -> dict[str, list[str]]:
    python = sys.executable
    found = {
        "genlife": [
            python,
            "manage.py",
            "parse_genome",
            str(path),
            "--rsid",
            "rs4680",
            "--json",
        ],
        "snps": [python, "-c", SNPS_CHILD, str(path)],
    }
    if vcf:
        bcftools = shutil.which("bcftools")
        if bcftools is None:
            raise SystemExit("bcftools is missing: apt-get install -y bcftools tabix")
        found["bcftools"] = [bcftools, "query", "-f", "%ID\\t[%GT]\\n", str(path)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--lines", type=int, default=640_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vcf-repeat", type=int, default=1, help="runs per reader on the VCF")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--skip-snps-vcf", action="store_true", help="snps on the VCF is slow")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from _wgs_vcf import write_vcf_gz

    from genotypes.samples import generate_genome

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-wgs-"))
    workdir.mkdir(parents=True, exist_ok=True)
    chip = workdir / f"chip_{args.lines}.txt"
    vcf = workdir / f"wgs_{args.records}.vcf.gz"
    if not chip.exists():
        chip.write_bytes(generate_genome("23andme", n_snps=args.lines, seed=5))
    if not vcf.exists():
        write_vcf_gz(vcf, args.records)
    env = _env()
    results: dict = {}
    for label, path, is_vcf in (("chip", chip, False), ("wgs_vcf_gz", vcf, True)):
        commands = readers(path, vcf=is_vcf)
        if is_vcf and args.skip_snps_vcf:
            commands.pop("snps")
        runs: dict[str, list[dict]] = {name: [] for name in commands}
        for _ in range(args.vcf_repeat if is_vcf else args.repeat):
            for name, command in commands.items():
                runs[name].append(timed(command, env=env))
                print(label, name, runs[name][-1], file=sys.stderr, flush=True)
        medians = {
            name: {key: statistics.median(run[key] for run in got) for key in got[0]}
            for name, got in runs.items()
        }
        ours = medians["genlife"]
        entry = {"file_mib": path.stat().st_size / 2**20, "readers": medians, "ratios": {}}
        for other in medians:
            if other != "genlife":
                entry["ratios"][other] = {
                    "wall": ours["wall_s"] / medians[other]["wall_s"],
                    "peak": ours["peak_mib"] / medians[other]["peak_mib"],
                }
        results[label] = entry
    store = subprocess.run(
        [sys.executable, "-c", STORE_CHILD, str(vcf), str(chip)],
        capture_output=True,
        text=True,
        env={**env, "GENOME_ENCRYPTION_KEYS": _fernet_key()},
        cwd=ROOT,
    )
    if store.returncode != 0:
        raise SystemExit(f"store run failed:\n{store.stderr[-2000:]}")
    results["store"] = json.loads(store.stdout.strip().splitlines()[-1])
    results["store"].pop("parts", None)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{args.lines:,}-line 23andMe file and {args.records:,}-record VCF.gz, "
        f"median of {args.repeat} (chip) and {args.vcf_repeat} (VCF) interleaved runs, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'file':11} {'reader':9} {'wall s':>8} {'peak MiB':>9}")
    for label in ("chip", "wgs_vcf_gz"):
        entry = results[label]
        for name, figures in entry["readers"].items():
            print(f"{label:11} {name:9} {figures['wall_s']:8.2f} {figures['peak_mib']:9.1f}")
        for other, ratio in entry["ratios"].items():
            print(
                f"{label:11} genlife / {other}: wall {ratio['wall']:.2f}x, "
                f"peak memory {ratio['peak']:.2f}x"
            )
    store = results["store"]
    print(
        f"stored WGS genome: {store['calls']:,} calls, {store['blob_mib']:.1f} MiB sealed "
        f"(chip: {store['chip_blob_mib']:.1f} MiB); streamed and stored in "
        f"{store['stream_and_store_s']:.1f} s, peak {store['peak_mib']:.0f} MiB; backfill read of "
        f"one SNP {store['backfill_read_s'] * 1000:.0f} ms per WGS genome "
        f"(chip: {store['chip_backfill_read_s'] * 1000:.0f} ms)"
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "bench_wgs.json").write_text(json.dumps(results, indent=2))


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return os.environ.get("GENOME_ENCRYPTION_KEYS") or Fernet.generate_key().decode()


if __name__ == "__main__":
    main()
