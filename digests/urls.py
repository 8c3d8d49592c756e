from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [
    path("preference/", views.preference, name="preference"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
