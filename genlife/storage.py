"""Free space on the local storage that uploads are written to (media and upload temp folders).

``/healthz`` reports ``"storage": "low"`` when it falls under ``STORAGE_MIN_FREE_BYTES``, and the
genome upload refuses new files then, with a message, instead of failing half-way. A remote
storage (S3) has no local free space to measure: it is never "low" here.
"""

from __future__ import annotations

import shutil
import tempfile

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage


def _local_folders() -> list[str]:
    folders = [settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()]
    if isinstance(default_storage, FileSystemStorage):
        folders.append(str(default_storage.location))
    return folders


def storage_free_bytes() -> int | None:
    """The least free space among the local upload folders; None when none can be measured."""
    free = []
    for folder in _local_folders():
        try:
            free.append(shutil.disk_usage(folder).free)
        except OSError:
            continue
    return min(free) if free else None


def storage_is_low() -> bool:
    free = storage_free_bytes()
    return free is not None and free < settings.STORAGE_MIN_FREE_BYTES
