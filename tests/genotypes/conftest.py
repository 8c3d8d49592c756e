"""Genotypes test setup: a private media folder and an encryption key shared with workers.

Both are put in the environment at import time so that a ``celery_worker`` subprocess
started later in the session reads and writes the same files with the same key. A media
folder created here is removed when the session ends.
"""

import os
import shutil
import tempfile

import pytest
from cryptography.fernet import Fernet

_CREATED_MEDIA = "DJANGO_MEDIA_ROOT" not in os.environ
MEDIA_ROOT = os.environ.setdefault(
    "DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="genlife-genotypes-media-")
)
GENOME_KEY = os.environ.setdefault("GENOME_ENCRYPTION_KEYS", Fernet.generate_key().decode())


@pytest.fixture(autouse=True)
def _genotypes_settings(settings):
    settings.MEDIA_ROOT = MEDIA_ROOT
    settings.GENOME_ENCRYPTION_KEYS = GENOME_KEY.split(",")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def pytest_sessionfinish(session, exitstatus):
    if _CREATED_MEDIA:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)
