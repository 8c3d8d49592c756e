"""The site at scale: 400 articles, 2,000 catalogue SNPs, 10,000 members with stored genomes.

Two parts, one run, every figure a ratio to a reference measured in the same run:

1. Pages under load (as ``bench/load.py``, whose load generator and report this reuses):
   the bare floor, the identified floor (a view that only identifies the reader: session,
   user, membership), the anonymous and the member article, home, search (a word, a gene
   symbol, an rsid), My genetics and a SNP page, against a copy of the scale data set.
2. Backfill (``genotypes/services/backfill.py``): one new SNP, then ten at once, across
   every stored genome, with a real ``celery worker`` of 1 and then 2 processes;
   throughput in genomes per second and the scaling from 1 to 2 processes.

The data set is built once, fast (bulk inserts; genomes encrypted with
``genotypes/genome_store.py``), into a template database, beside a folder holding its genome
files and the key they are encrypted with (``bench/out/scale-cache/``). Each run clones the
template (``CREATE DATABASE ... TEMPLATE``) for the site and again for the backfill, so
re-runs skip the build. ``--rebuild`` builds it again; ``--quick`` uses a smaller set
(100 articles, 500 SNPs, 1,000 members) with its own template.

Shape of the data set: the four demo articles, each copied 100 times (new title and slug,
the same sections, references and catalogue SNPs, plus five generated SNPs of its own in
its genotype report); the demo catalogue plus 2,000 generated SNPs, each with three
interpretations and two population frequencies, and a gene page for every five SNPs;
10,000 complimentary members, each with a current upload whose encrypted genome (a 20,000
line chip file; every 1,000th member a full-size 640,000 line one) holds every catalogue
SNP. To keep the build to minutes, 24 distinct genomes are parsed and encrypted and each
member's genome file is a hard link to one of them (every member's file is still opened,
decrypted and read on its own), and a member's stored results cover the demo SNPs and the
first 200 generated SNPs rather than all 2,000 (that would be 20 million rows).

Usage (PostgreSQL, Redis and wrk required; the database named in DATABASE_URL gets the
suffixes ``_scale``, ``_scale_backfill`` and ``_scale_template``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/genlife_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/scale.py [--quick] [--rebuild] [--only-pages | --only-backfill]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402  (bench/load.py: wrk, the report, the cookie client)

from tests.e2e.site import Site  # noqa: E402

CACHE_DIR = load.OUT_DIR / "scale-cache"
# Bump when the shape of the data set changes: a template of another version is rebuilt.
DATASET_VERSION = 1
MEMBER_EMAIL = "scale-member-{:05d}@genlife.test"
GENERATED_RSID_BASE = 900_000_000  # generated catalogue SNPs: rs900000000, rs900000001, ...
BACKFILL_RSID_BASE = 950_000_000  # in every genome, not in the catalogue until the backfill
BACKFILL_SNPS = 10
SNPS_PER_ARTICLE = 5
SMALL_GENOME_LINES = 20_000
FULL_GENOME_LINES = 640_000
DISTINCT_SMALL, DISTINCT_FULL = 22, 2
FULL_EVERY = 1_000  # every 1,000th member has a full-size genome
RESULT_SNPS = 200  # generated SNPs with stored results for every member (besides the demo's)
GOALS = {
    "search": ("floor", 0.30),
    "search_gene": ("floor", 0.30),
    "search_rsid": ("floor", 0.30),
    "floor_identified": ("floor", 0.40),
    "article_member": ("floor_identified", 0.85),
}


@dataclass(frozen=True)
class Shape:
    name: str
    copies_per_demo_article: int
    snps: int
    members: int

    @property
    def articles(self) -> int:
        return 4 * self.copies_per_demo_article


FULL = Shape("full", copies_per_demo_article=100, snps=2_000, members=10_000)
QUICK = Shape("quick", copies_per_demo_article=25, snps=500, members=1_000)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def _admin_sql(statement: str) -> None:
    import psycopg

    admin = _with_database(os.environ["DATABASE_URL"], "postgres").replace(
        "postgres://", "postgresql://", 1
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(statement)


def _database_exists(name: str) -> bool:
    import psycopg

    admin = _with_database(os.environ["DATABASE_URL"], "postgres").replace(
        "postgres://", "postgresql://", 1
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        return bool(
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        )


def database_clone(*, template: str, name: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


# --- building the data set (runs in a child process with Django set up on the template) ------


def dataset_build(shape: Shape) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from articles.models import Article, Reference, Section
    from articles.services import rendering
    from billing.models import Membership
    from genotypes.genome_store import genome_to_blob, value_seal
    from genotypes.models import (
        Gene,
        GenomeUpload,
        PopulationFrequency,
        Snp,
        SnpInterpretation,
    )
    from genotypes.parsers import parse_genome
    from genotypes.samples import generate_genome, sample_chromosome_for
    from members.models import User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo_snps", verbosity=0)
    call_command("load_demo_articles", verbosity=0)
    rng = random.Random(2026)

    # The catalogue: generated SNPs, three interpretations and two frequencies each.
    generated = [f"rs{GENERATED_RSID_BASE + i}" for i in range(shape.snps)]
    genes = [f"SCL{i // SNPS_PER_ARTICLE + 1}" for i in range(shape.snps)]
    snps = Snp.objects.bulk_create(
        Snp(
            rsid=rsid,
            gene=gene,
            chromosome=sample_chromosome_for(rsid),
            ref="A",
            alt="G",
            common_names=f"{gene} variant {i % SNPS_PER_ARTICLE + 1}",
            summary=f"A made-up variant of {gene} for the scale benchmark.",
        )
        for i, (rsid, gene) in enumerate(zip(generated, genes, strict=True))
    )
    Gene.objects.bulk_create(
        Gene(symbol=symbol, name=f"scale gene {symbol}", summary="Made up for the benchmark.")
        for symbol in dict.fromkeys(genes)
    )
    SnpInterpretation.objects.bulk_create(
        SnpInterpretation(
            snp=snp,
            genotype=genotype,
            label=label,
            text=f"{snp.gene} {genotype}: a made-up finding for the scale benchmark.",
            frequency=frequency,
        )
        for snp in snps
        for genotype, label, frequency in (
            ("AA", "typical", 0.49),
            ("AG", "notable", 0.42),
            ("GG", "notable", 0.09),
        )
    )
    PopulationFrequency.objects.bulk_create(
        PopulationFrequency(
            snp=snp,
            population=population,
            allele="G",
            frequency=share,
            source="made up",
            release="scale benchmark",
        )
        for snp in snps
        for population, share in (("European", 0.30), ("East Asian", 0.21))
    )
    print(f"catalogue: {len(snps)} generated SNPs ({time.perf_counter() - started:.0f} s)")

    # The articles: each demo article copied, with five generated SNPs of its own.
    demo = list(Article.objects.order_by("pk").prefetch_related("sections__snps", "references"))
    number = 0
    measured = {}
    for copy in range(1, shape.copies_per_demo_article + 1):
        for original in demo:
            own = generated[number * SNPS_PER_ARTICLE : (number + 1) * SNPS_PER_ARTICLE]
            number += 1
            with transaction.atomic():
                article = Article.objects.create(
                    title=f"{original.title} ({copy})",
                    slug=f"{original.slug}-{copy}",
                    description=original.description,
                    key_takeaways=original.key_takeaways,
                    author_id=original.author_id,
                    status=original.status,
                    published_at=original.published_at
                    and original.published_at - dt.timedelta(hours=copy),
                )
                Reference.objects.bulk_create(
                    Reference(
                        article=article,
                        **{
                            f.name: getattr(reference, f.name)
                            for f in Reference._meta.concrete_fields
                            if f.name not in ("id", "article")
                        },
                    )
                    for reference in original.references.all()
                )
                for section in original.sections.all():
                    rsids = [snp.rsid for snp in section.snps.all()]
                    section_copy = Section.objects.create(
                        article=article,
                        order=section.order,
                        heading=section.heading,
                        anchor=section.anchor,
                        body=section.body,
                        access=section.access,
                        kind=section.kind,
                        teaser=section.teaser,
                    )
                    if section.kind == Section.Kind.GENOTYPE_REPORT:
                        rsids += own
                    if rsids:
                        rendering.section_snps_set(section=section_copy, rsids=rsids)
                rendering.article_render(article=article)
            if original.slug == load.LDN_SLUG and copy == 7:
                # the measured article: the demo SNPs and five generated ones with results
                measured = {"article_slug": article.slug, "own_rsid": own[0]}
    Path(os.environ["SCALE_TARGETS_FILE"]).write_text(json.dumps(measured))
    print(f"articles: {number} copies ({time.perf_counter() - started:.0f} s)")

    # Genomes: a few distinct ones, parsed and encrypted; members' files are hard links.
    catalogue = list(Snp.objects.values_list("pk", "rsid", "ref", "alt"))
    backfill_rsids = [f"rs{BACKFILL_RSID_BASE + i}" for i in range(BACKFILL_SNPS)]
    media = Path(os.environ["DJANGO_MEDIA_ROOT"])
    source_dir = media / "genomes" / "scale-sources"
    source_dir.mkdir(parents=True, exist_ok=True)
    sources = []
    for index in range(DISTINCT_SMALL + DISTINCT_FULL):
        calls = {}
        for _pk, rsid, ref, alt in catalogue:
            a, b = (ref or "A")[:1], (alt or "G")[:1]
            calls[rsid] = "".join(sorted(rng.choice([a + a, a + b, b + b])))
        for rsid in backfill_rsids:
            calls[rsid] = rng.choice(["CC", "CT", "TT"])
        lines = FULL_GENOME_LINES if index >= DISTINCT_SMALL else SMALL_GENOME_LINES
        parsed = parse_genome(
            generate_genome("23andme", n_snps=lines, seed=500 + index, include=calls)
        )
        path = source_dir / f"source-{index}.fernet"
        path.write_bytes(genome_to_blob(parsed.frame))
        sources.append((path, calls, parsed.build, len(parsed.frame)))
    print(f"genomes: {len(sources)} distinct ({time.perf_counter() - started:.0f} s)")

    # Members: users, complimentary memberships, current uploads, results (COPY).
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=MEMBER_EMAIL.format(i), name=f"Scale Member {i}", password="!unusable")
        for i in range(shape.members)
    )
    Membership.objects.bulk_create(
        Membership(user=user, status=Membership.Status.COMPLIMENTARY) for user in users
    )
    member_dir = media / "genomes" / "scale"
    member_dir.mkdir(parents=True, exist_ok=True)
    uploads, source_of = [], {}
    for i, user in enumerate(users):
        index = (
            DISTINCT_SMALL + (i // FULL_EVERY) % DISTINCT_FULL
            if i % FULL_EVERY == FULL_EVERY - 1
            else i % DISTINCT_SMALL
        )
        path, _calls, build, count = sources[index]
        pk = uuid.uuid4()
        name = f"genomes/scale/{pk}.fernet"
        os.link(path, media / name)
        source_of[pk] = index
        uploads.append(
            GenomeUpload(
                pk=pk,
                user=user,
                status=GenomeUpload.Status.DONE,
                progress=100,
                is_current=True,
                consented_at=now,
                queued_at=now,
                started_at=now,
                finished_at=now,
                genome_file=name,
                original_name="genome.txt",
                format="23andMe",
                build=build,
                snp_count=count,
            )
        )
    GenomeUpload.objects.bulk_create(uploads, batch_size=2_000)
    # demo SNPs (rsids below the generated ones) and the first RESULT_SNPS generated ones
    stored = [
        (pk, rsid)
        for pk, rsid, _ref, _alt in catalogue
        if int(rsid[2:]) < GENERATED_RSID_BASE + RESULT_SNPS
    ]
    # One sealed token per distinct genome and SNP (Fernet, as SealedGenotypeField writes).
    tokens = [
        {snp_pk: value_seal(calls[rsid]) for snp_pk, rsid in stored}
        for _path, calls, _build, _count in sources
    ]
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY genotypes_genotyperesult (user_id, upload_id, snp_id, genotype, updated) "
            "FROM STDIN"
        ) as copy:
            for upload in uploads:
                sealed = tokens[source_of[upload.pk]]
                for snp_pk, _rsid in stored:
                    copy.write_row((upload.user_id, upload.pk, snp_pk, sealed[snp_pk], now))
        cursor.execute("ANALYZE")
    print(
        f"members: {len(users)}, {len(users) * len(stored):,} stored results "
        f"({time.perf_counter() - started:.0f} s)"
    )


def dataset_ensure(shape: Shape, *, template: str, rebuild: bool) -> dict[str, str]:
    """The template database and its genome folder, built if missing; the site's env for it."""
    folder = CACHE_DIR / shape.name
    marker = folder / "built.json"
    expected = {"version": DATASET_VERSION, "shape": shape.__dict__, "template": template}
    key_file = folder / "genome-key"
    if (
        not rebuild
        and marker.exists()
        and json.loads(marker.read_text()) == expected
        and _database_exists(template)
    ):
        print(f"data set: template {template} (built before; --rebuild builds it again)")
    else:
        from cryptography.fernet import Fernet

        shutil.rmtree(folder, ignore_errors=True)
        (folder / "media").mkdir(parents=True)
        key_file.write_text(Fernet.generate_key().decode())
        _admin_sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        _admin_sql(f'CREATE DATABASE "{template}"')
        env = {
            **_site_free_env(),
            "DATABASE_URL": _with_database(os.environ["DATABASE_URL"], template),
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "GENOME_ENCRYPTION_KEYS": key_file.read_text(),
            # the build's statements are long ones; the pool is for serving pages
            "DJANGO_DB_STATEMENT_TIMEOUT": "0",
            "DJANGO_DB_POOL": "false",
            "SCALE_TARGETS_FILE": str(folder / "targets.json"),
        }
        print(f"building the {shape.name} data set into {template} ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--build-inside", shape.name], env=env, cwd=ROOT, check=True
        )
        marker.write_text(json.dumps(expected))
        print(f"data set built in {time.perf_counter() - started:.0f} s")
    return {
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "GENOME_ENCRYPTION_KEYS": key_file.read_text(),
        "SCALE_TARGETS_FILE": str(folder / "targets.json"),
    }


