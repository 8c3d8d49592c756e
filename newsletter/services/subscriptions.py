"""Opting in and out of the newsletter."""

from __future__ import annotations

from django.utils import timezone

from members.models import User
from newsletter.emails import unsubscribe_token_user_id
from newsletter.models import Subscription


def subscription_set(*, user: User, subscribed: bool) -> Subscription:
    subscription, _ = Subscription.objects.update_or_create(
        user=user, defaults={"subscribed": subscribed}
    )
    return subscription


def subscription_unsubscribe_by_token(*, token: str) -> bool:
    """One-click unsubscribe from an email link; False when the token is not a valid one.

    Unsubscribing twice, or after the account is gone, is still a success: the reader asked
    not to get the newsletter, and they will not.
    """
    user_id = unsubscribe_token_user_id(token=token)
    if user_id is None:
        return False
    Subscription.objects.filter(user_id=user_id).update(subscribed=False, changed_at=timezone.now())
    return True
