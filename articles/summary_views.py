"""The printable summary of an article for a member, and the share links that show it.

Thin: ``articles.summaries`` decides what the summary holds and whether a link opens it,
``articles.services.sharing`` makes, revokes and counts links; every view of genetic data here
is written to the owner's activity log (``genotypes.services.audit``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.selectors import is_member, membership_join_url
from genotypes.services import audit

from . import selectors, summaries
from .models import SummaryShareLink
from .services import sharing

DAY_CHOICES = range(1, SummaryShareLink.MAX_DAYS + 1)
DEFAULT_DAYS = 7
SHARE_DAYS_MESSAGE = f"Choose how long the link works: 1 to {SummaryShareLink.MAX_DAYS} days."
NOINDEX = "noindex, nofollow, noarchive"


def _article_or_404(slug: str):
    article = selectors.article_get_published(slug=slug)
    if article is None:
        raise Http404("No such article")
    return article


def _members_only(request: HttpRequest) -> HttpResponse:
    context = {"join_url": membership_join_url()}
    return render(request, "genotypes/members_only.html", context, status=403)


def _owner_page(request: HttpRequest, article, *, status: int = 200, **extra) -> HttpResponse:
    summary = summaries.article_summary_for(owner=request.user, article=article)
    if summary is None:
        return _members_only(request)
    if summary.state == "ready" and summary.rows:
        audit.genetic_data_shown(
            user=request.user, where=f"the printable summary of “{article.title}”"
        )
    context = {
        "summary": summary,
        "links": summaries.share_links_of(user=request.user, article=article),
        "day_choices": DAY_CHOICES,
        "default_days": DEFAULT_DAYS,
        **extra,
    }
    return render(request, "articles/summary.html", context, status=status)


@never_cache
@login_required
@require_GET
def summary(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's printable summary of the article, with their share links."""
    return _owner_page(request, _article_or_404(slug))


@never_cache
@login_required
@require_POST
def share_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Make a link; the page shows it once (only its hash is kept)."""
    article = _article_or_404(slug)
    if not is_member(request.user):
        return _members_only(request)
    try:
        days = int(request.POST.get("days", ""))
        _, token = sharing.summary_share_link_create(user=request.user, article=article, days=days)
    except (ValueError, ValidationError):
        return _owner_page(request, article, status=400, share_error=SHARE_DAYS_MESSAGE)
    url = request.build_absolute_uri(reverse("articles:shared", args=[token]))
    return _owner_page(request, article, new_link=url, new_link_days=days)


@never_cache
@login_required
@require_POST
def share_revoke(request: HttpRequest, slug: str, link_id: int) -> HttpResponse:
    article = _article_or_404(slug)
    if sharing.summary_share_link_revoke(user=request.user, link_id=link_id):
        messages.success(request, "The link is revoked: it no longer opens your summary.")
    else:
        messages.error(request, "That link was already revoked or has expired.")
    return redirect("articles:summary", slug=article.slug)


@require_http_methods(["GET", "HEAD"])
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The summary, to whoever holds a live link, signed in or not; never cached or indexed."""
    link = summaries.share_link_resolve(token=token)
    summary = (
        summaries.article_summary_for(owner=link.user, article=link.article)
        if link is not None
        else None
    )
    if summary is None:
        response = render(
            request,
            "articles/summary_shared_gone.html",
            {"max_days": SummaryShareLink.MAX_DAYS},
            status=404,
        )
    else:
        if request.method == "GET":  # a HEAD (a link checker) reads nothing: not a view
            sharing.summary_share_link_viewed(link=link)
        response = render(
            request, "articles/summary_shared.html", {"summary": summary, "link": link}
        )
    add_never_cache_headers(response)  # Cache-Control: no-store, among others
    response["X-Robots-Tag"] = NOINDEX
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response
