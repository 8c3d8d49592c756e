"""Erasure and concurrency with a real worker through a real broker: an attempt held between
its parse and its storage write while the test deletes the member's data, re-queues the upload
or lets a newer upload finish; a pool process killed on every attempt; a disk that fills up.

Whatever happens, storage ends with exactly the files the rows own, and the member sees one
clear outcome.
"""

import signal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse, reverse_lazy

from genotypes.genome_store import genome_from_blob
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from genotypes.services import parsing
from genotypes.services.deletion import _files_under
from tests.factories import TEST_PASSWORD, MemberFactory
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

from .conftest import CSRF_TOKEN, member_session

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

APP = "tests.faults.fault_worker_app"
N_SNPS = 20_000


def _upload(stack, member, *, seed: int, calls: dict[str, str]) -> GenomeUpload:
    """Upload through gunicorn as the member would; the newest upload of theirs."""
    response = member_session(member).post(
        stack.webs[0].base_url + reverse("genotypes:upload"),
        data={"consent": "on", "csrfmiddlewaretoken": CSRF_TOKEN},
        files={
            "file": (
                "genome.txt",
                generate_genome("23andme", n_snps=N_SNPS, seed=seed, include=calls),
                "text/plain",
            )
        },
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    return GenomeUpload.objects.filter(user=member).order_by("-created").first()


def _held(stack, tmp_path) -> tuple[dict[str, str], object]:
    """Environment for a worker whose first parse waits for `release()`."""
    hold, release = tmp_path / "held-pid", tmp_path / "release"
    env = {"GENLIFE_FAULTS_HOLD_FILE": str(hold), "GENLIFE_FAULTS_RELEASE_FILE": str(release)}

    def wait_held():
        wait_until(
            lambda: hold.exists() and hold.read_text(),
            timeout=90,
            message="the worker never reached the parse:\n" + stack.logs(),
        )

    def release_it():
        release.write_text("go")

    return env, (wait_held, release_it)


def _task_finished(worker, task_id: str) -> bool:
    log = worker.log()
    return (
        f"genome_upload_process[{task_id}] succeeded" in log
        or f"genome_upload_process[{task_id}] raised" in log
    )


def _stored_files(member) -> list[str]:
    return sorted(_files_under(default_storage, member.pk))


# Beat also runs the orphan sweeper, every second, for files unowned for 10 s: the safety net
# for an attempt whose own clean-up failed (on a loaded machine SQLite can time out on its lock).
SWEEP_ORPHANS = {"GENOME_ORPHAN_SWEEP_SECONDS": "1", "GENOME_ORPHAN_AGE_SECONDS": "10"}


def _settles_to(member, expected: list[str], stack) -> None:
    stored = wait_until(
        lambda: _stored_files(member) == expected, timeout=90, raise_on_timeout=False
    )
    assert stored, f"{_stored_files(member)} != {expected}:\n" + stack.logs()


def _reauthenticated_client(client, member):
    client.force_login(member)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


DELETIONS = {
    "genetic data": (reverse_lazy("genotypes:delete"), {"confirm": "delete"}),
    "account": (reverse_lazy("members:account_delete"), {"confirm": "delete"}),
}


@pytest.mark.parametrize("what", DELETIONS)
def test_deleting_genetic_data_while_the_worker_parses_leaves_nothing_in_storage(
    stack, tmp_path, client, what
):
    member = MemberFactory()
    member_id = member.pk
    env, (wait_held, release) = _held(stack, tmp_path)
    stack.web()
    worker = stack.worker(app=APP, **env)
    upload = _upload(stack, member, seed=1, calls={"rs4680": "AA"})
    wait_held()
    task_id = GenomeUpload.objects.get(pk=upload.pk).task_id
    assert task_id

    _reauthenticated_client(client, member)
    url, data = DELETIONS[what]
    response = client.post(url, data)
    assert response.status_code == 302
    assert not GenomeUpload.objects.filter(user_id=member_id).exists()

    release()  # the attempt goes on to store the genome it has read
    wait_until(
        lambda: _task_finished(worker, task_id),
        timeout=90,
        message="the held attempt never finished:\n" + stack.logs(),
    )
    assert sorted(_files_under(default_storage, member_id)) == []
    assert not GenotypeResult.objects.filter(user_id=member_id).exists()
    assert not GenomeUpload.objects.filter(user_id=member_id).exists()


def test_an_attempt_that_lost_its_claim_neither_commits_nor_removes_the_winners_genome(
    stack, tmp_path
):
    catalogue = demo_catalogue()
    member = MemberFactory()
    env, (wait_held, release) = _held(stack, tmp_path)
    stack.web()
    # A parse counts as stuck after 3 s: the sweeper (beat, every second) re-queues the held
    # one while it still runs, and a second task claims and finishes the upload.
    worker = stack.worker(
        app=APP,
        beat=True,
        GENOME_SWEEP_SECONDS="1",
        GENOME_STUCK_PARSING_SECONDS="3",
        **SWEEP_ORPHANS,
        **env,
    )
    upload = _upload(stack, member, seed=2, calls={"rs4680": "GG"})
    wait_held()
    first_task = GenomeUpload.objects.get(pk=upload.pk).task_id
    done = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload.pk, status="done").first(),
        timeout=90,
        message="the second task never finished:\n" + stack.logs(),
    )
    assert done.task_id != first_task

    release()
    wait_until(
        lambda: _task_finished(worker, first_task),
        timeout=90,
        message="the held attempt never finished:\n" + stack.logs(),
    )
    after = GenomeUpload.objects.get(pk=upload.pk)
    assert (after.status, after.task_id, after.genome_file.name, after.is_current) == (
        "done",
        done.task_id,
        done.genome_file.name,
        True,
    )
    _settles_to(member, [after.genome_file.name], stack)
    with default_storage.open(after.genome_file.name, "rb") as handle:
        assert genome_from_blob(handle.read()).height == after.snp_count > 0
    assert (
        GeneticDataAuditLog.objects.filter(
            upload_id=upload.pk, action=GeneticDataAuditLog.Action.PROCESSED
        ).count()
        == 1
    )
    results = dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))
    assert set(results) == set(catalogue) and results["rs4680"] == "GG"


