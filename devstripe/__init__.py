"""devstripe: a click-through stand-in for Stripe, for local development and browser tests.

NEVER used in production: genlife talks to Stripe itself whenever ``STRIPE_SECRET_KEY`` is a
real key. ``bin/run-local`` (``make run``) and the browser journeys (tests/e2e) start this
server when no key is configured and point the real ``stripe`` library at it through
``STRIPE_API_BASE``, so that a developer can join, pay and cancel without an account.

It answers only the API calls ``members/stripe_gateway.py`` makes, serves the two hosted pages
a person clicks through (Checkout and the billing portal), and sends the site signed webhooks
for what those clicks do. Anything else answers 404. See ``server.py``; run it with
``python -m devstripe --help``.
"""

from .server import DevStripe

__all__ = ["DevStripe"]
