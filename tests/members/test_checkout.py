"""Starting a checkout: who may, what Stripe is asked for, and what happens when it fails."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.models import Membership
from tests.factories import MemberFactory, UserFactory
from tests.stripe_events import pay

from .helpers import membership_of

CHECKOUT = "/account/join/checkout/"


def sessions(fake) -> list[dict]:
    return list(fake.account.checkout_sessions.values())


def test_checkout_url_is_stable():
    assert reverse("billing:join_checkout") == CHECKOUT


@pytest.mark.django_db
def test_join_page_lists_the_plans(client, plans):
    page = client.get(reverse("billing:join")).content.decode()
    assert "Monthly" in page and "Annual" in page and "€6" in page and "€60" in page


@pytest.mark.django_db
def test_logged_out_visitor_logs_in_first_and_comes_back_to_the_plan(
    client, plans, stripe_settings
):
    response = client.post(CHECKOUT, {"plan": "annual"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")
    assert sessions(stripe_settings) == []

    user = UserFactory()
    login = client.post(
        response.url, {"login": user.email, "password": "correct-horse-battery-staple"}
    )
    assert login.status_code == 302
    assert login.url == reverse("billing:join") + "?plan=annual"
    page = client.get(login.url).content.decode()
    assert "Continue to payment" in page
    assert client.post(CHECKOUT, {"plan": "annual"}).url.startswith(stripe_settings.base_url)


@pytest.mark.django_db
def test_login_ignores_a_next_parameter_pointing_off_site(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login") + "?next=https://evil.example/steal",
        {"login": user.email, "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.url
    response = client.post(
        reverse("account_login"),
        {
            "login": user.email,
            "password": "correct-horse-battery-staple",
            "next": "//evil.example/",
        },
    )
    assert "evil.example" not in response.get("Location", "")


@pytest.mark.django_db
def test_checkout_session_carries_customer_reference_and_promotion_codes(
    client, plans, stripe_settings
):
    plans["monthly"].trial_days = 14
    plans["monthly"].save()
    user = UserFactory()
    client.force_login(user)
    response = client.post(CHECKOUT, {"plan": "monthly"})
    assert response.status_code == 302
    (session,) = sessions(stripe_settings)
    assert response.url == session["url"]
    assert session["client_reference_id"] == str(user.pk)
    assert session["allow_promotion_codes"] is True
    assert session["subscription_data"]["trial_period_days"] == 14
    assert session["customer"] == membership_of(user).stripe_customer_id
    assert session["success_url"].endswith(
        "/account/join/welcome/?session_id={CHECKOUT_SESSION_ID}"
    )
    customer = stripe_settings.account.customers[session["customer"]]
    assert customer["email"] == user.email and customer["metadata"]["user_id"] == str(user.pk)


@pytest.mark.django_db
def test_customer_is_created_once_and_reused(client, plans, stripe_settings):
    user = UserFactory()
    client.force_login(user)
    client.post(CHECKOUT, {"plan": "monthly"})
    client.post(CHECKOUT, {"plan": "annual"})
    customers = stripe_settings.account.customers
    assert list(customers) == [membership_of(user).stripe_customer_id]
    assert {s["customer"] for s in sessions(stripe_settings)} == set(customers)


@pytest.mark.django_db
def test_double_click_reuses_the_same_checkout_session(client, plans, stripe_settings):
    client.force_login(UserFactory())
    first = client.post(CHECKOUT, {"plan": "monthly"}).url
    second = client.post(CHECKOUT, {"plan": "monthly"}).url
    assert first == second and len(sessions(stripe_settings)) == 1


@pytest.mark.django_db
def test_active_member_is_sent_to_the_account_page_never_charged_twice(
    client, plans, stripe_settings
):
    member = MemberFactory()
    Membership.objects.filter(user=member).update(
        stripe_customer_id="cus_x", stripe_subscription_id="sub_x"
    )
    client.force_login(member)
    response = client.post(CHECKOUT, {"plan": "monthly"})
    assert response.status_code == 302 and response.url == reverse("members:account")
    assert client.get(reverse("billing:join")).url == reverse("members:account")
    assert sessions(stripe_settings) == []


@pytest.mark.django_db
def test_unknown_plan_is_a_404(client, plans, stripe_settings):
    client.force_login(UserFactory())
    assert client.post(CHECKOUT, {"plan": "lifetime"}).status_code == 404


@pytest.mark.django_db
def test_stripe_unreachable_shows_a_clear_message_and_writes_nothing(client, plans, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    user = UserFactory()
    client.force_login(user)
    response = client.post(CHECKOUT, {"plan": "monthly"})
    assert response.status_code == 302
    assert response.url == reverse("billing:join") + "?plan=monthly"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Nothing was charged" in m for m in shown)
    membership = Membership.objects.filter(user=user).first()
    assert membership is None or (
        membership.stripe_customer_id == "" and membership.checkout_started_at is None
    )
    plans["monthly"].refresh_from_db()
    assert plans["monthly"].stripe_price_id == ""


@pytest.mark.django_db
def test_stripe_failing_after_the_customer_exists_leaves_no_half_checkout(
    client, plans, stripe_settings, request
):
    user = UserFactory()
    client.force_login(user)
    client.post(CHECKOUT, {"plan": "monthly"})  # creates customer and prices
    request.getfixturevalue("stripe_failing")  # from now on Stripe answers 500 to everything
    Membership.objects.filter(user=user).update(checkout_started_at=None)
    response = client.post(CHECKOUT, {"plan": "annual"})
    assert response.url == reverse("billing:join") + "?plan=annual"
    assert membership_of(user).checkout_started_at is None


@pytest.mark.django_db
def test_checkout_creation_is_rate_limited(client, plans, stripe_settings, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "checkout": "2/m/user"}
    client.force_login(UserFactory())
    codes = [client.post(CHECKOUT, {"plan": "monthly"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


@pytest.mark.django_db
def test_success_page_says_activating_until_the_webhook_lands(client, plans):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("billing:join_success") + "?session_id=cs_test_x").content.decode()
    assert "Activating your membership" in page and 'id="join-welcome" hidden' in page
    assert client.get(reverse("billing:join_status")).json() == {"member": False}
    Membership.objects.create(user=user, status=Membership.Status.ACTIVE)
    assert client.get(reverse("billing:join_status")).json() == {"member": True}
    page = client.get(reverse("billing:join_success")).content.decode()
    assert "<h1>Welcome to" in page


@pytest.mark.django_db
def test_cancel_page_says_nothing_was_charged(client):
    page = client.get(reverse("billing:join_cancel")).content.decode()
    assert "nothing was charged" in page


@pytest.mark.django_db
def test_checkout_recovers_when_the_stored_customer_and_price_are_gone_from_stripe(
    client, plans, stripe_settings
):
    user = UserFactory()
    client.force_login(user)
    client.post(CHECKOUT, {"plan": "monthly"})
    old_customer = membership_of(user).stripe_customer_id
    stripe_settings.reset()  # as if the keys now pointed at another Stripe account
    response = client.post(CHECKOUT, {"plan": "monthly"})
    assert response.status_code == 302 and response.url.startswith(stripe_settings.base_url)
    new_customer = membership_of(user).stripe_customer_id
    assert new_customer and new_customer != old_customer
    assert list(stripe_settings.account.customers) == [new_customer]


@pytest.mark.django_db(transaction=True)
def test_success_page_asks_stripe_itself_when_the_webhook_is_overdue(
    client, plans, stripe_settings, eager_tasks
):
    import datetime as dt

    from django.utils import timezone

    stripe_settings.webhook_url = None  # the webhook is lost
    user = UserFactory()
    client.force_login(user)
    response = client.post(CHECKOUT, {"plan": "monthly"})
    pay(response.url)
    assert client.get(reverse("billing:join_status")).json() == {"member": False}  # too early
    Membership.objects.filter(user=user).update(
        checkout_started_at=timezone.now() - dt.timedelta(seconds=20)
    )
    client.get(reverse("billing:join_status"))  # queues a resync from Stripe
    assert client.get(reverse("billing:join_status")).json() == {"member": True}
