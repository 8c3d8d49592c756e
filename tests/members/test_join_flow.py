"""The whole journey over HTTP against devstripe: sign up, pay, read, cancel, lapse."""

import re
import urllib.parse
import urllib.request

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import Membership
from billing.selectors import is_member
from tests.stripe_events import deliver, press, subscription_change
from tests.utils import wait_until

from .helpers import SECRET, membership_of


def page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def local(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def gated_section_visible(client, user, article) -> bool:
    """The members-only section as the article page shows it, and the gate it asks."""
    shown = SECRET in client.get(article.get_absolute_url()).content.decode()
    assert shown == is_member(user)
    return shown


@pytest.mark.django_db(transaction=True)
def test_join_pay_read_cancel_and_lapse(
    client, live_server, stripe_settings, plans, eager_tasks, gated_article
):
    fake = stripe_settings
    fake.webhook_url = live_server.url + "/stripe/webhook/"  # devstripe sends them, like Stripe

    # a visitor picks a plan on the join page, signs up, then confirms the address
    join_page = client.get(reverse("billing:join")).content.decode()
    signup_url = re.search(r'href="(/accounts/signup/\?next=[^"]+plan%3Dmonthly)"', join_page)
    assert signup_url, join_page
    response = client.post(
        signup_url.group(1).replace("&amp;", "&"),
        {
            "email": "Ada@Example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    confirm = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mail.outbox[-1].body)
    assert confirm, mail.outbox[-1].body
    key_path = local(confirm.group(0))
    assert client.get(key_path).status_code == 200
    response = client.post(key_path)
    assert response.status_code == 302
    assert response.url == reverse("billing:join") + "?plan=monthly"  # back to the chosen plan
    from members.models import User

    user = User.objects.get(email="ada@example.com")
    assert user.emailaddress_set.get().verified
    assert not gated_section_visible(client, user, gated_article)

    # choose a plan; the site sends us to Stripe Checkout
    response = client.post(reverse("billing:join_checkout"), {"plan": "monthly"})
    assert response.status_code == 302 and response.url.startswith(fake.base_url + "/checkout/")
    checkout_page = page(response.url)
    assert "Pay</button>" in checkout_page and "€6.00" in checkout_page
    success = press(response.url, {"card": "4242 4242 4242 4242"})
    assert local(success).startswith(reverse("billing:join_success") + "?session_id=cs_")

    # the success page waits for the webhook, then says welcome
    success_page = client.get(local(success))
    assert success_page.status_code == 200
    wait_until(
        lambda: client.get(reverse("billing:join_status")).json()["member"],
        timeout=30,
        message="the webhook never activated the membership",
    )
    assert "Welcome to" in client.get(local(success)).content.decode()
    membership = membership_of(user)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.plan == plans["monthly"]
    assert gated_section_visible(client, User.objects.get(pk=user.pk), gated_article)
    assert any("Welcome" in m.subject for m in mail.outbox)

    # the account page shows the plan and its renewal, and opens the billing portal
    account = client.get(reverse("members:account")).content.decode()
    assert "<dt>Renews</dt>" in account and "Manage billing" in account
    response = client.post(reverse("billing:billing_portal"))
    assert response.status_code == 302 and response.url.startswith(fake.base_url + "/portal/")
    assert "Cancel subscription" in page(response.url)
    sub_id = membership.stripe_subscription_id
    back = press(response.url + "/cancel", {"subscription": sub_id})
    assert local(back) == reverse("members:account")
    wait_until(
        lambda: membership_of(user).cancel_at_period_end,
        timeout=30,
        message="the cancellation never reached the membership",
    )
    end = membership_of(user).current_period_end
    account = client.get(reverse("members:account")).content.decode()
    assert f'<dt>Ends</dt><dd id="membership-date">{end.day} {end:%B %Y}; you keep' in account
    # paid until the end of the period
    assert gated_section_visible(client, User.objects.get(pk=user.pk), gated_article)

    # the period ends: Stripe cancels the subscription and the gate closes
    ended = subscription_change(fake, sub_id, status="canceled")
    assert deliver(live_server.url + "/stripe/webhook/", ended) == [200]
    wait_until(
        lambda: membership_of(user).status == Membership.Status.CANCELED,
        timeout=30,
        message="the period end never reached the membership",
    )
    assert not gated_section_visible(client, User.objects.get(pk=user.pk), gated_article)
    assert not client.get(reverse("billing:join_status")).json()["member"]
    assert "<dt>Ended</dt>" in client.get(reverse("members:account")).content.decode()
