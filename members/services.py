"""Writes about users and memberships."""
from allauth.account.models import EmailAddress
from django.db import transaction

from .models import Membership, User


@transaction.atomic
def user_ensure_verified(
    *, email: str, password: str, is_staff: bool = False, name: str = ""
) -> User:
    """Create or reset a user whose email address is already verified (demo and support use)."""
    user, _ = User.objects.get_or_create(email=email.lower(), defaults={"name": name})
    user.name = name or user.name
    user.is_staff = is_staff
    user.is_superuser = is_staff
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def membership_grant_complimentary(*, user: User) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user,
        defaults={
            "status": Membership.Status.COMPLIMENTARY,
            "current_period_end": None,
            "cancel_at_period_end": False,
        },
    )
    return membership