def _site_free_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "genlife.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "scale-bench-secret-key-0"),
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- part 1: pages under load ----------------------------------------------------------------

SESSIONS_SCRIPT = """
import json
from django.test import Client
from members.models import User
for user in User.objects.filter(email__startswith="scale-member-").order_by("pk")[:{count}]:
    client = Client()
    client.force_login(user)
    print(json.dumps({{"sessionid": client.cookies["sessionid"].value}}))
"""


def page_targets(measured: dict[str, str]) -> list[load.Target]:
    # One of the LDN article's copies: the demo SNPs and five of its own in its report.
    slug, own_snp = measured["article_slug"], measured["own_rsid"]
    return [
        load.Target("floor", "/bench/floor", must_contain=("floor",)),
        load.Target("floor_identified", "/bench/identified", member=True, must_contain=("member",)),
        load.Target(
            "article_anonymous",
            f"/articles/{slug}/",
            must_contain=("Your genotype report",),
            must_not_contain=("variant-cards",),
        ),
        load.Target(
            "article_member",
            f"/articles/{slug}/",
            member=True,
            must_contain=('data-rsid="rs1799971"', f'data-rsid="{own_snp}"', 'class="genotype"'),
        ),
        load.Target("home", "/", must_contain=("<h1",)),
        load.Target(
            "search",
            "/search/?" + urlencode({"q": "naltrexone"}),
            must_contain=(load.LDN_SLUG,),
        ),
        load.Target(
            "search_gene", "/search/?" + urlencode({"q": "OPRM1"}), must_contain=("rs1799971",)
        ),
        load.Target(
            "search_rsid", "/search/?" + urlencode({"q": "rs4680"}), must_contain=("COMT",)
        ),
        # a member's search is built every time (only visitors' result pages are cached)
        load.Target(
            "search_member",
            "/search/?" + urlencode({"q": "naltrexone"}),
            member=True,
            must_contain=(load.LDN_SLUG,),
        ),
        load.Target("my_genetics", "/genetics/me/", member=True, must_contain=("<h1",)),
        load.Target(
            "snp_page",
            f"/genetics/snps/{own_snp}/",
            member=True,
            must_contain=(own_snp, "Your genotype: "),
        ),
    ]


