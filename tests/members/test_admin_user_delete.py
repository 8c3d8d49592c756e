"""Deleting users in the admin goes through the account-deletion service, like a member's own
"delete my account": Stripe customer ended, genetic files and results erased with an audit row
naming the staff member, stored Stripe payloads gone; nothing deleted when Stripe is down."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from billing import stripe_gateway
from billing.models import Membership, StripeEvent
from genotypes.models import GeneticDataAuditLog, GenomeUpload
from members.models import User
from tests.factories import TEST_PASSWORD, StaffFactory, UserFactory, sign_in_with_two_factor
from tests.genotypes.factories import upload_for

DELETED = GeneticDataAuditLog.Action.DELETED


@pytest.fixture
def genome_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GENOME_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return GenomeUpload._meta.get_field("raw_file").storage


@pytest.fixture
def staff(client):
    person = StaffFactory(is_superuser=True)
    sign_in_with_two_factor(client, person)
    return person


def paying_user_with_a_genome(stripe_settings) -> tuple[User, str, str]:
    """A user with a kept raw file, a Stripe customer and a stored webhook payload."""
    user = UserFactory()
    upload = upload_for(user, keep_raw=True)
    customer_id = stripe_gateway.customer_create(
        email=user.email, name=user.name, user_id=user.pk, idempotency_key=f"test-{user.pk}"
    )
    Membership.objects.create(
        user=user, status=Membership.Status.ACTIVE, stripe_customer_id=customer_id
    )
    StripeEvent.objects.create(
        event_id=f"evt_admin_delete_{user.pk}",
        type="invoice.paid",
        created=timezone.now(),
        payload={"data": {"object": {"customer": customer_id, "customer_email": user.email}}},
    )
    return user, upload.raw_file.name, customer_id


def assert_erased(*, user, raw_name, customer_id, storage, fake, staff) -> None:
    assert not User.objects.filter(pk=user.pk).exists()
    assert not storage.exists(raw_name)
    assert not GenomeUpload.objects.filter(user_id=user.pk).exists()
    assert customer_id not in fake.account.customers
    assert not StripeEvent.objects.filter(payload__data__object__customer=customer_id).exists()
    audit = GeneticDataAuditLog.objects.get(subject_user_id=user.pk, action=DELETED)
    assert audit.actor_id == staff.pk
    assert LogEntry.objects.filter(
        user=staff, object_id=str(user.pk), action_flag=DELETION
    ).exists()


def assert_untouched(*, user, raw_name, customer_id, storage, fake) -> None:
    assert User.objects.filter(pk=user.pk).exists()
    assert storage.exists(raw_name)
    assert GenomeUpload.objects.filter(user_id=user.pk).exists()
    assert customer_id in fake.account.customers
    assert StripeEvent.objects.filter(payload__data__object__customer=customer_id).exists()
    assert not GeneticDataAuditLog.objects.filter(subject_user_id=user.pk, action=DELETED).exists()


@pytest.mark.django_db
def test_admin_delete_page_ends_billing_and_erases_genetic_data(
    client, staff, stripe_settings, genome_storage
):
    user, raw_name, customer_id = paying_user_with_a_genome(stripe_settings)
    url = reverse("admin:members_user_delete", args=[user.pk])
    assert client.get(url).status_code == 200  # Django's confirmation page
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert_erased(
        user=user,
        raw_name=raw_name,
        customer_id=customer_id,
        storage=genome_storage,
        fake=stripe_settings,
        staff=staff,
    )


@pytest.mark.django_db
def test_admin_bulk_delete_ends_billing_and_erases_genetic_data_of_each(
    client, staff, stripe_settings, genome_storage
):
    people = [paying_user_with_a_genome(stripe_settings) for _ in range(2)]
    url = reverse("admin:members_user_changelist")
    selected = [str(user.pk) for user, _, _ in people]
    form = {"action": "delete_selected", "_selected_action": selected}
    confirm = client.post(url, form)
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    response = client.post(url, {**form, "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Deleted 2 users." in response.content.decode()
    for user, raw_name, customer_id in people:
        assert_erased(
            user=user,
            raw_name=raw_name,
            customer_id=customer_id,
            storage=genome_storage,
            fake=stripe_settings,
            staff=staff,
        )


@pytest.mark.django_db
def test_admin_deletes_nothing_when_stripe_is_unreachable(
    client, staff, stripe_settings, genome_storage, request
):
    user, raw_name, customer_id = paying_user_with_a_genome(stripe_settings)
    request.getfixturevalue("stripe_failing").status = 503  # the site now meets an outage
    response = client.post(
        reverse("admin:members_user_delete", args=[user.pk]), {"post": "yes"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200 and "was not deleted" in page
    assert "deleted successfully" not in page

    bulk = client.post(
        reverse("admin:members_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(user.pk)], "post": "yes"},
        follow=True,
    )
    assert bulk.status_code == 200 and "was not deleted" in bulk.content.decode()
    assert_untouched(
        user=user,
        raw_name=raw_name,
        customer_id=customer_id,
        storage=genome_storage,
        fake=stripe_settings,
    )


@pytest.mark.django_db
def test_member_deleting_their_account_while_stripe_is_down_keeps_everything(
    client, stripe_settings, genome_storage, request
):
    # Billing hears of the deletion before genotypes (INSTALLED_APPS order) and refuses:
    # the genetic data must still be there, not erased for an account that stays.
    user, raw_name, customer_id = paying_user_with_a_genome(stripe_settings)
    client.force_login(user)
    reauthenticated = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert reauthenticated.status_code == 302
    request.getfixturevalue("stripe_failing").status = 503  # the site now meets an outage
    response = client.post(reverse("members:account_delete"), {"confirm": "delete"}, follow=True)
    assert "nothing was deleted" in response.content.decode()
    assert_untouched(
        user=user,
        raw_name=raw_name,
        customer_id=customer_id,
        storage=genome_storage,
        fake=stripe_settings,
    )


def test_billing_hears_of_an_account_deletion_before_genotypes():
    from billing.receivers import billing_end_on_account_deletion
    from genotypes.receivers import genome_data_erase_on_account_deletion
    from members.signals import user_deleting

    receivers, _ = user_deleting._live_receivers(User)  # in the order they will run
    assert receivers.index(billing_end_on_account_deletion) < receivers.index(
        genome_data_erase_on_account_deletion
    )
