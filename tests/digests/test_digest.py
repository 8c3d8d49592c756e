"""The weekly new-findings digest, run as the worker runs it (the Celery task, eagerly here and
once through a real worker): who gets it, who does not, what it may say, and never twice in a
week."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from digests import services, tasks
from digests.models import DigestSubscription
from genlife.unsubscribe import unsubscribe_token
from genotypes.models import GeneticDataAuditLog, Snp
from genotypes.selectors import activity_entry_from
from tests.articles.insight_factories import (
    LATER_FINDING,
    LATER_GENE,
    LATER_RSID,
    later_snp_added,
    processed_upload,
    report_article,
)
from tests.factories import MemberFactory, UserFactory
from tests.genotypes.factories import demo_catalogue

pytestmark = pytest.mark.django_db

HAS_LATER = {"rs1799971": "AG", "rs4680": "GG", LATER_RSID: "AG"}
LACKS_LATER = {"rs1799971": "AG", "rs4680": "GG"}


@pytest.fixture
def catalogue():
    catalogue = demo_catalogue()
    report_article("Opioids and pain", "opioids-and-pain", [catalogue["rs1799971"]])
    return catalogue


def _member(include=HAS_LATER, factory=MemberFactory):
    member = factory()
    processed_upload(member, include=include)
    return member


def _later_article():
    """The article that brings the later SNP: published after the members' files were read."""
    return report_article(
        "Clearing medicines faster",
        "clearing-medicines-faster",
        [Snp.objects.get(rsid=LATER_RSID)],
        published_at=timezone.now(),
    )


def _run_weekly(eager_tasks):
    return tasks.digests_send_weekly.delay().get()


def _sent_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def _forbidden_words(catalogue) -> list[str]:
    """What no digest may hold: variants, genes, genotypes' findings and labels."""
    words = [LATER_RSID, LATER_GENE, LATER_FINDING, "Notable", "Typical", "rs1799971", "OPRM1"]
    words += [snp.gene for snp in catalogue.values() if snp.gene]
    return words


def _assert_says_no_genetics(message, catalogue):
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        for word in _forbidden_words(catalogue):
            assert word not in text, word
        # No genotype: two allele letters standing alone (AG, GG, AA...) or a no-call.
        assert not re.search(r"\b[ACGT]{2}\b|--", re.sub(r"https?://\S+", "", text)), text


def test_a_member_with_a_call_for_the_new_snp_gets_counts_and_titles_only(catalogue, eager_tasks):
    member = _member()
    later_snp_added()
    _later_article()
    assert _run_weekly(eager_tasks) == 1
    (message,) = _sent_to(member)
    assert message.subject == "New results for you at genlife"
    assert "You have new results at genlife:" in message.body
    assert "1 new result from variants we added" in message.body
    assert "1 newly published article with results for you" in message.body
    assert "- Clearing medicines faster" in message.body
    assert "Opioids and pain" not in message.body  # nothing new there for this member
    html = message.alternatives[0][0]
    assert "<li>Clearing medicines faster</li>" in html
    highlights = "/genetics/highlights/"
    assert highlights in message.body and f'{highlights}">your highlights page</a>' in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/digests/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    _assert_says_no_genetics(message, catalogue)
    # The worker's read of the results is in the member's audit log, as every read is, and
    # says it only counted them.
    (row,) = GeneticDataAuditLog.objects.filter(
        actor=None,
        subject_user_id=member.pk,
        action=GeneticDataAuditLog.Action.COUNTED_FOR_DIGEST,
    )
    entry = activity_entry_from(row, owner_id=member.pk)
    assert entry.what.startswith("Your results were counted for the weekly new-results email")
    assert entry.who == "genlife (automatically)"
    assert not GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=GeneticDataAuditLog.Action.VIEWED_RESULTS
    ).exists()


def test_no_digest_without_a_call_when_opted_out_lapsed_or_without_dna(catalogue, eager_tasks):
    no_call = _member(include=LACKS_LATER)
    opted_out = _member()
    services.digest_opt_out_set(user=opted_out, opted_out=True)
    lapsed = _member()
    Membership.objects.filter(user=lapsed).update(status=Membership.Status.CANCELED)
    never_member = _member(factory=UserFactory)
    no_dna = MemberFactory()
    with_call = _member()
    later_snp_added()
    _run_weekly(eager_tasks)
    assert [m.to for m in mail.outbox] == [[with_call.email]]
    for user in (no_call, opted_out, lapsed, never_member, no_dna):
        assert not _sent_to(user)
    # Lapsed and never-members' results were not even read.
    for user in (lapsed, never_member):
        assert not GeneticDataAuditLog.objects.filter(
            subject_user_id=user.pk, action="viewed_results"
        ).exists()


