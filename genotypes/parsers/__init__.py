"""Consumer raw-DNA parsing: bytes in, one normalised genotype table out.

Pure functions with no Django or ORM imports, so they run the same in a Celery worker, the
``parse_genome`` command, the benchmarks and the tests::

    genome = parse_genome(Path("genome.zip"))
    genome.format.label, genome.build, genome.snp_count, genome.genotypes_for(["rs4680"])

Every failure is a ``GenomeFormatError`` whose ``message`` is written for the member.
"""

from __future__ import annotations

import itertools
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import polars as pl

from genotypes.parsers.containers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_RATIO,
    DEFAULT_MAX_RECORDS,
    DEFAULT_VCF_MAX_BYTES,
    EMPTY_ZIP_MAGIC,
    GZIP_MAGIC,
    ZIP_MAGIC,
    gunzip_pieces,
    gunzip_stream,
    unpack,
)
from genotypes.parsers.detect import (
    HEAD_BYTES,
    UTF8_BOM,
    GenomeFormat,
    Layout,
    decode_text,
    detect_format,
    looks_like_genome,
)
from genotypes.parsers.errors import GenomeFormatError
from genotypes.parsers.formats import (
    CHROMOSOME_DTYPE,
    CHROMOSOMES,
    GENOTYPE_DTYPE,
    GENOTYPES,
    NO_CALL,
    PARSERS,
    StreamCheck,
    StreamUnsuitable,
    TextSource,
    split_joined_ids,
)
from genotypes.parsers.markers import KNOWN_POSITIONS
from genotypes.parsers.vcf_stream import Keep, read_vcf_stream

__all__ = [
    "CHROMOSOMES",
    "CHROMOSOME_DTYPE",
    "GENOTYPES",
    "GENOTYPE_DTYPE",
    "NO_CALL",
    "GenomeFormat",
    "GenomeFormatError",
    "Keep",
    "Layout",
    "ParsedGenome",
    "absent_means_reference",
    "detect_build",
    "detect_format",
    "parse_genome",
    "parse_genome_bytes",
    "parse_genome_stream",
]

TOP_STRAND_NOTE = (
    "This report gives its alleles on Illumina's TOP strand only. Each variant we show is "
    "turned to the plus strand using the alleles our catalogue knows for it; an A/T or C/G "
    "variant, or one whose alleles we do not know, cannot be turned that way and is marked "
    "'strand unclear'."
)
# Share of damaged lines tolerated (reported as warnings); more than this refuses the file.
TOLERATED_BAD_LINE_SHARE = 0.001
# A chip file has every autosome; this many SNPs on two or fewer means a cut-off file.
PARTIAL_FILE_MIN_SNPS = 10_000


@dataclass
class ParsedGenome:
    format: GenomeFormat
    build: int | None
    stated_build: int | None
    frame: pl.DataFrame  # rsid, chromosome, position, genotype (see formats.py)
    no_call_count: int
    invalid_count: int = 0
    malformed_count: int = 0
    duplicate_count: int = 0
    conflicting_duplicate_count: int = 0
    container: str = "plain"
    warnings: list[str] = field(default_factory=list)
    # Set when the file was streamed: every call went to the sink and ``frame`` holds only
    # the rows asked for, so the count of calls is kept here.
    stored_count: int | None = None

    @property
    def snp_count(self) -> int:
        return self.frame.height if self.stored_count is None else self.stored_count

    @property
    def absent_means_reference(self) -> bool:
        return absent_means_reference(self.format.label)

    def genotypes_for(self, rsids: Iterable[str]) -> dict[str, str | None]:
        """rsid -> normalised genotype ("AG", "A", "--"), None when the file lacks it."""
        wanted = [r.strip().lower() for r in rsids]
        found = dict(
            self.frame.filter(pl.col("rsid").is_in(wanted))
            .select("rsid", pl.col("genotype").cast(pl.String))
            .iter_rows()
        )
        return {rsid: found.get(rsid) for rsid in wanted}

    def summary(self) -> dict:
        return {
            "format": self.format.label,
            "build": self.build,
            "snp_count": self.snp_count,
            "no_call_count": self.no_call_count,
        }


def absent_means_reference(format_label: str) -> bool:
    """A VCF may omit sites where the member carries the reference allele twice, so a SNP
    absent from it may be reference/reference. ``format_label``: ``GenomeFormat.label``, as
    stored with an upload."""
    return format_label == GenomeFormat.VCF.label


