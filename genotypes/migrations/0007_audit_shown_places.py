"""Rows written before ``audit.genetic_data_shown`` named the page with a preposition of their
own ("on My genetics", "article page “X”"); the activity page now supplies the preposition, so
those places become plain noun phrases. Only the wording changes: who, whose, when and what
stay as they were."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

RENAMED = {
    "on My genetics": "My genetics",
    "on your highlights page": "your highlights",
    "home page": "the home page",
    "on a SNP page": "a SNP page",
    "on a gene page": "a gene page",
}
# An old prefix and the words that replace it; the rest of the detail (the title) is kept.
PREFIXES = {
    "article page “": "the article “",
    "printable summary of “": "the printable summary of “",
}


def forwards(apps, schema_editor):
    shown = apps.get_model("genotypes", "GeneticDataAuditLog").objects.filter(
        action="viewed_results"
    )
    for old, new in RENAMED.items():
        shown.filter(detail=old).update(detail=new)
    for old, new in PREFIXES.items():
        shown.filter(detail__startswith=old).update(
            detail=Concat(Value(new), Substr("detail", len(old) + 1))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("genotypes", "0006_audit_actions_activity"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
