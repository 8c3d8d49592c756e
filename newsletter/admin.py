"""Newsletter admin: the issues and their deliveries (read-only), and for any article a preview
of its email as a member and as a visitor gets it, and a test send to the editor's own address.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from articles.models import Article
from articles.selectors import AccessLevel, article_get_for_preview

from .emails import newsletter_message
from .models import Delivery, Issue
from .selectors import newsletter_sections_for
from .services import sending

PREVIEW_PERMISSION = "newsletter.view_issue"
VERSIONS = {"members": AccessLevel.MEMBERS, "visitors": AccessLevel.PUBLIC}
PREVIEW_ARTICLES = 30


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    change_list_template = "admin/newsletter/issue/change_list.html"
    list_display = ("article", "created", "finished_at", "sent", "pending", "unknown", "failed")
    list_select_related = ("article",)
    date_hierarchy = "created"

    def get_queryset(self, request):
        status = Delivery.Status
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__status=status.SENT)),
                n_pending=Count("deliveries", filter=Q(deliveries__status=status.PENDING)),
                n_unknown=Count("deliveries", filter=Q(deliveries__status=status.SENDING)),
                n_failed=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
            )
        )

    @admin.display(description="sent", ordering="n_sent")
    def sent(self, issue) -> int:
        return issue.n_sent

    @admin.display(description="pending", ordering="n_pending")
    def pending(self, issue) -> int:
        return issue.n_pending

    @admin.display(description="outcome unknown", ordering="n_unknown")
    def unknown(self, issue) -> int:
        return issue.n_unknown

    @admin.display(description="failed", ordering="n_failed")
    def failed(self, issue) -> int:
        return issue.n_failed

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_list), name="newsletter_preview_list"),
            path(
                "preview/<int:article_id>/<str:version>/",
                view(self.preview),
                name="newsletter_preview",
            ),
            path(
                "preview/<int:article_id>/<str:version>/html/",
                view(self.preview_html),
                name="newsletter_preview_html",
            ),
            path(
                "test-send/<int:article_id>/",
                view(require_POST(self.test_send)),
                name="newsletter_test_send",
            ),
            *super().get_urls(),
        ]

    def _require_preview_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(PREVIEW_PERMISSION):
            raise PermissionDenied

    def _message(self, request: HttpRequest, article_id: int, version: str):
        self._require_preview_permission(request)
        article = article_get_for_preview(pk=article_id)
        if article is None or version not in VERSIONS:
            raise Http404("No such article or email version.")
        access = VERSIONS[version]
        sections = newsletter_sections_for(article=article, access=access)
        message = newsletter_message(
            article=article, sections=sections, access=access, user=request.user
        )
        return article, message

    def preview_list(self, request: HttpRequest) -> HttpResponse:
        self._require_preview_permission(request)
        articles = Article.objects.select_related("newsletter_issue").order_by(
            "-published_at", "-pk"
        )[:PREVIEW_ARTICLES]
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview the newsletter",
            "articles": articles,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/newsletter/preview_list.html", context)

    def preview(self, request: HttpRequest, article_id: int, version: str) -> HttpResponse:
        article, message = self._message(request, article_id, version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Newsletter for {article.title}: the {version}' version",
            "article": article,
            "version": version,
            "message": message,
            "headers": sorted(message.extra_headers.items()),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/newsletter/preview.html", context)

    def preview_html(self, request: HttpRequest, article_id: int, version: str) -> HttpResponse:
        _, message = self._message(request, article_id, version)
        html, _ = message.alternatives[0]
        return HttpResponse(html)

    def test_send(self, request: HttpRequest, article_id: int) -> HttpResponse:
        self._require_preview_permission(request)
        article = article_get_for_preview(pk=article_id)
        version = request.POST.get("version", "")
        if article is None or version not in VERSIONS:
            messages.error(request, "Choose an article and a version (members or visitors).")
            return redirect("admin:newsletter_preview_list")
        if not request.user.email:
            messages.error(request, "Your account has no email address to send the test to.")
            return redirect("admin:newsletter_preview_list")
        sending.newsletter_test_send_enqueue(
            article=article, user=request.user, access=VERSIONS[version]
        )
        messages.success(
            request,
            format_html(
                "The {} version of “{}” is on its way to {} (only to you).",
                version.rstrip("s"),
                article.title,
                request.user.email,
            ),
        )
        return redirect(reverse("admin:newsletter_preview", args=[article.pk, version]))


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("issue", "user", "status", "access", "attempts", "sent_at", "error")
    list_filter = ("status", "access")
    list_select_related = ("issue__article", "user")
    search_fields = ("user__email",)
