"""Celery tasks of the identity app."""

from celery import shared_task
from django.core.management import call_command


@shared_task
def sessions_clear_expired() -> None:
    """Delete expired rows from the session table (Django does not do it by itself)."""
    call_command("clearsessions")
