"""The newsletter: who opted in, one issue per published article, one delivery per recipient.

A delivery row is the send's idempotency key: (issue, user) is unique, and a worker sends an
email only after it has moved that row from PENDING to SENDING in one UPDATE (services.sending
says why a crash then means at most one email, never two).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Subscription(models.Model):
    """A reader's choice. No row means never asked: nobody receives the newsletter unasked."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter"
    )
    subscribed = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({'subscribed' if self.subscribed else 'unsubscribed'})"


class Issue(models.Model):
    """The newsletter sent for one article; made once, when the article first goes live."""

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, related_name="newsletter_issue"
    )
    created = models.DateTimeField(auto_now_add=True)
    # Set when the recipients were listed (one delivery row each); batches are sent from then.
    recipients_listed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Newsletter: {self.article}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # Claimed by a worker that is about to hand the email to the mail server. A row left
        # here by a crash is never sent again (at most once); see services.sending.
        SENDING = "sending", "Sending (outcome unknown if it stays here)"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (unsubscribed before the send)"
        FAILED = "failed", "Failed"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter_deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Which version the recipient got, decided by the gate at the moment of sending.
    access = models.CharField(max_length=10, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a batch holding it was last handed to the broker (the sweeper re-sends stale ones).
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="delivery_once_per_recipient"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["issue", "status"], name="delivery_issue_status_idx")]

    def __str__(self) -> str:
        return f"{self.issue} to {self.user} ({self.status})"
