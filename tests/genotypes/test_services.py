"""Services against the real database: upload, parse, results, sweeper, backfill, privacy."""

import csv
import io
import logging
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from genlife import queue
from genotypes import genome_store
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.services import backfill, deletion, export, parsing, uploads
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, demo_catalogue, genome_file, upload_for

pytestmark = pytest.mark.django_db

CALLS = {"rs1799971": "AG", "rs4680": "AA", "rs1045642": "--", "rs4986790": "AA"}


def _process(upload, task_id="task-1"):
    parsing.genome_upload_process(upload_id=upload.pk, task_id=task_id)
    upload.refresh_from_db()
    return upload


def _results(user):
    return dict(GenotypeResult.objects.filter(user=user).values_list("snp__rsid", "genotype"))


def test_upload_requires_consent():
    with pytest.raises(ValidationError):
        uploads.genome_upload_create(user=MemberFactory(), file=genome_file(), consent=False)
    assert GenomeUpload.objects.count() == 0


def test_upload_over_the_size_limit_is_refused(settings):
    settings.GENOME_UPLOAD_MAX_BYTES = 1_000
    with pytest.raises(ValidationError):
        upload_for(MemberFactory())
    assert GenomeUpload.objects.count() == 0


def test_upload_is_stored_queued_and_enqueued_only_after_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        uploads, "genome_upload_enqueue", lambda *, upload_id: sent.append(upload_id)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = upload_for(MemberFactory())
        assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [upload.pk]
    assert upload.status == GenomeUpload.Status.QUEUED
    assert default_storage.exists(upload.raw_file.name)
    assert upload.raw_file.name.endswith(f"{upload.pk}.upload")  # never the member's file name


def test_parsing_materialises_every_catalogue_snp_and_encrypts_the_genome(
    django_capture_on_commit_callbacks,
):
    catalogue = demo_catalogue()
    member = MemberFactory()
    upload = upload_for(member, include=CALLS)
    with django_capture_on_commit_callbacks(execute=True):
        upload = _process(upload)
    upload.refresh_from_db()
    assert upload.status == GenomeUpload.Status.DONE and upload.progress == 100
    assert upload.is_current and upload.format == "23andMe" and upload.build == 37
    results = _results(member)
    assert set(results) == set(catalogue)
    assert {rsid: results[rsid] for rsid in CALLS} == CALLS
    assert results["rs4986791"] == ""  # not in the file
    with upload.genome_file.open("rb") as handle:
        blob = handle.read()
    assert b"rs4680" not in blob  # encrypted at rest
    frame = genome_store.genome_from_blob(blob, rsids=["rs4680"])
    assert frame["genotype"].cast(str).to_list() == ["AA"]
    assert not upload.raw_file  # raw upload deleted after success
    assert mail.outbox and "ready" in mail.outbox[0].subject
    assert "rs4680" not in mail.outbox[0].body  # no genotypes by email
    assert GeneticDataAuditLog.objects.filter(action="processed", upload_id=upload.pk).exists()


def test_member_can_keep_the_raw_upload(django_capture_on_commit_callbacks):
    upload = upload_for(MemberFactory(), keep_raw=True)
    with django_capture_on_commit_callbacks(execute=True):
        upload = _process(upload)
    assert upload.raw_file and default_storage.exists(upload.raw_file.name)


