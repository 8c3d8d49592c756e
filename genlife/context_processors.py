from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Site-wide template values: the name and the absolute base URL for canonical links."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
