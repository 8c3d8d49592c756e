"""Writes about billing, one module per sub-domain (callers import the module).

plans          plans mirrored as Stripe Prices
memberships    memberships, checkout, the billing portal, resyncs from Stripe
stripe_events  recording and processing webhook events
emails         the membership emails

Stripe is called through `billing.stripe_gateway` and always outside database transactions;
the transactions that follow lock the membership row and write what Stripe said. Every
function here is safe to run twice.
"""
