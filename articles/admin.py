"""Editorial admin: ordered section and reference inlines, SNP attachment, previews, history.

The admin only collects input; after every save `rendering.article_render` renders the Markdown.
Cached pages retire through articles/receivers.py on any save or delete. Every save is kept as
a revision (articles/revisions.py) with who and when, shown as a diff and restorable
(genlife/revisions.py); an editor may mark a save as substantive, which lists it under "What
changed" on the article and moves its "Updated" date (articles/services/changes.py).
"""

import reversion
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from genlife.revisions import RevisionAdminMixin
from genotypes.matching import normalise
from genotypes.models import Snp

from . import personal_blocks, revisions  # noqa: F401 (revisions: registers the models)
from .article_file import RSID_RE as RSID_PATTERN
from .blocks import (
    ArticleParts,
    article_problems,
    body_parts_parse,
    part_rsids,
    problems_text,
    section_body_problems,
)
from .models import (
    Article,
    ArticleChange,
    ArticleFinding,
    Author,
    Reference,
    Section,
    SectionSnp,
    Topic,
)
from .rendering import slug_for
from .selectors import AccessLevel, article_preview_url
from .services import changes, rendering

# Shown under every section's body, folded: one line each until an editor opens it.
BODY_HELP = (
    "<details><summary>Markdown. Cite references as [ref:3]. Genotype blocks: syntax"
    "</summary>In a Lifehacks or Genotype report section, text "
    "for some genotypes only goes in a block:<br>"
    '<code>::: if rs1799971 carries G "Optional title"</code><br>text…<br><code>:::</code><br>'
    "Conditions: <code>rs4680 is AA</code>, <code>rs4680 is one of AG GG</code>, "
    "<code>rs1799971 carries G</code>, <code>rs4680 is no-call</code>, "
    "<code>rs4680 is not on chip</code>, joined with <code>and</code>, <code>or</code>, "
    "<code>not</code> and parentheses. A grid of two SNPs: "
    '<code>::: grid rs1799971 rs4680 "Title"</code>, one line per pair such as '
    "<code>AA GG: text</code>, then <code>:::</code>. A published article cannot have a "
    "citation without its reference or a block naming an rsid or genotype the catalogue lacks."
    "</details>"
)
PUBLISH_REFUSED = "This article cannot be published until these are fixed (or save it as a draft)"


def _catalogue_for(bodies: list[str]) -> dict:
    rsids = [rsid for body in bodies for rsid in part_rsids(body_parts_parse(body)[0])]
    return rendering.block_catalogue(rsids=rsids)


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
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "class": "markdown-source"})}
        help_texts = {"body": BODY_HELP}

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


class SectionInlineFormSet(BaseInlineFormSet):
    """Refuses to publish an article whose sections cite a missing reference or carry a
    genotype block that does not resolve (the line and the reason on the section's body).
    A draft saves as it is and lists its problems."""

    reference_formset = None  # set by ArticleAdmin._create_formsets

    def _reference_dois(self) -> dict[int, str]:
        references = self.reference_formset
        if references is None:
            if not self.instance.pk:
                return {}
            return dict(self.instance.references.values_list("number", "doi"))
        references.is_valid()
        return {
            form.cleaned_data["number"]: form.cleaned_data.get("doi") or ""
            for form in references.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("number")
            and not references._should_delete_form(form)
        }

    def clean(self):
        super().clean()
        if self.instance.status != Article.Status.PUBLISHED:
            return
        forms_kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)
        ]
        catalogue = _catalogue_for([form.cleaned_data.get("body", "") for form in forms_kept])
        dois = self._reference_dois()
        numbers = set(dois)
        refused = []
        for form in forms_kept:
            problems = section_body_problems(
                body=form.cleaned_data.get("body", ""),
                kind=form.cleaned_data.get("kind", Section.Kind.STANDARD),
                reference_numbers=numbers,
                catalogue=catalogue,
            )
            if problems:
                form.add_error("body", problems_text(problems))
                refused += problems_text(problems, where=form.cleaned_data.get("heading", ""))
        article = self.instance
        refused += article_problems(
            ArticleParts(
                key_takeaways=article.key_takeaways or [],
                topic_count=getattr(article, "topic_count_pending", 0),
                bodies=[form.cleaned_data.get("body", "") for form in forms_kept],
                reference_dois=dois,
                report_rsids={
                    rsid
                    for form in forms_kept
                    if form.cleaned_data.get("kind") == Section.Kind.GENOTYPE_REPORT
                    for rsid in form.cleaned_data.get("snp_rsids") or []
                },
                rsids_not_reported=set(article.rsids_not_reported.lower().split()),
            )
        )
        if refused:
            raise ValidationError(f"{PUBLISH_REFUSED}: " + "; ".join(refused))


