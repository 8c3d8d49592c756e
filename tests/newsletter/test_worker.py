"""The production shape: the beat task travels through the real broker to a real worker process,
which makes the issue, lists the recipients and sends the batch; the batch sent again through
the broker (a redelivery) sends nothing more."""

import re

import pytest
from django.utils import timezone

from newsletter.models import Delivery, Issue, Subscription
from newsletter.tasks import newsletter_batch_send, newsletter_issues_due
from tests.conftest import worker_mail_messages
from tests.factories import MemberFactory, UserFactory
from tests.utils import wait_until

from .conftest import LIFEHACK_TEXT, PUBLIC_TEXT, REPORT_TEXT, make_article

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


TITLE = "Naltrexone through the worker"


def _sent():
    """This test's emails among everything the session's workers have sent."""
    return [m for m in worker_mail_messages() if TITLE in m["Subject"]]


def test_worker_sends_each_version_once_through_the_broker(celery_worker):
    worker = celery_worker
    log_start = len(worker.log())  # the session's worker: earlier tests' lines
    article = make_article(title=TITLE, slug="naltrexone-worker")
    member = MemberFactory(email="member@example.com")
    reader = UserFactory(email="reader@example.com")
    for user in (member, reader):
        Subscription.objects.create(user=user, subscribed=True)

    newsletter_issues_due.delay()

    def all_sent() -> bool:
        return Delivery.objects.filter(status="sent").count() == 2

    done = wait_until(all_sent, timeout=120, raise_on_timeout=False)
    assert done, "the worker did not send the newsletter:\n" + worker.log()[-3000:]
    issue = Issue.objects.get(article=article)
    assert wait_until(lambda: Issue.objects.get(pk=issue.pk).finished_at, timeout=60)
    accesses = dict(Delivery.objects.values_list("user__email", "access"))
    assert accesses == {"member@example.com": "members", "reader@example.com": "public"}

    # The broker hands the same batch to a worker again: nothing more is sent.
    ids = list(issue.deliveries.values_list("pk", flat=True))
    messages = _sent()
    newsletter_batch_send.delay(issue.pk, ids)

    def batches_run() -> bool:
        log = worker.log()[log_start:]
        return len(re.findall(r"newsletter_batch_send\[[^\]]+\] succeeded", log)) >= 2

    assert wait_until(batches_run, timeout=120, raise_on_timeout=False), worker.log()[-3000:]
    assert len(_sent()) == len(messages) == 2
    by_recipient = {}
    for message in messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(
            r"<http[^>]+/newsletter/unsubscribe/[^>]+/>", message["List-Unsubscribe"].strip()
        )
        parts = [part.get_content() for part in message.iter_parts()]
        by_recipient[message["To"]] = "\n".join(parts)
        assert all(PUBLIC_TEXT in part for part in parts), message["To"]
    assert REPORT_TEXT in by_recipient["member@example.com"]
    assert LIFEHACK_TEXT in by_recipient["member@example.com"]
    assert REPORT_TEXT not in by_recipient["reader@example.com"]
    assert LIFEHACK_TEXT not in by_recipient["reader@example.com"]
    assert Delivery.objects.filter(sent_at__lte=timezone.now()).count() == 2
