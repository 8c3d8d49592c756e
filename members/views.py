"""Account, joining and billing pages. Thin: they read with selectors and write with services."""

import logging

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import services, stripe_gateway
from .selectors import (
    SUBSCRIBED_STATUSES,
    is_member,
    membership_for,
    plan_list_offered,
)

logger = logging.getLogger(__name__)


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    membership = membership_for(user=request.user)
    return render(
        request,
        "members/account.html",
        {
            "membership": membership,
            "is_member": is_member(request.user),
            "has_billing": bool(membership and membership.stripe_customer_id),
        },
    )


@never_cache
@require_GET
def join(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        membership = membership_for(user=request.user)
        if (
            membership
            and membership.status in SUBSCRIBED_STATUSES
            and membership.stripe_subscription_id
        ):
            messages.info(request, "You are already a member; billing is managed here.")
            return redirect("members:account")
    plans = list(plan_list_offered())
    selected = request.GET.get("plan")
    if selected not in {plan.slug for plan in plans}:
        selected = None
    return render(request, "members/join.html", {"plans": plans, "selected": selected})


@never_cache
@require_POST
def join_checkout(request: HttpRequest) -> HttpResponse:
    plan_slug = request.POST.get("plan", "")
    if not request.user.is_authenticated:
        # log in (or sign up) first, then come back to the chosen plan
        return redirect_to_login(f"{reverse('members:join')}?plan={plan_slug}")
    plan = get_object_or_404(plan_list_offered(), slug=plan_slug)
    if not ratelimit.consume(request, action="checkout", user=request.user):
        messages.error(request, "Too many attempts; please wait a minute and try again.")
        context = {"plans": list(plan_list_offered()), "selected": plan.slug}
        return render(request, "members/join.html", context, status=429)
    try:
        url = services.membership_checkout_start(
            user=request.user, plan=plan, site_url=_site_url(request)
        )
    except services.AlreadyMember:
        messages.info(request, "You are already a member; billing is managed here.")
        return redirect("members:account")
    except stripe_gateway.StripeGatewayError as exc:
        logger.warning("Checkout for user %s failed: %r", request.user.pk, exc)
        messages.error(
            request,
            str(exc)
            if isinstance(exc, stripe_gateway.StripeUnavailable)
            else "We could not start the payment. Nothing was charged; please try again later.",
        )
        return redirect(f"{reverse('members:join')}?plan={plan.slug}")
    return redirect(url)


@never_cache
@login_required
def join_success(request: HttpRequest) -> HttpResponse:
    # The redirect alone proves nothing: the page waits for the webhook to reach the database.
    return render(request, "members/join_success.html", {"is_member": is_member(request.user)})


@never_cache
@login_required
def join_status(request: HttpRequest) -> JsonResponse:
    member = is_member(request.user)
    if not member:
        services.membership_sync_nudge(user=request.user)
    return JsonResponse({"member": member})


@never_cache
def join_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "members/join_cancel.html")


@require_POST
@login_required
def billing_portal(request: HttpRequest) -> HttpResponse:
    return _to_portal(request, fix_card=False)


@never_cache
@login_required
def fix_card(request: HttpRequest) -> HttpResponse:
    """Linked from the payment-failed email: straight to the card form in the portal."""
    return _to_portal(request, fix_card=True)


def _to_portal(request: HttpRequest, *, fix_card: bool) -> HttpResponse:
    try:
        url = services.membership_portal_url(
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
        return redirect("members:join")
    return redirect(url)


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
        services.user_delete(user=request.user)
    except stripe_gateway.StripeGatewayError as exc:
        logger.warning("Deleting user %s stopped at Stripe: %r", request.user.pk, exc)
        messages.error(
            request,
            "We could not cancel your subscription just now, so nothing was deleted. "
            "Please try again in a few minutes.",
        )
        return redirect("members:account")
    logout(request)
    messages.success(request, "Your account and all its data have been deleted.")
    return redirect(settings.LOGIN_REDIRECT_URL)
