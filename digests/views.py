"""The digest's choice on the account page, and the unsubscribe link of every digest."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import DigestSubscription


def account_panel(request: HttpRequest) -> str:
    """The account page's panel (members.hooks): receive the digest or not."""
    subscription = DigestSubscription.objects.filter(user=request.user).first()
    return render_to_string(
        "digests/account_panel.html",
        {"opted_out": bool(subscription and subscription.opted_out)},
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
        "We will email you when new research gives you new results (at most once a week)."
        if choice == "on"
        else "We will no longer email you about new results.",
    )
    return redirect("members:account")


@never_cache
@csrf_exempt  # the signed token is the credential; mail clients POST without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners open links); POST, the page's button or a mail client's
    one-click request, unsubscribes."""
    user = services.digest_unsubscribe_resolve(token=token)
    if user is None:
        return render(request, "digests/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        services.digest_opt_out_set(user=user, opted_out=True)
        done = True
    return render(request, "digests/unsubscribe.html", {"done": done, "token": token})
