"""Share links to a member's printable summary: made, revoked, opened (each audited on the
member's activity log through ``genotypes.services.audit``)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from genotypes.models import GeneticDataAuditLog
from genotypes.services.audit import genetic_data_audit

from ..models import Article, SummaryShareLink
from ..summaries import SHARE_SALT, share_token_hash

Action = GeneticDataAuditLog.Action


def summary_share_link_create(*, user, article: Article, days: int) -> tuple[SummaryShareLink, str]:
    """A new link for ``days`` days (1-14); returns the row and the token, which is shown to the
    member once and never stored."""
    if not isinstance(days, int) or not 1 <= days <= SummaryShareLink.MAX_DAYS:
        raise ValidationError(
            {"days": f"Choose between 1 and {SummaryShareLink.MAX_DAYS} days."}, code="days"
        )
    token = signing.dumps(secrets.token_urlsafe(24), salt=SHARE_SALT, compress=False)
    with transaction.atomic():
        link = SummaryShareLink(
            user=user,
            article=article,
            token_hash=share_token_hash(token),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        link.full_clean()
        link.save()
        genetic_data_audit(
            actor=user,
            subject_user_id=user.pk,
            action=Action.SHARE_CREATED,
            detail=f"“{article.title}”, for {days} day{'s' if days != 1 else ''}",
        )
    return link, token


def summary_share_link_revoke(*, user, link_id: int) -> bool:
    """Revoke one of ``user``'s own links; False when it is not theirs or already dead."""
    with transaction.atomic():
        link = (
            SummaryShareLink.objects.select_related("article")
            .filter(pk=link_id, user=user, revoked_at__isnull=True)
            .first()
        )
        if link is None:
            return False
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        genetic_data_audit(
            actor=user,
            subject_user_id=user.pk,
            action=Action.SHARE_REVOKED,
            detail=f"one link to “{link.article.title}”",
        )
    return True


def summary_share_links_revoke_all(*, user_id: int) -> int:
    """Revoke every link the member made (their genetic data was deleted). Returns how many."""
    count = SummaryShareLink.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        genetic_data_audit(
            actor=None,
            subject_user_id=user_id,
            action=Action.SHARE_REVOKED,
            detail=f"all {count}, as the genetic data was deleted",
        )
    return count


def summary_share_link_viewed(*, link: SummaryShareLink) -> None:
    """Someone opened the link: counted, and on the owner's activity log."""
    SummaryShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    genetic_data_audit(
        actor=None,
        subject_user_id=link.user_id,
        action=Action.SHARE_VIEWED,
        detail=f"“{link.article.title}”",
    )
