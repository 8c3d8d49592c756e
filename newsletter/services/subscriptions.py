"""Opting in and out of the newsletter."""

from __future__ import annotations

from django.utils import timezone

from members.models import User
from newsletter.models import Subscription


def subscription_set(*, user: User, subscribed: bool) -> Subscription:
    subscription, _ = Subscription.objects.update_or_create(
        user=user, defaults={"subscribed": subscribed}
    )
    return subscription


def subscription_unsubscribe(*, user_id: int) -> None:
    """From an email's unsubscribe link. Unsubscribing twice, or after the account is gone, is
    still a success: the reader asked not to get the newsletter, and they will not."""
    Subscription.objects.filter(user_id=user_id).update(subscribed=False, changed_at=timezone.now())