def detect_build(frame: pl.DataFrame) -> int | None:
    """36, 37 or 38 from the positions of well-known rsids; None when none is present."""
    rsids, positions = frame["rsid"], frame["position"]
    votes = {36: 0, 37: 0, 38: 0}
    # A dozen look-ups by value are as quick as one set-membership pass over the column
    # and leave the query engine out of it, which keeps the parse's peak memory down.
    for rsid, (_, known_positions) in KNOWN_POSITIONS.items():
        start = 0
        while (found := rsids.slice(start).index_of(rsid)) is not None:
            position = positions[start + found]
            for build, known in known_positions.items():
                if known == position:
                    votes[build] += 1
            start += found + 1
    best = max(votes, key=lambda b: votes[b])
    return best if votes[best] else None


def _read_source(source: bytes | str | os.PathLike | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        try:
            if os.path.getsize(source) > max_bytes:
                raise _file_too_big(max_bytes)
            with open(source, "rb") as handle:
                return _read_capped(handle, max_bytes)
        except FileNotFoundError as exc:
            raise GenomeFormatError("The file does not exist.", code="missing") from exc
        except IsADirectoryError as exc:
            raise GenomeFormatError("That is a folder, not a file.", code="missing") from exc
    return _read_capped(source, max_bytes)


def _file_too_big(max_bytes: int) -> GenomeFormatError:
    return GenomeFormatError(
        f"The file is larger than {max_bytes // (1024 * 1024)} MB, far more than any raw DNA file.",
        code="too_large",
    )


def _read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _file_too_big(max_bytes)
    return data


def parse_genome(
    source: bytes | str | os.PathLike | BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_records: int = DEFAULT_MAX_RECORDS,
    max_vcf_bytes: int = DEFAULT_VCF_MAX_BYTES,
    keep: Keep | None = None,
) -> ParsedGenome:
    """Parse a raw-DNA upload (path, bytes or binary stream) of any supported format.

    A file with more than ``max_records`` records is refused (code ``too_many_records``) as
    soon as the reader passes the cap, without reading or unpacking the rest. A VCF given
    as a path is streamed (``parse_genome_stream``): its text may reach ``max_vcf_bytes``
    and, with ``keep``, only the rows it names are held.
    """
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        return parse_genome_stream(
            lambda: _file_chunks(path),
            fallback=lambda: _parse_path(
                path, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records
            ),
            max_unpacked_bytes=max_vcf_bytes,
            max_ratio=max_ratio,
            max_records=max_records,
            keep=keep,
        )
    return parse_genome_bytes(
        _read_source(source, max_bytes),
        max_bytes=max_bytes,
        max_ratio=max_ratio,
        max_records=max_records,
    )


def _parse_path(path: str, *, max_bytes: int, max_ratio: int, max_records: int) -> ParsedGenome:
    mapped = _plain_file_source(path, max_bytes)
    if mapped is not None:
        return _parse_text(mapped, container="plain", max_records=max_records)
    if _starts_like_gzip(path):
        # The compressed file is mapped rather than read, and unmapped as soon as it has
        # been decompressed; should the streamed route give up, the whole-text route
        # reads the file again.
        streamed = _parse_gzip_streamed(
            lambda: _map_file(path),
            max_bytes=max_bytes,
            max_ratio=max_ratio,
            max_records=max_records,
        )
        if streamed is not None:
            return streamed
    return parse_genome_bytes(
        _read_source(path, max_bytes),
        max_bytes=max_bytes,
        max_ratio=max_ratio,
        max_records=max_records,
    )


def _map_file(path: str) -> mmap.mmap:
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _starts_like_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    except OSError:
        return False


def _plain_file_source(path: str, max_bytes: int) -> TextSource | None:
    """A head/tail/path source for a large plain UTF-8 file, so the reader can map it.

    Anything that needs unpacking, re-encoding or line-end rewriting returns None and goes
    through the in-memory route instead.
    """
    try:
        size = os.path.getsize(path)
        if size <= 2 * HEAD_BYTES or size > max_bytes:
            return None
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES + 1)
            handle.seek(-64 * 1024, os.SEEK_END)
            tail = handle.read()
    except OSError:
        return None
    if head.startswith((GZIP_MAGIC, ZIP_MAGIC, EMPTY_ZIP_MAGIC, UTF8_BOM)) or b"\x00" in head:
        return None
    if decode_text(head) is not head or decode_text(tail) is not tail:
        return None  # lone carriage returns to rewrite
    return TextSource(head, path=path, tail=tail)


