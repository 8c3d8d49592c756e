"""Editorial admin: ordered section and reference inlines, SNP attachment, previews, history.

The admin only collects input; after every save `rendering.article_render` renders the Markdown.
Cached pages retire through articles/receivers.py on any save or delete. Django's own admin
history records who changed what.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from genotypes.matching import normalise
from genotypes.models import Snp

from .article_file import RSID_RE as RSID_PATTERN
from .models import Article, ArticleFinding, Author, Reference, Section, SectionSnp, Topic
from .rendering import section_body_render, slug_for
from .selectors import AccessLevel, article_preview_url
from .services import rendering

# Temporary offset that frees the unique (article, order) and (article, number) values while a
# formset renumbers rows, so that swapping two numbers never trips the constraint midway.
RENUMBER_OFFSET = 1_000_000


class SectionInlineForm(forms.ModelForm):
    snp_rsids = forms.CharField(
        label="SNPs (rsids)",
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "rs1799971 rs4680"}),
        help_text=(
            "Genotype report sections only: catalogue rsids separated by spaces, in display order."
        ),
    )

    class Meta:
        model = Section
        fields = ["order", "heading", "anchor", "access", "kind", "teaser", "body", "snp_rsids"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "class": "markdown-source"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["snp_rsids"].initial = " ".join(
                link.snp.rsid for link in self.instance.section_snps.select_related("snp")
            )

    def clean_snp_rsids(self) -> list[str]:
        rsids = (self.cleaned_data.get("snp_rsids") or "").replace(",", " ").split()
        bad = [rsid for rsid in rsids if not RSID_PATTERN.match(rsid)]
        if bad:
            raise ValidationError(f"Not an rsid: {', '.join(bad)}")
        if len(set(rsids)) != len(rsids):
            raise ValidationError("An rsid is listed twice.")
        known = set(Snp.objects.filter(rsid__in=rsids).values_list("rsid", flat=True))
        missing = [rsid for rsid in rsids if rsid not in known]
        if missing:
            raise ValidationError(
                f"Not in the SNP catalogue yet: {', '.join(missing)}. "
                "Add them under Genotypes → SNPs."
            )
        return rsids

    def clean(self):
        cleaned = super().clean()
        kind, access = cleaned.get("kind"), cleaned.get("access")
        if (
            kind in (Section.Kind.GENOTYPE_REPORT, Section.Kind.LIFEHACKS)
            and access != Section.Access.MEMBERS
        ):
            self.add_error(
                "access", "Genotype report and lifehacks sections are always members-only."
            )
        if cleaned.get("snp_rsids") and kind != Section.Kind.GENOTYPE_REPORT:
            self.add_error("snp_rsids", "Only genotype report sections list SNPs.")
        if cleaned.get("anchor"):
            cleaned["anchor"] = slug_for(cleaned["anchor"])
        return cleaned


class SectionInline(admin.StackedInline):
    model = Section
    form = SectionInlineForm
    extra = 0
    ordering = ["order", "pk"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    ordering = ["number"]
    fields = ["number", "authors", "title", "journal", "year", "doi", "pmid", "url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ArticleFindingInlineForm(forms.ModelForm):
    class Meta:
        model = ArticleFinding
        fields = ["snp", "genotype", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def clean_genotype(self) -> str:
        return normalise((self.cleaned_data.get("genotype") or "").strip())


class ArticleFindingInline(admin.StackedInline):
    """The article's own wording of a genotype's finding, replacing the catalogue's here."""

    model = ArticleFinding
    form = ArticleFindingInlineForm
    extra = 0
    autocomplete_fields = ["snp"]
    verbose_name_plural = "article-specific findings (replace the catalogue's text here)"