def test_bad_file_fails_with_the_parser_message_and_keeps_previous_results(
    django_capture_on_commit_callbacks,
):
    demo_catalogue()
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = _process(upload_for(member, include=CALLS))
    before = _results(member)
    bad = uploads.genome_upload_create(
        user=member, file=SimpleUploadedFile("genome.txt", b"%PDF-1.5 not a genome"), consent=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        bad = _process(bad)
    assert bad.status == GenomeUpload.Status.FAILED
    assert bad.failure_reason == "This is a PDF document, not a raw DNA file."
    assert not bad.is_current and not bad.genome_file
    assert _results(member) == before
    first.refresh_from_db()
    assert first.is_current
    assert "could not read" in mail.outbox[-1].subject


def test_new_upload_replaces_results_atomically_and_keeps_the_old_genome_to_go_back_to(
    django_capture_on_commit_callbacks,
):
    demo_catalogue()
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = _process(upload_for(member, include=CALLS))
    old_blob = first.genome_file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = _process(upload_for(member, include={**CALLS, "rs4680": "GG"}, seed=3))
    first.refresh_from_db()
    assert second.is_current and not first.is_current
    assert _results(member)["rs4680"] == "GG"
    assert GenotypeResult.objects.filter(user=member).exclude(upload=second).count() == 0
    # the replaced upload keeps its stored genome until the member removes it
    assert first.genome_file.name == old_blob and default_storage.exists(old_blob)


def test_processing_twice_is_harmless():
    demo_catalogue()
    member = MemberFactory()
    upload = _process(upload_for(member, include=CALLS))
    count = GenotypeResult.objects.filter(user=member).count()
    _process(upload, task_id="task-2")
    upload.refresh_from_db()
    assert upload.attempts == 1
    assert GenotypeResult.objects.filter(user=member).count() == count


def test_redelivered_task_resumes_a_parse_its_killed_worker_started():
    upload = upload_for(MemberFactory())
    GenomeUpload.objects.filter(pk=upload.pk).update(
        status="parsing", task_id="same-task", started_at=timezone.now(), attempts=1
    )
    upload = _process(upload, task_id="same-task")
    assert upload.status == GenomeUpload.Status.DONE and upload.attempts == 2


def test_a_second_task_does_not_start_while_another_is_parsing():
    upload = upload_for(MemberFactory())
    GenomeUpload.objects.filter(pk=upload.pk).update(
        status="parsing", task_id="first-task", started_at=timezone.now(), attempts=1
    )
    upload = _process(upload, task_id="other-task")
    assert upload.status == GenomeUpload.Status.PARSING and upload.task_id == "first-task"


def test_sweeper_requeues_stuck_uploads_and_gives_up_after_max_attempts(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        uploads, "genome_upload_enqueue", lambda *, upload_id: sent.append(upload_id)
    )
    member = MemberFactory()
    old = timezone.now() - timedelta(hours=1)
    queued = upload_for(member)
    stuck = upload_for(member)
    fresh = upload_for(member)
    exhausted = upload_for(member)
    GenomeUpload.objects.filter(pk=queued.pk).update(queued_at=old)
    GenomeUpload.objects.filter(pk=stuck.pk).update(
        status="parsing", started_at=old, task_id="dead"
    )
    GenomeUpload.objects.filter(pk=exhausted.pk).update(
        status="parsing", started_at=old, attempts=parsing.MAX_ATTEMPTS
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert parsing.genome_uploads_requeue_stuck() == 2
    assert set(sent) == {queued.pk, stuck.pk}
    stuck.refresh_from_db()
    assert stuck.status == "queued" and stuck.task_id == ""
    fresh.refresh_from_db()
    assert fresh.status == "queued"
    exhausted.refresh_from_db()
    assert exhausted.status == "failed" and exhausted.failure_code == "gave_up"


def test_enqueue_with_the_broker_down_keeps_the_upload_queued(monkeypatch):
    from genotypes import tasks

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.genome_upload_process, "apply_async", refuse)
    upload = upload_for(MemberFactory())
    assert uploads.genome_upload_enqueue(upload_id=upload.pk) is False
    upload.refresh_from_db()
    assert upload.status == "queued"


def test_backfill_fills_a_new_snp_for_members_who_uploaded_earlier():
    demo_catalogue()
    member = MemberFactory()
    upload = _process(upload_for(member, include={**CALLS, "rs3094315": "CT"}))
    marker = SnpFactory(rsid="rs3094315", chromosome="1", ref="C", alt="T")
    assert (
        backfill.genotype_results_backfill_chunk(snp_id=marker.pk, upload_ids=[str(upload.pk)]) == 1
    )
    assert _results(member)["rs3094315"] == "CT"
    # A second run is harmless.
    backfill.genotype_results_backfill_chunk(snp_id=marker.pk, upload_ids=[str(upload.pk)])
    assert GenotypeResult.objects.filter(user=member, snp=marker).count() == 1


def test_backfill_fans_out_in_chunks(monkeypatch):
    member_uploads = []
    for _ in range(3):
        member_uploads.append(_process(upload_for(MemberFactory(), n_snps=500)))
    snp = SnpFactory()
    chunks = []
    monkeypatch.setattr(backfill, "BACKFILL_CHUNK", 2)
    monkeypatch.setattr(queue, "task_send", lambda task, *args: chunks.append(args))
    assert backfill.snp_results_backfill(snp_id=snp.pk) == 3
    assert [len(ids) for _, ids in chunks] == [2, 1]


def test_vcf_without_ids_is_matched_by_position_in_its_build():
    catalogue = demo_catalogue()
    member = MemberFactory()
    file = genome_file(
        "genome.vcf", fmt="vcf", build=38, vcf_ids=False, chr_prefix=True, include={"rs4680": "AG"}
    )
    upload = _process(uploads.genome_upload_create(user=member, file=file, consent=True))
    assert upload.build == 38
    assert _results(member)["rs4680"] == "AG"
    assert len(_results(member)) == len(catalogue)


def test_genome_blobs_rotate_to_a_new_key(settings):
    old_key = settings.GENOME_ENCRYPTION_KEYS[0]
    import polars as pl

    frame = pl.DataFrame(
        {"rsid": ["rs1"], "chromosome": ["1"], "position": [5], "genotype": ["AG"]}
    ).cast(genome_store.BLOB_SCHEMA)
    blob = genome_store.genome_to_blob(frame)
    new_key = Fernet.generate_key().decode()
    settings.GENOME_ENCRYPTION_KEYS = [new_key, old_key]
    rotated = genome_store.blob_rotate(blob)
    settings.GENOME_ENCRYPTION_KEYS = [new_key]
    assert genome_store.genome_from_blob(rotated)["rsid"].to_list() == ["rs1"]
    with pytest.raises(genome_store.GenomeBlobError):
        genome_store.genome_from_blob(blob)


def test_missing_keys_outside_local_mode_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.GENOME_ENCRYPTION_KEYS = []
    settings.LOCAL_MODE = False
    with pytest.raises(ImproperlyConfigured):
        genome_store.cipher()
    settings.LOCAL_MODE = True
    assert genome_store.cipher().decrypt(genome_store.cipher().encrypt(b"x")) == b"x"


def test_no_genotype_values_reach_the_logs(caplog, django_capture_on_commit_callbacks):
    demo_catalogue()
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        _process(upload_for(MemberFactory(), include={"rs4680": "CT"}))
    text = caplog.text
    assert "rs4680" not in text and "CT" not in text.replace("CTION", "")


def test_results_csv_neutralises_formula_injection():
    assert export.csv_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert export.csv_safe("+1") == "'+1" and export.csv_safe("@x") == "'@x"
    assert export.csv_safe("AG") == "AG"
    snp = SnpFactory(gene="=cmd|' /C calc'!A0")
    member = MemberFactory()
    upload = _process(upload_for(member, n_snps=500))
    GenotypeResult.objects.update_or_create(
        user=member, snp=snp, defaults={"upload": upload, "genotype": "--"}
    )
    rows = list(csv.reader(io.StringIO(export.genotype_results_csv(user=member))))
    row = next(r for r in rows if r[0] == snp.rsid)
    assert row[1].startswith("'=") and row[3] == "no call"


def test_export_holds_results_and_every_kept_genome():
    demo_catalogue()
    member = MemberFactory()
    earlier = _process(upload_for(member, include={**CALLS, "rs4680": "GG"}))
    _process(upload_for(member, include=CALLS))  # the file in use; the earlier genome is kept
    earlier.refresh_from_db()
    assert earlier.genome_file and not earlier.is_current
    failed = upload_for(member)
    GenomeUpload.objects.filter(pk=failed.pk).update(status="failed")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.genome_data_export(user=member))))
    earlier_name = f"genlife-genome-uploaded-{earlier.created:%Y%m%d-%H%M%S}-23andme.txt"
    assert set(archive.namelist()) == {
        "genlife-account.json",
        "genlife-activity.csv",
        "genlife-results.csv",
        "genlife-uploads.csv",
        "genlife-genome-23andme.txt",
        earlier_name,
    }
    assert "rs4680,COMT,22,AA" in archive.read("genlife-results.csv").decode()
    assert "rs1799971\t6\t154360797\tAG" in archive.read("genlife-genome-23andme.txt").decode()
    assert "\nrs4680\t22\t" in archive.read(earlier_name).decode()
    assert "rs4680\t22\t19951271\tGG" in archive.read(earlier_name).decode()
    listed = list(csv.DictReader(io.StringIO(archive.read("genlife-uploads.csv").decode())))
    assert [(row["in_use"], row["genome_in_this_export"]) for row in listed] == [
        ("no", ""),  # the failed one, newest: no genome kept
        ("yes", "genlife-genome-23andme.txt"),
        ("no", earlier_name),
    ]
    assert GeneticDataAuditLog.objects.filter(action="exported", subject_user_id=member.pk).exists()