class SectionInline(admin.StackedInline):
    model = Section
    form = SectionInlineForm
    formset = SectionInlineFormSet
    extra = 0
    ordering = ["order", "pk"]
    # Short fields share a line: a long article's sections stay a scroll, not a trek.
    fields = [("order", "heading", "anchor"), ("access", "kind"), "teaser", "body", "snp_rsids"]


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
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def clean_genotype(self) -> str:
        return normalise((self.cleaned_data.get("genotype") or "").strip())


class ArticleFindingInline(admin.TabularInline):
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
    key_takeaways = TakeawaysField(
        required=False,
        help_text="One short sentence per line. A published article needs at least one.",
    )
    substantive_change = forms.BooleanField(
        label="Substantive change",
        required=False,
        help_text="Tick when this save changes what readers learn: the note below is listed "
        "under “What changed” on the article, and its “Updated” date becomes today.",
    )
    change_note = forms.CharField(
        label="What changed",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="One sentence for readers, e.g. “Added the 2024 trial of LDN in Crohn's "
        "disease.”",
    )
    change_public = forms.BooleanField(
        label="Visitors may read the note too",
        required=False,
        help_text="Leave it unticked when the note tells of members-only sections (the Genotype "
        "report, the Lifehacks): only members then see it.",
    )

    class Meta:
        model = Article
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean_related(self):
        related = self.cleaned_data.get("related")
        if related is not None and self.instance.pk and self.instance in related:
            raise ValidationError("An article cannot be related to itself.")
        return related

    def clean(self):
        cleaned = super().clean()
        # The sections' formset checks the whole article before publishing; topics are a
        # many-to-many field, saved after it, so it reads their number from here.
        self.instance.topic_count_pending = len(cleaned.get("topics") or [])
        if cleaned.get("substantive_change") and not (cleaned.get("change_note") or "").strip():
            self.add_error("change_note", "Say in one sentence what changed for readers.")
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
class ArticleAdmin(RevisionAdminMixin, admin.ModelAdmin):
    form = ArticleAdminForm
    inlines = [SectionInline, ReferenceInline, ArticleFindingInline]
    list_display = ["title", "status_label", "published_at", "author", "featured", "updated"]
    list_filter = ["status", "featured", "topics", "author"]
    search_fields = ["title", "slug", "description"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["topics", "related"]  # one line each, not two 300 px lists
    readonly_fields = [
        "preview_links",
        "problems",
        "created",
        "updated",
        "revised_at",
        "word_count",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "description",
                    "author",
                    "topics",
                    "key_takeaways",
                    "rsids_not_reported",
                ]
            },
        ),
        ("Review", {"fields": ["reviewed_by", "reviewed_on"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "featured", "preview_links", "problems"]},
        ),
        (
            "What changed (for readers)",
            {"fields": ["substantive_change", "change_note", "change_public"]},
        ),
        (
            "Overview image",
            {"fields": ["overview_image", "overview_image_alt"], "classes": ["collapse"]},
        ),
        ("Related articles", {"fields": ["related"], "classes": ["collapse"]}),
        (
            "Record",
            {"fields": ["created", "updated", "revised_at", "word_count"], "classes": ["collapse"]},
        ),
    ]

    class Media:
        js = ["articles/admin-preview.js"]
        css = {"all": ["css/admin-fit.css", "articles/admin.css"]}

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
        if not obj.pk:
            return "Checked when the article is saved."
        if not obj.render_problems:
            return "None: it can be published."
        return format_html(
            '<ul class="article-problems">{}</ul>',
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((_where(p), p["message"]) for p in obj.render_problems),
            ),
        )

    def _create_formsets(self, request, obj, change):
        """The sections' formset checks citations against the references being saved."""
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        references = next((f for f in formsets if f.model is Reference), None)
        for formset in formsets:
            if isinstance(formset, SectionInlineFormSet):
                formset.reference_formset = references
        return formsets, inline_instances

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
        if form.cleaned_data.get("substantive_change"):
            recorded = changes.article_change_record(
                article=article,
                note=form.cleaned_data["change_note"],
                members_only=not form.cleaned_data.get("change_public", False),
                editor=request.user,
            )
            request.article_change_note = recorded.note  # for the revision's comment
        if article.render_problems:
            messages.warning(
                request,
                "This draft cannot be published until these are fixed: "
                + "; ".join(f"{_where(p)}: {p['message']}" for p in article.render_problems),
            )

    def log_addition(self, request, obj, message):
        return self._note_in_revision(request, super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return self._note_in_revision(request, super().log_change(request, obj, message))

    def _note_in_revision(self, request, entry):
        note = getattr(request, "article_change_note", "")
        if note and reversion.is_active():
            reversion.set_comment(f"{entry.get_change_message()} Substantive: {note}")
        return entry

    def revision_restored(self, obj: Article) -> None:
        rendering.article_render(article=obj)
        changes.article_revised_at_sync(article=obj)


def _where(problem: dict) -> str:
    line = problem.get("line")
    return f"{problem['section']}, line {line}" if line else problem["section"]


@require_POST
def _markdown_preview(request: HttpRequest) -> JsonResponse:
    """A section body as a member without DNA would read it: every genotype block shown with
    its condition in words, and the problems that would block publishing."""
    body = request.POST.get("body", "")[:200_000]
    numbers = {int(n) for n in request.POST.get("references", "").split(",") if n.strip().isdigit()}
    kind = request.POST.get("kind") or Section.Kind.LIFEHACKS
    preview = rendering.section_preview(body=body, kind=kind, reference_numbers=numbers)
    html = personal_blocks.blocks_fill(
        preview.html, blocks=preview.blocks, report=None, genes=preview.genes
    )
    return JsonResponse(
        {"html": html, "missing": preview.missing_citations, "problems": preview.problems}
    )


class SectionSnpInline(admin.TabularInline):
    model = SectionSnp
    extra = 0
    ordering = ["order", "pk"]
    fields = ["order", "snp"]


class SectionAdminForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["article", "order", "heading", "anchor", "access", "kind", "teaser", "body"]
        help_texts = {"body": BODY_HELP}

    def clean(self):
        cleaned = super().clean()
        article = cleaned.get("article")
        if article is None or article.status != Article.Status.PUBLISHED:
            return cleaned
        body = cleaned.get("body", "")
        problems = section_body_problems(
            body=body,
            kind=cleaned.get("kind", Section.Kind.STANDARD),
            reference_numbers=set(article.references.values_list("number", flat=True)),
            catalogue=_catalogue_for([body]),
        )
        if problems:
            self.add_error("body", [f"{PUBLISH_REFUSED}:", *problems_text(problems)])
        return cleaned


@admin.register(Section)
class SectionAdmin(RevisionAdminMixin, admin.ModelAdmin):
    """Direct editing of one section, mainly to attach SNPs to a genotype report."""

    form = SectionAdminForm

    list_display = ["heading", "article", "order", "kind", "access"]
    list_filter = ["kind", "access"]
    search_fields = ["heading", "article__title"]
    fields = ["article", "order", "heading", "anchor", "access", "kind", "teaser", "body"]
    inlines = [SectionSnpInline]
    list_select_related = ["article"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rendering.article_render(article=form.instance.article)

    def revision_restored(self, obj: Section) -> None:
        rendering.article_render(article=obj.article)

    def delete_model(self, request, obj):
        rendering.sections_delete(sections=Section.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        rendering.sections_delete(sections=queryset)


@admin.register(ArticleChange)
class ArticleChangeAdmin(admin.ModelAdmin):
    """The "What changed" entries: recorded only by a substantive save of the article; here
    their wording can be corrected or an entry removed (the "Updated" date follows)."""

    list_display = ["date", "article", "note", "members_only", "editor"]
    list_filter = ["members_only"]
    search_fields = ["note", "article__title"]
    list_select_related = ["article", "editor"]
    fields = ["article", "date", "editor", "note", "members_only"]
    readonly_fields = ["article", "date", "editor"]

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj):
        changes.article_changes_delete(changes=ArticleChange.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        changes.article_changes_delete(changes=queryset)


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
    list_display = ["name", "slug", "credentials"]
    fields = ["name", "slug", "credentials", "bio", "photo"]
