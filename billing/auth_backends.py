"""The sign-in backend: allauth's, except that the user is read with their membership.

Every signed-in request loads its user from the session (Django's ``get_user``); almost every
page then asks ``billing.selectors.is_member``. Reading the membership row in the same query
(a LEFT JOIN on the one-to-one) saves a round trip and a compiled ORM query per request.
Nothing is cached across requests: each request reads the user and the membership afresh,
so a lapse, a revocation, a password change or a deactivation counts on the next request.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model

# Set on a user object whose membership was read in the same query as the user, for this
# request only; `is_member` then needs no query of its own.
MEMBERSHIP_READ_WITH_USER = "_genlife_membership_read_with_user"


class MemberAuthenticationBackend(AuthenticationBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            # get(), not first(): no ORDER BY to compile and send
            user = model._default_manager.select_related("membership").get(pk=user_id)
        except model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        setattr(user, MEMBERSHIP_READ_WITH_USER, True)
        return user
