"""The production shape: the beat task travels through the real broker to a real worker process,
which makes the issue, lists the recipients and sends the batch; the batch sent again through
the broker (a redelivery) sends nothing more."""

import email
import email.policy
import re

import pytest
from django.utils import timezone

from newsletter.models import Delivery, Issue, Subscription
from newsletter.tasks import newsletter_batch_send, newsletter_issues_due
from tests.conftest import WorkerProcess
from tests.factories import MemberFactory, UserFactory
from tests.utils import wait_until

from .conftest import LIFEHACK_TEXT, PUBLIC_TEXT, REPORT_TEXT, make_article

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mail_worker(tmp_path, django_db_blocker):
    """A worker whose email goes to files, so the test reads what it sent."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = WorkerProcess(tmp_path / "worker.log", env={"EMAIL_URL": f"filemail:///{mail_dir}"})
    worker.start()
    yield worker, mail_dir
    worker.stop()


def _sent_mail(mail_dir) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(mail_dir.iterdir()))


def test_worker_sends_each_version_once_through_the_broker(mail_worker):
    worker, mail_dir = mail_worker
    article = make_article(title="Naltrexone through the worker", slug="naltrexone-worker")
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
    sent_before = _sent_mail(mail_dir)
    newsletter_batch_send.delay(issue.pk, ids)

    def batches_run() -> int:
        return len(re.findall(r"newsletter_batch_send\[[^\]]+\] succeeded", worker.log())) >= 2

    assert wait_until(batches_run, timeout=120, raise_on_timeout=False), worker.log()[-3000:]
    assert _sent_mail(mail_dir) == sent_before

    messages = [
        email.message_from_string(raw, policy=email.policy.default)
        for raw in re.split(r"\n-{79}\n", sent_before)
        if "Subject:" in raw
    ]
    assert len(messages) == 2
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
