"""The two plans the site starts with; staff change amounts and trials in the admin."""

from django.db import migrations

PLANS = [
    {"slug": "monthly", "name": "Monthly", "interval": "month", "amount": 600, "order": 1},
    {"slug": "annual", "name": "Annual", "interval": "year", "amount": 6000, "order": 2},
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("members", "Plan")
    for plan in PLANS:
        Plan.objects.get_or_create(slug=plan["slug"], defaults={**plan, "currency": "eur"})


class Migration(migrations.Migration):
    dependencies = [("members", "0002_membership_billing")]

    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