class ScaleSite(Site):
    """tests/e2e/site.py's Site on a clone of the template instead of an empty database."""

    def __init__(self, workdir: Path, *, template: str, **options) -> None:
        self.template = template
        super().__init__(workdir, **options)

    def _create_database(self) -> None:
        database_clone(template=self.template, name=self._database_name)


def site_drain(site, *, quick_seconds: float = 0.5, timeout: float = 900) -> None:
    """Wait until the server has worked off what the last wrk run left queued.

    wrk stops at the end of its time and drops its connections, but the requests it had sent
    stay in the server's queues: after a slow page (My genetics takes most of a second at
    this size), fifty of them would fill the next page's window. Three answers from the floor
    in a row, each quicker than ``quick_seconds``, mean the queues are empty.
    """
    probe = load.Client("127.0.0.1", site.web_port)
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 3:
        if time.monotonic() > deadline:
            raise RuntimeError("the site did not catch up with the load within 15 minutes")
        started = time.monotonic()
        try:
            status, _, _ = probe.request("GET", "/bench/floor")
        except OSError:  # still queued after the client's minute
            status = 0
        quick = quick + 1 if status == 200 and time.monotonic() - started < quick_seconds else 0


def pages_measure(args, *, template: str, dataset_env: dict[str, str]) -> dict:
    database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") + "_scale"
    redis_db = int(urlsplit(os.environ["CELERY_BROKER_URL"]).path.lstrip("/") or 0)
    measured = json.loads(Path(dataset_env["SCALE_TARGETS_FILE"]).read_text())
    targets = [
        t for t in page_targets(measured) if not args.pages or t.name in args.pages + ["floor"]
    ]
    workdir = Path(tempfile.mkdtemp(prefix="genlife-scale-"))
    site = ScaleSite(
        workdir,
        template=template,
        database_name=database,
        redis_dbs=(redis_db, redis_db),
        web_workers=args.workers,
        web_threads=args.threads,
        access_log=False,
        extra_env={"GENLIFE_BENCH_FLOOR": "1", **dataset_env},
    )
    try:
        print(f"starting the site on a clone of {template} ...", flush=True)
        started = time.perf_counter()
        site.start()
        print(f"site up in {time.perf_counter() - started:.0f} s", flush=True)
        result = site.manage("shell", "-c", SESSIONS_SCRIPT.format(count=args.members))
        members = [
            load.Client("127.0.0.1", site.web_port, cookies=json.loads(line))
            for line in result.stdout.splitlines()
            if line.startswith("{")
        ]
        load.targets_check(site, members[0], targets)
        cookie_file = workdir / "member-cookies.txt"
        cookie_file.write_text("".join(c.cookie_header() + "\n" for c in members))
        base = f"http://127.0.0.1:{site.web_port}"

        def run(target, seconds):
            figures = load.wrk_run(
                base + target.path,
                duration=seconds,
                connections=args.connections,
                threads=1,
                cookie_file=cookie_file if target.member else None,
            )
            site_drain(site)
            return figures

        for target in targets:
            run(target, args.warmup)
        runs: dict[str, list[dict]] = {t.name: [] for t in targets}
        for round_number in range(1, args.rounds + 1):
            for target in targets:
                print(f"round {round_number}/{args.rounds}: {target.name}", flush=True)
                runs[target.name].append(run(target, args.duration))
                time.sleep(1)
        machine = load.machine_describe(site)
    finally:
        load.site_stop(site, workdir, keep_logs=args.keep_logs)
    results = {
        t.name: {"path": t.path, "member": t.member, **load.runs_combine(runs[t.name])}
        for t in targets
    }
    return {"results": results, "machine": machine}


