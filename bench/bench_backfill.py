"""Backfill a newly added catalogue SNP across many stored genomes with two worker processes.

Set-up (not timed): N members, each with a processed upload whose encrypted genome blob is a
full-size 23andMe v5 genome (640,000 SNPs). To keep set-up and disk use small, a handful of
distinct genomes are parsed and encrypted, and every member's blob file is a hard link to
one of them (the worker still opens, decrypts and scans each member's file). Timed: from the
editor's change (``snp_catalogue_changed``) until every member has a result for the new SNP.
Goal from issue 5: 1,000 genomes in under 30 s on the 2-core machine.

    .venv/bin/python bench/bench_backfill.py [--genomes 1000] [--lines 640000]
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

from _pipeline import Workers, configure, purge_broker

DISTINCT = 4
NEW_SNP = "rs3094315"  # present in every generated genome (a build marker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genomes", type=int, default=1_000)
    parser.add_argument("--lines", type=int, default=640_000)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    configure()
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from genotypes.genome_store import genome_to_blob
    from genotypes.models import GenomeUpload, GenotypeResult, Snp
    from genotypes.parsers import parse_genome
    from genotypes.samples import generate_genome
    from genotypes.services import backfill
    from members.models import User

    User.objects.filter(email__startswith="bench-backfill-").delete()
    Snp.objects.filter(rsid=NEW_SNP).delete()
    blob_dir = os.path.join(settings.MEDIA_ROOT, "genomes", "bench")
    os.makedirs(blob_dir, exist_ok=True)
    sources = []
    for index in range(DISTINCT):
        genome = parse_genome(generate_genome("23andme", n_snps=args.lines, seed=100 + index))
        path = os.path.join(blob_dir, f"source-{index}.fernet")
        with open(path, "wb") as handle:
            handle.write(genome_to_blob(genome.frame))
        sources.append(path)
    users = User.objects.bulk_create(
        User(email=f"bench-backfill-{i}@example.com") for i in range(args.genomes)
    )
    uploads = []
    now = timezone.now()
    for i, user in enumerate(users):
        pk = uuid.uuid4()
        name = f"genomes/bench/{pk}.fernet"
        os.link(sources[i % DISTINCT], os.path.join(settings.MEDIA_ROOT, name))
        uploads.append(
            GenomeUpload(
                pk=pk,
                user=user,
                status="done",
                is_current=True,
                consented_at=now,
                genome_file=name,
                format="23andMe",
                build=37,
                snp_count=args.lines,
                progress=100,
            )
        )
    GenomeUpload.objects.bulk_create(uploads)
    blob_mib = os.path.getsize(sources[0]) / 2**20
    purge_broker()
    with Workers(concurrency=2) as workers:
        started = time.perf_counter()
        with transaction.atomic():
            snp = Snp.objects.create(
                rsid=NEW_SNP,
                gene="MARKER",
                chromosome="1",
                ref="C",
                alt="T",
                position_grch37=752566,
            )
            backfill.snp_catalogue_changed(snp=snp)
        while True:
            done = GenotypeResult.objects.filter(snp=snp).count()
            if done >= args.genomes:
                break
            if time.perf_counter() - started > args.timeout:
                raise SystemExit(
                    f"only {done} of {args.genomes} after {args.timeout} s; see {workers.log}"
                )
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        peak = workers.peak_rss_mib()
    filled = GenotypeResult.objects.filter(snp=snp).exclude(genotype="").count()
    print(
        f"Backfill of one new SNP across {args.genomes:,} stored genomes "
        f"({args.lines:,} SNPs each, {blob_mib:.1f} MiB encrypted blob), 2 worker processes:"
    )
    print(
        f"  {elapsed:.1f} s total, {elapsed / args.genomes * 1000:.1f} ms per genome; "
        f"{filled} results with a genotype; worker peak RSS {peak:.0f} MiB"
    )
    User.objects.filter(email__startswith="bench-backfill-").delete()
    snp.delete()


if __name__ == "__main__":
    main()
