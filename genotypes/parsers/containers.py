"""Unwrap an upload to the bytes of one genome text file.

Compression is judged by magic bytes, never by the file name: a plain file called
``genome.gz.txt`` is read as text, a gzip without an extension is unpacked. Archives are
checked before anything is decompressed in full: declared sizes and compression ratios that
only a zip bomb has, path-traversal names, nested archives and several genome files are all
refused with a member-facing message.
"""

from __future__ import annotations

import io
import mmap
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from genotypes.parsers.errors import GenomeFormatError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

# A genome text file compresses about 4:1; anything beyond this is a bomb, not a genome.
DEFAULT_MAX_RATIO = 200
# Ratios are only judged once this much has come out, so small files are never refused.
RATIO_GRACE_BYTES = 8 * 1024 * 1024
# Largest decompressed genome accepted (a whole-genome variants VCF fits comfortably).
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
# Largest VCF text read (streamed, so memory does not grow with it): a 30x genome's gVCF.
DEFAULT_VCF_MAX_BYTES = 8 * 1024 * 1024 * 1024
# Largest number of records (lines) read from one genome. Consumer chips hold 0.6-2 million,
# a whole-genome variants VCF 4-5 million; a crafted file of tiny lines (37 million in 1 GB)
# is refused at the cap instead of being held whole. The parsers count exact records; while
# decompressing, lines are counted with an allowance for header lines.
DEFAULT_MAX_RECORDS = 6_000_000
HEADER_LINES_ALLOWANCE = 10_000
_CHUNK = 1024 * 1024
_MAX_MEMBERS = 200

# Other archive and document types, recognised so the member hears what they sent.
_FOREIGN_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "This is a PDF document, not a raw DNA file."),
    (b"\x89PNG", "This is an image (PNG), not a raw DNA file."),
    (b"\xff\xd8\xff", "This is an image (JPEG), not a raw DNA file."),
    (b"GIF8", "This is an image (GIF), not a raw DNA file."),
    (
        b"7z\xbc\xaf\x27\x1c",
        ("This is a 7-Zip archive; please upload the .zip or .txt file your DNA service gave you."),
    ),
    (
        b"Rar!",
        ("This is a RAR archive; please upload the .zip or .txt file your DNA service gave you."),
    ),
    (
        b"BZh",
        (
            "This is a bzip2 archive; please upload the .zip, .gz or .txt file your DNA "
            "service gave you."
        ),
    ),
    (
        b"\xfd7zXZ\x00",
        (
            "This is an xz archive; please upload the .zip, .gz or .txt file your "
            "DNA service gave you."
        ),
    ),
    (b"\xd0\xcf\x11\xe0", "This is a Microsoft Office document, not a raw DNA file."),
]


@dataclass(frozen=True)
class Unpacked:
    data: bytes
    container: str  # "plain", "gzip", "zip", "zip+gzip"
    member: str | None = None


def _too_big(limit: int) -> GenomeFormatError:
    return GenomeFormatError(
        f"Unpacked, this file would be larger than {limit // (1024 * 1024)} MB, far more than "
        "any raw DNA file; it was refused without unpacking it.",
        code="too_large",
    )


def too_many_records(limit: int) -> GenomeFormatError:
    return GenomeFormatError(
        f"This file holds more than {limit:,} records (lines), far more than a raw DNA file "
        "from a DNA service (a chip file holds up to about 2 million), so it was refused "
        "without reading the rest.",
        code="too_many_records",
    )


def _line_cap(max_records: int | None) -> int | None:
    return None if max_records is None else max_records + HEADER_LINES_ALLOWANCE


def _bomb() -> GenomeFormatError:
    return GenomeFormatError(
        "This archive expands to far more data than a raw DNA file could hold (a 'zip bomb'), "
        "so it was refused without unpacking it.",
        code="zip_bomb",
    )


def gunzip(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_records: int | None = None,
) -> bytes:
    """Decompress every gzip member in ``data``; bytes after the last member are ignored.

    Stops as soon as the output passes ``max_bytes``, the ratio passes ``max_ratio`` or the
    lines pass ``max_records`` (plus the header allowance).
    """
    return b"".join(
        gunzip_pieces(data, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records)
    )


_CAN_RELEASE = hasattr(mmap, "MADV_DONTNEED")


