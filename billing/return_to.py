"""Where a reader who joins came from, kept for the whole way to their first results.

The Join links on an article carry ``?next=<the article's path>``. The join page checks it
(same site, relative path only) and keeps it in the session, which outlives sign-up, the
email confirmation (allauth logs the new member in within the same session), Stripe
Checkout and the upload. The welcome page and the upload's status page read it back to
offer the way back to the article.

The session, not the upload row: it is navigation, not part of the member's genetic record,
so it needs no column to export or erase and it ends with the session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "billing_join_return_to"
MAX_LENGTH = 500
# Pages that are steps of joining or of the account itself, never a place to return to.
NOT_A_DESTINATION = frozenset({"billing", "members", "admin"})


def return_to_clean(*, request: HttpRequest, url: str | None) -> str:
    """``url`` when it is a path on this site ("/articles/x/"), else "".

    Absolute URLs, scheme-relative ones ("//evil.example"), backslash tricks and anything
    Django's own redirect check refuses are dropped, so the value can never send a reader
    elsewhere; so are paths that are no page of ours, and the join, account and sign-in
    pages (the steps of joining are not where it should lead back to).
    """
    url = (url or "").strip()
    if not url or len(url) > MAX_LENGTH or not url.startswith("/") or url.startswith(("//", "/\\")):
        return ""
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    if match.namespace in NOT_A_DESTINATION or match.func.__module__.startswith("allauth"):
        return ""
    return url


def return_to_remember(*, request: HttpRequest, url: str | None) -> str:
    """Keep ``url`` (when safe) as the place to lead the new member back to; returns it."""
    cleaned = return_to_clean(request=request, url=url)
    if cleaned:
        request.session[SESSION_KEY] = cleaned
    return cleaned


def return_to_of(*, request: HttpRequest) -> str:
    """The page the reader came from when they chose to join, or ""."""
    return return_to_clean(request=request, url=request.session.get(SESSION_KEY))
