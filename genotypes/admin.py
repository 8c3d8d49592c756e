"""Admin: the SNP catalogue for editors; uploads and the audit log read-only for support.

No member genotype appears in any list or form here: results are not registered at all, and
uploads show only their status, format and counts. Every save of a SNP keeps a revision of it
with its interpretations and frequencies (who, when, a diff, restorable: genlife/revisions.py).
"""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse

from genlife.revisions import RevisionAdminMixin
from genotypes.services import backfill, deletion
from genotypes.services.audit import genetic_data_audit

from .models import (
    Gene,
    GeneticDataAuditLog,
    GenomeUpload,
    PopulationFrequency,
    Snp,
    SnpInterpretation,
)
from .selectors import GENETIC_DATA_PERMISSION


class SnpInterpretationInline(admin.StackedInline):
    """A finding without a DOI or PMID is refused unless marked Unverified (the model's
    ``clean`` says why under the evidence field; a database constraint backs it)."""

    model = SnpInterpretation
    extra = 1
    fields = ["genotype", "label", "text", "evidence", "evidence_note", "sources", "frequency"]


class PopulationFrequencyInline(admin.TabularInline):
    model = PopulationFrequency
    extra = 1
    fields = ["population", "allele", "allele_note", "measure", "frequency", "source", "release"]


@admin.register(Snp)
class SnpAdmin(RevisionAdminMixin, admin.ModelAdmin):
    list_display = [
        "rsid",
        "gene",
        "chromosome",
        "position_grch37",
        "position_grch38",
        "ref",
        "alt",
        "verified",
    ]
    list_filter = ["verified", "chromosome"]
    search_fields = ["rsid", "gene", "common_names"]
    inlines = [SnpInterpretationInline, PopulationFrequencyInline]

    class Media:
        css = {"all": ["css/admin-fit.css"]}

    fieldsets = [
        (None, {"fields": ["rsid", "gene", "common_names", "summary"]}),
        (
            "Position and alleles (plus strand)",
            {
                "fields": [
                    "chromosome",
                    "position_grch37",
                    "position_grch38",
                    "ref",
                    "alt",
                    "verified",
                ]
            },
        ),
        ("Notes", {"fields": ["notes", "frequency_note"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Members who uploaded earlier get their genotype for this SNP without re-uploading.
        backfill.snp_catalogue_changed(snp=form.instance)

    def revision_restored(self, obj: Snp) -> None:
        backfill.snp_catalogue_changed(snp=obj)


@admin.register(Gene)
class GeneAdmin(admin.ModelAdmin):
    """Genes for their public pages; a gene's SNPs are the catalogue SNPs naming its symbol."""

    list_display = ["symbol", "name"]
    search_fields = ["symbol", "name"]


class GeneticDataOnlyAdmin(admin.ModelAdmin):
    """For support staff who hold the explicit genetic-data permission, and nobody else.

    Model permissions alone are not enough: to anyone else the list is forbidden and hidden,
    and a page that names a row is a 404, as on the site itself.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.has_perm(GENETIC_DATA_PERMISSION) and super().has_module_permission(
            request
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(GENETIC_DATA_PERMISSION) and super().has_view_permission(
            request, obj
        )

    def get_object(self, request, object_id, from_field=None):
        if not request.user.has_perm(GENETIC_DATA_PERMISSION):
            raise Http404("Not found.")
        return super().get_object(request, object_id, from_field)


@admin.register(GenomeUpload)
class GenomeUploadAdmin(GeneticDataOnlyAdmin):
    list_display = ["pk", "user", "status", "format", "build", "snp_count", "created"]
    list_filter = ["status", "format", "build"]
    fields = [
        "user",
        "status",
        "progress",
        "failure_code",
        "failure_reason",
        "format",
        "build",
        "snp_count",
        "no_call_count",
        "attempts",
        "is_current",
        "keep_raw",
        "created",
        "finished_at",
    ]
    readonly_fields = fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Opening a member's upload asks why first; the reason goes to the audit row, which
        # the member reads on their activity page.
        reason = " ".join(request.GET.get("reason", "").split())[:200]
        if not reason and self.get_object(request, object_id) is not None:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Why are you opening this member's upload?",
                "error": "reason" in request.GET,
            }
            return TemplateResponse(request, "admin/genotypes/upload_reason.html", context)
        response = super().change_view(request, object_id, form_url, extra_context)
        upload = (
            GenomeUpload.objects.filter(pk=object_id).only("pk", "user_id").first()
            if response.status_code == 200
            else None
        )
        if upload is not None:  # a read of someone's upload, as on the site's status page
            genetic_data_audit(
                actor=request.user,
                subject_user_id=upload.user_id,
                action=GeneticDataAuditLog.Action.VIEWED_STATUS,
                upload_id=upload.pk,
                detail=f"in the admin; reason given: {reason}",
            )
        return response

    # Deleting here (one upload, or the bulk action) goes through the deletion service: the
    # raw file, every stored genome of the upload and its results go with the row, audited.
    def delete_model(self, request, obj):
        deletion.genome_upload_delete(
            upload_id=obj.pk, actor=request.user, detail="one upload, deleted in the admin"
        )

    def delete_queryset(self, request, queryset):
        for upload_id in list(queryset.values_list("pk", flat=True)):
            deletion.genome_upload_delete(
                upload_id=upload_id, actor=request.user, detail="one upload, deleted in the admin"
            )


@admin.register(GeneticDataAuditLog)
class GeneticDataAuditLogAdmin(GeneticDataOnlyAdmin):
    """Who uploaded, read or deleted whose genetic data: itself telling who took a DNA test."""

    list_display = ["created", "action", "subject_user_id", "actor", "upload_id"]
    list_filter = ["action"]
    readonly_fields = ["created", "action", "subject_user_id", "actor", "upload_id", "detail"]

    def has_delete_permission(self, request, obj=None):
        return False
