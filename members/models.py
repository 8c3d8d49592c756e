from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. The email address is the login; there is no username."""

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the admin site (editors and support)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=models.functions.Lower("email")),
                name="user_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email.split("@")[0]


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

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NONE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    # Added by the membership work: what Stripe said, and when we asked.
    plan = models.ForeignKey(
        "members.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
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
