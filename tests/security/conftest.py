"""Security matrix setup: a clean cache (page cache and rate-limit counters) per test, a
throwaway media folder, and a genome encryption key for uploads parsed in-process."""

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    # CI keeps the cache in its own Redis database, never the broker's, so clearing is safe.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    # A code computed just before a 30-second boundary and checked just after it would fail
    # now and then; accepting the neighbouring period keeps the two-factor tests steady.
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GENOME_ENCRYPTION_KEYS = settings.GENOME_ENCRYPTION_KEYS or [
        Fernet.generate_key().decode()
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
