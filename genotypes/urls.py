from django.urls import path

from . import views

app_name = "genotypes"

urlpatterns = [
    path("", views.index, name="index"),
]
