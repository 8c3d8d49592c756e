from django.urls import path

from . import views

app_name = "genotypes"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("sample-genome.txt", views.sample_file, name="sample_file"),
    path("uploads/<uuid:upload_id>/", views.upload_status, name="upload_status"),
    path(
        "uploads/<uuid:upload_id>/status.json", views.upload_status_json, name="upload_status_json"
    ),
    path("uploads/<uuid:upload_id>/remove/", views.upload_remove, name="upload_remove"),
    path("uploads/<uuid:upload_id>/use/", views.upload_make_current, name="upload_make_current"),
    path("evidence/", views.evidence_scale, name="evidence"),
    path("snps/<str:rsid>/", views.snp_detail, name="snp_detail"),
    path("genes/<str:symbol>/", views.gene_detail, name="gene_detail"),
    path("lookup/", views.lookup, name="lookup"),
    path("activity/", views.activity, name="activity"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
]
