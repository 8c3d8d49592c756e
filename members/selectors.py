"""Reads about membership. `is_member` is the one gate every channel asks."""
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from .models import Membership, User

MEMBER_STATUSES = frozenset(
    {Membership.Status.ACTIVE, Membership.Status.TRIALING, Membership.Status.COMPLIMENTARY}
)


def is_member(user: User | AnonymousUser) -> bool:
    """True when the user may read members-only content. Staff always may."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    membership = Membership.objects.filter(user=user).first()
    if membership is None or membership.status not in MEMBER_STATUSES:
        return False
    if membership.current_period_end is None:
        return True
    return membership.current_period_end > timezone.now()
