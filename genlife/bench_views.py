"""The floors for bench/load.py: the cheapest pages Django can serve through our full stack.

Every request still passes the whole middleware chain (security headers, sessions, CSRF,
authentication, CSP, allauth). ``floor`` does no work at all: no query, no cache, no
template. ``floor_identified`` does only what every member page must: it identifies the
reader (session, user) and asks whether they are a member, then answers six bytes. Other
pages are reported as a ratio of their throughput. They are routed only when
``GENLIFE_BENCH_FLOOR`` is set (see ``genlife/urls.py``), so production never exposes them.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from billing.selectors import is_member


@require_safe
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"floor\n", content_type="text/plain; charset=utf-8")


@require_safe
def floor_identified(request: HttpRequest) -> HttpResponse:
    body = b"member\n" if is_member(request.user) else b"reader\n"
    return HttpResponse(body, content_type="text/plain; charset=utf-8")
