"""The floor for bench/load.py: the cheapest page Django can serve through our full stack.

Every request still passes the whole middleware chain (security headers, sessions, CSRF,
authentication, CSP, allauth), but the view itself does no work: no query, no cache, no
template. Other pages are reported as a ratio of its throughput. It is routed only when
``GENLIFE_BENCH_FLOOR`` is set (see ``genlife/urls.py``), so production never exposes it.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"floor\n", content_type="text/plain; charset=utf-8")
