"""Plans, each mirrored by one Stripe Price."""

from __future__ import annotations

from django.conf import settings

from billing import stripe_gateway
from billing.models import Plan


def plan_sync_to_stripe(*, plan: Plan) -> str:
    """Make sure Stripe has a Price for the plan's amount; store and return its id.

    Idempotent: an existing Price with the plan's lookup key and the same amount, currency
    and interval is reused; a changed amount creates a new Price that takes the lookup key
    over (existing subscribers keep the old one).
    """
    product_id = stripe_gateway.product_ensure(
        lookup_key="genlife_membership",
        name=f"{settings.SITE_NAME} membership",
        description="Members-only sections and your own genotype inside every article.",
    )
    price = stripe_gateway.price_find(lookup_key=plan.lookup_key)
    matches = price is not None and (
        price["unit_amount"] == plan.amount
        and price["currency"] == plan.currency
        and price["interval"] == plan.interval
    )
    price_id = (
        price["id"]
        if matches
        else stripe_gateway.price_create(
            product_id=product_id,
            lookup_key=plan.lookup_key,
            unit_amount=plan.amount,
            currency=plan.currency,
            interval=plan.interval,
        )
    )
    if plan.stripe_price_id != price_id:
        plan.stripe_price_id = price_id
        plan.full_clean()
        plan.save(update_fields=["stripe_price_id"])
    return price_id
