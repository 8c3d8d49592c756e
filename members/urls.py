from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.account, name="account"),
    path("delete/", views.account_delete, name="account_delete"),
]