class TakeawaysField(forms.CharField):
    """Key takeaways edited as one sentence per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class ArticleAdminForm(forms.ModelForm):
    key_takeaways = TakeawaysField(required=False, help_text="One short sentence per line.")

    class Meta:
        model = Article
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("title"):
            slug = slug_for(cleaned["title"], fallback="article")
            if Article.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", f"The address “{slug}” is taken; enter a different slug.")
            cleaned["slug"] = slug
            self.instance.slug = slug
        if cleaned.get("status") == Article.Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = timezone.now()
            self.instance.published_at = cleaned["published_at"]
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    inlines = [SectionInline, ReferenceInline, ArticleFindingInline]
    list_display = ["title", "status_label", "published_at", "author", "featured", "updated"]
    list_filter = ["status", "featured", "topics", "author"]
    search_fields = ["title", "slug", "description"]
    date_hierarchy = "published_at"
    filter_horizontal = ["topics", "related"]
    readonly_fields = ["preview_links", "problems", "created", "updated", "word_count"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "description", "author", "topics", "key_takeaways"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "featured", "preview_links", "problems"]},
        ),
        ("Overview image", {"fields": ["overview_image", "overview_image_alt"]}),
        ("Related articles", {"fields": ["related"]}),
        ("Record", {"fields": ["created", "updated", "word_count"]}),
    ]

    class Media:
        js = ["articles/admin-preview.js"]
        css = {"all": ["articles/admin.css"]}

    @admin.display(description="Status")
    def status_label(self, obj: Article) -> str:
        if (
            obj.status == Article.Status.PUBLISHED
            and obj.published_at
            and obj.published_at > timezone.now()
        ):
            return "Scheduled"
        return obj.get_status_display()

    @admin.display(description="Preview")
    def preview_links(self, obj: Article) -> str:
        if not obj.pk:
            return "Save the article first."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as visitor</a> · '
            '<a href="{}" target="_blank" rel="noopener">Preview as member</a>'
            '<br><span class="help">Links work for drafts and scheduled articles and expire '
            "after 14 days.</span>",
            article_preview_url(article=obj, access=AccessLevel.PUBLIC),
            article_preview_url(article=obj, access=AccessLevel.MEMBERS),
        )

    @admin.display(description="Problems")
    def problems(self, obj: Article) -> str:
        if not obj.render_problems:
            return "None found."
        return format_html(
            '<ul class="article-problems">{}</ul>',
            format_html_join(
                "", "<li>{}: {}</li>", ((p["section"], p["message"]) for p in obj.render_problems)
            ),
        )

    def get_urls(self):
        return [
            path(
                "markdown-preview/",
                self.admin_site.admin_view(self.markdown_preview),
                name="articles_markdown_preview",
            ),
            *super().get_urls(),
        ]

    def markdown_preview(self, request: HttpRequest) -> JsonResponse:
        return _markdown_preview(request)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        field = {Section: "order", Reference: "number"}.get(model)
        if field is not None and change:
            moved = [
                f.instance.pk
                for f in formset.forms
                if f.instance.pk and field in f.changed_data and f not in formset.deleted_forms
            ]
            if moved:
                model.objects.filter(pk__in=moved).update(**{field: F(field) + RENUMBER_OFFSET})
        super().save_formset(request, form, formset, change)
        if model is Section:
            for section_form in formset.forms:
                if section_form in formset.deleted_forms or not section_form.instance.pk:
                    continue
                if "snp_rsids" in section_form.cleaned_data:
                    rendering.section_snps_set(
                        section=section_form.instance, rsids=section_form.cleaned_data["snp_rsids"]
                    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = rendering.article_render(article=form.instance)
        if article.render_problems:
            messages.warning(
                request,
                "Some citations point at missing references: "
                + "; ".join(f"{p['section']}: {p['message']}" for p in article.render_problems),
            )


@require_POST
def _markdown_preview(request: HttpRequest) -> JsonResponse:
    body = request.POST.get("body", "")[:200_000]
    numbers = {int(n) for n in request.POST.get("references", "").split(",") if n.strip().isdigit()}
    rendered = section_body_render(body=body, reference_numbers=numbers, anchor_prefix="preview")
    return JsonResponse({"html": rendered.html, "missing": rendered.missing_citations})


class SectionSnpInline(admin.TabularInline):
    model = SectionSnp
    extra = 0
    ordering = ["order", "pk"]
    fields = ["order", "snp"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    """Direct editing of one section, mainly to attach SNPs to a genotype report."""

    list_display = ["heading", "article", "order", "kind", "access"]
    list_filter = ["kind", "access"]
    search_fields = ["heading", "article__title"]
    fields = ["article", "order", "heading", "anchor", "access", "kind", "teaser", "body"]
    inlines = [SectionSnpInline]
    list_select_related = ["article"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rendering.article_render(article=form.instance.article)

    def delete_model(self, request, obj):
        rendering.sections_delete(sections=Section.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        rendering.sections_delete(sections=queryset)


class NamedThingAdmin(admin.ModelAdmin):
    """Topics and authors (every article page shows them; a change retires cached pages)."""

    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Topic)
class TopicAdmin(NamedThingAdmin):
    pass


@admin.register(Author)
class AuthorAdmin(NamedThingAdmin):
    pass
