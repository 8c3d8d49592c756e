"""A full disk during an upload: the member gets a clear message (not a 500), nothing partial
is left behind, and /healthz reports low storage while uploads are refused up front."""

import errno
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genotypes import upload_handlers
from genotypes.models import GeneticDataAuditLog, GenomeUpload
from genotypes.samples import generate_genome
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

FULL = "our storage is full"


def _genome() -> bytes:
    # Larger than one sealed frame, so the disk fills in the middle of the file.
    data = generate_genome("23andme", n_snps=150_000, seed=3)
    assert len(data) > 2 * 1024 * 1024
    return data


def _post(client, member):
    client.force_login(member)
    return client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", _genome()), "consent": "on"},
    )


def _member_files(settings, member) -> set[Path]:
    """The member's raw files. The media folder is shared by the genotypes tests, and user ids
    repeat after a database flush, so tests compare against what was there before."""
    folder = Path(settings.MEDIA_ROOT) / "genomes" / "raw" / str(member.pk)
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


class FullDiskStorage(FileSystemStorage):
    """Writes the first megabyte of a file, then fails the way a full disk does."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for chunk in content.chunks():
                handle.write(chunk[: 1024 * 1024])
                raise OSError(errno.ENOSPC, "No space left on device")
        return name


def test_a_disk_that_fills_while_storing_the_file_gives_a_message_and_leaves_nothing(
    client, settings, monkeypatch
):
    field = GenomeUpload._meta.get_field("raw_file")
    monkeypatch.setattr(field, "storage", FullDiskStorage(location=settings.MEDIA_ROOT))
    member = MemberFactory()
    before = _member_files(settings, member)
    response = _post(client, member)
    assert response.status_code == 507
    assert FULL in response.content.decode()
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert not GeneticDataAuditLog.objects.filter(subject_user_id=member.pk).exists()
    assert _member_files(settings, member) - before == set()


def test_a_temporary_folder_that_fills_while_receiving_gives_a_message_and_leaves_nothing(
    client, settings, monkeypatch
):
    spools = []
    real = tempfile.NamedTemporaryFile

    class FillingSpool:
        """A real temporary file whose disk fills after the first megabyte."""

        def __init__(self, *args, **kwargs):
            self._file = real(*args, **kwargs)
            self.name = self._file.name
            self.written = 0
            spools.append(self)

        def write(self, data):
            self.written += len(data)
            if self.written > 1024 * 1024:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._file.write(data)

        def __getattr__(self, name):
            return getattr(self._file, name)

    monkeypatch.setattr(upload_handlers.tempfile, "NamedTemporaryFile", FillingSpool)
    member = MemberFactory()
    before = _member_files(settings, member)
    response = _post(client, member)
    assert response.status_code == 507
    assert FULL in response.content.decode()
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert spools and not any(Path(s.name).exists() for s in spools)
    assert _member_files(settings, member) - before == set()
    # Sent by the page's script: the same message, as JSON.
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", _genome()), "consent": "on"},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 507 and FULL in response.json()["errors"]["file"][0]


def test_low_storage_shows_in_healthz_and_uploads_are_refused_before_reading(client, settings):
    assert client.get("/healthz").json()["storage"] == "ok"
    settings.STORAGE_MIN_FREE_BYTES = shutil.disk_usage(settings.MEDIA_ROOT).total + 1
    health = client.get("/healthz")
    assert health.status_code == 200  # pages are still served; monitoring sees the field
    assert health.json()["status"] == "degraded" and health.json()["storage"] == "low"
    member = MemberFactory()
    client.force_login(member)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("g.txt", b"x"), "consent": "on"},
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 507 and FULL in response.content.decode()
    assert not GenomeUpload.objects.filter(user=member).exists()
