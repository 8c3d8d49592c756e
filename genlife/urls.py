from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from articles.insight_views import genetics_mine
from billing.webhooks import stripe_webhook
from genotypes.urls import urlpatterns as genotypes_urlpatterns

from .health import healthz


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, for one)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("members.urls")),
    path("account/", include("billing.urls")),
    path("stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    # My genetics groups a member's results by the articles' topics, so its view lives above
    # genotypes (articles.insight_views); it keeps its place and name, genotypes:mine.
    path(
        "genetics/",
        include(
            ([*genotypes_urlpatterns, path("me/", genetics_mine, name="mine")], "genotypes"),
        ),
    ),
    path("newsletter/", include("newsletter.urls")),
    path("digests/", include("digests.urls")),
    path("", include("articles.urls")),
]

if settings.GENLIFE_BENCH_FLOOR:  # bench/load.py's reference page; never set in production
    from .bench_views import floor, floor_identified

    urlpatterns[:0] = [
        path("bench/floor", floor, name="bench_floor"),
        path("bench/identified", floor_identified, name="bench_floor_identified"),
    ]

handler404 = "genlife.errors.page_not_found"
handler500 = "genlife.errors.server_error"
