"""Genetic data at rest: a database dump, the media tree and the cache show no genotype.

A member uploads a file through the site carrying a planted, distinctive call ("DI" on a
test SNP that no catalogue text mentions) and asks us to keep the original; the worker reads
it. A second member's upload is left waiting to be read. Then everything we store is read
back the way an attacker with a copy of it would: every row of every table (pg_dump on
PostgreSQL), every file under the media root, every cache entry (Redis or the file cache).
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from genlife import queue
from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from genotypes.services import parsing, uploads
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory

pytestmark = pytest.mark.django_db(transaction=True)

PLANTED_RSID = "rs99000001"
PLANTED_CALL = "DI"  # an insertion/deletion call: no catalogue row or text spells it


def _upload(client, member, *, keep_raw: bool, seed: int) -> GenomeUpload:
    client.force_login(member)
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE, so Django's default handlers would spool it to disk.
    data = generate_genome(
        "23andme", n_snps=150_000, seed=seed, include={PLANTED_RSID: PLANTED_CALL}
    )
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    form = {"file": SimpleUploadedFile("genome.txt", data), "consent": "on"}
    if keep_raw:
        form["keep_raw"] = "on"
    response = client.post(reverse("genotypes:upload"), form)
    assert response.status_code == 302
    return GenomeUpload.objects.filter(user=member).latest("created")


def _database_dump() -> list[str]:
    """Every value of every row of every table, as text (pg_dump on PostgreSQL)."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        out = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                db.get("HOST") or "127.0.0.1",
                "-p",
                str(db.get("PORT") or 5432),
                "-U",
                db.get("USER") or "postgres",
                db["NAME"],
            ],
            capture_output=True,
            env=env,
            check=True,
            timeout=120,
        ).stdout.decode()
        return [field for line in out.splitlines() for field in line.split("\t")]
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            values += [str(v) for row in cursor.fetchall() for v in row]
    return values


def _cache_values() -> list[bytes]:
    """Every value in the cache (and the Redis broker), raw."""
    found: list[bytes] = []
    location = settings.CACHES["default"]["LOCATION"]
    if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
        for path in Path(location).rglob("*"):
            if path.is_file():
                with path.open("rb") as handle:
                    try:
                        pickle.load(handle)  # the expiry time
                        found.append(zlib.decompress(handle.read()))
                    except Exception:  # noqa: BLE001 - not a cache entry: keep it raw
                        found.append(path.read_bytes())
        return found
    import redis

    urls = [location]
    if settings.CELERY_BROKER_URL.startswith("redis"):
        urls.append(settings.CELERY_BROKER_URL)
    for url in urls:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter():
            kind = client.type(key).decode()
            if kind == "string":
                found.append(client.get(key) or b"")
            elif kind == "hash":
                found += [k + b"=" + v for k, v in client.hgetall(key).items()]
            elif kind == "list":
                found += client.lrange(key, 0, -1)
            elif kind == "set":
                found += list(client.smembers(key))
            elif kind == "zset":
                found += client.zrange(key, 0, -1)
    return found


@pytest.fixture
def spooled(settings, tmp_path, monkeypatch) -> list[bytes]:
    """What the upload temporary folder holds once a body has been received (the moment the
    view hands the file to the service, before it is stored and the spool removed)."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    seen: list[bytes] = []
    real = uploads.genome_upload_create

    def looking(**kwargs):
        seen.extend(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        return real(**kwargs)

    monkeypatch.setattr(uploads, "genome_upload_create", looking)
    # The test reads each upload itself, in this process and its media folder. A session
    # worker started by an earlier test must not pick the parse task up from the broker: it
    # reads another media folder and would fail the upload as missing.
    monkeypatch.setattr(queue, "task_send", lambda task, *args: False)
    return seen


def test_a_dump_of_database_media_and_cache_holds_no_genotype_in_clear(client, spooled):
    SnpFactory(rsid=PLANTED_RSID, chromosome="2", ref="A", alt="AT")
    member, waiting_member = MemberFactory(), MemberFactory()
    kept = _upload(client, member, keep_raw=True, seed=11)
    parsing.genome_upload_process(upload_id=kept.pk)  # what the worker does
    kept.refresh_from_db()
    assert kept.status == "done", kept.failure_reason
    assert kept.raw_file, "the member asked to keep the original"
    waiting = _upload(client, waiting_member, keep_raw=False, seed=12)
    assert waiting.status == "queued" and waiting.raw_file

    # The member sees their call: it is stored, just not in clear.
    client.force_login(member)
    assert GenotypeResult.objects.get(user=member, snp__rsid=PLANTED_RSID).genotype == "DI"
    page = client.get(reverse("genotypes:snp_detail", args=[PLANTED_RSID]))
    assert page.status_code == 200
    client.get(reverse("genotypes:mine"))

    planted_line = f"{PLANTED_RSID}\t".encode()
    assert len(spooled) == 2, "each upload was spooled to the temporary folder while received"
    assert not any(planted_line in content for content in spooled), "spooled in clear"

    dump = _database_dump()
    assert PLANTED_CALL not in dump, "a genotype is in clear in the database"
    with connection.cursor() as cursor:
        cursor.execute("SELECT genotype FROM genotypes_genotyperesult")
        stored = [value for (value,) in cursor.fetchall()]
    assert stored and all(len(v) == 100 and v.startswith("gAAAAA") for v in stored), (
        "every result, the empty 'not in your file' ones too, is a Fernet token of one length"
    )

    media = Path(settings.MEDIA_ROOT) / "genomes"
    files = [p for p in media.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {f"{kept.pk}.upload", f"{waiting.pk}.upload"}
    for path in files:
        content = path.read_bytes()
        assert planted_line not in content and b"23andMe" not in content, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in [media, *(p for p in media.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

    cache.set("at-rest-probe", "written")  # the scan below does see the cache
    values = _cache_values()
    assert any(b"at-rest-probe" in v or b"written" in v for v in values)
    for value in values:
        assert planted_line not in value and f">{PLANTED_CALL}<".encode() not in value
