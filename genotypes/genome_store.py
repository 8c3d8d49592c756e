"""The member's whole genome at rest: one compressed, encrypted columnar blob per upload.

Raw uploads are kept sealed too (``SealedWriter``/``sealed_chunks`` below): they are encrypted
as they arrive and decrypted only in the worker's memory, so no plaintext copy of a member's
file is ever on disk.

Format: the parser's normalised frame (rsid, chromosome, position, genotype) written as
Parquet with zstd compression, then encrypted with ``MultiFernet``. Keys come from the
``GENOME_ENCRYPTION_KEYS`` setting (env var, comma-separated Fernet keys): the first key
encrypts, every key decrypts, so a key is rotated by putting a new one first, running
``genome_blobs_rotate`` (``MultiFernet.rotate``) and later dropping the old one.

In local mode only (no ``DATABASE_URL``: the embedded SQLite default), an unset variable
falls back to a key derived from ``SECRET_KEY`` with HKDF, so ``manage.py runserver`` works
out of the box. Anywhere else an unset variable is a configuration error, never a silent
default.
"""

from __future__ import annotations

import base64
import functools
import io
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import polars as pl
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from genotypes.parsers import CHROMOSOME_DTYPE, GENOTYPE_DTYPE

BLOB_SCHEMA = {
    "rsid": pl.String,
    "chromosome": CHROMOSOME_DTYPE,
    "position": pl.UInt32,
    "genotype": GENOTYPE_DTYPE,
}


def local_mode_key() -> bytes:
    """The Fernet key local mode derives from SECRET_KEY (never used with DATABASE_URL)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"genlife-genome-blobs", info=b"fernet-key-v1"
    ).derive(settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(derived)


def encryption_keys() -> list[bytes]:
    keys = [k.strip() for k in settings.GENOME_ENCRYPTION_KEYS if k.strip()]
    if keys:
        return [k.encode() for k in keys]
    if settings.LOCAL_MODE:
        return [local_mode_key()]
    raise ImproperlyConfigured(
        "GENOME_ENCRYPTION_KEYS must be set (comma-separated Fernet keys) outside local mode."
    )


def cipher() -> MultiFernet:
    return _cipher_for(tuple(encryption_keys()))


@functools.lru_cache(maxsize=4)
def _cipher_for(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "GENOME_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from exc


def genome_to_blob(frame: pl.DataFrame) -> bytes:
    """Serialise and encrypt a parsed genome frame."""
    buffer = io.BytesIO()
    # Sorted by rsid in small row groups with statistics: a look-up of one rsid (the
    # catalogue backfill) then reads a single row group instead of the whole genome.
    frame.select(list(BLOB_SCHEMA)).sort("rsid", nulls_last=True).write_parquet(
        buffer, compression="zstd", compression_level=6, statistics=True, row_group_size=16_384
    )
    return cipher().encrypt(buffer.getvalue())


class GenomeBlobError(Exception):
    """A stored genome could not be decrypted (wrong or retired key) or read."""


def genome_from_blob(
    blob: bytes, *, rsids: Iterable[str] | None = None, positions: Iterable[tuple[str, int]] = ()
) -> pl.DataFrame:
    """Decrypt and load a stored genome (either layout: one token, or sealed parts).

    With ``rsids`` (and optionally ``positions``, (chromosome, position) pairs looked up
    among records without an id), only the matching rows are materialised; a whole-genome
    blob is then read one part at a time.
    """
    rsids = None if rsids is None else list(rsids)
    positions = list(positions)
    if is_sealed(blob):
        parts = [
            _genome_rows(io.BytesIO(part), rsids, positions)
            for part in _blob_parts(sealed_chunks(io.BytesIO(blob)))
        ]
        return pl.concat(parts) if parts else pl.DataFrame(schema=BLOB_SCHEMA)
    try:
        plain = cipher().decrypt(blob)
    except InvalidToken as exc:
        raise GenomeBlobError(
            "The stored genome cannot be decrypted with the current keys."
        ) from exc
    return _genome_rows(io.BytesIO(plain), rsids, positions)


def _genome_rows(
    parquet: BinaryIO, rsids: list[str] | None, positions: list[tuple[str, int]]
) -> pl.DataFrame:
    lazy = pl.scan_parquet(parquet)
    if rsids is not None:
        wanted = pl.col("rsid").is_in(rsids)
        for chromosome, position in positions:
            wanted = wanted | (
                pl.col("rsid").is_null()
                & (pl.col("position") == position)
                & (pl.col("chromosome").cast(pl.String) == chromosome)
            )
        lazy = lazy.filter(wanted)
    return lazy.collect()


# --- Whole-genome blobs, written as the file is read ----------------------------------------
# A whole-genome file's calls never exist in memory at once, so its blob is a sealed stream
# (the frames below) whose plaintext is BLOB_PARTS_MAGIC, then per part an 8-byte big-endian
# length and a Parquet file of up to BLOB_PART_ROWS calls, each sorted by rsid in row groups
# with statistics, like the one-token blob of a chip file.
BLOB_PARTS_MAGIC = b"GLPARTS1"
BLOB_PART_ROWS = 1 << 20
_PART_LENGTH = struct.Struct(">Q")


class GenomeBlobWriter:
    """Collect a genome's calls block by block and seal them to ``handle`` in parts.

    At most ``BLOB_PART_ROWS`` calls and one part's Parquet bytes are held at a time.
    """

    def __init__(self, handle: BinaryIO):
        self._sealed = SealedWriter(handle)
        self._sealed.write(BLOB_PARTS_MAGIC)
        self._pending: list[pl.DataFrame] = []
        self._rows = 0
        self.parts = 0

    def write(self, frame: pl.DataFrame) -> None:
        self._pending.append(frame.select(list(BLOB_SCHEMA)))
        self._rows += frame.height
        if self._rows >= BLOB_PART_ROWS:
            self._flush()

    def close(self) -> None:
        if self._rows or not self.parts:
            self._flush()
        self._sealed.close()

    def _flush(self) -> None:
        frame = pl.concat(self._pending) if self._pending else pl.DataFrame(schema=BLOB_SCHEMA)
        self._pending, self._rows = [], 0
        buffer = io.BytesIO()
        frame.sort("rsid", nulls_last=True).write_parquet(
            buffer, compression="zstd", compression_level=3, statistics=True, row_group_size=16_384
        )
        del frame
        data = buffer.getbuffer()
        self._sealed.write(_PART_LENGTH.pack(len(data)))
        self._sealed.write(data)
        del data
        self.parts += 1


def _blob_parts(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The Parquet parts of a sealed whole-genome blob's plaintext, one at a time."""
    buffer = bytearray()
    chunks = iter(chunks)
    magic_seen = False
    for chunk in chunks:
        buffer += chunk
        if not magic_seen:
            if len(buffer) < len(BLOB_PARTS_MAGIC):
                continue
            if not buffer.startswith(BLOB_PARTS_MAGIC):
                raise GenomeBlobError("The stored genome is not in a layout we know.")
            del buffer[: len(BLOB_PARTS_MAGIC)]
            magic_seen = True
        while len(buffer) >= _PART_LENGTH.size:
            (length,) = _PART_LENGTH.unpack_from(buffer)
            if len(buffer) < _PART_LENGTH.size + length:
                break
            yield bytes(buffer[_PART_LENGTH.size : _PART_LENGTH.size + length])
            del buffer[: _PART_LENGTH.size + length]
    if buffer or not magic_seen:
        raise GenomeBlobError("The stored genome is cut off.")


