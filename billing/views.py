"""Joining and billing pages, and billing's panel on the account page. Thin: they read with
selectors and write with services."""

import logging

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import stripe_gateway
from .return_to import return_to_of, return_to_remember
from .selectors import (
    is_member,
    membership_for,
    membership_is_subscribed,
    plan_list_offered,
)
from .services import memberships

logger = logging.getLogger(__name__)

ALREADY_MEMBER = "You are already a member; billing is managed here."


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def account_panel(request: HttpRequest) -> str:
    """The membership panel of the account page (registered in members.hooks)."""
    membership = membership_for(user=request.user)
    return render_to_string(
        "billing/account_panel.html",
        {
            "membership": membership,
            "is_member": is_member(request.user),
            "has_billing": bool(membership and membership.stripe_customer_id),
        },
        request=request,
    )


@never_cache
@require_GET
def join(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and membership_is_subscribed(
        membership=membership_for(user=request.user)
    ):
        messages.info(request, ALREADY_MEMBER)
        return redirect("members:account")
    # The article the reader came from (kept in the session until their first results).
    return_to = return_to_remember(request=request, url=request.GET.get("next"))
    plans = list(plan_list_offered())
    selected = request.GET.get("plan")
    if selected not in {plan.slug for plan in plans}:
        selected = None
    context = {
        "plans": plans,
        "selected": selected,
        "return_to": return_to or return_to_of(request=request),
    }
    return render(request, "billing/join.html", context)


@never_cache
@require_POST
def join_checkout(request: HttpRequest) -> HttpResponse:
    plan_slug = request.POST.get("plan", "")
    if not request.user.is_authenticated:
        # log in (or sign up) first, then come back to the chosen plan
        return redirect_to_login(f"{reverse('billing:join')}?plan={plan_slug}")
    plan = get_object_or_404(plan_list_offered(), slug=plan_slug)
    if not ratelimit.consume(request, action="checkout", user=request.user):
        messages.error(request, "Too many attempts; please wait a minute and try again.")
        context = {"plans": list(plan_list_offered()), "selected": plan.slug}
        return render(request, "billing/join.html", context, status=429)
    try:
        url = memberships.membership_checkout_start(
            user=request.user, plan=plan, site_url=_site_url(request)
        )
    except memberships.AlreadyMember:
        messages.info(request, ALREADY_MEMBER)
        return redirect("members:account")
    except stripe_gateway.StripeGatewayError as exc:
        logger.warning("Checkout for user %s failed: %r", request.user.pk, exc)
        messages.error(
            request,
            str(exc)
            if isinstance(exc, stripe_gateway.StripeUnavailable)
            else "We could not start the payment. Nothing was charged; please try again later.",
        )
        return redirect(f"{reverse('billing:join')}?plan={plan.slug}")
    return redirect(url)


@never_cache
@login_required
def join_success(request: HttpRequest) -> HttpResponse:
    # The redirect alone proves nothing: the page waits for the webhook to reach the database.
    # Once it has, the next step is the DNA upload, then back to the article (return_to).
    context = {"is_member": is_member(request.user), "return_to": return_to_of(request=request)}
    return render(request, "billing/join_success.html", context)


@never_cache
@login_required
def join_status(request: HttpRequest) -> JsonResponse:
    member = is_member(request.user)
    if not member:
        memberships.membership_sync_nudge(user=request.user)
    return JsonResponse({"member": member})


@never_cache
def join_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/join_cancel.html")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def billing_portal(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # A bookmarked or typed address: the membership panel, whose button opens the portal
        # (opening it is a POST: it creates a portal session at Stripe).
        return redirect(reverse("members:account") + "#membership-heading")
    return _to_portal(request, fix_card=False)


@never_cache
@login_required
def fix_card(request: HttpRequest) -> HttpResponse:
    """Linked from the payment-failed email: straight to the card form in the portal."""
    return _to_portal(request, fix_card=True)


def _to_portal(request: HttpRequest, *, fix_card: bool) -> HttpResponse:
    try:
        url = memberships.membership_portal_url(
            user=request.user,
            return_url=_site_url(request) + reverse("members:account"),
            fix_card=fix_card,
        )
    except stripe_gateway.StripeGatewayError as exc:
        logger.warning("Portal for user %s failed: %r", request.user.pk, exc)
        messages.error(request, "Billing is unavailable right now; please try again later.")
        return redirect("members:account")
    if url is None:
        messages.info(request, "You have no billing history yet.")
        return redirect("billing:join")
    return redirect(url)
