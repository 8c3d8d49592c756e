"""What people pay for: plans, one membership per user, and the Stripe events that change it.

The tables keep the names they had when these models lived in the members app
(``db_table``), so moving the code moved no data.
"""

from django.conf import settings
from django.db import models


class MembershipStatus(models.TextChoices):
    NONE = "none", "Not a member"
    INCOMPLETE = "incomplete", "Incomplete"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    COMPLIMENTARY = "complimentary", "Complimentary"


class Membership(models.Model):
    """One row per user: the single source of truth for what the user has paid for."""

    Status = MembershipStatus

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NONE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    # Added by the membership work: what Stripe said, and when we asked.
    plan = models.ForeignKey(
        "billing.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    complimentary_until = models.DateTimeField(
        null=True, blank=True, help_text="Complimentary memberships end here; empty means never."
    )
    past_due_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed renewal; the grace period counts from here."
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_synced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stored Stripe state was read from Stripe."
    )
    checkout_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "members_membership"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MembershipStatus.values),
                name="membership_status_valid",
            ),
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="membership_stripe_customer_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"


class PlanInterval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Annual"


class Plan(models.Model):
    """A way to pay for membership, mirrored by one Stripe Price (see `stripe_sync_plans`)."""

    Interval = PlanInterval

    slug = models.SlugField(unique=True, help_text="Also the Stripe Price lookup key, prefixed.")
    name = models.CharField(max_length=80)
    interval = models.CharField(max_length=5, choices=PlanInterval.choices)
    amount = models.PositiveIntegerField(help_text="Price per interval in cents.")
    currency = models.CharField(max_length=3, default="eur", help_text="ISO code, lower case.")
    trial_days = models.PositiveSmallIntegerField(
        default=0, help_text="Free days before the first charge (first subscription only)."
    )
    stripe_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered on the join page.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "members_plan"
        ordering = ["order", "amount"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="plan_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(interval__in=PlanInterval.values), name="plan_interval_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[a-z]{3}$"), name="plan_currency_iso"
            ),
            models.UniqueConstraint(
                fields=["stripe_price_id"],
                condition=~models.Q(stripe_price_id=""),
                name="plan_stripe_price_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def lookup_key(self) -> str:
        return f"genlife_{self.slug}"

    @property
    def amount_display(self) -> str:
        symbol = {"eur": "€", "usd": "$", "gbp": "£"}.get(self.currency)
        value = f"{self.amount / 100:.2f}".removesuffix(".00")
        return f"{symbol}{value}" if symbol else f"{value} {self.currency.upper()}"


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class StripeEvent(models.Model):
    """A verified webhook event, stored once under Stripe's event id before any processing."""

    Status = StripeEventStatus

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED
    )
    note = models.TextField(blank=True)
    received = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "members_stripeevent"
        ordering = ["-received"]
        indexes = [models.Index(fields=["status", "received"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=StripeEventStatus.values),
                name="stripe_event_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
