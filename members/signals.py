"""What the identity app announces to the apps above it (they subscribe; it imports none).

``user_deleting`` is sent by ``members.services.user_delete`` before the user's row goes,
outside any transaction, with ``user`` (still saved) and ``actor`` (who asked: the user, or a
staff member). A receiver erases what its app holds about that person; if it raises, the
deletion stops there and the account stays, so the person can try again.
"""

from django.dispatch import Signal

user_deleting = Signal()