def genome_frames_from_file(handle: BinaryIO) -> Iterator[pl.DataFrame]:
    """A stored genome read from an open blob file, a part at a time.

    A whole-genome blob (sealed parts) yields one part (at most ``BLOB_PART_ROWS`` calls)
    at a time, read from ``handle`` as it goes, so the blob is never held whole; a chip
    file's one-token blob yields its one table.
    """
    head = handle.read(len(SEALED_MAGIC))
    if not is_sealed(head):
        yield genome_from_blob(head + handle.read())
        return
    handle.seek(0)
    for part in _blob_parts(sealed_chunks(handle)):
        yield _genome_rows(io.BytesIO(part), None, [])


def blob_rotate(blob: bytes) -> bytes:
    """Re-encrypt a blob (either layout) under the first (newest) key."""
    if is_sealed(blob):
        rotated = io.BytesIO()
        sealed_rotate(io.BytesIO(blob), rotated)
        return rotated.getvalue()
    return cipher().rotate(blob)


def value_seal(value: str) -> str:
    """Encrypt a short text (a genotype) for a database column: a Fernet token, 100 characters
    for anything under 16 bytes, so the token's length tells nothing about the value."""
    return cipher().encrypt(value.encode()).decode("ascii")


def value_unseal(token: str) -> str:
    """The text ``value_seal`` was given; GenomeBlobError when no current key opens it."""
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise GenomeBlobError(
            "A stored genotype cannot be decrypted with the current keys."
        ) from exc


def value_rotate(token: str) -> str:
    return cipher().rotate(token.encode("ascii")).decode("ascii")


