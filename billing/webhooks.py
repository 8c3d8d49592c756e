"""The Stripe webhook endpoint: verify, record once, acknowledge, and leave the work to Celery.

Nothing here calls Stripe or sends mail. The view answers 400 (and writes nothing) unless the
body carries a valid ``Stripe-Signature`` within Stripe's five-minute tolerance; a verified
event of a type we handle is stored under its unique event id, and a worker task does the
rest (see ``services.stripe_events.stripe_event_process``). A repeated event id answers 200
and does nothing.
"""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_gateway
from .services import stripe_events

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = stripe_gateway.event_construct(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except stripe_gateway.WebhookSignatureInvalid as exc:
        logger.warning("Rejected a Stripe webhook: %s", exc)
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    stripe_events.stripe_event_record(event=event)
    return HttpResponse("ok", content_type="text/plain")
