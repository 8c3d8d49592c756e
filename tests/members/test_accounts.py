"""Accounts through allauth: email login, verification, enumeration, codes, MFA, sessions."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from members.models import User
from tests.factories import TEST_PASSWORD, UserFactory, totp_code


def test_rate_limits_use_a_real_cache():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "DummyCache" not in backend
    assert settings.ACCOUNT_RATE_LIMITS is not False


def test_account_settings_follow_the_issue():
    assert settings.ACCOUNT_LOGIN_METHODS == {"email"}
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
    assert settings.ACCOUNT_PREVENT_ENUMERATION is True
    assert settings.ACCOUNT_LOGIN_BY_CODE_ENABLED is True
    assert set(settings.MFA_SUPPORTED_TYPES) >= {"totp", "recovery_codes"}
    assert settings.ACCOUNT_ADAPTER == "members.adapters.AccountAdapter"


@pytest.mark.django_db
def test_signup_stores_the_address_lower_case_and_asks_for_verification(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Grace@Example.COM",
            "password1": "another-long-phrase-4",
            "password2": "another-long-phrase-4",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert not user.emailaddress_set.get().verified
    message = mail.outbox[-1]
    assert "confirm-email" in message.body
    assert message.subject.startswith("[genlife] ")
    assert message.body.startswith("Hello from genlife,")


@pytest.mark.django_db
def test_unverified_user_cannot_log_in_with_a_password(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "another-long-phrase-4",
            "password2": "another-long-phrase-4",
        },
    )
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new@example.com", "password": "another-long-phrase-4"}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")


@pytest.mark.django_db
def test_password_reset_does_not_reveal_whether_an_address_has_an_account(client):
    UserFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 2  # the stranger is told no account exists, by email only


@pytest.mark.django_db
def test_signup_with_a_taken_address_does_not_reveal_it(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("account_signup"),
        {
            "email": "taken@example.com",
            "password1": "another-long-phrase-4",
            "password2": "another-long-phrase-4",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_by_emailed_code(client):
    user = UserFactory()
    response = client.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.status_code == 302
    code = mail.outbox[-1].body
    found = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", code, re.MULTILINE)
    assert found, code
    response = client.post(reverse("account_confirm_login_code"), {"code": found.group(1)})
    assert response.status_code == 302
    assert client.get(reverse("members:account")).status_code == 200


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client):
    user = UserFactory()
    pages = [
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
        for _ in range(6)
    ]
    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()
    # even the right password is refused while the limit holds
    right = client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    assert right.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_two_factor_and_sessions_pages_are_available_to_a_signed_in_member(client):
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    mfa = client.get(reverse("mfa_index"))
    assert mfa.status_code == 200 and "Authenticator" in mfa.content.decode()
    sessions = client.get(reverse("usersessions_list"))
    assert sessions.status_code == 200
    assert "<title>" in sessions.content.decode() and "genlife" in sessions.content.decode()


@pytest.mark.django_db
def test_activating_totp_requires_reauthentication_after_a_while(client):
    user = UserFactory()
    client.force_login(user)  # no recent password entry recorded
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and "reauthenticate" in response.url


@pytest.mark.django_db
def test_allauth_pages_use_the_site_layout(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in page and "members/members.css" in page
    assert page.count("<h1") == 1 and 'class="button' in page
    assert "<title>" in page and 'name="description"' in page


@pytest.mark.django_db
def test_totp_two_factor_then_login_needs_a_second_factor_and_recovery_codes_work(client):
    from allauth.mfa.models import Authenticator

    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    code = totp_code(secret)
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    recovery = Authenticator.objects.get(user=user, type="recovery_codes").wrap()
    spare = recovery.get_unused_codes()[0]

    client.post(reverse("account_logout"))
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert client.get(reverse("members:account")).status_code == 302  # not in yet
    response = client.post(reverse("mfa_authenticate"), {"code": spare})
    assert response.status_code == 302
    assert client.get(reverse("members:account")).status_code == 200
