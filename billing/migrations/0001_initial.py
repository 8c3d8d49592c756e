"""Plan, Membership and StripeEvent move here from the members app, keeping their tables.

The tables were created by members' migrations 0001-0003 and keep their names (``db_table``):
this migration only tells Django's model state that billing owns them now (members 0004
drops them from members' state), and moves their content types, so that existing rows,
admin permissions and admin log entries carry over. A database created from scratch runs
members 0001-0003 first, then these two.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("plan", "membership", "stripeevent")


def _content_types_relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_move(apps, schema_editor):
    _content_types_relabel(apps, "members", "billing")


def content_types_move_back(apps, schema_editor):
    _content_types_relabel(apps, "billing", "members")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("members", "0003_default_plans"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Plan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "slug",
                            models.SlugField(
                                help_text="Also the Stripe Price lookup key, prefixed.", unique=True
                            ),
                        ),
                        ("name", models.CharField(max_length=80)),
                        (
                            "interval",
                            models.CharField(
                                choices=[("month", "Monthly"), ("year", "Annual")], max_length=5
                            ),
                        ),
                        (
                            "amount",
                            models.PositiveIntegerField(help_text="Price per interval in cents."),
                        ),
                        (
                            "currency",
                            models.CharField(
                                default="eur", help_text="ISO code, lower case.", max_length=3
                            ),
                        ),
                        (
                            "trial_days",
                            models.PositiveSmallIntegerField(
                                default=0,
                                help_text="Free days before the first charge (first subscription only).",
                            ),
                        ),
                        ("stripe_price_id", models.CharField(blank=True, max_length=255)),
                        (
                            "is_active",
                            models.BooleanField(
                                default=True, help_text="Offered on the join page."
                            ),
                        ),
                        ("order", models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "members_plan",
                        "ordering": ["order", "amount"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("amount__gt", 0)), name="plan_amount_positive"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("interval__in", ["month", "year"])),
                                name="plan_interval_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("currency__regex", "^[a-z]{3}$")),
                                name="plan_currency_iso",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("stripe_price_id", ""), _negated=True),
                                fields=("stripe_price_id",),
                                name="plan_stripe_price_unique",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StripeEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("event_id", models.CharField(max_length=255, unique=True)),
                        ("type", models.CharField(max_length=100)),
                        (
                            "created",
                            models.DateTimeField(help_text="When Stripe created the event."),
                        ),
                        ("payload", models.JSONField()),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("processed", "Processed"),
                                    ("ignored", "Ignored"),
                                    ("failed", "Failed"),
                                ],
                                default="received",
                                max_length=10,
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("received", models.DateTimeField(auto_now_add=True)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "members_stripeevent",
                        "ordering": ["-received"],
                        "indexes": [
                            models.Index(
                                fields=["status", "received"], name="members_str_status_ffa49c_idx"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["received", "processed", "ignored", "failed"])
                                ),
                                name="stripe_event_status_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("none", "Not a member"),
                                    ("incomplete", "Incomplete"),
                                    ("trialing", "Trialing"),
                                    ("active", "Active"),
                                    ("past_due", "Past due"),
                                    ("unpaid", "Unpaid"),
                                    ("canceled", "Canceled"),
                                    ("complimentary", "Complimentary"),
                                ],
                                default="none",
                                max_length=20,
                            ),
                        ),
                        ("current_period_end", models.DateTimeField(blank=True, null=True)),
                        ("cancel_at_period_end", models.BooleanField(default=False)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("updated", models.DateTimeField(auto_now=True)),
                        (
                            "complimentary_until",
                            models.DateTimeField(
                                blank=True,
                                help_text="Complimentary memberships end here; empty means never.",
                                null=True,
                            ),
                        ),
                        (
                            "past_due_since",
                            models.DateTimeField(
                                blank=True,
                                help_text="First failed renewal; the grace period counts from here.",
                                null=True,
                            ),
                        ),
                        ("stripe_customer_id", models.CharField(blank=True, max_length=255)),
                        (
                            "stripe_subscription_id",
                            models.CharField(blank=True, db_index=True, max_length=255),
                        ),
                        (
                            "stripe_synced_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When the stored Stripe state was read from Stripe.",
                                null=True,
                            ),
                        ),
                        ("checkout_started_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="membership",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "plan",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="memberships",
                                to="billing.plan",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "members_membership",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "status__in",
                                        [
                                            "none",
                                            "incomplete",
                                            "trialing",
                                            "active",
                                            "past_due",
                                            "unpaid",
                                            "canceled",
                                            "complimentary",
                                        ],
                                    )
                                ),
                                name="membership_status_valid",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("stripe_customer_id", ""), _negated=True),
                                fields=("stripe_customer_id",),
                                name="membership_stripe_customer_unique",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
