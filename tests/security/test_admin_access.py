"""The admin: staff only, allauth's login, and a second factor for genetic-data staff."""

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import (
    TEST_PASSWORD,
    MemberFactory,
    StaffFactory,
    UserFactory,
    sign_in_with_two_factor,
    totp_code,
)

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:index",
    "admin:articles_article_changelist",
    "admin:genotypes_snp_changelist",
    "admin:billing_membership_changelist",
]


def _genetic_data_staff(**kwargs):
    staff = StaffFactory(**kwargs)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_genetic_data"),
        Permission.objects.get(codename="view_genomeupload"),
    )
    return staff


def _current_code(secret: str) -> str:
    return totp_code(secret)


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_visitor_is_sent_to_the_sites_login_for_every_admin_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("user_factory", [UserFactory, MemberFactory], ids=["user", "member"])
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_non_staff_never_get_an_admin_page(client, user_factory, name):
    client.force_login(user_factory())
    response = client.get(reverse(name))
    assert response.status_code in (302, 403)
    assert "Site administration" not in response.content.decode()


def test_the_admins_own_password_form_is_not_served(client):
    """Django's admin form checks only a password: it must not be a way round allauth."""
    staff = StaffFactory()
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_editor_without_genetic_data_permission_opens_the_admin_with_a_password(client):
    client.force_login(StaffFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


@pytest.mark.parametrize(
    "make_staff",
    [_genetic_data_staff, lambda: StaffFactory(is_superuser=True)],
    ids=["genetic-data permission", "superuser"],
)
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_genetic_data_staff_without_an_authenticator_are_refused_with_a_setup_link(
    client, make_staff, name
):
    client.force_login(make_staff())
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Two-factor authentication is required" in html
    assert reverse("mfa_activate_totp") in html
    assert "Site administration" not in html


def test_genetic_data_staff_with_an_authenticator_but_a_password_only_session_must_enter_a_code(
    client,
):
    staff = _genetic_data_staff()
    sign_in_with_two_factor(client, staff)  # activates TOTP
    client.logout()
    client.force_login(staff)  # a session with no second factor in it
    response = client.get(reverse("admin:index"))
    assert response.status_code == 403
    assert reverse("mfa_reauthenticate") in response.content.decode()


def test_genetic_data_staff_signed_in_with_totp_through_allauth_open_the_admin(client):
    from allauth.mfa.models import Authenticator

    staff = _genetic_data_staff()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(staff, secret)
    assert Authenticator.objects.filter(user=staff, type="totp").exists()

    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    response = client.post(
        response.redirect_chain[-1][0], {"login": staff.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200 and "Site administration" in page.content.decode()


def test_entering_a_code_after_a_password_only_sign_in_opens_the_admin(client):
    staff = _genetic_data_staff()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(staff, secret)
    client.force_login(staff)
    refused = client.get(reverse("admin:index"))
    assert refused.status_code == 403
    confirm = f"{reverse('mfa_reauthenticate')}?next={reverse('admin:index')}"
    response = client.post(confirm, {"code": _current_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_signing_out_of_the_admin_needs_no_second_factor(client):
    client.force_login(StaffFactory(is_superuser=True))
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_no_admin_page_shows_an_authenticators_secret(client):
    """A TOTP secret in a page would let whoever reads it produce the owner's codes."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    member = MemberFactory()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(member, secret)
    RecoveryCodes.activate(member)
    seed = Authenticator.objects.get(user=member, type="recovery_codes").data["seed"]
    sign_in_with_two_factor(client, StaffFactory(is_superuser=True))
    pages = [reverse("admin:mfa_authenticator_changelist")]
    for authenticator in Authenticator.objects.filter(user=member):
        pages += [
            reverse("admin:mfa_authenticator_change", args=[authenticator.pk]),
            reverse("admin:mfa_authenticator_history", args=[authenticator.pk]),
        ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert secret not in html and seed not in html, url
    assert member.email in client.get(pages[0]).content.decode()
