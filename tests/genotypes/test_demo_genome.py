"""`make run` gives the demo member a genome through the normal upload path (issue 13 item 8):
the command queues one upload for the worker, never a second one, and the worker turns it
into a full report."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from genlife import queue
from genotypes.models import GenomeUpload, Snp
from genotypes.samples import DEMO_CALLS
from genotypes.selectors import genotype_report_for
from members.models import User
from tests.utils import wait_until

DEMO_EMAIL = "member@genlife.local"


def _demo_setup(settings):
    settings.LOCAL_MODE = True
    call_command("load_demo_snps", stdout=StringIO())
    call_command("create_demo_users", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_demo_genome_is_one_upload_queued_for_the_worker(settings, monkeypatch):
    sent = []
    _demo_setup(settings)
    monkeypatch.setattr(
        queue, "task_send", lambda task, *args: sent.append((task.name, args)) or True
    )
    out = StringIO()
    call_command("create_demo_genome", stdout=out)
    call_command("create_demo_genome", stdout=out)  # `make run` again: nothing stacks up
    member = User.objects.get(email=DEMO_EMAIL)
    upload = GenomeUpload.objects.get(user=member)
    assert upload.status == GenomeUpload.Status.QUEUED and upload.raw_file
    assert sent == [("genotypes.tasks.genome_upload_process", (str(upload.pk),))]
    assert "already has a genome upload" in out.getvalue()


@pytest.mark.django_db
def test_demo_genome_refuses_outside_local_mode_and_without_the_demo_member(settings):
    settings.LOCAL_MODE = False
    with pytest.raises(CommandError, match="only in local mode"):
        call_command("create_demo_genome")
    settings.LOCAL_MODE = True
    with pytest.raises(CommandError, match="run create_demo_users first"):
        call_command("create_demo_genome")


def test_demo_calls_cover_the_demo_catalogue_with_a_mix_of_genotypes():
    import csv
    from pathlib import Path

    catalogue = Path(__file__).resolve().parents[2] / "genotypes" / "demo" / "ldn-snps.csv"
    with open(catalogue, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["rsid"] for r in rows} == set(DEMO_CALLS)
    labels = {r["label"] for r in rows if r["genotype"] == "".join(sorted(DEMO_CALLS[r["rsid"]]))}
    assert {"typical", "notable"} <= labels


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_turns_the_demo_genome_into_a_full_report(settings, celery_worker):
    _demo_setup(settings)
    call_command("create_demo_genome", stdout=StringIO())
    member = User.objects.get(email=DEMO_EMAIL)
    upload = GenomeUpload.objects.get(user=member)
    done = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload.pk, status__in=["done", "failed"]).first(),
        raise_on_timeout=False,
    )
    assert done, "the worker did not finish:\n" + celery_worker.log()[-3000:]
    assert done.status == "done", done.failure_reason
    report = genotype_report_for(user=member, snps=list(Snp.objects.all()))
    assert report.state == "ready"
    shown = {row.rsid: (row.status, row.genotype) for row in report.rows}
    assert shown == {
        rsid: ("match", "".join(sorted(genotype))) for rsid, genotype in DEMO_CALLS.items()
    }
    labels = {row.label for row in report.rows if row.interpretation}
    assert {"typical", "notable"} <= labels
