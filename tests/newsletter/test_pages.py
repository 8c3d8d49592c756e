"""What a reader meets: the account panel, opting in and out, the one-click unsubscribe; and what
an editor meets in the admin: previews and the test send."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from genlife.unsubscribe import unsubscribe_token
from newsletter.models import Delivery, Issue, Subscription
from tests.factories import MemberFactory, StaffFactory, UserFactory, sign_in_with_two_factor

from .conftest import LIFEHACK_TEXT, PUBLIC_TEXT, REPORT_TEXT, subscribe

pytestmark = pytest.mark.django_db


def _is_subscribed(user) -> bool:
    return Subscription.objects.filter(user=user, subscribed=True).exists()


# --- Account panel ----------------------------------------------------------------------------


def test_account_page_offers_the_newsletter_and_opting_in_and_out_works(client):
    user = MemberFactory()
    client.force_login(user)
    page = client.get(reverse("members:account")).content.decode()
    assert 'id="newsletter-heading"' in page and "Get the newsletter" in page
    assert "members' sections too" in page

    response = client.post(reverse("newsletter:subscription"), {"subscribed": "yes"}, follow=True)
    assert _is_subscribed(user)
    page = response.content.decode()
    assert "You will get an email when a new article is published." in page
    assert 'value="no" class="button button--secondary">Unsubscribe</button>' in page

    client.post(reverse("newsletter:subscription"), {"subscribed": "no"})
    assert not _is_subscribed(user)


def test_a_non_member_is_told_they_get_the_version_open_to_everyone(client):
    client.force_login(UserFactory())
    page = client.get(reverse("members:account")).content.decode()
    assert "You get the sections open to everyone" in page


def test_opting_in_needs_a_clear_choice_and_a_signed_in_reader(client):
    response = client.post(reverse("newsletter:subscription"), {"subscribed": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("newsletter:subscription"), {"subscribed": "maybe"}, follow=True)
    assert "Choose whether you want the newsletter" in response.content.decode()
    assert not Subscription.objects.filter(user=user).exists()
    assert client.get(reverse("newsletter:subscription")).status_code == 405


# --- One-click unsubscribe --------------------------------------------------------------------


def _unsubscribe_path(message) -> str:
    """The path of the link in the email's List-Unsubscribe header."""
    return (
        message.extra_headers["List-Unsubscribe"]
        .strip("<>")
        .removeprefix("https://genlife.example")
    )


@pytest.fixture
def delivered(article, run_newsletter):
    user = subscribe(UserFactory())
    run_newsletter()
    (message,) = mail.outbox
    return user, message


def test_every_email_carries_rfc_8058_unsubscribe_headers(delivered):
    user, message = delivered
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https://genlife\.example/newsletter/unsubscribe/[^>]+/)>", header)
    assert url, header
    assert url.group(1) in message.body and url.group(1) in message.alternatives[0][0]
    # The headers survive into the message as sent.
    sent = message.message()
    assert sent["List-Unsubscribe"] == header
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_links_in_the_email_are_full_addresses(delivered):
    _, message = delivered
    html = message.alternatives[0][0]
    assert 'href="https://genlife.example/articles/naltrexone-and-genes/#ref-1"' in html
    assert not re.search(r'href="(?!https://genlife\.example/)', html)


def test_a_mail_clients_one_click_post_unsubscribes_without_cookies_or_csrf(delivered):
    user, message = delivered
    path = _unsubscribe_path(message)
    mail_client = Client(enforce_csrf_checks=True)  # no session, no CSRF token: a mail provider
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not _is_subscribed(user)
    # Twice is still fine.
    assert (
        mail_client.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )


def test_opening_the_link_asks_first_and_the_button_unsubscribes(delivered):
    user, message = delivered
    path = _unsubscribe_path(message)
    page = Client().get(path)
    assert page.status_code == 200 and _is_subscribed(user)  # link checkers change nothing
    html = page.content.decode()
    assert "<h1>Unsubscribe from the newsletter</h1>" in html and f'action="{path}"' in html
    Client().post(path)
    assert not _is_subscribed(user)


