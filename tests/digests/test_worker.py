"""The weekly digest through the real broker and a real worker process."""

import re

import pytest

from digests import tasks
from digests.models import DigestSubscription
from tests.articles.insight_factories import LATER_GENE, LATER_RSID, later_snp_added
from tests.conftest import worker_mail_messages
from tests.digests.test_digest import HAS_LATER, _member
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

SUCCEEDED = re.compile(r"digests\.tasks\.digest_send\[[^\]]+\] succeeded")
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _digest_to(address):
    return next((m for m in worker_mail_messages() if m["To"] == address), None)


def test_beat_task_runs_in_a_real_worker_and_sends_one_digest(celery_worker):
    log_start = len(celery_worker.log())  # the session's worker: earlier tests' lines
    demo_catalogue()
    member = _member(include=HAS_LATER)
    later_snp_added()
    tasks.digests_send_weekly.delay()
    tasks.digests_send_weekly.delay()  # beat firing twice (a restart) still sends one
    message = wait_until(lambda: _digest_to(member.email), timeout=120, raise_on_timeout=False)
    assert message, "the worker sent no digest:\n" + celery_worker.log()[-4000:]
    wait_until(
        lambda: len(SUCCEEDED.findall(celery_worker.log()[log_start:])) >= 2,
        timeout=120,
        message="the worker did not run both digest tasks (the weekly task was sent twice)",
    )
    assert sum(1 for m in worker_mail_messages() if m["To"] == member.email) == 1
    assert DigestSubscription.objects.get(user=member).sent_week is not None
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (text, html, message["Subject"]):
        assert LATER_RSID not in part and LATER_GENE not in part
    assert "1 new result" in text and "1 new result" in html
