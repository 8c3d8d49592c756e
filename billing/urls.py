"""Joining and billing pages, under /account/ beside the identity app's account pages (the
paths are the ones Stripe's return URLs and members' bookmarks point at)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/checkout/", views.join_checkout, name="join_checkout"),
    path("join/welcome/", views.join_success, name="join_success"),
    path("join/status/", views.join_status, name="join_status"),
    path("join/cancelled/", views.join_cancel, name="join_cancel"),
    path("billing/", views.billing_portal, name="billing_portal"),
    path("billing/card/", views.fix_card, name="fix_card"),
]
