"""The member's whole genome at rest: one compressed, encrypted columnar blob per upload.

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
from collections.abc import Iterable

import polars as pl
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from genotypes.parsers import CHROMOSOME_DTYPE, GENOTYPE_DTYPE

BLOB_SCHEMA = {"rsid": pl.String, "chromosome": CHROMOSOME_DTYPE, "position": pl.UInt32,
               "genotype": GENOTYPE_DTYPE}


def local_mode_key() -> bytes:
    """The Fernet key local mode derives from SECRET_KEY (never used with DATABASE_URL)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"genlife-genome-blobs",
                   info=b"fernet-key-v1").derive(settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(derived)


def encryption_keys() -> list[bytes]:
    keys = [k.strip() for k in getattr(settings, "GENOME_ENCRYPTION_KEYS", []) if k.strip()]
    if keys:
        return [k.encode() for k in keys]
    if getattr(settings, "LOCAL_MODE", False):
        return [local_mode_key()]
    raise ImproperlyConfigured(
        "GENOME_ENCRYPTION_KEYS must be set (comma-separated Fernet keys) outside local mode.")


def cipher() -> MultiFernet:
    return _cipher_for(tuple(encryption_keys()))


@functools.lru_cache(maxsize=4)
def _cipher_for(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "GENOME_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from exc


def genome_to_blob(frame: pl.DataFrame) -> bytes:
    """Serialise and encrypt a parsed genome frame."""
    buffer = io.BytesIO()
    # Sorted by rsid in small row groups with statistics: a look-up of one rsid (the
    # catalogue backfill) then reads a single row group instead of the whole genome.
    frame.select(list(BLOB_SCHEMA)).sort("rsid", nulls_last=True).write_parquet(
        buffer, compression="zstd", compression_level=6, statistics=True,
        row_group_size=16_384)
    return cipher().encrypt(buffer.getvalue())


class GenomeBlobError(Exception):
    """A stored genome could not be decrypted (wrong or retired key) or read."""


def genome_from_blob(blob: bytes, *, rsids: Iterable[str] | None = None,
                     positions: Iterable[tuple[str, int]] = ()) -> pl.DataFrame:
    """Decrypt and load a stored genome.

    With ``rsids`` (and optionally ``positions``, (chromosome, position) pairs looked up
    among records without an id), only the matching rows are materialised.
    """
    try:
        plain = cipher().decrypt(blob)
    except InvalidToken as exc:
        raise GenomeBlobError("The stored genome cannot be decrypted with the current keys.") from exc
    lazy = pl.scan_parquet(io.BytesIO(plain))
    if rsids is not None:
        wanted = pl.col("rsid").is_in(list(rsids))
        for chromosome, position in positions:
            wanted = wanted | (pl.col("rsid").is_null() & (pl.col("position") == position)
                               & (pl.col("chromosome").cast(pl.String) == chromosome))
        lazy = lazy.filter(wanted)
    return lazy.collect()


def genome_lookup(frame: pl.DataFrame, *, rsid: str, chromosome: str = "",
                  position: int | None = None) -> str | None:
    """The genotype for one SNP: by rsid, else by chromosome and position (VCFs without ids)."""
    hit = frame.filter(pl.col("rsid") == rsid)
    if hit.height == 0 and chromosome and position:
        hit = frame.filter((pl.col("chromosome") == chromosome) & (pl.col("position") == position))
    if hit.height == 0:
        return None
    return str(hit["genotype"][0])


def blob_rotate(blob: bytes) -> bytes:
    """Re-encrypt a blob under the first (newest) key."""
    return cipher().rotate(blob)