# --- Sealed streams: raw uploads, encrypted as they arrive ----------------------------------
# Fernet seals whole messages, so a stream is sealed as a sequence of frames:
#     MAGIC, then per frame: 4-byte big-endian token length, Fernet token
# where each token's plaintext is an 8-byte frame index, a 1-byte "last frame" flag and up to
# SEALED_FRAME_BYTES of data. The index and the flag are inside the authenticated token, so a
# reordered, repeated or cut-off stream is refused rather than read. Tokens are MultiFernet's,
# so rotation works frame by frame (``sealed_rotate``) with the same keys as the blobs.
SEALED_MAGIC = b"GLSEAL1\n"
SEALED_FRAME_BYTES = 1024 * 1024
_FRAME_HEADER = struct.Struct(">QB")
_TOKEN_LENGTH = struct.Struct(">I")
# A token for a full frame is about 4/3 of it (base64) plus Fernet's framing.
_MAX_TOKEN_BYTES = SEALED_FRAME_BYTES * 3 // 2 + 4096


class SealedWriter:
    """Write a sealed stream to ``handle``: ``write`` plaintext pieces, then ``close``.

    At most one frame of plaintext is held in memory at any time.
    """

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self._buffer = bytearray()
        self._index = 0
        self._fernet = cipher()
        self.plain_size = 0
        self.closed = False
        handle.write(SEALED_MAGIC)

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.plain_size += len(data)
        while len(self._buffer) > SEALED_FRAME_BYTES:
            self._frame(bytes(self._buffer[:SEALED_FRAME_BYTES]), last=False)
            del self._buffer[:SEALED_FRAME_BYTES]

    def close(self) -> None:
        """Seal what is left as the last frame (an empty one for an empty stream)."""
        if not self.closed:
            self._frame(bytes(self._buffer), last=True)
            self._buffer = bytearray()
            self.closed = True

    def _frame(self, data: bytes, *, last: bool) -> None:
        token = self._fernet.encrypt(_FRAME_HEADER.pack(self._index, last) + data)
        self._handle.write(_TOKEN_LENGTH.pack(len(token)) + token)
        self._index += 1


def is_sealed(head: bytes) -> bool:
    return head.startswith(SEALED_MAGIC)


def _sealed_tokens(handle: BinaryIO) -> Iterator[bytes]:
    if handle.read(len(SEALED_MAGIC)) != SEALED_MAGIC:
        raise GenomeBlobError("The stored file is not a sealed genlife file.")
    while True:
        length = handle.read(_TOKEN_LENGTH.size)
        if not length:
            return
        if len(length) != _TOKEN_LENGTH.size:
            raise GenomeBlobError("The stored file is cut off.")
        (size,) = _TOKEN_LENGTH.unpack(length)
        if size > _MAX_TOKEN_BYTES:
            raise GenomeBlobError("The stored file is damaged.")
        token = handle.read(size)
        if len(token) != size:
            raise GenomeBlobError("The stored file is cut off.")
        yield token


def sealed_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """The plaintext of a sealed stream, frame by frame (GenomeBlobError if tampered with)."""
    fernet = cipher()
    for expected, token in enumerate(_sealed_tokens(handle)):
        try:
            plain = fernet.decrypt(token)
        except InvalidToken as exc:
            raise GenomeBlobError(
                "The stored file cannot be decrypted with the current keys."
            ) from exc
        index, last = _FRAME_HEADER.unpack_from(plain)
        if index != expected:
            raise GenomeBlobError("The stored file's frames are out of order.")
        yield plain[_FRAME_HEADER.size :]
        if last:
            return
    raise GenomeBlobError("The stored file is cut off.")


def sealed_read(handle: BinaryIO, *, max_bytes: int) -> bytes:
    """The whole plaintext of a sealed stream, refused (ValueError) past ``max_bytes``."""
    parts = []
    size = 0
    for chunk in sealed_chunks(handle):
        size += len(chunk)
        if size > max_bytes:
            raise ValueError("sealed file larger than the limit")
        parts.append(chunk)
    return b"".join(parts)


def sealed_rotate(source: BinaryIO, target: BinaryIO) -> None:
    """Copy a sealed stream with every frame re-encrypted under the first (newest) key."""
    fernet = cipher()
    target.write(SEALED_MAGIC)
    for token in _sealed_tokens(source):
        try:
            rotated = fernet.rotate(token)
        except InvalidToken as exc:
            raise GenomeBlobError(
                "The stored file cannot be decrypted with the current keys."
            ) from exc
        target.write(_TOKEN_LENGTH.pack(len(rotated)) + rotated)
