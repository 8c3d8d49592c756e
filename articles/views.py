"""Reading pages. Thin: selectors decide what is visible, templates print it, and
genlife.page_cache keeps the pages."""

import hashlib
import math
import mimetypes

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from billing.selectors import is_member, membership_join_url, plan_list_offered
from genlife import page_cache
from genlife.page_cache import Audience
from genotypes.selectors import RSID_PATTERN, genotype_report_public_example
from genotypes.services import audit
from genotypes.versions import CATALOGUE_SCOPE, genotype_page_scopes

from . import card_images, citations, insight_selectors, personal_blocks, reports, selectors, seo
from .models import SummaryShareLink
from .receivers import ARTICLES_SCOPE
from .selectors import AccessLevel

PAGE_SIZE = 10
PAGE_CACHE_SECONDS = 600
# Visitors' search pages: one entry per distinct query, so they expire sooner.
SEARCH_CACHE_SECONDS = 300


def _page(request: HttpRequest, articles):
    """One page of an article listing, from ?page= (out-of-range numbers give the last page)."""
    return Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))


def _page_cache_seconds(longest: int = PAGE_CACHE_SECONDS) -> int:
    """How long a page that lists articles may be cached: never past the moment the next
    scheduled article goes live, which would then be missing from it."""
    due_in = selectors.article_next_due_in()
    return longest if due_in is None else max(1, min(longest, math.ceil(due_in)))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The home page; visitors get it from the cache (one per article generation). A member
    with results also sees their highlights: that page is theirs alone, never cached. Only
    the uncached path of a logged-in reader may leave out the calls to join."""
    cacheable = not request.user.is_authenticated and len(get_messages(request)) == 0
    slot = page_cache.slot("articles:home-public", scopes=[ARTICLES_SCOPE]) if cacheable else None
    if slot is not None and slot.value is not None:
        return HttpResponse(slot.value)
    member_home = None
    if request.user.is_authenticated:
        member_home = insight_selectors.member_home_for(user=request.user)
        if member_home is not None and member_home.results.state == "ready":
            audit.genetic_data_shown(user=request.user, where="the home page")
    featured, latest = selectors.article_home_lists()
    response = render(
        request,
        "articles/home.html",
        {
            "featured": featured,
            "latest": latest,
            "topics": selectors.topic_list_with_articles(),
            # Made-up genotypes and texts through the real report template, labelled "Sample".
            "sample_report": genotype_report_public_example(),
            "plans": list(plan_list_offered()),
            "join_url": membership_join_url(),
            "member_home": member_home,
            "viewer_is_member": request.user.is_authenticated and is_member(request.user),
        },
    )
    if member_home is not None:
        add_never_cache_headers(response)
    if slot is not None:
        slot.store(response.content.decode(), timeout=_page_cache_seconds())
    return response


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.article_list_published())
    return render(
        request, "articles/article_list.html", {"page_obj": page, "articles": page.object_list}
    )


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = selectors.topic_get(slug=slug)
    if topic is None:
        raise Http404("No such topic")
    page = _page(request, selectors.article_list_for_topic(topic=topic))
    return render(
        request,
        "articles/topic_detail.html",
        {"topic": topic, "page_obj": page, "articles": page.object_list},
    )


@require_safe
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = selectors.author_get(slug=slug)
    if author is None:
        raise Http404("No such author")
    page = _page(request, selectors.article_list_for_author(author=author))
    return render(
        request,
        "articles/author_detail.html",
        {
            "author": author,
            "page_obj": page,
            "articles": page.object_list,
            "reviewed": selectors.article_list_reviewed_by(author=author),
        },
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Articles, SNP pages and gene pages; members also get the look-up of an rsid in their
    own file (when the query is an rsid, it is filled in). Visitors' result pages are cached
    per query under the articles' and the catalogue's versions (a search costs tens of
    full-text snippets; popular queries repeat)."""
    query = selectors.search_query_clean(request.GET.get("q"))
    cacheable = bool(query) and not request.user.is_authenticated
    cacheable = cacheable and len(get_messages(request)) == 0
    slot = (
        page_cache.slot(
            "articles:search-public:" + hashlib.sha256(query.encode()).hexdigest(),
            scopes=[ARTICLES_SCOPE, CATALOGUE_SCOPE],
        )
        if cacheable
        else None
    )
    if slot is not None and slot.value is not None:
        return HttpResponse(slot.value)
    response = _search_page(request, query)
    if slot is not None:
        slot.store(response.content.decode(), timeout=_page_cache_seconds(SEARCH_CACHE_SECONDS))
    return response