def parse_genome_bytes(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_records: int = DEFAULT_MAX_RECORDS,
) -> ParsedGenome:
    streamed = _parse_gzip_streamed(
        lambda: data, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records
    )
    if streamed is not None:
        return streamed
    return _parse_whole(data, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records)


def _parse_whole(
    data: bytes, *, max_bytes: int, max_ratio: int, max_records: int = DEFAULT_MAX_RECORDS
) -> ParsedGenome:
    """The whole-text route: unpack, decode, then parse; every file can take it."""
    unpacked = unpack(
        data,
        max_bytes=max_bytes,
        max_ratio=max_ratio,
        looks_like_genome=looks_like_genome,
        max_records=max_records,
    )
    container = unpacked.container
    text = decode_text(unpacked.data)
    del unpacked
    return _parse_text(TextSource(text), container=container, max_records=max_records)


def _parse_gzip_streamed(
    load: Callable[[], bytes | mmap.mmap],
    *,
    max_bytes: int,
    max_ratio: int,
    max_records: int = DEFAULT_MAX_RECORDS,
) -> ParsedGenome | None:
    """Parse a large gzip upload while it is decompressed, never holding all of its text.

    Only the common case is taken this way: a plain UTF-8 text whose start needs no
    rewriting. Whenever anything turns out otherwise (a damaged archive, a refused file, line
    ends or whitespace that the whole-text route would rewrite) this returns None and the
    whole-text route runs from the start, so results and error messages stay exactly those
    of that route.
    """
    try:
        data = load()
    except (GenomeFormatError, OSError, ValueError):
        return None
    if data[: len(GZIP_MAGIC)] != GZIP_MAGIC or len(data) > max_bytes:
        return None
    pieces = gunzip_pieces(data, max_bytes=max_bytes, max_ratio=max_ratio, max_records=max_records)
    del data  # the decompressor holds the only reference and drops it when done
    head_pieces: list[bytes] = []
    head_size = 0
    try:
        for piece in pieces:
            head_pieces.append(piece)
            head_size += len(piece)
            if head_size > _STREAM_HEAD_BYTES:
                break
        else:
            return None  # small enough for the whole-text route
        head = b"".join(head_pieces)
        del head_pieces
        lines = head[: head.rfind(b"\n") + 1]  # a piece may end between CR and LF
        if head.startswith((ZIP_MAGIC, GZIP_MAGIC)) or decode_text(lines) is not lines:
            return None
        del lines
        # Handed over without a local name, so that the head is freed once it has been read.
        sources = [TextSource(head, rest=pieces, check=StreamCheck(head))]
        del head
        return _parse_text(sources.pop(), container="gzip", max_records=max_records)
    except GenomeFormatError as error:
        if error.code == "too_many_records":
            raise  # the whole-text route would refuse it too, after unpacking it again
        return None
    except StreamUnsuitable:
        return None
    finally:
        pieces.close()


# The streamed route reads this much before judging the text, so that the head covers the
# format detector's window and the table reader's sample does not overlap the tail.
_STREAM_HEAD_BYTES = 2 * HEAD_BYTES + 2 * 64 * 1024


# The distinct-id count is taken one hash bucket at a time, over slices of this many rows.
_ID_BUCKETS = 4
_ID_SLICE_ROWS = 1 << 17


def _distinct_count(rsids: pl.Series) -> int:
    """How many distinct non-null ids there are, judged by their 64-bit hashes.

    The hashes are counted one bucket (hash modulo ``_ID_BUCKETS``) at a time, each slice of
    the column hashed separately, so that only a fraction of them exists at once: counting
    all of them in one go used to set the parse's peak memory. Equal ids share a bucket, so
    the sum over the buckets equals the count over all hashes.
    """
    distinct = 0
    for bucket in range(_ID_BUCKETS):
        hashes = []
        for offset in range(0, rsids.len(), _ID_SLICE_ROWS):
            slice_hashes = rsids.slice(offset, _ID_SLICE_ROWS).drop_nulls().hash()
            hashes.append(slice_hashes.filter(slice_hashes % _ID_BUCKETS == bucket))
            del slice_hashes
        distinct += pl.concat(hashes).n_unique() if hashes else 0
        del hashes
    return distinct