def test_the_newest_upload_wins_when_an_older_one_finishes_after_it(stack, tmp_path, client):
    demo_catalogue()
    member = MemberFactory()
    env, (wait_held, release) = _held(stack, tmp_path)
    stack.web()
    worker = stack.worker(app=APP, beat=True, **SWEEP_ORPHANS, **env)
    older = _upload(stack, member, seed=3, calls={"rs4680": "AA"})
    wait_held()
    older_task = GenomeUpload.objects.get(pk=older.pk).task_id
    newer = _upload(stack, member, seed=4, calls={"rs4680": "GG"})
    wait_until(
        lambda: GenomeUpload.objects.filter(pk=newer.pk, status="done").exists(),
        timeout=90,
        message="the newer upload never finished:\n" + stack.logs(),
    )

    release()
    wait_until(
        lambda: _task_finished(worker, older_task),
        timeout=90,
        message="the older upload never finished:\n" + stack.logs(),
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.is_current and newer.status == "done"
    assert not older.is_current and older.status == "failed"
    assert older.failure_code == "superseded" and not older.genome_file
    results = dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))
    assert results["rs4680"] == "GG"
    assert set(GenotypeResult.objects.filter(user=member).values_list("upload", flat=True)) == {
        newer.pk
    }
    _settles_to(member, [newer.genome_file.name], stack)
    client.force_login(member)
    page = client.get(reverse("genotypes:upload_status", args=[older.pk])).content.decode()
    assert "newer file" in page


def test_a_pool_process_killed_on_every_attempt_fails_the_upload_after_the_limit(stack, client):
    member = MemberFactory()
    stack.web()
    worker = stack.worker(app=APP, GENLIFE_FAULTS_KILL_EVERY_PARSE="1")
    upload = _upload(stack, member, seed=5, calls={})
    # "failed" commits first; the raw file goes right after the commit (raw_file cleared).
    failed = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload.pk, status="failed", raw_file="").first(),
        timeout=240,
        raise_on_timeout=False,
    )
    attempts = GenomeUpload.objects.get(pk=upload.pk).attempts
    assert failed, f"still {attempts} attempts and counting:\n" + stack.logs()
    assert failed.failure_code == "gave_up" and failed.attempts == parsing.MAX_ATTEMPTS
    assert worker.log().count("WorkerLostError") >= parsing.MAX_ATTEMPTS
    assert _stored_files(member) == []
    client.force_login(member)
    page = client.get(reverse("genotypes:upload_status", args=[upload.pk])).content.decode()
    assert "We tried to read this file several times" in page
    # No attempt after the failure: the message is not redelivered any more.
    stack.workers[0].stop(signal.SIGTERM)
    assert GenomeUpload.objects.get(pk=upload.pk).attempts == parsing.MAX_ATTEMPTS


def test_a_full_disk_fails_the_parse_once_with_a_clear_reason_and_leaves_nothing(stack, client):
    member = MemberFactory()
    stack.web()
    stack.worker(app=APP, GENLIFE_FAULTS_DISK_FULL="1")
    upload = _upload(stack, member, seed=6, calls={})
    failed = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload.pk, status="failed").first(),
        timeout=60,
        raise_on_timeout=False,
    )
    assert failed, "the upload did not fail once:\n" + stack.logs()
    assert failed.failure_code == "storage_full" and failed.attempts == 1
    assert _stored_files(member) == []
    client.force_login(member)
    status = client.get(reverse("genotypes:upload_status_json", args=[upload.pk])).json()
    assert status["finished"] and "storage is full" in status["reason"]
