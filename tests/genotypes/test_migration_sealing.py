"""The migration that seals genetic data at rest: results and raw files stored in clear before
it are encrypted in place, and read back unchanged."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.services import parsing

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("genotypes", "0002_uploads_results_audit")]
AFTER = [("genotypes", "0003_genotype_results_and_raw_files_encrypted")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """Later tests share this database: leave it at the newest migrations, not at AFTER."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_results_and_raw_files_stored_in_clear_are_sealed_by_the_migration():
    apps = _migrate(BEFORE)
    try:
        user = apps.get_model("members", "User").objects.create(email="m@example.com")
        snp = apps.get_model("genotypes", "Snp").objects.create(rsid="rs4680")
        upload = apps.get_model("genotypes", "GenomeUpload").objects.create(
            user_id=user.pk, consented_at=timezone.now(), keep_raw=True
        )
        plain = b"# rsid\tchromosome\tposition\tgenotype\nrs4680\t22\t19951271\tAG\n"
        name = default_storage.save(f"genomes/raw/{user.pk}/{upload.pk}.upload", ContentFile(plain))
        apps.get_model("genotypes", "GenomeUpload").objects.filter(pk=upload.pk).update(
            raw_file=name
        )
        apps.get_model("genotypes", "GenotypeResult").objects.create(
            user_id=user.pk, upload_id=upload.pk, snp_id=snp.pk, genotype="AG"
        )
    finally:
        _migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT genotype FROM genotypes_genotyperesult")
        (stored,) = cursor.fetchone()
    assert stored != "AG" and stored.startswith("gAAAAA")
    assert GenotypeResult.objects.get(snp__rsid="rs4680").genotype == "AG"
    migrated = GenomeUpload.objects.get(pk=upload.pk)
    with default_storage.open(migrated.raw_file.name, "rb") as handle:
        assert b"rs4680" not in handle.read()
    assert migrated.raw_file.name != name and not default_storage.exists(name)  # clear copy gone
    assert parsing._parse_source(migrated) == plain
