"""A worker SIGKILLed while it parses a full-size upload: the job runs again and counts once.

Two ways a worker dies: its pool process alone (the OOM killer's usual victim), after which
the parent rejects the message back to the queue (`acks_late` + `reject_on_worker_lost`); or
the whole worker with its parent (the machine or container goes), after which Redis keeps the
message unacknowledged for an hour and the beat sweeper re-queues the upload instead.
"""

import functools
import os
import signal
from pathlib import Path

import polars as pl
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from genlife.celery import app as celery_app
from genotypes.genome_store import genome_from_blob
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.samples import generate_rows, render_text
from genotypes.services.deletion import _files_under
from tests.factories import MemberFactory
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

from .conftest import CSRF_TOKEN, member_session

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A full-size 23andMe v5 file: 640,000 lines, with known genotypes for catalogue SNPs.
GENOME = {
    "n_snps": 640_000,
    "seed": 20261126,
    "include": {"rs1799971": "AG", "rs4680": "GG", "rs1045642": "--"},
}


@functools.cache
def _rows() -> list:
    # Generated once for the file and the expected genome (640,000 rows take seconds).
    return generate_rows(**GENOME)


@functools.cache
def full_size_file() -> bytes:
    # Byte for byte what generate_genome("23andme", **GENOME) writes.
    return render_text("23andme", _rows(), seed=GENOME["seed"])


@functools.cache
def expected_genome() -> pl.DataFrame:
    rows = _rows()
    return pl.DataFrame(
        {
            "rsid": [r.rsid for r in rows],
            "chromosome": [r.chromosome for r in rows],
            "position": [r.position for r in rows],
            "genotype": [r.genotype for r in rows],
        }
    )


def _upload(stack, member) -> GenomeUpload:
    web = stack.webs[0]
    http = member_session(member)
    response = http.post(
        web.base_url + reverse("genotypes:upload"),
        data={"consent": "on", "csrfmiddlewaretoken": CSRF_TOKEN},
        files={"file": ("genome_Full_20261126.txt", full_size_file(), "text/plain")},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    return GenomeUpload.objects.get(user=member)


def _held_pid(hold_file: Path, stack) -> int:
    wait_until(
        lambda: hold_file.exists() and hold_file.read_text(),
        timeout=90,
        message="the worker never reached the parse:\n" + stack.logs(),
    )
    return int(hold_file.read_text())


def _assert_completed_once_and_correct(upload_id, member, catalogue, stack) -> GenomeUpload:
    def finished() -> GenomeUpload | None:
        # "done" commits first; removing the raw file and the email follow after the commit.
        done = GenomeUpload.objects.filter(pk=upload_id, status="done", raw_file="").first()
        return done if done and _ready_emails(stack) else None

    done = wait_until(finished, timeout=180, raise_on_timeout=False)  # a hang bound
    assert done, "the upload never completed:\n" + stack.logs()
    processed = GeneticDataAuditLog.objects.filter(
        upload_id=upload_id, action=GeneticDataAuditLog.Action.PROCESSED
    )
    assert processed.count() == 1
    assert done.attempts == 2  # the killed attempt and the one that finished
    assert done.snp_count == expected_genome().height
    assert done.build == 37 and done.is_current and not done.raw_file

    # Every genotype in the stored genome equals the generator's.
    with default_storage.open(done.genome_file.name, "rb") as handle:
        stored = genome_from_blob(handle.read())
    got = stored.select(
        "rsid",
        pl.col("chromosome").cast(pl.String),
        pl.col("position").cast(pl.Int64),
        pl.col("genotype").cast(pl.String),
    )
    mismatches = (
        expected_genome()
        .join(got, on="rsid", how="full", suffix="_stored")
        .filter(
            (pl.col("genotype") != pl.col("genotype_stored"))
            | (pl.col("position") != pl.col("position_stored"))
            | pl.col("rsid").is_null()
            | pl.col("rsid_stored").is_null()
        )
    )
    assert mismatches.height == 0, mismatches.head(5)

    # One result per catalogue SNP, matching the file; one blob, no orphan from the kill.
    results = dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))
    assert set(results) == set(catalogue)
    expected = dict(expected_genome().select("rsid", "genotype").iter_rows())
    assert results == {rsid: expected.get(rsid, "") for rsid in catalogue}
    assert results["rs1799971"] == "AG" and results["rs1045642"] == "--"
    assert _files_under(default_storage, member.pk) == [done.genome_file.name]
    assert len(_ready_emails(stack)) == 1
    return done


def _ready_emails(stack) -> list:
    return [
        path
        for path in stack.mail_dir.glob("*")
        if "Your DNA file is ready" in path.read_text(errors="replace")
    ]


def test_pool_process_killed_mid_parse_is_redelivered_and_completes_once(stack, tmp_path):
    catalogue = demo_catalogue()
    member = MemberFactory()
    hold_file = tmp_path / "held-pid"
    stack.web()
    worker = stack.worker(
        app="tests.faults.held_worker_app", GENLIFE_FAULTS_HOLD_FILE=str(hold_file)
    )
    upload = _upload(stack, member)
    pid = _held_pid(hold_file, stack)
    assert GenomeUpload.objects.get(pk=upload.pk).status == "parsing"
    os.kill(pid, signal.SIGKILL)

    _assert_completed_once_and_correct(upload.pk, member, catalogue, stack)
    assert "WorkerLostError" in worker.log()
    assert worker.process.poll() is None  # the worker itself carried on


def test_whole_worker_killed_mid_parse_is_requeued_by_the_sweeper(stack, tmp_path):
    catalogue = demo_catalogue()
    member = MemberFactory()
    hold_file = tmp_path / "held-pid"
    stack.web()
    # Beat runs inside the worker, sweeping every second; a parse is "stuck" after 8 s.
    worker = stack.worker(
        app="tests.faults.held_worker_app",
        beat=True,
        GENLIFE_FAULTS_HOLD_FILE=str(hold_file),
        GENOME_SWEEP_SECONDS="1",
        GENOME_STUCK_PARSING_SECONDS="8",
    )
    upload = _upload(stack, member)
    _held_pid(hold_file, stack)
    worker.stop(signal.SIGKILL)  # parent, pool processes and beat, all at once
    stuck = GenomeUpload.objects.get(pk=upload.pk)
    assert stuck.status == "parsing" and stuck.attempts == 1

    worker.start()  # the service comes back; nobody touches the upload
    done = _assert_completed_once_and_correct(upload.pk, member, catalogue, stack)
    assert "Re-queued 1 stuck genome uploads" in worker.log()

    # An hour later Redis hands the killed worker's unacknowledged message out again: it
    # must change nothing. Send the same message (same task id) now.
    with celery_app.connection_for_write(stack.redis.url(0)) as connection:
        celery_app.send_task(
            "genotypes.tasks.genome_upload_process",
            args=[str(upload.pk)],
            task_id=stuck.task_id,
            connection=connection,
        )
    wait_until(
        lambda: f"genome_upload_process[{stuck.task_id}] succeeded" in worker.log(),
        timeout=60,
        message="the late redelivery never ran:\n" + stack.logs(),
    )
    again = GenomeUpload.objects.get(pk=upload.pk)
    assert (again.status, again.attempts, again.genome_file.name, again.finished_at) == (
        "done",
        done.attempts,
        done.genome_file.name,
        done.finished_at,
    )
    assert (
        GeneticDataAuditLog.objects.filter(
            upload_id=upload.pk, action=GeneticDataAuditLog.Action.PROCESSED
        ).count()
        == 1
    )
