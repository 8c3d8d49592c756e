"""The newsletter's pages: the account panel, opting in and out, one-click unsubscribe.
Thin: they read with selectors and write with services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.selectors import AccessLevel
from genlife.unsubscribe import unsubscribe_page

from . import selectors
from .emails import LIST_NAME
from .services import subscriptions


def account_panel(request: HttpRequest) -> str:
    """The newsletter panel of the account page (registered in members.hooks)."""
    return render_to_string(
        "newsletter/account_panel.html",
        {
            "subscribed": selectors.subscription_is_on(user=request.user),
            "is_member_version": selectors.newsletter_access_for(user=request.user)
            == AccessLevel.MEMBERS,
        },
        request=request,
    )


@never_cache
@login_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    choice = request.POST.get("subscribed")
    if choice not in ("yes", "no"):
        messages.error(request, "Choose whether you want the newsletter: yes or no.")
        return redirect("members:account")
    subscriptions.subscription_set(user=request.user, subscribed=choice == "yes")
    if choice == "yes":
        messages.success(request, "You will get an email when a new article is published.")
    else:
        messages.success(request, "You will no longer get the newsletter.")
    return redirect("members:account")


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST without cookies; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return unsubscribe_page(
        request,
        token,
        list_name=LIST_NAME,
        opt_out=lambda user_id: subscriptions.subscription_unsubscribe(user_id=user_id),
        title="the newsletter",
        stops="You will get no more emails about new articles.",
    )
