"""Second-factor secrets are encrypted in the database and still work for signing in."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as totp
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory, totp_code

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return totp_code(secret)


def _sign_in(client, user, code: str):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": code})


def test_totp_secret_and_recovery_seed_are_not_stored_in_clear(client):
    user = UserFactory()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(user, secret)
    recovery = RecoveryCodes.activate(user)
    stored_totp = Authenticator.objects.get(user=user, type="totp").data["secret"]
    stored_seed = Authenticator.objects.get(user=user, type="recovery_codes").data["seed"]
    assert secret not in stored_totp and stored_totp.startswith("gA")
    assert stored_seed.startswith("gA") and len(recovery.get_unused_codes()) > 0
    assert _sign_in(client, user, _code(secret)).status_code == 302
    assert client.get(reverse("members:account")).status_code == 200


def test_a_recovery_code_from_an_encrypted_seed_signs_in(client):
    user = UserFactory()
    totp.TOTP.activate(user, totp.generate_totp_secret())
    spare = RecoveryCodes.activate(user).get_unused_codes()[0]
    assert _sign_in(client, user, spare).status_code == 302
    assert client.get(reverse("members:account")).status_code == 200


def test_an_authenticator_stored_in_clear_before_encryption_keeps_working(client):
    user = UserFactory()
    secret = totp.generate_totp_secret()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    assert _sign_in(client, user, _code(secret)).status_code == 302
    assert client.get(reverse("members:account")).status_code == 200


def test_secrets_survive_a_secret_key_rotation_with_the_old_key_as_fallback(client, settings):
    user = UserFactory()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(user, secret)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"
    assert totp.TOTP(Authenticator.objects.get(user=user, type="totp")).validate_code(_code(secret))