def gunzip_pieces(
    data: bytes | mmap.mmap,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_records: int | None = None,
) -> Iterator[bytes]:
    """``gunzip`` as a stream of pieces of at most 1 MiB, with the same checks and errors.

    ``data`` may be a read-only memory map of the compressed file; the pages already
    decompressed are handed back as it goes, and the map is let go of once the last piece
    has been produced.

    An error is raised when the piece that reveals it is reached, so a consumer sees the
    pieces before it first.
    """
    produced = 0
    lines = 0
    line_cap = _line_cap(max_records)
    offset = 0
    released = 0
    view = memoryview(data)
    while True:
        inflater = zlib.decompressobj(wbits=31)
        start = offset
        try:
            while offset < len(data) and not inflater.eof:
                chunk = view[offset : offset + _CHUNK]
                offset += len(chunk)
                pending = bytes(chunk)
                if isinstance(data, mmap.mmap) and _CAN_RELEASE:
                    # Pages read again later (a member ending mid-chunk) fault back in.
                    upto = offset - offset % mmap.PAGESIZE
                    if upto > released:
                        data.madvise(mmap.MADV_DONTNEED, released, upto - released)
                        released = upto
                while pending:
                    piece = inflater.decompress(pending, _CHUNK)
                    produced += len(piece)
                    if produced > max_bytes:
                        raise _too_big(max_bytes)
                    consumed = offset - len(inflater.unconsumed_tail) - len(inflater.unused_data)
                    if produced > RATIO_GRACE_BYTES and produced > max_ratio * max(consumed, 1):
                        raise _bomb()
                    if line_cap is not None:
                        lines += piece.count(b"\n")
                        if lines > line_cap:
                            raise too_many_records(max_records)
                    if piece:
                        yield piece
                    del piece
                    if inflater.eof:
                        break
                    pending = inflater.unconsumed_tail
        except zlib.error as exc:
            if start == 0:
                raise GenomeFormatError(
                    "The file starts like a gzip archive but is damaged, so it cannot be "
                    "unpacked. Please download it again.",
                    code="corrupt_gzip",
                ) from exc
            break  # trailing bytes after a complete member look like gzip but are not
        if not inflater.eof:
            raise GenomeFormatError(
                "The compressed file is incomplete (it seems to have been cut off while "
                "downloading). Please download it again.",
                code="truncated_gzip",
            )
        offset -= len(inflater.unused_data)
        if data[offset : offset + 2] != GZIP_MAGIC:
            break  # trailing bytes after the last member


# Everything zipfile raises on damaged or hostile archives (found by fuzzing).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
    EOFError,
    zlib.error,
    struct.error,
    OverflowError,
)

_JUNK_PREFIXES = ("__macosx/",)
_JUNK_NAMES = (".ds_store", "thumbs.db", "desktop.ini")
_NOT_GENOME_EXTENSIONS = (
    ".pdf",
    ".html",
    ".htm",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".md",
    ".rtf",
    ".doc",
    ".docx",
    ".json",
    ".xml",
)


def _is_junk(name: str) -> bool:
    lower = name.lower()
    base = posixpath.basename(lower)
    return (
        lower.endswith("/")
        or lower.startswith(_JUNK_PREFIXES)
        or base.startswith("._")
        or base in _JUNK_NAMES
    )


def _unsafe_name(name: str) -> bool:
    normalised = name.replace("\\", "/")
    parts = normalised.split("/")
    return (
        normalised.startswith("/")
        or (len(normalised) > 1 and normalised[1] == ":")
        or ".." in parts
    )


def _looks_like_readme(name: str) -> bool:
    base = posixpath.basename(name.lower())
    return base.startswith(("readme", "license", "licence")) or base.endswith(
        _NOT_GENOME_EXTENSIONS
    )