# Codes of the genotype and chromosome Enums: 1-22 come before X, Y, XY and MT.
_NO_CALL_CODE = GENOTYPES.index(NO_CALL)
_FIRST_SEX_CODE = CHROMOSOMES.index("X")


def _parse_text(
    source: TextSource, *, container: str, max_records: int = DEFAULT_MAX_RECORDS
) -> ParsedGenome:
    layout = detect_format(source.head)
    frame, counts = PARSERS[layout.format](source, layout, max_records=max_records)
    del source
    warnings = _line_warnings(layout, counts)
    if frame.height == 0:
        raise _no_data(layout)

    frame, joined = split_joined_ids(frame)
    _joined_warning(joined, warnings)
    frame, duplicate_count, conflicting = _without_duplicates(frame, _tolerated(counts), warnings)

    # Counted on the Enums' codes, with kernels the parse has already loaded: a query of its
    # own here paged in 3 MiB more of polars' machine code at the parse's peak.
    genotype_codes = frame["genotype"].to_physical()
    no_calls = genotype_codes.filter(genotype_codes == _NO_CALL_CODE).len()
    del genotype_codes
    chromosome_codes = frame["chromosome"].to_physical()
    autosomes = chromosome_codes.filter(chromosome_codes < _FIRST_SEX_CODE).n_unique()
    del chromosome_codes
    _check_calls(no_calls=no_calls, count=frame.height, autosomes=autosomes)
    build = _build(frame, layout, warnings, has_ids=frame["rsid"].is_not_null().any())
    return ParsedGenome(
        format=layout.format,
        build=build,
        stated_build=layout.stated_build,
        frame=frame,
        no_call_count=no_calls,
        invalid_count=counts.invalid_genotypes,
        malformed_count=counts.malformed,
        duplicate_count=duplicate_count,
        conflicting_duplicate_count=conflicting,
        container=container,
        warnings=warnings,
    )


def _tolerated(counts) -> int:
    return int(counts.lines * TOLERATED_BAD_LINE_SHARE)


def _line_warnings(layout: Layout, counts) -> list[str]:
    """The notes on damaged lines; too many of them refuses the file."""
    warnings = list(counts.notes)
    if layout.format == GenomeFormat.ILLUMINA_TOP:
        warnings.append(TOP_STRAND_NOTE)
    bad = counts.malformed + counts.invalid_genotypes
    tolerated = _tolerated(counts)
    if counts.invalid_genotypes and bad > tolerated:
        raise GenomeFormatError(
            f"{counts.invalid_genotypes:,} of {counts.lines:,} lines have genotype values that "
            "are not DNA letters (A, C, G, T, or I/D for insertions and deletions), so the file "
            "looks damaged or edited.",
            code="invalid_alleles",
        )
    if counts.malformed and bad > tolerated:
        raise GenomeFormatError(
            f"{counts.malformed:,} of {counts.lines:,} lines are incomplete or have missing or "
            "non-numeric positions, so the file looks damaged, cut off or edited.",
            code="malformed",
        )
    if counts.invalid_genotypes:
        warnings.append(
            f"{counts.invalid_genotypes:,} lines with invalid genotype letters were skipped."
        )
    if counts.malformed:
        warnings.append(f"{counts.malformed:,} incomplete lines were skipped.")
    return warnings


def _no_data(layout: Layout) -> GenomeFormatError:
    return GenomeFormatError(
        f"The file has the header of a {layout.format.label} file but no genotype lines.",
        code="no_data",
    )


def _joined_warning(joined: int, warnings: list[str]) -> None:
    if joined:
        warnings.append(
            f"{joined:,} lines named several rsids at once (such as rs6,rs9); the line's "
            "genotype was read for each of them."
        )


