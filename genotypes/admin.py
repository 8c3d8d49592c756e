from django.contrib import admin

from .models import Snp, SnpInterpretation


class SnpInterpretationInline(admin.TabularInline):
    model = SnpInterpretation
    extra = 1


@admin.register(Snp)
class SnpAdmin(admin.ModelAdmin):
    list_display = ["rsid", "gene", "chromosome", "position_grch37", "verified"]
    list_filter = ["verified", "chromosome"]
    search_fields = ["rsid", "gene"]
    inlines = [SnpInterpretationInline]