# --- part 2: backfill -----------------------------------------------------------------------


def backfill_inside(counts: list[int], concurrencies: list[int]) -> None:
    """In a child process on a clone: each (SNP count, processes) pair timed with a fresh worker."""
    import django
    from _pipeline import Workers, purge_broker

    django.setup()
    from django.db import transaction

    from genotypes.models import GenomeUpload, GenotypeResult, Snp
    from genotypes.samples import sample_chromosome_for
    from genotypes.services import backfill

    genomes = GenomeUpload.objects.filter(is_current=True).exclude(genome_file="").count()
    figures = []
    for count in counts:
        for concurrency in concurrencies:
            Snp.objects.filter(rsid__startswith=f"rs{BACKFILL_RSID_BASE // 10}").delete()
            purge_broker()
            with Workers(concurrency=concurrency) as workers:
                started = time.perf_counter()
                with transaction.atomic():
                    snps = Snp.objects.bulk_create(
                        Snp(
                            rsid=f"rs{BACKFILL_RSID_BASE + i}",
                            gene="BACKFILL",
                            chromosome=sample_chromosome_for(f"rs{BACKFILL_RSID_BASE + i}"),
                            ref="C",
                            alt="T",
                        )
                        for i in range(count)
                    )
                    backfill.snps_catalogue_changed(snp_ids=[snp.pk for snp in snps])
                expected = genomes * count
                while True:
                    done = GenotypeResult.objects.filter(snp__in=snps).count()
                    if done >= expected:
                        break
                    if time.perf_counter() - started > 1_800:
                        raise SystemExit(f"only {done} of {expected} results; see {workers.log}")
                    time.sleep(0.2)
                seconds = time.perf_counter() - started
                peak = workers.peak_rss_mib()
            filled = GenotypeResult.objects.filter(snp__in=snps).exclude(genotype="").count()
            figure = {
                "snps": count,
                "processes": concurrency,
                "genomes": genomes,
                "seconds": round(seconds, 2),
                "genomes_per_s": round(genomes / seconds, 1),
                "results_with_genotype": filled,
                "worker_peak_rss_mib": round(peak),
            }
            print("BACKFILL " + json.dumps(figure), flush=True)
            figures.append(figure)


