"""Writes about people's accounts: demo and support users, the editors' group, deletion."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from members.models import User
from members.services import emails
from members.signals import UserDeleteRefused, user_deleting

__all__ = ["UserDeleteRefused", "editor_group_ensure", "user_delete", "user_ensure_verified"]


@transaction.atomic
def user_ensure_verified(
    *,
    email: str,
    password: str,
    is_staff: bool = False,
    is_superuser: bool | None = None,
    name: str = "",
) -> User:
    """Create or reset a user whose email address is already verified (demo and support use).

    Staff are superusers unless `is_superuser=False` says otherwise.
    """
    user, _ = User.objects.get_or_create(email=email.lower(), defaults={"name": name})
    user.name = name or user.name
    user.is_staff = is_staff
    user.is_superuser = is_staff if is_superuser is None else is_superuser
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def user_delete(*, user: User, actor: User | None = None) -> None:
    """Delete the account: every app above erases its part (billing ends the Stripe customer,
    genotypes erases the genetic data), then the user and all rows that hang off it go; a
    confirmation goes to the address the account had.

    A receiver that raises (billing, when Stripe cannot be reached) stops the deletion before
    anything is deleted, so that nobody is left paying for an account that no longer exists.
    """
    # Each app above erases what it holds (billing first: it ends the Stripe customer and
    # raises when Stripe cannot be reached, before anything is deleted; see members.signals).
    user_deleting.send(sender=User, user=user, actor=actor or user)
    email, name = user.email, user.get_short_name()
    user.delete()
    emails.email_send(to=email, template="email/members/account_deleted", context={"name": name})


EDITOR_GROUP = "Editors"
EDITOR_APP_MODELS = {
    "articles": None,  # every articles model
    "genotypes": {"snp", "snpinterpretation"},  # the catalogue, never members' genetic data
}


@transaction.atomic
def editor_group_ensure() -> Group:
    """The "Editors" group: write articles and the SNP catalogue, see no member's data."""
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=EDITOR_APP_MODELS)
    chosen = [
        p
        for p in permissions.select_related("content_type")
        if EDITOR_APP_MODELS[p.content_type.app_label] is None
        or p.content_type.model in EDITOR_APP_MODELS[p.content_type.app_label]
    ]
    group.permissions.set(chosen)
    return group
