"""What each member was last told by the new-findings digest, and whether they want it."""

from django.conf import settings
from django.db import models


class DigestSubscription(models.Model):
    """One row per member the digest has considered (or who chose not to receive it).

    ``notified_*`` is what the member's results and articles were when the last digest was
    sent (or found nothing to say): catalogue SNP ids with a result row and published article
    ids, as on My genetics, never a genotype. ``sent_week`` (the Monday of the ISO week the
    last digest went out) is what keeps it to one a week: the sending task locks this row and
    claims the week before the email leaves.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    opted_out = models.BooleanField(default=False)
    notified_snp_ids = models.JSONField(default=list)
    notified_article_ids = models.JSONField(default=list)
    has_baseline = models.BooleanField(
        default=False, help_text="False until a digest has compared the member's results."
    )
    sent_week = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Digest of user {self.user_id}"
