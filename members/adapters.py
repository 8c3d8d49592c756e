"""allauth customisation, all in one place (settings point ACCOUNT_ADAPTER and MFA_ADAPTER here)."""

import base64

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # Addresses are stored lower-cased (a database constraint on User insists), so that
        # "Ada@Example.com" and "ada@example.com" are one account.
        return super().clean_email(email).strip().lower()

    def save_user(self, request, user, form, commit=True):
        user.email = (user.email or "").lower()
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's own emails (verification, reset, codes) can name the site like ours do.
        context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
        super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets (TOTP keys, recovery-code seeds) encrypted in the database.

    allauth stores them in clear unless the adapter encrypts them, and whoever reads one can
    produce the owner's codes. The Fernet key is derived from SECRET_KEY; keys in
    SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY the usual Django way keeps
    every authenticator working. Values stored in clear before this adapter existed are
    read as they are.
    """

    # allauth answers "Incorrect code." both to a wrong code and to a right one typed a second
    # time (each TOTP code works once); the member cannot tell which, so say both.
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "That code did not work. Each code can be used only once: if you have just used "
            "this one, wait for the next code in your app. Otherwise check that you typed the "
            "code your app shows now, or use a recovery code."
        ),
    }

    def encrypt(self, text: str) -> str:
        return _mfa_cipher().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_FERNET_TOKEN_PREFIX):
            return encrypted_text  # stored in clear by an earlier version
        return _mfa_cipher().decrypt(encrypted_text.encode()).decode()


# Every Fernet token starts with version byte 0x80, base64-encoded as "gA"; TOTP secrets are
# base32 (A-Z, 2-7) and recovery seeds hex, so neither can be mistaken for one.
_FERNET_TOKEN_PREFIX = "gA"


def _mfa_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"genlife-mfa-secrets", info=b"fernet-key-v1"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


def _mfa_cipher() -> MultiFernet:
    secret_keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(_mfa_key(key)) for key in secret_keys])
