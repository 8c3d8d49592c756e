"""One-click unsubscribe for the site's emails (RFC 2369 and RFC 8058), in one place.

A signed token names a mailing list and a recipient; it does not expire, so old emails keep
working. `unsubscribe_page` is the page behind every link: GET asks (link scanners in mail
systems open links and must not unsubscribe anyone), POST unsubscribes (the page's button, or a
mail client's one-click request, which has no session and no CSRF token: the token is the
proof), and an altered token gets a 400 page saying so. Knows no app: each app names its list,
its URL and what opting out writes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

SALT = "genlife.unsubscribe"


def unsubscribe_token(*, list_name: str, user_id: int) -> str:
    return signing.dumps({"l": list_name, "u": user_id}, salt=SALT)


def unsubscribe_user_id(*, list_name: str, token: str) -> int | None:
    """The user a token names for ``list_name``; None when it was forged, altered, is for
    another list or is not ours."""
    try:
        data = signing.loads(token, salt=SALT)
        if data["l"] != list_name:
            return None
        return int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(*, list_name: str, user_id: int, url_name: str) -> str:
    """The full address of ``url_name`` (a view taking ``token``) for this recipient."""
    token = unsubscribe_token(list_name=list_name, user_id=user_id)
    return settings.SITE_URL + reverse(url_name, kwargs={"token": token})


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The headers that make mail programs show an unsubscribe button that POSTs to ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_page(
    request: HttpRequest,
    token: str,
    *,
    list_name: str,
    opt_out: Callable[[int], None],
    title: str,
    stops: str,
) -> HttpResponse:
    """The page behind an unsubscribe link. ``title`` names the emails ("the newsletter"),
    ``stops`` says in a sentence what no longer comes; ``opt_out(user_id)`` records the choice
    and must be safe to repeat (twice, or after the account is gone)."""
    context = {"title": title, "stops": stops}
    user_id = unsubscribe_user_id(list_name=list_name, token=token)
    if user_id is None:
        return render(request, "unsubscribe/invalid.html", context, status=400)
    if request.method != "POST":
        return render(request, "unsubscribe/ask.html", context)
    opt_out(user_id)
    return render(request, "unsubscribe/done.html", context)
