from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [
    path("account/digest/", views.preference, name="preference"),
    path("digest/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