def _search_page(request: HttpRequest, query: str) -> HttpResponse:
    results = selectors.site_search(query=query) if query else None
    member = is_member(request.user)
    lookup_rsid = query.lower() if member and RSID_PATTERN.fullmatch(query.lower()) else ""
    return render(
        request,
        "articles/search.html",
        {
            "query": query,
            "hits": results.articles if results else [],
            "catalogue": results.catalogue if results else None,
            "total": len(results) if results else 0,
            "is_member": member,
            "lookup_rsid": lookup_rsid,
        },
    )


@require_safe
def why_members(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/why_members.html", {"join_url": membership_join_url()})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /account/",
        "Disallow: /accounts/",
        # The public catalogue pages (a members' part is never in what a crawler gets).
        "Allow: /genetics/snps/",
        "Allow: /genetics/genes/",
        "Allow: /genetics/evidence/",
        "Disallow: /genetics/",
        "Disallow: /preview/",
        "Disallow: /shared/",
        "Disallow: /search/",
        f"Sitemap: {seo.absolute_url(reverse('articles:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


REPORT_MARKER = "<!--genlife:genotype-report:{anchor}-->"


def _article_fragments(article, access: AccessLevel, *, viewer_authenticated: bool) -> dict:
    """The article's head tags and body as this access level sees them, plus what the shell needs.

    Nothing here depends on the particular reader beyond (access, logged in or not), so the
    result is cached per article and that pair. Genotype tables are left as markers and filled
    in per request by `_article_main_for`.
    """
    sections = selectors.article_sections_visible_to(article=article, access=access)
    report_snps = {
        s.anchor: list(s.snps) for s in sections if s.is_genotype_report and not s.locked
    }
    conditioned = personal_blocks.block_markers(sections)
    block_snps = personal_blocks.block_snps(conditioned)
    blocks = [
        {
            "section": section,
            "report_marker": mark_safe(REPORT_MARKER.format(anchor=section.anchor)),
        }  # anchor: a slug
        for section in sections
    ]
    overview_image_url = seo.article_overview_image_url(article=article)
    meta_description = seo.meta_text(article.description)
    context = {
        "article": article,
        "access": access,
        "is_member_view": access == AccessLevel.MEMBERS,
        "viewer_authenticated": viewer_authenticated,
        "blocks": blocks,
        "topics": list(article.topics.all()),
        "references": citations.references_with_backlinks(
            references=selectors.reference_list_for(article=article),
            fragments=[section.html for section in sections if not section.locked],
        ),
        "related": selectors.related_articles_for(article=article),
        "json_ld": seo.article_json_ld(article=article, sections=sections, access=access),
        "canonical_url": seo.absolute_url(article.get_absolute_url()),
        "overview_image_url": overview_image_url,
        "overview_image_absolute_url": seo.absolute_url(overview_image_url)
        if overview_image_url
        else "",
        "meta_description": meta_description,
        "site_name": settings.SITE_NAME,
        "login_url": f"{reverse('account_login')}?next={article.get_absolute_url()}",
        "join_url": membership_join_url(next=article.get_absolute_url()),
    }
    return {
        "title": article.title,
        "slug": article.slug,
        "meta_description": meta_description,
        "head": render_to_string("articles/includes/article_head.html", context),
        "main": render_to_string("articles/includes/article_main.html", context),
        "report_snps": report_snps,
        # The article's own findings and reference ids, for the reports (members' sections).
        "report_inputs": reports.article_report_inputs(article=article) if report_snps else None,
        "blocks": conditioned,
        "block_snps": block_snps,
        "changes": selectors.article_changes_visible_to(article=article, access=access),
    }


def _article_main_for(
    request: HttpRequest, fragments: dict, *, sample: bool = False
) -> tuple[SafeString, bool]:
    """The cached article body with this reader's genotype reports (articles.reports) and
    genotype-conditioned blocks (articles.personal_blocks) filled in, and whether it shows
    the reader's own genotypes (their activity log then records the view); with ``sample``,
    those of the made-up sample genome instead (an editor's preview as a member)."""
    main = fragments["main"]
    block_snps = fragments.get("block_snps", [])
    built, combined = reports.article_reports_for(
        user=request.user,
        report_snps=fragments["report_snps"],
        inputs=fragments.get("report_inputs"),
        extra_snps=block_snps,
        sample=sample,
    )
    for anchor, (report, result_sources) in built.items():
        table = render_to_string(
            "genotypes/includes/genotype_report.html",
            {"report": report, "result_sources": result_sources, "anchor": anchor},
            request,
        )
        main = main.replace(REPORT_MARKER.format(anchor=anchor), table)
    if fragments.get("blocks"):
        main = personal_blocks.blocks_fill(
            main,
            blocks=fragments["blocks"],
            report=combined,
            genes={snp.rsid: snp.gene for snp in block_snps},
        )
    shown = (
        not sample and combined is not None and combined.state == "ready" and bool(combined.rows)
    )
    return mark_safe(main), shown  # rendered by our templates from sanitised HTML


def _reader_variant(request: HttpRequest, access: AccessLevel) -> tuple[str, Audience, list[str]]:
    """Which copy of an article page this reader gets, who else may get it, and the scopes
    (genlife.page_cache) it is built from.

    Visitors share one page; registered readers without membership share another (it is
    served privately). A member's page holds their own genotype tables: it is theirs alone,
    kept encrypted and stamped with their genotype data version and the catalogue's.
    """
    if not request.user.is_authenticated:
        return "public", Audience.SHARED, [ARTICLES_SCOPE]
    if access == AccessLevel.MEMBERS:
        return (
            f"member-{request.user.pk}",
            Audience.PERSONAL,
            [ARTICLES_SCOPE, *genotype_page_scopes(user_id=request.user.pk)],
        )
    return "user-public", Audience.PRIVATE, [ARTICLES_SCOPE]


def _article_fragments_cached(
    slug: str, access: AccessLevel, *, authenticated: bool, timeout: int
) -> dict:
    """The article's fragments for this access level, from the cache or built (404 if none)."""
    slot = page_cache.slot(
        f"articles:fragments:{access}-{'user' if authenticated else 'anonymous'}:{slug}",
        scopes=[ARTICLES_SCOPE],
    )
    if slot.value is not None:
        return slot.value
    article = selectors.article_get_published(slug=slug)
    if article is None:
        raise Http404("No such article")
    fragments = _article_fragments(article, access, viewer_authenticated=authenticated)
    slot.store(fragments, timeout=timeout)
    return fragments


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An article: this reader's whole page from the cache when it is current, else built from
    the cached article for their access level with their genotype tables filled in.

    A page that carries a one-off message (after logging in, say) is neither read from nor
    written to the cache.
    """
    authenticated = request.user.is_authenticated
    access = (
        selectors.article_access_for(user=request.user) if authenticated else AccessLevel.PUBLIC
    )
    variant, audience, scopes = _reader_variant(request, access)
    slot = None
    if len(get_messages(request)) == 0:
        slot = page_cache.slot(
            f"articles:page:{variant}:{slug}", scopes=scopes, personal=audience is Audience.PERSONAL
        )
        # A member's page comes with the title it was built for when it shows their genotypes.
        if isinstance(slot.value, tuple):
            cached, shown_title = slot.value
            if shown_title:
                audit.genetic_data_shown(user=request.user, where=f"the article “{shown_title}”")
            return page_cache.page_response(request, cached)

    cache_seconds = _page_cache_seconds()  # related-article lists: see _page_cache_seconds
    fragments = _article_fragments_cached(
        slug, access, authenticated=authenticated, timeout=cache_seconds
    )
    main, shown = _article_main_for(request, fragments)
    html = render_to_string(
        "articles/article_detail.html",
        {
            "page": {**fragments, "head": mark_safe(fragments["head"])},  # our template output
            "main": main,
            "access": access,
            "share_max_days": SummaryShareLink.MAX_DAYS,
        },
        request,
    )
    page = page_cache.page_build(html, variant=variant, audience=audience)
    shown_title = fragments["title"] if shown else ""
    if slot is not None:
        slot.store((page, shown_title), timeout=cache_seconds)
    if shown_title:
        audit.genetic_data_shown(user=request.user, where=f"the article “{shown_title}”")
    return page_cache.page_response(request, page)


@require_safe
def article_preview(request: HttpRequest, token: str) -> HttpResponse:
    """A signed preview of any article (drafts included). 'As member' needs a member or staff."""
    resolved = selectors.article_preview_resolve(token=token)
    if resolved is None:
        raise Http404("This preview link is invalid or has expired")
    article_pk, requested = resolved
    article = selectors.article_get_for_preview(pk=article_pk)
    if article is None:
        raise Http404("No such article")
    reader = selectors.article_access_for(user=request.user)
    access = (
        AccessLevel.MEMBERS
        if requested == AccessLevel.MEMBERS and reader == AccessLevel.MEMBERS
        else AccessLevel.PUBLIC
    )
    fragments = _article_fragments(
        article, access, viewer_authenticated=request.user.is_authenticated
    )
    # As a member, the reports are always the sample genome's: a preview never shows the
    # previewing reader's own genotypes (nor anyone else's), and says so.
    sample = access == AccessLevel.MEMBERS
    status = article.get_status_display()
    if article.published_at:
        status += f", publishing {date_format(article.published_at, 'j F Y, H:i e')}"
    main, shown = _article_main_for(request, fragments, sample=sample)
    if shown:
        audit.genetic_data_shown(
            user=request.user, where=f"the preview of the article “{article.title}”"
        )
    response = render(
        request,
        "articles/article_detail.html",
        {
            "page": {**fragments, "head": mark_safe(fragments["head"])},  # our template output
            "main": main,
            "access": access,
            "preview": True,
            "preview_sample": sample,
            "requested_access": requested,
            "preview_status": status,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_file_response(field_file) -> HttpResponse:
    """Serve an editor-uploaded image from storage, sandboxed so an SVG can never run script."""
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError):
        raise Http404("No image") from None
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def overview_image(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_get_image(slug=slug, include_drafts=request.user.is_staff)
    if article is None or not article.overview_image:
        raise Http404("No image")
    return _private_for_staff(request, _stored_file_response(article.overview_image))


@require_safe
def card_image(request: HttpRequest, slug: str) -> HttpResponse:
    """The picture drawn for an article's cards when it has no overview image."""
    article = selectors.article_get_image(slug=slug, include_drafts=request.user.is_staff)
    if article is None:
        raise Http404("No such article")
    response = HttpResponse(card_images.card_svg(slug=article.slug), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"
    return _private_for_staff(request, response)


def _private_for_staff(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Staff may be served a draft's picture: never into a shared cache."""
    if request.user.is_staff:
        response["Cache-Control"] = response["Cache-Control"].replace("public", "private")
    return response


@require_safe
def author_photo(request: HttpRequest, slug: str) -> HttpResponse:
    author = selectors.author_get(slug=slug)
    if author is None or not author.photo:
        raise Http404("No photo")
    return _stored_file_response(author.photo)
