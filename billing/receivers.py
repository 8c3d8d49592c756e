"""Billing's answers to what the identity app announces (connected in BillingConfig.ready)."""

from __future__ import annotations

from billing import stripe_gateway
from billing.models import Membership
from billing.services import stripe_events
from members.signals import UserDeleteRefused


def billing_end_on_account_deletion(sender, *, user, actor=None, **kwargs) -> None:
    """An account being deleted ends its billing: the Stripe customer goes (which cancels
    every subscription at once and removes the email address and name we gave Stripe), then
    the stored webhook payloads that carry them.

    Raises ``UserDeleteRefused`` when Stripe cannot be reached or refuses; billing connects
    before the apps above it (INSTALLED_APPS order), so nothing has been deleted yet.
    """
    membership = Membership.objects.filter(user=user).first()
    if membership is None or not membership.stripe_customer_id:
        return
    try:
        stripe_gateway.customer_delete(customer_id=membership.stripe_customer_id)
    except stripe_gateway.StripeGatewayError as exc:
        raise UserDeleteRefused(
            "We could not cancel your subscription just now, so nothing was deleted. "
            "Please try again in a few minutes."
        ) from exc
    stripe_events.stripe_event_payloads_delete(customer_id=membership.stripe_customer_id)


def connect() -> None:
    from members.signals import user_deleting

    user_deleting.connect(
        billing_end_on_account_deletion, dispatch_uid="billing.end_on_account_deletion"
    )
