"""Billing's models moved from the members app without touching a row."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("members", "0003_default_plans"), ("billing", None)]


def _latest(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_migrating_forward_from_the_members_era_keeps_memberships_plans_and_events():
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get(app_label="billing", model="membership").pk
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    executor.migrate(BEFORE)  # the database as it was when members owned these tables
    assert ContentType.objects.get(app_label="members", model="membership").pk == content_type
    old = MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
    User = old.get_model("members", "User")
    user = User.objects.create(email="kept@example.com")
    # (another transactional test may have flushed the plans the data migration made)
    plan, _ = old.get_model("members", "Plan").objects.get_or_create(
        slug="monthly", defaults={"name": "Monthly", "interval": "month", "amount": 600}
    )
    old.get_model("members", "Membership").objects.create(
        user=user, plan=plan, status="active", stripe_customer_id="cus_kept"
    )
    old.get_model("members", "StripeEvent").objects.create(
        event_id="evt_kept",
        type="invoice.paid",
        created="2026-01-01T00:00:00Z",
        payload={"data": {"object": {"customer": "cus_kept"}}},
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    from billing.models import Membership, Plan, StripeEvent

    membership = Membership.objects.select_related("user", "plan").get(user_id=user.pk)
    assert (membership.status, membership.stripe_customer_id) == ("active", "cus_kept")
    assert membership.user.email == "kept@example.com" and membership.plan.slug == "monthly"
    assert Plan.objects.filter(pk=plan.pk, slug="monthly", amount=plan.amount).exists()
    assert StripeEvent.objects.get(event_id="evt_kept").payload["data"]["object"]["customer"] == (
        "cus_kept"
    )
    # admin permissions and log entries point at the same content type as before
    assert ContentType.objects.get_for_model(Membership).pk == content_type
    assert Membership._meta.db_table == "members_membership"
    tables = connection.introspection.table_names()
    assert "members_membership" in tables and "billing_membership" not in tables
