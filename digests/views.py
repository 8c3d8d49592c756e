"""The digest's choice on the account page, and the unsubscribe link of every digest."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from genlife.unsubscribe import unsubscribe_page

from . import selectors, services


def account_panel(request: HttpRequest) -> str:
    """The account page's panel (members.hooks): receive the digest or not. Members only:
    nobody else ever gets it."""
    if not selectors.digest_offered_to(request.user):
        return ""
    return render_to_string(
        "digests/account_panel.html",
        {"opted_out": selectors.digest_opted_out(user=request.user)},
        request=request,
    )


@login_required
@require_POST
def preference(request: HttpRequest) -> HttpResponse:
    choice = request.POST.get("digest")
    if choice not in ("on", "off"):
        messages.error(request, "Choose whether to receive the new-findings email.")
        return redirect("members:account")
    services.digest_opt_out_set(user=request.user, opted_out=choice == "off")
    messages.success(
        request,
        "We will email you when you have new results (at most once a week)."
        if choice == "on"
        else "We will no longer email you about new results.",
    )
    return redirect("members:account")


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST without cookies; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return unsubscribe_page(
        request,
        token,
        list_name=services.LIST_NAME,
        opt_out=lambda user_id: services.digest_unsubscribe(user_id=user_id),
        title="the new-results email",
        stops="We will no longer email you about new results.",
    )
