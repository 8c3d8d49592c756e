"""The migration that rewords where a member's genotypes were shown: rows written before it
read as well on the activity page as new ones."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from genotypes.models import GeneticDataAuditLog
from genotypes.selectors import activity_entry_from

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("genotypes", "0006_audit_actions_activity")]
AFTER = [("genotypes", "0007_audit_shown_places")]


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


def test_old_places_read_as_plain_pages_after_the_migration():
    old = {
        "on My genetics": "Your genotypes were shown on My genetics.",
        "home page": "Your genotypes were shown on the home page.",
        "on a SNP page": "Your genotypes were shown on a SNP page.",
        "article page “COMT and you”": "Your genotypes were shown on the article “COMT and you”.",
        "printable summary of “COMT and you”": (
            "Your genotypes were shown on the printable summary of “COMT and you”."
        ),
    }
    apps = _migrate(BEFORE)
    try:
        log = apps.get_model("genotypes", "GeneticDataAuditLog")
        for detail in old:
            log.objects.create(subject_user_id=1, action="viewed_results", detail=detail)
        log.objects.create(subject_user_id=1, action="viewed_status", detail="on the site")
    finally:
        _migrate(AFTER)

    shown = GeneticDataAuditLog.objects.filter(action="viewed_results").order_by("pk")
    assert [activity_entry_from(row, owner_id=1).what for row in shown] == list(old.values())
    # Other actions keep their details.
    assert GeneticDataAuditLog.objects.get(action="viewed_status").detail == "on the site"
