"""Erasure and access through the site and the admin: deleting an upload in the admin, the
orphan-file sweeper, the export's members-only part, and staff reads of another member's
upload (two factors and an audit row on every path)."""

import csv
import datetime as dt
import io
import os
import time
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.services import deletion
from genotypes.services.deletion import _files_under
from tests.factories import TEST_PASSWORD, MemberFactory, StaffFactory, sign_in_with_two_factor
from tests.genotypes.factories import (
    SnpFactory,
    SnpInterpretationFactory,
    processed_upload_for,
    upload_for,
)

pytestmark = pytest.mark.django_db

Action = GeneticDataAuditLog.Action


def _genetic_data_staff(*codenames: str):
    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_genetic_data", "view_genomeupload", *codenames]
        )
    )
    return staff


# --- Deleting an upload in the admin ------------------------------------------------------


def test_deleting_an_upload_on_its_admin_page_removes_its_files_and_results_and_is_audited(client):
    member = MemberFactory()
    upload = processed_upload_for(member, keep_raw=True)
    assert upload.raw_file and upload.genome_file
    staff = _genetic_data_staff("delete_genomeupload")
    sign_in_with_two_factor(client, staff)

    response = client.post(
        reverse("admin:genotypes_genomeupload_delete", args=[upload.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not GenomeUpload.objects.filter(pk=upload.pk).exists()
    assert not GenotypeResult.objects.filter(user=member).exists()
    assert _files_under(default_storage, member.pk) == []
    entry = GeneticDataAuditLog.objects.get(action=Action.DELETED, upload_id=upload.pk)
    assert (entry.actor, entry.subject_user_id) == (staff, member.pk)


def test_the_admins_bulk_delete_removes_every_selected_uploads_files(client):
    members = [MemberFactory(), MemberFactory()]
    uploads = [processed_upload_for(m, keep_raw=True) for m in members]
    staff = _genetic_data_staff("delete_genomeupload")
    sign_in_with_two_factor(client, staff)

    response = client.post(
        reverse("admin:genotypes_genomeupload_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(u.pk) for u in uploads],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not GenomeUpload.objects.exists() and not GenotypeResult.objects.exists()
    for member in members:
        assert _files_under(default_storage, member.pk) == []
    assert set(
        GeneticDataAuditLog.objects.filter(action=Action.DELETED, actor=staff).values_list(
            "upload_id", flat=True
        )
    ) == {u.pk for u in uploads}


# --- The orphan sweeper -------------------------------------------------------------------


def _age(name: str, seconds: int) -> None:
    when = time.time() - seconds
    os.utime(default_storage.path(name), (when, when))


def test_the_sweeper_removes_old_files_no_upload_owns_and_keeps_everything_else():
    member = MemberFactory()
    done = processed_upload_for(member, keep_raw=True)
    pending = upload_for(member)  # queued: its raw file is owned
    # Finished, raw file not to be kept, yet still there (here: the after-commit clean-up
    # never ran, as when it fails).
    cleanup_failed = processed_upload_for(MemberFactory())
    leftover_raw = cleanup_failed.raw_file.name
    assert leftover_raw and default_storage.exists(leftover_raw)
    old = settings.GENOME_ORPHAN_AGE_SECONDS + 60
    orphans = [
        leftover_raw,
        default_storage.save(
            f"genomes/blobs/{member.pk}/{done.pk}.a9.parquet.fernet",
            io.BytesIO(b"a lost attempt's blob"),
        ),
        default_storage.save(f"genomes/raw/{member.pk}/deadbeef.upload", io.BytesIO(b"x")),
        default_storage.save(
            f"genomes/blobs/{member.pk + 1000}/{done.pk}.a1.parquet.fernet",
            io.BytesIO(b"another user's folder"),
        ),
    ]
    fresh = default_storage.save(
        f"genomes/blobs/{member.pk}/{done.pk}.a8.parquet.fernet",
        io.BytesIO(b"being written right now"),
    )
    for name in [*orphans, done.raw_file.name, done.genome_file.name, pending.raw_file.name]:
        _age(name, old)

    from genotypes import tasks

    assert tasks.genome_files_sweep_orphans() == len(orphans)
    assert not [name for name in orphans if default_storage.exists(name)]
    for name in (fresh, done.raw_file.name, done.genome_file.name, pending.raw_file.name):
        assert default_storage.exists(name)
    assert "genome-files-sweep-orphans" in settings.CELERY_BEAT_SCHEDULE
    assert not GenomeUpload.objects.get(pk=cleanup_failed.pk).raw_file


# --- The export: genotypes always, interpretations for members only -------------------------


def _export_rows(client, user) -> list[dict]:
    client.force_login(user)
    assert (
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD}).status_code
        == 302
    )
    response = client.post(reverse("genotypes:export"))
    assert response.status_code == 200
    text = (
        zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        .read("genlife-results.csv")
        .decode()
    )
    return list(csv.DictReader(io.StringIO(text)))


def test_a_lapsed_member_exports_their_genotypes_but_not_the_members_only_interpretations(client):
    snp = SnpFactory(rsid="rs4680", gene="COMT", chromosome="22", ref="G", alt="A")
    SnpInterpretationFactory(
        snp=snp, genotype="AA", label="notable", text="Members-only words about AA."
    )
    member = MemberFactory()
    processed_upload_for(member, include={"rs4680": "AA"})
    [row] = _export_rows(client, member)
    assert (row["your_genotype"], row["interpretation"]) == ("AA", "Members-only words about AA.")

    Membership.objects.filter(user=member).update(
        status=Membership.Status.CANCELED, current_period_end=timezone.now() - dt.timedelta(days=1)
    )
    client.logout()
    [row] = _export_rows(client, member)
    assert row["rsid"] == "rs4680" and row["your_genotype"] == "AA"
    assert row["interpretation"] == "" and row["label"] == ""
    page = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    assert page.status_code == 200  # the public part only
    assert "Members-only words about AA." not in page.content.decode()
    assert "Your genotype:" not in page.content.decode()


# --- Staff reading another member's upload on the site ------------------------------------

STATUS_URLS = ["genotypes:upload_status", "genotypes:upload_status_json"]


@pytest.mark.parametrize("name", STATUS_URLS)
def test_genetic_data_staff_without_a_second_factor_cannot_read_a_members_upload(client, name):
    upload = upload_for(MemberFactory())
    client.force_login(_genetic_data_staff())  # a password-only session
    assert client.get(reverse(name, args=[upload.pk])).status_code == 404
    assert not GeneticDataAuditLog.objects.filter(action=Action.VIEWED_STATUS).exists()


@pytest.mark.parametrize("name", STATUS_URLS)
def test_genetic_data_staff_with_a_second_factor_read_a_members_upload_and_it_is_audited(
    client, name
):
    member = MemberFactory()
    upload = upload_for(member)
    staff = _genetic_data_staff()
    sign_in_with_two_factor(client, staff)
    assert client.get(reverse(name, args=[upload.pk])).status_code == 200
    entry = GeneticDataAuditLog.objects.get(action=Action.VIEWED_STATUS)
    assert (entry.actor, entry.subject_user_id, entry.upload_id) == (staff, member.pk, upload.pk)


def test_opening_a_members_upload_in_the_admin_is_audited(client):
    member = MemberFactory()
    upload = upload_for(member)
    staff = _genetic_data_staff()
    sign_in_with_two_factor(client, staff)
    url = reverse("admin:genotypes_genomeupload_change", args=[upload.pk])
    asked = client.get(url)
    assert asked.status_code == 200 and "Why are you opening" in asked.content.decode()
    assert 'name="reason"' in asked.content.decode()
    assert not GeneticDataAuditLog.objects.filter(action=Action.VIEWED_STATUS).exists()
    assert "Give a reason" in client.get(url, {"reason": "  "}).content.decode()
    assert client.get(url, {"reason": "ticket 42: failed twice"}).status_code == 200
    entry = GeneticDataAuditLog.objects.get(action=Action.VIEWED_STATUS)
    assert (entry.actor, entry.subject_user_id, entry.upload_id) == (staff, member.pk, upload.pk)
    assert entry.detail == "in the admin; reason given: ticket 42: failed twice"
    member_client = Client()
    member_client.force_login(member)
    activity = member_client.get(reverse("genotypes:activity")).content.decode()
    assert "reason given: ticket 42: failed twice" in activity
    assert "genlife support staff" in activity


@pytest.mark.parametrize("name", STATUS_URLS)
def test_the_owner_reading_their_own_upload_writes_no_staff_audit_row(client, name):
    member = MemberFactory()
    upload = upload_for(member)
    client.force_login(member)
    assert client.get(reverse(name, args=[upload.pk])).status_code == 200
    assert not GeneticDataAuditLog.objects.filter(action=Action.VIEWED_STATUS).exists()


def test_deletion_service_for_one_upload_is_safe_when_it_is_already_gone():
    upload = upload_for(MemberFactory())
    assert deletion.genome_upload_delete(upload_id=upload.pk, actor=None) is True
    assert deletion.genome_upload_delete(upload_id=upload.pk, actor=None) is False