def _without_duplicates(
    frame: pl.DataFrame, tolerated: int, warnings: list[str]
) -> tuple[pl.DataFrame, int, int]:
    """Repeated lines dropped; rsids listed with different genotypes made no-calls."""
    duplicate_count = conflicting = 0
    rsids = frame["rsid"]
    repeated = _distinct_count(rsids) != rsids.len() - rsids.null_count()
    del rsids
    if repeated:
        before = frame.height
        frame = frame.unique(subset=["rsid", "genotype"], keep="first", maintain_order=True)
        conflicted = frame.filter(pl.col("rsid").is_not_null() & pl.col("rsid").is_duplicated())
        conflicting = conflicted["rsid"].n_unique() if conflicted.height else 0
        if conflicting > tolerated:
            raise GenomeFormatError(
                f"The file lists {conflicting:,} rsids more than once with different "
                "genotypes, so we cannot tell which call is right.",
                code="conflicting_duplicates",
            )
        if conflicting:
            conflicted_ids = conflicted["rsid"].unique().to_list()
            frame = frame.with_columns(
                genotype=pl.when(pl.col("rsid").is_in(conflicted_ids))
                .then(pl.lit(NO_CALL, dtype=GENOTYPE_DTYPE))
                .otherwise(pl.col("genotype"))
            ).unique(subset=["rsid"], keep="first", maintain_order=True)
            warnings.append(
                f"{conflicting:,} rsids listed twice with different genotypes are "
                "treated as no-calls."
            )
        duplicate_count = before - frame.height
        if duplicate_count - conflicting > 0:
            warnings.append(f"{duplicate_count - conflicting:,} repeated lines were ignored.")
    return frame, duplicate_count, conflicting


def _check_calls(*, no_calls: int, count: int, autosomes: int) -> None:
    if no_calls == count:
        raise GenomeFormatError(
            "Every genotype in the file is a no-call, so there are no results to show. The "
            "DNA service may still be processing your sample.",
            code="only_no_calls",
        )
    if count >= PARTIAL_FILE_MIN_SNPS and autosomes <= 2:
        raise GenomeFormatError(
            "The file seems incomplete: it only holds data for one or two chromosomes. "
            "Please download the complete raw data file again.",
            code="partial",
        )


def _build(frame: pl.DataFrame, layout: Layout, warnings: list[str], *, has_ids: bool) -> int:
    detected = detect_build(frame)
    stated = layout.stated_build
    if detected and stated and detected != stated:
        warnings.append(
            f"The header says build {stated}, but the positions match build "
            f"{detected}; positions were read as build {detected}."
        )
    build = detected or stated
    if layout.format in (GenomeFormat.VCF, GenomeFormat.GVCF):
        if not has_ids and build not in (37, 38):
            if build == 36:
                raise GenomeFormatError(
                    "This VCF file uses the old NCBI36 (hg18) reference and has no rsids, so "
                    "its positions cannot be compared with ours (GRCh37 or GRCh38).",
                    code="unsupported_build",
                )
            raise GenomeFormatError(
                "This VCF file has no rsids and does not say which reference genome it was "
                "aligned to, so its positions cannot be compared with ours.",
                code="unknown_build",
            )
    return build


# --- Whole-genome VCFs: one streaming pass (vcf_stream.py) -----------------------------------


