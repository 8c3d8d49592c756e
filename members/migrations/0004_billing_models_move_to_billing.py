"""Plan, Membership and StripeEvent now belong to the billing app (billing 0001): drop them
from members' model state only. Their tables stay, with every row, under their old names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_default_plans"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="membership",
                    name="plan",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="StripeEvent",
                ),
                migrations.DeleteModel(
                    name="Plan",
                ),
                migrations.DeleteModel(
                    name="Membership",
                ),
            ],
        ),
    ]