def backfill_measure(args, *, template: str, dataset_env: dict[str, str]) -> list[dict]:
    database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") + "_scale_backfill"
    database_clone(template=template, name=database)
    env = {
        **_site_free_env(),
        **dataset_env,
        "DATABASE_URL": _with_database(os.environ["DATABASE_URL"], database),
        # broker and cache in one Redis database, as the site's processes have them
        "REDIS_URL": os.environ["CELERY_BROKER_URL"],
    }
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--backfill-inside"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if result.returncode != 0:
        raise RuntimeError(f"backfill failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return [
        json.loads(line.removeprefix("BACKFILL "))
        for line in result.stdout.splitlines()
        if line.startswith("BACKFILL ")
    ]


# --- report ---------------------------------------------------------------------------------


def pages_report(results: dict[str, dict]) -> tuple[list[str], dict[str, bool]]:
    floor = results["floor"]["rps"] or float("nan")
    identified = results.get("floor_identified", {}).get("rps")
    lines = [
        f"{'page':<18} {'req/s':>8} {'/floor':>7} {'/ident.':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'non-2xx':>8} {'sock err':>8}"
    ]
    for name, r in results.items():
        vs_identified = f"{r['rps'] / identified:>7.0%}" if identified else f"{'':>7}"
        lines.append(
            f"{name:<18} {r['rps']:>8.1f} {r['rps'] / floor:>7.0%} {vs_identified} "
            f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['non2xx']:>8} {r['socket_errors']:>8}"
        )
    goals = {
        f"{name} >= {share:.0%} of {reference}": results[name]["rps"]
        >= share * results[reference]["rps"]
        > 0
        for name, (reference, share) in GOALS.items()
        if name in results and reference in results
    }
    goals["no errors"] = all(r["non2xx"] == 0 and r["socket_errors"] == 0 for r in results.values())
    return lines, goals