def unzip(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    looks_like_genome=None,
    max_records: int | None = None,
) -> Unpacked:
    """Pick the one genome file in a zip and return its bytes (gunzipped if needed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise GenomeFormatError(
            "The zip archive is damaged and cannot be opened. Please download it again.",
            code="corrupt_zip",
        ) from exc
    if len(infos) > _MAX_MEMBERS:
        raise GenomeFormatError(
            "The zip archive holds hundreds of files; please upload only your raw DNA file.",
            code="zip_too_many_members",
        )
    for info in infos:
        if _unsafe_name(info.filename):
            raise GenomeFormatError(
                "The zip archive contains a file name that points outside the archive (a "
                "path-traversal name), so it was refused for safety.",
                code="zip_unsafe_name",
            )
    members = [i for i in infos if not _is_junk(i.filename) and not _looks_like_readme(i.filename)]
    if not members:
        raise GenomeFormatError(
            "The zip archive does not contain a raw DNA file.", code="zip_no_genome"
        )
    for info in members:
        if info.file_size > max_bytes:
            raise _too_big(max_bytes)
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise _bomb()
    candidates = []
    for info in members:
        try:
            with archive.open(info) as handle:
                head = handle.read(4096)
        except ZIP_ERRORS as exc:
            raise GenomeFormatError(
                "The zip archive is damaged or encrypted and cannot be opened. Please "
                "download it again.",
                code="corrupt_zip",
            ) from exc
        if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
            raise GenomeFormatError(
                "The zip archive contains another zip archive. Please unpack it once and "
                "upload the raw DNA file (or the inner zip) instead.",
                code="nested_zip",
            )
        if head.startswith(GZIP_MAGIC) or looks_like_genome is None or looks_like_genome(head):
            candidates.append(info)
    if not candidates:
        raise GenomeFormatError(
            "The zip archive does not contain a raw DNA file we recognise.", code="zip_no_genome"
        )
    if len(candidates) > 1:
        names = ", ".join(posixpath.basename(i.filename) for i in candidates[:4])
        raise GenomeFormatError(
            f"The zip archive holds several genome files ({names}). Please upload one file "
            "at a time.",
            code="zip_several_genomes",
        )
    info = candidates[0]
    try:
        with archive.open(info) as handle:
            payload = _read_lines_capped(handle, max_bytes, _line_cap(max_records), max_records)
    except ZIP_ERRORS as exc:
        raise GenomeFormatError(
            "The zip archive is damaged and cannot be unpacked. Please download it again.",
            code="corrupt_zip",
        ) from exc
    if len(payload) > max_bytes:
        raise _too_big(max_bytes)
    if payload.startswith(GZIP_MAGIC):
        remaining = max_bytes
        return Unpacked(
            gunzip(payload, max_bytes=remaining, max_ratio=max_ratio, max_records=max_records),
            "zip+gzip",
            info.filename,
        )
    return Unpacked(payload, "zip", info.filename)


def _read_lines_capped(
    handle, max_bytes: int, line_cap: int | None, max_records: int | None
) -> bytes:
    """Read up to ``max_bytes + 1`` bytes in chunks, stopping once past ``line_cap`` lines."""
    parts = []
    size = lines = 0
    while size <= max_bytes and (chunk := handle.read(min(_CHUNK, max_bytes + 1 - size))):
        size += len(chunk)
        if line_cap is not None:
            lines += chunk.count(b"\n")
            if lines > line_cap:
                raise too_many_records(max_records)
        parts.append(chunk)
    return b"".join(parts)


def foreign_file_message(head: bytes) -> str | None:
    """A member-facing sentence when ``head`` is a known non-genome file type."""
    for magic, message in _FOREIGN_MAGIC:
        if head.startswith(magic):
            return message
    return None


def unpack(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    looks_like_genome=None,
    max_records: int | None = None,
) -> Unpacked:
    """Return the genome text inside ``data`` (plain, gzip, zip, or a gzip inside a zip)."""
    if not data:
        raise GenomeFormatError("The file is empty.", code="empty")
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    message = foreign_file_message(data[:16])
    if message:
        raise GenomeFormatError(message, code="not_genome")
    if data.startswith(GZIP_MAGIC):
        inner = gunzip(data, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records)
        if inner.startswith((ZIP_MAGIC, GZIP_MAGIC)):
            raise GenomeFormatError(
                "The gzip file contains another archive. Please unpack it once and upload "
                "the raw DNA file instead.",
                code="nested_archive",
            )
        return Unpacked(inner, "gzip")
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        if data.startswith(EMPTY_ZIP_MAGIC):
            raise GenomeFormatError("The zip archive is empty.", code="zip_no_genome")
        return unzip(
            data,
            max_bytes=max_bytes,
            max_ratio=max_ratio,
            looks_like_genome=looks_like_genome,
            max_records=max_records,
        )
    return Unpacked(data, "plain")


def gunzip_stream(
    chunks: Iterable[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
) -> Iterator[bytes]:
    """``gunzip_pieces`` over compressed ``chunks`` that arrive one at a time.

    For files too large to hold: a whole-genome VCF.gz read from a sealed upload, frame by
    frame. Every gzip member is read (BGZF files are thousands of them); bytes after the last
    member are ignored. Stops with the same errors as ``gunzip_pieces`` past ``max_bytes``
    of output or a ratio past ``max_ratio``; the caller counts records.
    """
    chunks = iter(chunks)
    produced = consumed = 0
    pending = b""
    first_member = True
    while True:
        while len(pending) < len(GZIP_MAGIC):
            more = next(chunks, None)
            if more is None:
                break
            pending += more
            consumed += len(more)
        if not pending.startswith(GZIP_MAGIC):
            if first_member:
                raise GenomeFormatError(
                    "The file starts like a gzip archive but is damaged, so it cannot be "
                    "unpacked. Please download it again.",
                    code="corrupt_gzip",
                )
            return  # trailing bytes after the last member
        inflater = zlib.decompressobj(wbits=31)
        try:
            while not inflater.eof:
                if not pending:
                    more = next(chunks, None)
                    if more is None:
                        raise GenomeFormatError(
                            "The compressed file is incomplete (it seems to have been cut off "
                            "while downloading). Please download it again.",
                            code="truncated_gzip",
                        )
                    pending = more
                    consumed += len(more)
                piece = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                produced += len(piece)
                if produced > max_bytes:
                    raise _too_big(max_bytes)
                if produced > RATIO_GRACE_BYTES and produced > max_ratio * max(consumed, 1):
                    raise _bomb()
                if piece:
                    yield piece
        except zlib.error as exc:
            if first_member:
                raise GenomeFormatError(
                    "The file starts like a gzip archive but is damaged, so it cannot be "
                    "unpacked. Please download it again.",
                    code="corrupt_gzip",
                ) from exc
            return  # trailing bytes after a complete member look like gzip but are not
        pending = inflater.unused_data
        first_member = False