def test_an_unsubscribed_reader_gets_no_further_issue(delivered, run_newsletter):
    from .conftest import make_article

    user, message = delivered
    path = _unsubscribe_path(message)
    Client().post(path)
    make_article()
    run_newsletter()
    assert len(mail.outbox) == 1 and Issue.objects.count() == 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: token.replace(token.split(":")[0], "eyJ1Ijo5OTl9"),  # another user id
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_a_tampered_unsubscribe_token_is_refused(client, tamper):
    user = subscribe(UserFactory())
    other = subscribe(UserFactory())
    token = tamper(unsubscribe_token(list_name="newsletter", user_id=user.pk))
    path = reverse("newsletter:unsubscribe", kwargs={"token": token})
    for response in (client.get(path), client.post(path, {"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert _is_subscribed(user) and _is_subscribed(other)


def test_a_token_from_another_signing_purpose_is_refused(client):
    from django.core import signing

    user = subscribe(UserFactory())
    forged = signing.dumps({"l": "newsletter", "u": user.pk}, salt="articles.preview")
    response = client.post(reverse("newsletter:unsubscribe", kwargs={"token": forged}))
    assert response.status_code == 400 and _is_subscribed(user)


def test_a_token_for_another_list_is_refused(client):
    user = subscribe(UserFactory())
    digest_token = unsubscribe_token(list_name="digest", user_id=user.pk)
    response = client.post(reverse("newsletter:unsubscribe", kwargs={"token": digest_token}))
    assert response.status_code == 400 and _is_subscribed(user)


# --- Admin: previews and test send ------------------------------------------------------------


@pytest.fixture
def editor(client):
    user = StaffFactory(is_superuser=True, email="editor@genlife.example")
    sign_in_with_two_factor(client, user)
    return user


def test_admin_lists_articles_with_preview_and_test_send(article, client, editor):
    page = client.get(reverse("admin:newsletter_preview_list")).content.decode()
    assert article.title in page
    assert reverse("admin:newsletter_preview", args=[article.pk, "members"]) in page
    assert reverse("admin:newsletter_test_send", args=[article.pk]) in page
    changelist = client.get(reverse("admin:newsletter_issue_changelist")).content.decode()
    assert reverse("admin:newsletter_preview_list") in changelist


def test_admin_preview_shows_each_version_with_its_headers(article, client, editor):
    members = client.get(reverse("admin:newsletter_preview", args=[article.pk, "members"]))
    visitors = client.get(reverse("admin:newsletter_preview", args=[article.pk, "visitors"]))
    members, visitors = members.content.decode(), visitors.content.decode()
    assert REPORT_TEXT in members and LIFEHACK_TEXT in members
    assert REPORT_TEXT not in visitors and LIFEHACK_TEXT not in visitors
    assert PUBLIC_TEXT in visitors and "Members read this section" in visitors
    assert "List-Unsubscribe-Post" in visitors and "List-Unsubscribe=One-Click" in visitors
    html = client.get(reverse("admin:newsletter_preview_html", args=[article.pk, "visitors"]))
    assert (
        html.content.decode().startswith("<!doctype html>") and PUBLIC_TEXT in html.content.decode()
    )
    assert (
        client.get(reverse("admin:newsletter_preview", args=[article.pk, "all"])).status_code == 404
    )


def test_admin_test_send_goes_to_the_editor_only_and_is_not_a_delivery(
    article, client, editor, eager_tasks, django_capture_on_commit_callbacks
):
    subscribe(MemberFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:newsletter_test_send", args=[article.pk]),
            {"version": "visitors"},
            follow=True,
        )
    assert "is on its way to editor@genlife.example" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["editor@genlife.example"]
    assert message.subject.startswith("[Test: visitors]")
    assert PUBLIC_TEXT in message.body and REPORT_TEXT not in message.body
    assert not Issue.objects.exists() and not Delivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:newsletter_test_send", args=[article.pk]), {"version": "members"}
        )
    assert mail.outbox[-1].subject.startswith("[Test: members]")
    assert REPORT_TEXT in mail.outbox[-1].body


def test_admin_test_send_refuses_an_unknown_version(article, client, editor):
    response = client.post(
        reverse("admin:newsletter_test_send", args=[article.pk]),
        {"version": "everyone"},
        follow=True,
    )
    assert "Choose an article and a version" in response.content.decode()
    assert mail.outbox == []


def test_staff_without_the_newsletter_permission_cannot_preview(article, client):
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:newsletter_preview", args=[article.pk, "members"])
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_issue"))
    assert client.get(url).status_code == 200
