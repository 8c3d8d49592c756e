"""Sending: when an issue is made, who gets it, batches, retries and the no-double-send rule."""

import datetime as dt
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from articles.models import Article
from billing.models import Membership
from newsletter.models import Delivery, Issue, Subscription
from newsletter.services import sending
from newsletter.tasks import newsletter_batch_send
from tests.factories import MemberFactory, UserFactory

from .conftest import LIFEHACK_TEXT, PUBLIC_TEXT, make_article, subscribe

pytestmark = pytest.mark.django_db


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_published_article_is_mailed_once_to_each_subscriber(article, run_newsletter):
    members = [subscribe(MemberFactory()) for _ in range(2)]
    reader = subscribe(UserFactory())
    MemberFactory()  # never opted in
    Subscription.objects.create(user=UserFactory(), subscribed=False)  # opted out

    assert run_newsletter() == 1
    assert _recipients() == sorted(user.email for user in [*members, reader])
    issue = Issue.objects.get(article=article)
    assert issue.finished_at is not None
    assert set(issue.deliveries.values_list("status", flat=True)) == {"sent"}

    # The next sweeps find the issue made: nobody hears of the article twice.
    assert run_newsletter() == 0
    assert run_newsletter(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 3


def test_a_scheduled_article_is_mailed_when_its_time_comes(run_newsletter, monkeypatch):
    subscribe(MemberFactory())
    later = timezone.now() + dt.timedelta(hours=2)
    scheduled = make_article(published_at=later)

    assert run_newsletter() == 0 and mail.outbox == []
    assert not Issue.objects.exists()

    # The clock reaches the publishing time: the next sweep mails it.
    monkeypatch.setattr(timezone, "now", lambda: later + dt.timedelta(seconds=30))
    assert run_newsletter() == 1
    assert Issue.objects.get().article == scheduled
    assert len(mail.outbox) == 1 and scheduled.title in mail.outbox[0].subject


def test_drafts_and_the_back_catalogue_are_never_mailed(run_newsletter, settings):
    subscribe(MemberFactory())
    make_article(status=Article.Status.DRAFT, published_at=None)
    make_article(
        published_at=timezone.now() - dt.timedelta(hours=settings.NEWSLETTER_MAX_AGE_HOURS + 1)
    )
    assert run_newsletter() == 0
    assert mail.outbox == [] and not Issue.objects.exists()


def test_recipients_are_sent_in_batches_of_the_configured_size(
    article, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_BATCH_SIZE = 2
    users = [subscribe(UserFactory()) for _ in range(5)]
    with django_capture_on_commit_callbacks() as queued:
        sending.newsletter_issues_due()
    issue = Issue.objects.get()
    with django_capture_on_commit_callbacks() as batches:
        assert sending.newsletter_issue_send(issue_id=issue.pk) == 3
    assert len(queued) == 1 and len(batches) == 3
    assert issue.deliveries.count() == 5 and mail.outbox == []

    ids = list(issue.deliveries.order_by("pk").values_list("pk", flat=True))
    sizes = [
        sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids[i : i + 2])
        for i in range(0, 5, 2)
    ]
    assert sizes == [2, 2, 1]
    assert _recipients() == sorted(user.email for user in users)


def test_running_a_batch_task_twice_sends_each_email_once(article, run_newsletter, settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    users = [subscribe(UserFactory()) for _ in range(3)]
    run_newsletter()
    issue = Issue.objects.get()
    ids = list(issue.deliveries.values_list("pk", flat=True))

    # The broker redelivers the batch (a lost acknowledgement), and the sweeper queues it again.
    assert newsletter_batch_send.apply(args=[issue.pk, ids]).get() == 0
    assert sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids) == 0
    assert _recipients() == sorted(user.email for user in users)


class FailsOnThirdMessage(EmailBackend):
    """The mail server drops the connection at the third email of this backend's life."""

    calls = 0

    def send_messages(self, messages):
        FailsOnThirdMessage.calls += len(messages)
        if FailsOnThirdMessage.calls == 3:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_retry_after_a_partial_batch_sends_only_to_the_rest(article, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnThirdMessage"
    FailsOnThirdMessage.calls = 0
    users = [subscribe(UserFactory()) for _ in range(5)]
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    ids = list(issue.deliveries.order_by("pk").values_list("pk", flat=True))

    with pytest.raises(SMTPServerDisconnected):  # the task's autoretry catches this
        sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
    assert _recipients() == sorted(user.email for user in users[:2])
    failed = Delivery.objects.get(pk=ids[2])
    assert failed.status == "pending" and failed.attempts == 1
    assert "Connection unexpectedly closed" in failed.error

    # The retry: the same task, the same ids.
    assert sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids) == 3
    assert _recipients() == sorted(user.email for user in users)
    assert Delivery.objects.get(pk=ids[2]).attempts == 2
    assert Issue.objects.get().finished_at is not None


def test_a_crash_after_the_send_never_leads_to_a_second_email(article, monkeypatch):
    """The worker dies after the mail server took the email but before the row says SENT:
    the row stays SENDING (outcome unknown) and no retry sends it again."""
    user = subscribe(UserFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    ids = list(issue.deliveries.values_list("pk", flat=True))

    class WorkerKilled(BaseException):
        pass

    real_send = EmailBackend.send_messages

    def send_then_die(self, messages):
        real_send(self, messages)
        raise WorkerKilled

    monkeypatch.setattr(EmailBackend, "send_messages", send_then_die)
    with pytest.raises(WorkerKilled):
        sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
    monkeypatch.undo()
    assert Delivery.objects.get().status == "sending"

    sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
    sending.newsletter_issues_due(now=timezone.now() + dt.timedelta(hours=1))
    assert _recipients() == [user.email]


def test_a_recipient_is_marked_failed_after_the_last_attempt(article, settings, monkeypatch):
    settings.NEWSLETTER_MAX_ATTEMPTS = 2
    subscribe(UserFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    ids = list(issue.deliveries.values_list("pk", flat=True))

    def refuse(self, messages):
        raise SMTPServerDisconnected("refused")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    for _ in range(3):
        try:
            sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
        except SMTPServerDisconnected:
            pass
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_lost_batches_are_queued_again_by_the_sweeper(
    article, settings, django_capture_on_commit_callbacks
):
    subscribe(UserFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)  # its batch never reached a worker
    soon = timezone.now() + dt.timedelta(seconds=10)
    with django_capture_on_commit_callbacks() as queued:
        sending.newsletter_issues_due(now=soon)
    assert queued == []  # still fresh: a worker may be on it
    later = timezone.now() + dt.timedelta(seconds=settings.NEWSLETTER_REQUEUE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        sending.newsletter_issues_due(now=later)
    assert len(queued) == 1


def test_who_unsubscribed_after_the_listing_is_skipped(article, django_capture_on_commit_callbacks):
    stays, leaves = subscribe(UserFactory()), subscribe(UserFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    Subscription.objects.filter(user=leaves).update(subscribed=False)

    ids = list(issue.deliveries.values_list("pk", flat=True))
    sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
    assert _recipients() == [stays.email]
    assert Delivery.objects.get(user=leaves).status == "skipped"


def test_an_article_unpublished_before_its_batch_is_not_sent(article):
    subscribe(UserFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)

    ids = list(issue.deliveries.values_list("pk", flat=True))
    assert sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids) == 0
    assert mail.outbox == [] and Delivery.objects.get().status == "skipped"


def test_the_version_is_decided_when_the_email_is_sent(article):
    """A member whose membership ended between the listing and the send gets the visitors'."""
    lapsed = subscribe(MemberFactory())
    sending.newsletter_issues_due()
    issue = Issue.objects.get()
    sending.newsletter_issue_send(issue_id=issue.pk)
    Membership.objects.filter(user=lapsed).update(status=Membership.Status.CANCELED)

    ids = list(issue.deliveries.values_list("pk", flat=True))
    sending.newsletter_batch_send(issue_id=issue.pk, delivery_ids=ids)
    (message,) = mail.outbox
    assert PUBLIC_TEXT in message.body and LIFEHACK_TEXT not in message.body
    assert Delivery.objects.get().access == "public"