def parse_genome_stream(
    open_chunks: Callable[[], Iterator[bytes]],
    *,
    fallback: Callable[[], ParsedGenome],
    max_unpacked_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_records: int = DEFAULT_MAX_RECORDS,
    keep: Keep | None = None,
    sink: Callable[[pl.DataFrame], None] | None = None,
    reference_sites: dict[int, pl.DataFrame] | None = None,
) -> ParsedGenome:
    """Parse a file given as a stream of chunks (``open_chunks()``), in bounded memory.

    A VCF or gVCF (plain or gzip, BGZF included) is read in one pass: every call goes to
    ``sink`` as it is read and only the rows ``keep`` names stay in the returned frame
    (``snp_count`` still counts every call). ``reference_sites`` ({build: rsid, chromosome,
    position, genotype}) are the sites a gVCF's reference blocks are read for, in the
    build the header states. Anything else (chip files, zips, a VCF whose text needs
    rewriting) is handed to ``fallback``, which reads it as before, within its own limits.
    ``max_unpacked_bytes`` bounds the VCF's text; ``max_records`` its variant records.
    """
    chunks = open_chunks()
    try:
        first = b""
        for chunk in chunks:
            first += chunk
            if len(first) >= len(GZIP_MAGIC):
                break
        rest = itertools.chain([first], chunks)
        if first.startswith(GZIP_MAGIC):
            container = "gzip"
            text = gunzip_stream(rest, max_bytes=max_unpacked_bytes, max_ratio=max_ratio)
        else:
            container = "plain"
            text = _capped_pieces(rest, max_unpacked_bytes)
        head_pieces: list[bytes] = []
        size = 0
        for piece in text:
            head_pieces.append(piece)
            size += len(piece)
            if size > _STREAM_HEAD_BYTES:
                break
        head = b"".join(head_pieces)
        del head_pieces
        layout = _streamable_vcf(head)
        if layout is None:
            text.close()
            chunks.close()
            return fallback()
        rsids = None if keep is None or keep.rsids is None else keep.rsids | _MARKER_RSIDS
        keep = Keep(rsids=rsids, positions=keep.positions if keep else frozenset())
        sites = (reference_sites or {}).get(layout.stated_build)
        frame, counts, totals = read_vcf_stream(
            itertools.chain([head], text),
            layout,
            max_records=max_records,
            keep=keep,
            sink=sink,
            reference_sites=sites,
        )
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    warnings = _line_warnings(layout, counts)
    if not totals.stored:
        raise _no_data(layout)
    _joined_warning(totals.joined, warnings)
    if totals.reference_calls:
        warnings.append(
            f"{totals.reference_calls:,} of our variants lie in your gVCF's reference blocks "
            "and were read as reference calls."
        )
    if frame.height:
        frame, duplicate_count, conflicting = _without_duplicates(
            frame, _tolerated(counts), warnings
        )
    else:
        frame, duplicate_count, conflicting = _EMPTY_FRAME, 0, 0
    _check_calls(no_calls=totals.no_calls, count=totals.stored, autosomes=totals.autosomes)
    build = _build(frame, layout, warnings, has_ids=totals.with_ids > 0)
    return ParsedGenome(
        format=layout.format,
        build=build,
        stated_build=layout.stated_build,
        frame=frame,
        no_call_count=totals.no_calls,
        invalid_count=counts.invalid_genotypes,
        malformed_count=counts.malformed,
        duplicate_count=duplicate_count,
        conflicting_duplicate_count=conflicting,
        container=container,
        warnings=warnings,
        stored_count=totals.stored,
    )


_MARKER_RSIDS = frozenset(KNOWN_POSITIONS)
_EMPTY_FRAME = pl.DataFrame(
    schema={
        "rsid": pl.String,
        "chromosome": CHROMOSOME_DTYPE,
        "position": pl.UInt32,
        "genotype": GENOTYPE_DTYPE,
    }
)


def _capped_pieces(pieces: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > max_bytes:
            raise _file_too_big(max_bytes)
        yield piece


def _streamable_vcf(head: bytes) -> Layout | None:
    """The layout of a VCF text the stream route can read as it is, else None.

    Anything the whole-text route would rewrite first (a byte-order mark, UTF-16, carriage
    returns), an archive inside the gzip, or a text that is not a VCF goes that route, so
    that its result and messages stay exactly those of that route.
    """
    if head.startswith((UTF8_BOM, ZIP_MAGIC, EMPTY_ZIP_MAGIC, GZIP_MAGIC)):
        return None
    if b"\r" in head or b"\x00" in head[:HEAD_BYTES] or _looks_utf16(head):
        return None
    if not head.lstrip()[:16].lower().startswith(b"##fileformat=vcf"):
        return None
    try:
        layout = detect_format(head)
    except GenomeFormatError:
        return None
    if layout.format not in (GenomeFormat.VCF, GenomeFormat.GVCF):
        return None
    if not _only_comments_before(head, layout.body_start):
        return None
    return layout


def _looks_utf16(head: bytes) -> bool:
    start = head[:512]
    return decode_text(start) is not start


def _only_comments_before(head: bytes, body_start: int) -> bool:
    return all(
        not line.strip() or line.lstrip().startswith(b"#")
        for line in head[:body_start].split(b"\n")
    )


def _file_chunks(path: str, size: int = 1024 * 1024) -> Iterator[bytes]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, once the stream is read)
    except FileNotFoundError as exc:
        raise GenomeFormatError("The file does not exist.", code="missing") from exc
    except IsADirectoryError as exc:
        raise GenomeFormatError("That is a folder, not a file.", code="missing") from exc
    with handle:
        while chunk := handle.read(size):
            yield chunk
