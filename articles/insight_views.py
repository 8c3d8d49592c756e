"""A member's results across the articles: the highlights page and My genetics.

Thin: ``insight_selectors`` reads (members only, through the genetic-data gate), every page
that shows genotypes records it in the audit log, and My genetics records the visit
(``services.visits``) for "new since your last visit". Neither page is cached: each holds the
member's own genotypes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from billing.selectors import membership_join_url
from genotypes.services import audit

from . import insight_selectors
from .forms import DashboardFilterForm
from .services import visits


@never_cache
@login_required
@require_GET
def highlights(request: HttpRequest) -> HttpResponse:
    """The member's notable results in every published article, grouped by topic, each
    linking to the report that holds it."""
    results = insight_selectors.member_results_for(user=request.user)
    if results.state == "ready":
        audit.genetic_data_shown(user=request.user, where="your highlights")
    page = insight_selectors.member_highlights_for(results=results)
    return render(
        request,
        "articles/highlights.html",
        {"page": page, "results": results, "join_url": membership_join_url()},
    )


@never_cache
@login_required
@require_GET
def genetics_mine(request: HttpRequest) -> HttpResponse:
    """My genetics: uploads, coverage and every result grouped by topic and article, notable
    first, filtered by the GET form; what is new since the member's last visit is marked."""
    results = insight_selectors.member_results_for(user=request.user)
    form = DashboardFilterForm(
        request.GET or None, topics=insight_selectors.topic_choices_for(results=results)
    )
    filters = form.filters() if form.is_bound else insight_selectors.DashboardFilters()
    dashboard = None
    if results.state == "ready":
        baseline = visits.genetics_visit_record(
            user=request.user, snp_ids=results.snp_ids, article_ids=results.article_ids
        )
        dashboard = insight_selectors.genetics_dashboard_for(
            results=results, baseline=baseline, filters=filters
        )
        audit.genetic_data_shown(user=request.user, where="My genetics")
    return render(
        request,
        "genotypes/mine.html",
        {
            "results": results,
            "dashboard": dashboard,
            "form": form,
            "filters": filters,
            "join_url": membership_join_url(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
