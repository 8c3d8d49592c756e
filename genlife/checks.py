"""System checks of the production shape (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

# Django's deliberately slow hashers. Anything else first in PASSWORD_HASHERS (e.g. the MD5
# hasher the test suite names in DJANGO_PASSWORD_HASHERS) hashes new passwords cheaply.
SLOW_PASSWORD_HASHERS = {
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
}


@register(Tags.security, deploy=True)
def password_hasher_check(app_configs, **kwargs) -> list[Error]:
    preferred = settings.PASSWORD_HASHERS[0] if settings.PASSWORD_HASHERS else ""
    if preferred in SLOW_PASSWORD_HASHERS:
        return []
    return [
        Error(
            f"Passwords would be hashed with {preferred or 'nothing'}, "
            "a fast hasher meant for tests.",
            hint="Unset DJANGO_PASSWORD_HASHERS to keep Django's PBKDF2 hasher.",
            id="genlife.E001",
        )
    ]