def test_what_a_member_had_when_their_file_was_read_is_no_news(catalogue, eager_tasks):
    _member()
    _run_weekly(eager_tasks)
    assert mail.outbox == []


def test_a_retried_or_doubled_task_never_sends_twice_in_a_week(catalogue, eager_tasks):
    member = _member()
    later_snp_added()
    assert tasks.digest_send.delay(member.pk).get() is True
    assert tasks.digest_send.delay(member.pk).get() is False  # a retry, a redelivery
    _run_weekly(eager_tasks)  # and beat firing again
    assert len(_sent_to(member)) == 1
    # More news the same week waits for next week's digest, then is sent once.
    _later_article()
    _run_weekly(eager_tasks)
    assert len(_sent_to(member)) == 1
    next_week = timezone.now() + dt.timedelta(days=7)
    assert services.digest_send(user_id=member.pk, now=next_week) is True
    assert services.digest_send(user_id=member.pk, now=next_week) is False
    assert len(_sent_to(member)) == 2
    assert "1 newly published article" in mail.outbox[-1].body
    assert "from variants we added" not in mail.outbox[-1].body  # told last week


def test_a_failed_send_gives_the_week_back_and_the_retry_sends_once(catalogue, eager_tasks):
    member = _member()
    later_snp_added()
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("mail server down")
    ):
        with pytest.raises(OSError):
            services.digest_send(user_id=member.pk)
    assert DigestSubscription.objects.get(user=member).sent_week is None
    assert services.digest_send(user_id=member.pk) is True
    assert services.digest_send(user_id=member.pk) is False
    assert len(_sent_to(member)) == 1
    assert "1 new result" in mail.outbox[0].body


def test_the_account_page_turns_the_digest_off_and_on(client, catalogue, eager_tasks):
    member = _member()
    client.force_login(member)
    html = client.get(reverse("members:account")).content.decode()
    assert "Emails about new results" in html
    assert 'name="digest" value="off" class="button button--secondary">Unsubscribe<' in html
    response = client.post(reverse("digests:preference"), {"digest": "off"}, follow=True)
    assert "no longer email you" in response.content.decode()
    assert 'name="digest" value="on" class="button">Get these emails<' in response.content.decode()
    later_snp_added()
    _run_weekly(eager_tasks)
    assert mail.outbox == []
    client.post(reverse("digests:preference"), {"digest": "on"})
    _run_weekly(eager_tasks)
    assert len(_sent_to(member)) == 1


def test_the_account_page_offers_the_digest_to_members_only(client, db):
    client.force_login(UserFactory())
    html = client.get(reverse("members:account")).content.decode()
    assert "Emails about new results" not in html and "Newsletter" in html


def test_the_account_page_explains_a_missing_choice(client, db):
    client.force_login(MemberFactory())
    response = client.post(reverse("digests:preference"), {}, follow=True)
    assert "Choose whether to receive the new-findings email." in response.content.decode()


def test_the_unsubscribe_link_asks_then_stops_the_digest_in_one_click(client, catalogue):
    member = _member()
    later_snp_added()
    services.digest_send(user_id=member.pk)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://testserver").split("://", 1)[-1]
    path = path[path.index("/digests/") :]
    page = client.get(path)  # a link scanner opening it changes nothing
    assert page.status_code == 200
    assert "<h1>Unsubscribe from the new-results email</h1>" in page.content.decode()
    assert not DigestSubscription.objects.get(user=member).opted_out
    done = client.post(path, {"List-Unsubscribe": "One-Click"})  # no session, no CSRF token
    assert done.status_code == 200 and "no longer email you" in done.content.decode()
    assert DigestSubscription.objects.get(user=member).opted_out


def test_an_altered_unsubscribe_link_says_so(client, db):
    member = MemberFactory()
    token = unsubscribe_token(list_name=services.LIST_NAME, user_id=member.pk)
    for altered in (
        token[:-2] + "xx",
        unsubscribe_token(list_name="newsletter", user_id=member.pk),
    ):
        response = client.post(reverse("digests:unsubscribe", args=[altered]))
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert not DigestSubscription.objects.filter(user=member, opted_out=True).exists()


def test_the_weekly_digest_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["digests-send-weekly"]
    assert entry["task"] == tasks.digests_send_weekly.name
    assert entry["schedule"].day_of_week == {1}  # Mondays
