"""End to end: a full-size 23andMe file uploaded over HTTP until its genotypes show.

Each run: a member posts a 640,000-line 23andMe v5 file to the upload page (Django's full
middleware stack through the test client, production settings), a real Celery worker on
Redis parses it into PostgreSQL, and the clock stops when the LDN article (or, when the demo
articles are not loaded, the genotype report) shows the genotypes written into the file.
Reports the median and the range. Goal from issue 5: median under 3 s on the 2-core machine.

    .venv/bin/python bench/bench_upload.py [--repeat 5] [--lines 640000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _pipeline import Workers, configure, purge_broker

CALLS = {"rs1799971": "AG", "rs4680": "AA", "rs1045642": "GG", "rs4986790": "AG"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lines", type=int, default=640_000)
    args = parser.parse_args()
    import os

    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")
    configure()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from genotypes.models import Snp
    from genotypes.samples import generate_genome
    from genotypes.selectors import genotype_report_for
    from members.models import Membership, User

    call_command("load_demo_snps", verbosity=0)
    try:
        call_command("load_demo_articles", verbosity=0)
    except Exception as error:  # the articles app may not ship its demo yet
        print(f"(demo articles not loaded: {error})")
    article_url = _ldn_article_url()
    data = generate_genome("23andme", n_snps=args.lines, seed=11, include=CALLS)
    user, _ = User.objects.get_or_create(email="bench-upload@example.com")
    Membership.objects.update_or_create(user=user, defaults={"status": Membership.Status.ACTIVE})
    snps = [Snp.objects.get(rsid=rsid) for rsid in CALLS]
    purge_broker()
    timings = []
    from django.conf import settings
    from django.test.utils import override_settings

    # Pages render without collectstatic (the manifest storage needs it; gunicorn runs use it).
    static = override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    with static, Workers(concurrency=2) as workers:
        for _ in range(args.repeat):
            from genotypes.services import genome_data_delete_all

            genome_data_delete_all(user=user)
            client = Client()
            client.force_login(user)
            started = time.perf_counter()
            response = client.post("/genetics/upload/", {
                "file": SimpleUploadedFile("genome.txt", data), "consent": "on"},
                headers={"X-Requested-With": "XMLHttpRequest"})
            assert response.status_code == 201, response.content[:300]
            status_url = response.json()["status_url"] + "status.json"
            while True:
                status = client.get(status_url).json()
                if status["finished"]:
                    break
                time.sleep(0.05)
            assert status["status"] == "done", status
            if article_url:
                html = client.get(article_url).content.decode()
                for rsid, genotype in CALLS.items():
                    assert f'data-rsid="{rsid}"' in html
            report = genotype_report_for(user=user, snps=snps)
            assert {r.rsid: r.genotype for r in report.rows} == CALLS
            timings.append(time.perf_counter() - started)
        worker_peak = workers.peak_rss_mib()
    print(f"Upload → parse → visible ({args.lines:,}-line 23andMe file, "
          f"{len(data) / 2**20:.1f} MiB, {args.repeat} runs, worker concurrency 2, "
          f"{'article page' if article_url else 'genotype report'}):")
    print(f"  median {statistics.median(timings):.2f} s, min {min(timings):.2f} s, "
          f"max {max(timings):.2f} s; worker peak RSS {worker_peak:.0f} MiB")


def _ldn_article_url() -> str:
    try:
        from articles.models import Section
    except ImportError:
        return ""
    section = (Section.objects.filter(kind="genotype_report", snps__rsid="rs1799971")
               .select_related("article").first())
    return section.article.get_absolute_url() if section else ""


if __name__ == "__main__":
    main()
