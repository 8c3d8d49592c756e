"""Error pages that never show a stack trace and never need the database."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

from genlife.cache import SecurityCheckUnavailable

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or a friendly 503 when the database is unreachable (a restart, a failover).

    Rendered without the request context: the failure may be the database or a context
    processor. Django calls this while the exception is being handled, so it is in exc_info.
    """
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())


class SecurityCheckUnavailableMiddleware:
    """A sign-in step whose check cannot run (Redis is unreachable: was this code used already,
    how many attempts were made) is refused with a 503 that says to try again in a moment,
    never let through and never a 500."""

    RETRY_AFTER_SECONDS = 10

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, SecurityCheckUnavailable):
            return None
        page = loader.render_to_string("503_security_check.html", request=request)
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
