"""Genotypes test setup: a private media folder and an encryption key shared with workers.

Both are put in the environment at import time so that a ``celery_worker`` subprocess
started later in the session reads and writes the same files with the same key.
"""

import os
import tempfile

import pytest
from cryptography.fernet import Fernet

MEDIA_ROOT = os.environ.setdefault(
    "DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="genlife-genotypes-media-"))
GENOME_KEY = os.environ.setdefault("GENOME_ENCRYPTION_KEYS", Fernet.generate_key().decode())


@pytest.fixture(autouse=True)
def _genotypes_settings(settings):
    settings.MEDIA_ROOT = MEDIA_ROOT
    settings.GENOME_ENCRYPTION_KEYS = GENOME_KEY.split(",")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