def backfill_report(figures: list[dict]) -> tuple[list[str], dict[str, bool]]:
    lines = [f"{'new SNPs':>8} {'processes':>9} {'genomes':>8} {'seconds':>8} {'genomes/s':>10}"]
    by_key = {(f["snps"], f["processes"]): f for f in figures}
    for f in figures:
        lines.append(
            f"{f['snps']:>8} {f['processes']:>9} {f['genomes']:>8} {f['seconds']:>8.1f} "
            f"{f['genomes_per_s']:>10.1f}"
        )
    goals = {}
    for count in sorted({f["snps"] for f in figures}):
        one, two = by_key.get((count, 1)), by_key.get((count, 2))
        if one and two:
            scaling = one["seconds"] / two["seconds"]
            lines.append(f"{count} new SNP(s): 2 processes are {scaling:.2f}x 1 process")
            goals[f"backfill of {count} SNP(s) scales >= 1.8x from 1 to 2 processes"] = (
                scaling >= 1.8
            )
    return lines, goals


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--build-inside":
        dataset_build(QUICK if sys.argv[2] == "quick" else FULL)
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--backfill-inside":
        backfill_inside(
            [
                int(n)
                for n in os.environ.get("SCALE_BACKFILL_SNPS", f"1,{BACKFILL_SNPS}").split(",")
            ],
            [int(n) for n in os.environ.get("SCALE_BACKFILL_PROCESSES", "1,2").split(",")],
        )
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="100 articles, 500 SNPs, 1,000 members"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--only-pages", action="store_true")
    parser.add_argument("--only-backfill", action="store_true")
    parser.add_argument("--pages", nargs="*", default=[], metavar="PAGE", help="only these pages")
    parser.add_argument("--duration", type=float, default=10, help="seconds per page and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--members", type=int, default=50, help="members' sessions the load uses")
    parser.add_argument("--keep-logs", action="store_true", help="keep the site's logs")
    args = parser.parse_args()
    load.environment_check(need_wrk=not args.only_backfill)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shape = QUICK if args.quick else FULL
    template = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") + "_scale_template"
    if shape is QUICK:
        template += "_quick"
    started = time.perf_counter()
    dataset_env = dataset_ensure(shape, template=template, rebuild=args.rebuild)
    report: dict = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "shape": {**shape.__dict__, "articles": shape.articles},
        "settings": {k: v for k, v in vars(args).items()},
    }
    lines: list[str] = []
    goals: dict[str, bool] = {}
    if not args.only_backfill:
        pages = pages_measure(args, template=template, dataset_env=dataset_env)
        report.update(pages)
        floor = pages["results"]["floor"]["rps"] or float("nan")  # nan: the floor failed
        for r in pages["results"].values():
            r["ratio_to_floor"] = round(r["rps"] / floor, 3)
        page_lines, page_goals = pages_report(pages["results"])
        lines += page_lines + [""]
        goals.update(page_goals)
    if not args.only_pages:
        figures = backfill_measure(args, template=template, dataset_env=dataset_env)
        report["backfill"] = figures
        backfill_lines, backfill_goals = backfill_report(figures)
        lines += backfill_lines + [""]
        goals.update(backfill_goals)
    report["goals"] = goals
    report["seconds"] = round(time.perf_counter() - started)
    load.OUT_DIR.mkdir(exist_ok=True)
    out = load.OUT_DIR / f"scale-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    print(
        f"{shape.articles} articles, {shape.snps} generated SNPs, {shape.members} members; "
        f"gunicorn {args.workers}x{args.threads}, wrk {args.connections} connections, "
        f"{args.rounds} rounds of {args.duration:g} s per page; {report['seconds']} s in all"
    )
    print("\n".join(lines))
    for goal, met in goals.items():
        print(f"{'met   ' if met else 'MISSED'} {goal}")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
