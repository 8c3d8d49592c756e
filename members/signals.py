"""What the identity app announces to the apps above it (they subscribe; it imports none).

``user_deleting`` is sent by ``members.services.users.user_delete`` before the user's row
goes, outside any transaction, with ``user`` (still saved) and ``actor`` (who asked: the user,
or a staff member). A receiver erases what its app holds about that person; if it raises, the
deletion stops there and the account stays, so the person can try again. A receiver that
must stop the deletion for a reason the person should read raises ``UserDeleteRefused``.

Receivers run in the order their apps are listed in INSTALLED_APPS (each connects in its
``AppConfig.ready``): billing, which may refuse when Stripe cannot be reached, comes before
genotypes, which erases genetic data, so a refusal leaves everything in place.
"""

from django.dispatch import Signal

user_deleting = Signal()


class UserDeleteRefused(Exception):
    """The account cannot be deleted just now; the message is written for the person."""
