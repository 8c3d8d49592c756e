"""Account pages. Thin: they read with selectors and write with services."""

import logging

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from . import hooks
from .services import users

logger = logging.getLogger(__name__)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    # Apps above identity add their panels (billing: the membership) through members.hooks.
    panels = hooks.account_panels_render(request=request)
    return render(request, "members/account.html", {"account_panels": panels})


@never_cache
@login_required
@reauthentication_required
def account_delete(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "members/account_delete.html")
    if request.POST.get("confirm") != "delete":
        messages.error(request, "Tick the box to confirm that you want to delete your account.")
        return render(request, "members/account_delete.html", status=400)
    try:
        users.user_delete(user=request.user)
    except users.UserDeleteRefused as exc:
        logger.warning("Deleting user %s stopped: %r", request.user.pk, exc)
        messages.error(request, str(exc))
        return redirect("members:account")
    logout(request)
    messages.success(request, "Your account and all its data have been deleted.")
    return redirect(settings.LOGIN_REDIRECT_URL)
