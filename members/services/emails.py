"""Sending the site's own emails (apps above use it for theirs)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def email_send(*, to: str, template: str, context: dict) -> None:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` and send them to ``to``."""
    context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
