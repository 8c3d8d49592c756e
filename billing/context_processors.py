"""Template values about the reader's membership, for the site header."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import is_member


def membership(request: HttpRequest) -> dict:
    """``viewer_is_member``: asked only when a template reads it (the header does so for
    signed-in readers, to offer Join to those who are not members)."""
    return {"viewer_is_member": SimpleLazyObject(lambda: is_member(request.user))}
