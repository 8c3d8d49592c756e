"""Upload handlers for genome files: a size limit that stops early, and sealing on arrival.

The upload view installs both in front of Django's defaults (``genotypes.views.upload``).
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from genotypes.genome_store import SealedWriter
from genotypes.services import uploads


class UploadSizeLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes the size limit (chunked uploads too)."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


class SealingUploadHandler(FileUploadHandler):
    """Encrypts an upload chunk by chunk as it arrives (``genome_store.SealedWriter``).

    Django's own handlers keep a file in memory or spool it in clear to a temporary file; this
    one writes only ciphertext, to an owner-only temporary file, holding at most one frame
    (1 MiB) in memory, so a web process's memory stays bounded whatever the file's size and no
    plaintext copy of a genome ever reaches a disk. A full disk stops the upload and sets
    ``no_space``; nothing partial is left.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.spool = None
        self.writer = None
        self.no_space = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._discard()
        # Closed (and so removed) by the request once handled, like Django's own spool.
        self.spool = tempfile.NamedTemporaryFile(  # noqa: SIM115
            suffix=".sealed", dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        self.writer = SealedWriter(self.spool)

    def receive_data_chunk(self, raw_data, start):
        try:
            self.writer.write(raw_data)
        except OSError as error:
            self._stop(error)

    def file_complete(self, file_size):
        try:
            self.writer.close()
            self.spool.flush()
        except OSError as error:
            self._stop(error)
        self.spool.seek(0)
        sealed = uploads.SealedUploadFile(
            self.spool, self.file_name, self.content_type, file_size, self.charset
        )
        self.spool = self.writer = None
        return sealed

    def upload_interrupted(self):
        self._discard()

    def _stop(self, error: OSError):
        self._discard()
        if uploads.is_no_space(error):
            self.no_space = True
            raise StopUpload(connection_reset=True) from error
        raise error

    def _discard(self):
        if self.spool is not None:
            try:
                self.spool.close()  # a NamedTemporaryFile: removed on close
            except OSError:
                pass
        self.spool = self.writer = None
