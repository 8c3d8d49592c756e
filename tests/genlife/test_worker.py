"""The production shape: a task travels through the real broker to a real worker process."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from members.tasks import sessions_clear_expired
from tests.utils import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_clears_expired_sessions_through_the_broker(celery_worker):
    now = timezone.now()
    Session.objects.create(
        session_key="expired" * 4, session_data="x", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(
        session_key="current" * 4, session_data="x", expire_date=now + timedelta(days=1)
    )

    sessions_clear_expired.delay()

    done = wait_until(
        lambda: not Session.objects.filter(session_key="expired" * 4).exists(),
        raise_on_timeout=False,
    )
    assert done, "the worker did not process the task:\n" + celery_worker.log()[-3000:]
    assert Session.objects.filter(session_key="current" * 4).exists()
    assert "members.tasks.sessions_clear_expired" in celery_worker.log()
