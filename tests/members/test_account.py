"""The account page, billing portal, account deletion, plans, admin and membership emails."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership, Plan
from billing.services import memberships as services
from genotypes import receivers
from members.models import User
from tests.factories import TEST_PASSWORD, StaffFactory, UserFactory, sign_in_with_two_factor
from tests.stripe_events import pay, portal_press, subscription_change

from .helpers import membership_of


def paid_member(client, fake, plans, *, plan="monthly") -> User:
    """A user who paid on devstripe's checkout page and whose membership was synced."""
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("billing:join_checkout"), {"plan": plan})
    pay(response.url)
    services.membership_sync(membership_id=membership_of(user).pk)
    return user


def reauthenticate(client) -> None:
    """Enter the password again, as allauth asks before sensitive actions."""
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.django_db
def test_account_page_requires_login(client):
    response = client.get(reverse("members:account"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_account_page_shows_status_plan_renewal_and_links(
    client, plans, stripe_settings, eager_tasks
):
    user = paid_member(client, stripe_settings, plans)
    membership = membership_of(user)
    page = client.get(reverse("members:account")).content.decode()
    assert f"Logged in as <strong>{user.email}</strong>" in page
    assert "Active" in page and "Monthly (€6 per month)" in page
    end = membership.current_period_end
    # the label says what the date is; the date is not said twice ("Renews: Renews on ...")
    assert f'<dt>Renews</dt><dd id="membership-date">{end.day} {end:%B %Y}</dd>' in page
    assert "Renews on" not in page
    assert "Manage billing" in page
    for name in (
        "account_email",
        "account_change_password",
        "mfa_index",
        "usersessions_list",
        "members:account_delete",
    ):
        assert reverse(name) in page


@pytest.mark.django_db
def test_account_page_of_a_non_member_offers_joining(client):
    client.force_login(UserFactory())
    page = client.get(reverse("members:account")).content.decode()
    assert "Not a member" in page and reverse("billing:join") in page
    assert "Manage billing" not in page


@pytest.mark.django_db
def test_billing_portal_without_a_customer_sends_to_the_join_page(client):
    client.force_login(UserFactory())
    assert client.post(reverse("billing:billing_portal")).url == reverse("billing:join")


@pytest.mark.django_db
def test_fix_card_link_opens_the_portal(client, plans, stripe_settings, eager_tasks):
    paid_member(client, stripe_settings, plans)
    response = client.get(reverse("billing:fix_card"))
    assert response.status_code == 302
    assert response.url.startswith(stripe_settings.base_url + "/portal/bps_")
    (portal,) = stripe_settings.account.portal_sessions.values()
    assert portal["flow"] == {"type": "payment_method_update"}


@pytest.mark.django_db
def test_membership_emails_welcome_payment_failed_and_ending(
    client, plans, stripe_settings, eager_tasks, django_capture_on_commit_callbacks
):
    def sync():
        with django_capture_on_commit_callbacks(execute=True):
            services.membership_sync(membership_id=membership.pk)

    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("billing:join_checkout"), {"plan": "monthly"})
    pay(response.url)
    membership = membership_of(user)
    sync()
    assert [m.subject for m in mail.outbox if m.to == [user.email]] == ["Welcome to genlife"]
    membership = membership_of(user)

    subscription_change(stripe_settings, membership.stripe_subscription_id, status="past_due")
    sync()
    failed = mail.outbox[-1]
    assert failed.subject == "Your genlife payment failed"
    assert reverse("billing:fix_card") in failed.body
    assert membership_of(user).status == Membership.Status.PAST_DUE

    fix_card = services.membership_portal_url(
        user=user, return_url="http://testserver/account/", fix_card=True
    )
    portal_press(fix_card, "update_card", membership.stripe_subscription_id)  # pays what is owed
    sync()
    assert membership_of(user).status == Membership.Status.ACTIVE
    assert membership_of(user).past_due_since is None

    portal = services.membership_portal_url(user=user, return_url="http://testserver/account/")
    portal_press(portal, "cancel", membership.stripe_subscription_id)
    sync()
    ending = mail.outbox[-1]
    assert ending.subject == "Your genlife membership is ending"
    assert f"{membership_of(user).current_period_end:%B %Y}" in ending.body
    sync()  # a resync sends nothing new
    assert mail.outbox[-1] is ending


@pytest.mark.django_db
def test_account_delete_asks_for_the_password_again(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("members:account_delete"))
    assert response.status_code == 302 and "reauthenticate" in response.url
    reauthenticate(client)
    assert client.get(reverse("members:account_delete")).status_code == 200


@pytest.mark.django_db
def test_account_delete_cancels_billing_deletes_data_and_confirms_by_email(
    client, plans, stripe_settings, eager_tasks, monkeypatch
):
    user = paid_member(client, stripe_settings, plans)
    membership = membership_of(user)
    erased = []
    real = receivers.genome_data_delete_all

    def spy(*, user, actor):
        erased.append((user.pk, actor.pk))
        return real(user=user, actor=actor)

    # Genotypes hears of the deletion through members.signals.user_deleting.
    monkeypatch.setattr(receivers, "genome_data_delete_all", spy)
    reauthenticate(client)
    page = client.get(reverse("members:account_delete"))
    assert page.status_code == 200 and "Delete my account" in page.content.decode()
    refused = client.post(reverse("members:account_delete"), {})
    assert refused.status_code == 400 and User.objects.filter(pk=user.pk).exists()

    response = client.post(reverse("members:account_delete"), {"confirm": "delete"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    account = stripe_settings.account
    assert membership.stripe_customer_id not in account.customers
    assert account.subscriptions[membership.stripe_subscription_id]["status"] == "canceled"
    assert mail.outbox[-1].subject == "Your genlife account has been deleted"
    assert mail.outbox[-1].to == [user.email]
    assert erased == [(user.pk, user.pk)]
    assert client.get(reverse("members:account")).status_code == 302


@pytest.mark.django_db
def test_account_delete_stops_if_stripe_is_unreachable(
    client, plans, stripe_settings, eager_tasks, request
):
    user = paid_member(client, stripe_settings, plans)
    reauthenticate(client)
    request.getfixturevalue("stripe_failing").status = 503
    response = client.post(reverse("members:account_delete"), {"confirm": "delete"})
    assert response.status_code == 302 and response.url == reverse("members:account")
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_stripe_sync_plans_is_idempotent(plans, stripe_settings):
    call_command("stripe_sync_plans")
    first = {p.slug: p.stripe_price_id for p in Plan.objects.all()}
    call_command("stripe_sync_plans")
    assert {p.slug: p.stripe_price_id for p in Plan.objects.all()} == first
    account = stripe_settings.account
    assert len(account.products) == 1 and len(account.prices) == 2
    price = account.prices[first["monthly"]]
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (
        600,
        "eur",
        "month",
    )
    assert price["lookup_key"] == "genlife_monthly"


@pytest.mark.django_db
def test_changing_a_plan_price_creates_a_new_stripe_price(plans, stripe_settings):
    call_command("stripe_sync_plans")
    old = Plan.objects.get(slug="monthly").stripe_price_id
    Plan.objects.filter(slug="monthly").update(amount=700)
    call_command("stripe_sync_plans")
    new = Plan.objects.get(slug="monthly").stripe_price_id
    assert new != old
    prices = stripe_settings.account.prices
    assert prices[new]["unit_amount"] == 700 and prices[new]["lookup_key"] == "genlife_monthly"
    assert prices[old]["lookup_key"] is None


@pytest.mark.django_db
def test_admin_grants_a_complimentary_membership_with_an_end_date(client):
    from billing.selectors import is_member

    admin_user = StaffFactory(is_superuser=True)
    sign_in_with_two_factor(client, admin_user)
    guest = UserFactory()
    until = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    response = client.post(
        reverse("admin:billing_membership_add"),
        {
            "user": guest.pk,
            "status": "complimentary",
            "complimentary_until_0": until.strftime("%Y-%m-%d"),
            "complimentary_until_1": until.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = membership_of(guest)
    assert membership.status == Membership.Status.COMPLIMENTARY
    assert membership.complimentary_until == until
    assert is_member(User.objects.get(pk=guest.pk))


@pytest.mark.django_db
def test_admin_lists_members_and_resyncs_from_stripe(client, plans, stripe_settings, eager_tasks):
    user = paid_member(client, stripe_settings, plans)
    membership = membership_of(user)
    Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.NONE)
    sign_in_with_two_factor(client, StaffFactory(is_superuser=True))
    listing = client.get(reverse("admin:billing_membership_changelist")).content.decode()
    assert membership.stripe_customer_id in listing and membership.stripe_subscription_id in listing
    response = client.post(
        reverse("admin:billing_membership_changelist"),
        {"action": "resync_from_stripe", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    assert membership_of(user).status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_reconciliation_is_scheduled_with_celery_beat(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "billing.tasks.membership_reconcile" in schedule


@pytest.mark.django_db
def test_member_on_a_replaced_price_keeps_their_plan(client, plans, stripe_settings, eager_tasks):
    user = paid_member(client, stripe_settings, plans)
    Plan.objects.filter(slug="monthly").update(amount=700)
    call_command("stripe_sync_plans")  # a new Price; the member still pays the old one
    services.membership_sync(membership_id=membership_of(user).pk)
    assert membership_of(user).plan == Plan.objects.get(slug="monthly")


@pytest.mark.django_db
def test_a_paid_membership_that_ends_sends_one_ended_email(
    client, plans, stripe_settings, eager_tasks, django_capture_on_commit_callbacks
):
    user = paid_member(client, stripe_settings, plans)
    membership = membership_of(user)
    # Stripe ends the subscription (renewals failed for good, or cancelled from its dashboard).
    subscription_change(stripe_settings, membership.stripe_subscription_id, status="canceled")
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_sync(membership_id=membership.pk)
    assert membership_of(user).status == Membership.Status.CANCELED
    ended = [m for m in mail.outbox if m.subject == "Your genlife membership has ended"]
    assert len(ended) == 1 and ended[0].to == [user.email]
    assert reverse("billing:join") in ended[0].body
    assert reverse("genotypes:mine") in ended[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_sync(membership_id=membership.pk)  # nothing new to say
    assert len([m for m in mail.outbox if m.subject == ended[0].subject]) == 1
