"""The admin site: allauth's login for everyone, a second factor for genetic-data staff.

Django's own admin login form checks a password and nothing else, so it would let staff in
past allauth's rate limits and two-factor step: here it hands over to allauth's login page.
Staff who hold the genetic-data permission (superusers hold every permission) see no admin
page until they have an active TOTP authenticator and used a second factor to sign in to
this session; until then they get a page that says why and links to the setup.
"""

from functools import update_wrapper

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from genotypes.selectors import GENETIC_DATA_PERMISSION, session_used_second_factor


def admin_needs_second_factor(*, user) -> bool:
    """Whether this user may open the admin only after a second factor."""
    return user.is_active and user.is_staff and user.has_perm(GENETIC_DATA_PERMISSION)


class GenlifeAdminSite(admin.AdminSite):
    site_header = "genlife administration"
    site_title = "genlife admin"

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)
        if getattr(view, "__name__", "") == "logout":
            return guarded  # signing out never needs a second factor

        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and admin_needs_second_factor(user=request.user):
                refusal = self._second_factor_refusal(request)
                if refusal is not None:
                    return refusal
            return guarded(request, *args, **kwargs)

        return update_wrapper(inner, guarded)

    def _second_factor_refusal(self, request: HttpRequest) -> HttpResponse | None:
        has_totp = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        if has_totp and session_used_second_factor(request=request):
            return None
        next_query = urlencode({"next": request.get_full_path()})
        return render(
            request,
            "admin/two_factor_required.html",
            {
                "has_totp": has_totp,
                "setup_url": f"{reverse('mfa_activate_totp')}?{next_query}",
                "confirm_url": f"{reverse('mfa_reauthenticate')}?{next_query}",
            },
            status=403,
        )