def test_delete_all_removes_files_blobs_and_rows_at_once():
    demo_catalogue()
    member = MemberFactory()
    other = MemberFactory()
    kept = _process(upload_for(member, keep_raw=True))
    pending = upload_for(member)
    theirs = _process(upload_for(other))
    names = [kept.raw_file.name, kept.genome_file.name, pending.raw_file.name]
    assert all(default_storage.exists(n) for n in names)
    assert deletion.genome_data_delete_all(user=member) == 2
    assert not any(default_storage.exists(n) for n in names)
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert not GenotypeResult.objects.filter(user=member).exists()
    assert GenotypeResult.objects.filter(user=other).exists()
    assert default_storage.exists(theirs.genome_file.name)
    log = GeneticDataAuditLog.objects.get(action="deleted", subject_user_id=member.pk)
    assert log.detail == "2 uploads"
    assert deletion.genome_data_delete_all(user=member) == 0  # nothing left: harmless


def test_raw_and_blob_files_live_under_the_media_root(settings):
    upload = upload_for(MemberFactory())
    assert Path(upload.raw_file.path).is_relative_to(settings.MEDIA_ROOT)


def test_rotate_command_re_encrypts_stored_genomes_under_the_new_key(settings):
    from django.core.management import call_command

    demo_catalogue()
    member = MemberFactory()
    upload = _process(upload_for(member, include=CALLS))
    old_key = settings.GENOME_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.GENOME_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("genome_blobs_rotate", stdout=io.StringIO())
    settings.GENOME_ENCRYPTION_KEYS = [new_key]
    upload.refresh_from_db()
    with upload.genome_file.open("rb") as handle:
        frame = genome_store.genome_from_blob(handle.read(), rsids=["rs4680"])
    assert frame["genotype"].cast(str).to_list() == ["AA"]


def test_unexpected_parser_error_fails_the_upload_with_an_honest_message(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(parsing, "parse_genome", explode)
    upload = _process(upload_for(MemberFactory()))
    assert upload.status == "failed" and upload.failure_code == "internal"
    assert "problem on our side" in upload.failure_reason


def test_delete_all_also_removes_files_a_killed_worker_left_behind():
    member = MemberFactory()
    upload = _process(upload_for(member, n_snps=500))
    orphan = default_storage.save(
        f"genomes/blobs/{member.pk}/orphan.parquet.fernet", io.BytesIO(b"left by a killed attempt")
    )
    deletion.genome_data_delete_all(user=member)
    assert not default_storage.exists(orphan)
    assert not default_storage.exists(upload.genome_file.name)
