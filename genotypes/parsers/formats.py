"""One parser per vendor layout, all normalising to the same four columns.

Every parser takes the decoded text and its ``Layout`` and returns a polars frame with
``rsid`` (String; null only for VCF records without an id), ``chromosome`` (Enum of 1-22, X,
Y, XY, MT), ``position`` (UInt32) and ``genotype`` (Enum: alleles sorted, "A" for a haploid
call, "--" for a no-call) plus the raw counts the caller turns into a report. The hot path is
a polars CSV read with a pinned schema per block of about a megabyte, straight into the
canonical dtypes when the file spells its values the canonical way (dictionary look-ups
otherwise); the Python-level work is per block and per header line, not per genome line.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import product

import polars as pl

from genotypes.parsers.containers import DEFAULT_MAX_RECORDS, too_many_records
from genotypes.parsers.detect import GenomeFormat, Layout, crlf_throughout, decode_text
from genotypes.parsers.errors import GenomeFormatError

CHROMOSOMES = tuple([str(i) for i in range(1, 23)] + ["X", "Y", "XY", "MT"])
CHROMOSOME_DTYPE = pl.Enum(CHROMOSOMES)

NO_CALL = "--"
_BASES = "ACGT"
GENOTYPES = tuple(
    [NO_CALL]
    + list(_BASES)
    + ["".join(p) for p in product(_BASES, repeat=2) if p[0] <= p[1]]
    + ["I", "D", "DD", "DI", "II"]
)
GENOTYPE_DTYPE = pl.Enum(GENOTYPES)


def _chromosome_map() -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    aliases = {c: c for c in CHROMOSOMES}
    aliases.update({"M": "MT", "23": "X", "24": "Y", "25": "XY", "26": "MT", "PAR": "XY"})
    for raw, canonical in aliases.items():
        for prefix in ("", "chr", "CHR", "Chr"):
            for spelling in {raw, raw.lower()}:
                mapping[prefix + spelling] = canonical
    return mapping


CHROMOSOME_MAP = _chromosome_map()
_NO_CALL_SPELLINGS = ("--", "00", "0", "-", ".", "..", "//", "-/-", "./.", ".|.", "N/N", "NN")


def _genotype_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for a, b in product(_BASES, repeat=2):
        mapping[a + b] = "".join(sorted(a + b))
    for a in _BASES + "ID":
        mapping[a] = a
    mapping.update({"II": "II", "DD": "DD", "DI": "DI", "ID": "DI"})
    for a, b in product(_BASES + "ID", repeat=2):  # "A/A" (CircleDNA), "A|G" (phased)
        if a + b in mapping:
            mapping[f"{a}/{b}"] = mapping[f"{a}|{b}"] = mapping[a + b]
    for spelling in list(mapping):
        mapping[spelling.lower()] = mapping[spelling]
    for spelling in _NO_CALL_SPELLINGS:
        mapping[spelling] = NO_CALL
    return mapping


GENOTYPE_MAP = _genotype_map()


@dataclass
class TableCounts:
    lines: int = 0
    malformed: int = 0
    invalid_genotypes: int = 0
    repeated_headers: int = 0
    notes: list[str] = field(default_factory=list)


def _friendly_polars_error(exc: Exception) -> GenomeFormatError:
    return GenomeFormatError(
        "The file's lines could not be split into columns consistently; it may be damaged "
        "or edited.",
        code="malformed",
    )


_BLANKS = re.compile(rb"[ \t]+")
_EDGE_TABS = re.compile(rb"^\t|\t(?=\r?$)", re.MULTILINE)
_SAMPLE = 64 * 1024
# Size of the pieces the table reader takes at a time (see ``read_table``).
BLOCK_BYTES = 1024 * 1024


def _sample(body: bytes, start: int = 0) -> bytes:
    """The start and end of the data: enough to judge its whitespace without a full scan."""
    if len(body) - start <= 2 * _SAMPLE:
        return body[start:]
    return body[start : start + _SAMPLE] + body[-_SAMPLE:]


def _clean_body(body: bytes, separator: str, start: int = 0) -> tuple[bytes, str]:
    """Make the body readable by a single-byte-separator CSV reader (data begins at start)."""
    sample = _sample(body, start)
    if separator in (",", ";"):
        if b'"' in sample:
            body = body.replace(b'"', b"")  # plain and "extra-quoted" MyHeritage alike
        if b" " in sample or b"\t" in sample:
            body = _BLANKS.sub(b"", body)
        return body, separator
    if separator == " " or b" " in sample or b"\t\t" in sample or b"\n\t" in sample:
        body = _BLANKS.sub(b"\t", body)
        body = _EDGE_TABS.sub(b"", body)
    return body, "\t"


_TYPED = {
    "position": pl.UInt32,
    "chromosome": pl.Categorical,
    "genotype": pl.Categorical,
    "allele1": pl.Categorical,
    "allele2": pl.Categorical,
}


def _needs_lowercase(sample: bytes) -> bool:
    return any(
        marker in sample for marker in (b"\nRS", b"\nRs", b"\nrS", b'"RS', b"\nI")
    ) or sample[:2] in (b"RS", b"Rs", b"rS")


@dataclass
class TextSource:
    """Decoded genome text, or its head plus a way to stream the rest.

    With a ``path`` (a large plain file on disk) or ``rest`` (the decompressed pieces that
    follow ``head`` in a gzip upload), the table reader takes the text in line-aligned blocks
    instead of holding all of it; ``full()`` loads and decodes the whole text when a layout
    needs rewriting first. A streamed source only stands for the decoded text when nothing
    in it needs rewriting, which ``StreamCheck`` confirms once the blocks have been read.
    """

    head: bytes
    path: str | None = None
    tail: bytes = b""
    rest: Iterator[bytes] | None = None
    check: StreamCheck | None = None

    @property
    def streamed(self) -> bool:
        return self.path is not None or self.rest is not None

    def full(self) -> bytes:
        if self.path is not None:
            with open(self.path, "rb") as handle:
                return decode_text(handle.read())
        if self.rest is not None:
            return decode_text(self.head + b"".join(self.rest))
        return self.head

    def pieces(self) -> Iterator[bytes]:
        """The raw text in pieces of about ``BLOCK_BYTES`` (only for a streamed source)."""
        if self.path is not None:
            with open(self.path, "rb") as handle:
                while piece := handle.read(BLOCK_BYTES):
                    yield piece
            return
        yield self.head
        for piece in self.rest or ():
            if self.check is not None:
                self.check.see(piece)
            yield piece


class StreamUnsuitable(Exception):
    """A streamed text turned out to need the whole-text route (rewriting, other sample)."""


@dataclass
class StreamCheck:
    """What ``decode_text`` and the table reader would have decided from the whole text.

    Line ends are counted and the last ``_SAMPLE`` bytes kept while the pieces go by, so that
    after the read ``confirm`` can tell whether the text needed rewriting (lone carriage
    returns) or a different whitespace and case treatment than the head alone suggested.
    """

    head: bytes
    carriage_returns: int = 0
    line_feeds: int = 0
    tail: bytes = b""

    def __post_init__(self) -> None:
        self.carriage_returns = self.head.count(b"\r")
        self.line_feeds = self.head.count(b"\n")
        self.tail = self.head[-_SAMPLE:]

    def see(self, piece: bytes) -> None:
        self.carriage_returns += piece.count(b"\r")
        self.line_feeds += piece.count(b"\n")
        self.tail = piece[-_SAMPLE:] if len(piece) >= _SAMPLE else (self.tail + piece)[-_SAMPLE:]

    def confirm(self) -> bytes:
        """The tail of the text; raises ``StreamUnsuitable`` if it needed rewriting."""
        if self.carriage_returns and not crlf_throughout(
            self.carriage_returns, self.line_feeds, self.head, self.tail
        ):
            raise StreamUnsuitable("line ends need rewriting")
        return self.tail


# Layouts whose tab-separated fields may hold spaces (an Illumina report's Sample ID).
_TAB_ONLY = (GenomeFormat.ILLUMINA, GenomeFormat.ILLUMINA_TOP, GenomeFormat.MAPMYGENOME)


def _needs_cleaning(sample: bytes, separator: str) -> bool:
    if separator in (",", ";"):
        return b'"' in sample or b" " in sample or b"\t" in sample
    return separator == " " or b" " in sample or b"\t\t" in sample or b"\n\t" in sample


def _only_comments(header: bytes) -> bool:
    return all(not line.strip() or line.lstrip().startswith(b"#") for line in header.split(b"\n"))


def read_table(
    source: TextSource, layout: Layout, *, max_records: int = DEFAULT_MAX_RECORDS
) -> tuple[pl.DataFrame, TableCounts]:
    """Read and normalise a rsid/chromosome/position/genotype table (every non-VCF format).

    The text goes to the reader in line-aligned blocks of about ``BLOCK_BYTES``, each
    normalised to the compact dtypes (and its bad lines dropped) before the next is read, so
    that full-width string columns exist for one block at a time, not for the whole file.
    """
    only_comments = _only_comments(source.head[: layout.body_start])
    sample = source.head[layout.body_start : layout.body_start + _SAMPLE] + source.tail
    streamed = source.streamed and only_comments and not _needs_cleaning(sample, layout.separator)
    if streamed:
        blocks, separator = _line_blocks(source.pieces()), layout.separator
    else:
        text = source.full()
        if only_comments:
            body, start = text, layout.body_start
        else:
            body, start = text[layout.body_start :], 0
        del text
        if layout.format in _TAB_ONLY and layout.separator == "\t":
            separator = "\t"  # a sample name may hold spaces; tabs alone separate
        else:
            body, separator = _clean_body(body, layout.separator, start)
        sample = _sample(body, start)
        blocks = _line_blocks(_slices(body))
        del body
    lowercase = _needs_lowercase(sample)
    names = list(layout.columns)
    parts: list[pl.DataFrame] = []
    tally: Counter[int] = Counter()
    # The reader takes its number of fields from a block's first line. Every block therefore
    # starts with a made-up line of the expected width, dropped once read, so that each line
    # is read as it would be in one pass over the whole text, and a blank line first in the
    # body is not taken for a one-column table.
    anchor = separator.join(_ANCHOR_FIELDS.get(name, "x") for name in names).encode() + b"\n"
    # Canonical dtypes are tried first while every block so far has allowed them.
    final = "genotype" in names
    records = 0
    for block in blocks:
        raw = _scan(anchor + block, separator, names, final=final).slice(1)
        records += raw.height
        if records > max_records:
            raise too_many_records(max_records)  # before the next block is even read
        final = final and raw["genotype"].dtype == GENOTYPE_DTYPE
        if final and not lowercase and _clean_block(raw):
            part, part_tally = raw, Counter({0: raw.height})
        else:
            part, part_tally = _normalise(raw, lowercase)
        del raw, block
        tally.update(part_tally)
        parts.append(part)
    if streamed and source.check is not None:
        tail_sample = (
            source.head[layout.body_start : layout.body_start + _SAMPLE] + source.check.confirm()
        )
        if (
            _needs_cleaning(tail_sample, layout.separator)
            or _needs_lowercase(tail_sample) != lowercase
        ):
            raise StreamUnsuitable("the end of the text needs other treatment")
    frame = pl.concat(parts, how="vertical", rechunk=False) if len(parts) > 1 else parts[0]
    del parts
    counts = TableCounts(
        lines=tally.total() - tally[1] - tally[_BLANK],
        repeated_headers=tally[1],
        malformed=tally[2],
        invalid_genotypes=tally[3],
    )
    return frame, counts


_ANCHOR_FIELDS = {
    "rsid": "rs0",
    "chromosome": "1",
    "position": "0",
    "genotype": "--",
    "allele1": "-",
    "allele2": "-",
}


_COLUMNS = ["rsid", "chromosome", "position", "genotype"]
_BLANK = 4
_HEADER_IDS = ("rsid", "name", "snp")


def _clean_block(raw: pl.DataFrame) -> bool:
    """True when no line of a block read in the canonical dtypes needs a flag.

    Such a read has already refused every genotype that is not DNA letters, and the reader
    gives a null (never an empty string) for an empty field, so only nulls and a repeated
    header line remain to look for.
    """
    if raw.columns != _COLUMNS or any(raw.null_count().select(_COLUMNS[0], *_COLUMNS[2:]).row(0)):
        return False
    rsids = raw["rsid"]
    return all(rsids.index_of(name) is None for name in _HEADER_IDS)


def _line_blocks(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut a stream of text pieces at line ends; always yields at least one block."""
    rest = b""
    yielded = False
    for piece in pieces:
        cut = piece.rfind(b"\n") + 1
        if not cut:
            rest += piece
            continue
        block = rest + piece[:cut] if rest else piece[:cut] if cut < len(piece) else piece
        rest = piece[cut:]
        yielded = True
        yield block
        del block
    if rest or not yielded:
        yield rest


def _slices(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), BLOCK_BYTES):
        yield body[start : start + BLOCK_BYTES]


def _normalise(raw: pl.DataFrame, lowercase: bool) -> tuple[pl.DataFrame, Counter[int]]:
    """One block's raw columns as the final four, with bad lines dropped and tallied."""
    if "genotype" in raw.columns:
        genotype_raw = raw["genotype"]
    else:
        genotype_raw = raw.select(
            pl.concat_str(
                [
                    pl.col("allele1").cast(pl.String).str.strip_chars(),
                    pl.col("allele2").cast(pl.String).fill_null("").str.strip_chars(),
                ]
            )
        ).to_series()
    rsid = raw["rsid"]
    # A blank line is read as an empty (or lone carriage return) first field and nothing else.
    raw_blank = rsid.is_null() | (rsid.str.strip_chars() == "")
    for name in (n for n in raw.columns if n != "rsid"):
        raw_blank = raw_blank & raw[name].is_null()
    if lowercase:
        rsid = rsid.str.to_lowercase()
    frame = pl.DataFrame(
        {
            "rsid": rsid,
            "chromosome": _mapped(raw["chromosome"], CHROMOSOME_MAP, CHROMOSOME_DTYPE),
            "position": raw["position"].cast(pl.UInt32, strict=False),
            "genotype": _mapped(genotype_raw, GENOTYPE_MAP, GENOTYPE_DTYPE),
            "raw_missing": genotype_raw.is_null(),
            "raw_blank": raw_blank,
        }
    )
    del raw, genotype_raw, rsid, raw_blank
    # One small flag column: 0 fine, 1 repeated header row, 2 malformed line (no id, no
    # numeric position, no genotype), 3 genotype that is not DNA letters, 4 blank line
    # (ignored, not counted: a trailing empty CRLF line is no damage).
    flag = (
        pl.when(pl.col("raw_blank"))
        .then(pl.lit(_BLANK, pl.UInt8))
        .when(pl.col("rsid").is_in(["rsid", "name", "snp"]))
        .then(pl.lit(1, pl.UInt8))
        .when(
            pl.col("rsid").is_null()
            | (pl.col("rsid") == "")
            | pl.col("position").is_null()
            | pl.col("raw_missing")
        )
        .then(pl.lit(2, pl.UInt8))
        .when(pl.col("genotype").is_null())
        .then(pl.lit(3, pl.UInt8))
        .otherwise(pl.lit(0, pl.UInt8))
    )
    flags = frame.select(flag=flag)["flag"]
    tally = Counter(dict(flags.value_counts().iter_rows()))
    frame = frame.drop("raw_missing", "raw_blank")
    if len(tally) > 1 or (tally and 0 not in tally):
        frame = frame.filter(flags == 0)
    return frame, tally


def _mapped(series: pl.Series, mapping: dict, dtype) -> pl.Series:
    """Map raw values to canonical ones; categoricals are mapped through their few codes."""
    if series.dtype == dtype:
        return series  # read straight into the canonical values
    if series.dtype == pl.Categorical:
        distinct = series.drop_nulls().unique()
        codes = dict(zip(distinct.to_physical().to_list(), distinct.to_list(), strict=True))
        table = {code: mapping.get(value) for code, value in codes.items()}
        return series.to_physical().replace_strict(table, default=None, return_dtype=dtype)
    return series.cast(pl.String).replace_strict(mapping, default=None, return_dtype=dtype)


_FINAL = {"position": pl.UInt32, "chromosome": CHROMOSOME_DTYPE, "genotype": GENOTYPE_DTYPE}


def _scan(body: bytes, separator: str, names: list[str], *, final: bool) -> pl.DataFrame:
    """Read a block with a pinned schema: canonical, then typed, then all-string.

    With ``final`` the reader is first asked for the canonical dtypes themselves (the Enum
    chromosome and genotype), which succeeds when every value is already spelled the
    canonical way, as in 23andMe files, and leaves nothing to map. Otherwise positions are
    parsed as integers and low-cardinality columns as categoricals; a non-numeric position
    (a repeated header, damage) fails that read too, and the all-string read then lets the
    flags count what is wrong.
    """
    options = {
        "separator": separator,
        "has_header": False,
        "comment_prefix": "#",
        "quote_char": None,
        "truncate_ragged_lines": True,
        "raise_if_empty": False,
    }
    source = io.BytesIO(body)
    # Columns a layout does not use (an Illumina report's GC Score, Theta...) are not kept.
    used = [n for n in names if not n.startswith("skip")]
    schemas = [{n: _FINAL.get(n, pl.String) for n in names}] if final else []
    schemas.append({n: _TYPED.get(n, pl.String) for n in names})
    for schema in schemas:
        try:
            return pl.scan_csv(source, schema=schema, **options).select(used).collect()
        except (pl.exceptions.PolarsError, ValueError):
            source.seek(0)
    strings = {name: pl.String for name in names}
    try:
        for encoding in ("utf8", "utf8-lossy"):
            source.seek(0)
            try:
                return (
                    pl.scan_csv(source, schema=strings, encoding=encoding, **options)
                    .select(used)
                    .collect()
                )
            except pl.exceptions.ComputeError:
                if encoding == "utf8-lossy":
                    raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise _friendly_polars_error(exc) from exc
    raise _friendly_polars_error(ValueError("unreadable"))


VCF_COLUMNS = [
    "chromosome",
    "position",
    "rsid",
    "ref",
    "alt",
    "qual",
    "filter",
    "info",
    "format",
    "sample",
]


def vcf_names(sample_count: int) -> list[str]:
    """Column names for a VCF with ``sample_count`` sample columns.

    A family or trio export has one column per sample: the schema names each of them (a
    reader given fewer names refuses the wider lines), and only the first is read.
    """
    return VCF_COLUMNS + [f"sample_{n}" for n in range(2, sample_count + 1)]


def vcf_read(source, names: list[str], *, n_rows: int | None = None, ends: bool = False):
    """The columns a VCF's calls need, read from text (bytes, a path or a file object).

    Only those columns are materialised (INFO alone can be most of a VCF); with ``ends`` the
    ``END=`` of gVCF reference blocks is taken from INFO too. Blank lines are dropped.
    """
    columns = {
        "chromosome": pl.col("chromosome"),
        "position": pl.col("position"),
        "rsid": pl.col("rsid"),
        "ref": pl.col("ref"),
        "alt": pl.col("alt"),
        "has_gt": pl.col("format").str.starts_with("GT"),
        "gt": pl.col("sample").str.split_exact(":", 1).struct.field("field_0"),
    }
    if ends:
        columns["end"] = (
            pl.col("info").str.extract(r"(?:^|;)END=(\d+)", 1).cast(pl.UInt32, strict=False)
        )
    source_io = io.BytesIO(source) if isinstance(source, bytes | memoryview) else source
    try:
        raw = (
            pl.scan_csv(
                source_io,
                separator="\t",
                has_header=False,
                schema={name: pl.String for name in names},
                comment_prefix="#",
                quote_char=None,
                truncate_ragged_lines=True,
                encoding="utf8-lossy",
                raise_if_empty=False,
                n_rows=n_rows,
            )
            .select(**columns)
            .collect()
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise _friendly_polars_error(exc) from exc
    # A blank line is read as an empty first field and nothing else: ignored, not counted.
    return raw.filter(
        ~(
            (pl.col("chromosome").is_null() | (pl.col("chromosome").str.strip_chars() == ""))
            & pl.col("position").is_null()
        )
    )


def parse_vcf(
    source: TextSource, layout: Layout, *, max_records: int = DEFAULT_MAX_RECORDS
) -> tuple[pl.DataFrame, TableCounts]:
    """VCF/gVCF: the first sample's ``GT`` indexes REF/ALT; indels become I/D."""
    names = vcf_names(layout.sample_count)
    only_comments = _only_comments(source.head[: layout.body_start])
    body = source.path if source.path and only_comments else source.full()
    if not isinstance(body, str):
        body = body if only_comments else body[layout.body_start :]
    # The reader stops one row past the cap; that row tells us the file is over it.
    raw = vcf_read(body, names, n_rows=max_records + 1)
    del body
    if raw.height > max_records:
        raise too_many_records(max_records)
    counts = TableCounts(lines=raw.height)
    if layout.sample_count > 1:
        counts.notes.append(vcf_samples_note(layout.sample_count))
    if raw.height and not raw["has_gt"].any():
        raise vcf_no_genotype()
    frame, counts.malformed, counts.invalid_genotypes = vcf_calls(raw)
    return frame, counts


def vcf_samples_note(sample_count: int) -> str:
    return (
        f"The VCF holds {sample_count} samples (a family or trio export); only the "
        "first sample column was read. Upload a single-sample VCF for anyone else."
    )


def vcf_no_genotype() -> GenomeFormatError:
    return GenomeFormatError(
        "This VCF file has no genotype (GT) field, so it holds no genotypes.",
        code="vcf_no_genotype",
    )


_SIMPLE_GT = ("0/0", "0/1", "1/0", "1/1", "0|0", "0|1", "1|0", "1|1", "0", "1")


def vcf_calls(raw: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """The calls of VCF records read by ``vcf_read``: (frame, malformed, invalid).

    The common record (one-letter REF and ALT, a plain 0/1 genotype) takes a short string
    route; anything else (indels, several ALTs, symbolic alleles, no-calls) the general one
    over allele lists. Records on other contigs (decoys, alternates) or with symbolic alleles
    are skipped silently: they are normal in VCFs and carry nothing we can show.
    """
    simple = (
        pl.col("has_gt")
        & (pl.col("ref").str.len_bytes() == 1)
        & (pl.col("alt").str.len_bytes() == 1)
        & pl.col("alt").is_in(list("ACGTacgt"))
        & pl.col("gt").is_in(_SIMPLE_GT)
    )
    raw = raw.with_row_index("order").with_columns(simple=simple)
    quick = raw.filter(pl.col("simple"))
    other = raw.filter(~pl.col("simple")) if quick.height < raw.height else None
    del raw
    parts = [_simple_calls(quick)]
    if other is not None and other.height:
        parts.append(_general_calls(other))
    del quick, other
    frame = pl.concat(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        frame = frame.sort("order")
    del parts
    skipped = pl.col("chromosome").is_null() | pl.col("symbolic")
    malformed = pl.col("position").is_null()
    invalid = pl.col("genotype").is_null()
    stats = frame.select(
        malformed=(malformed & ~skipped).sum(), invalid=(invalid & ~malformed & ~skipped).sum()
    ).row(0)
    frame = frame.filter(~skipped & ~malformed & ~invalid).drop("symbolic", "order")
    return frame, int(stats[0]), int(stats[1])


def _vcf_rsid_chromosome_position(raw: pl.DataFrame) -> dict[str, pl.Expr]:
    rsid = pl.col("rsid")
    # Lower-cased only when some id needs it: most VCFs spell every id "rs..." or ".".
    ids = raw["rsid"]
    if not (ids.str.starts_with("rs") | (ids == ".")).fill_null(True).all():
        rsid = rsid.str.to_lowercase()  # several ids (rs6;rs9) are split by the caller
    return {
        "order": pl.col("order"),
        "rsid": pl.when(rsid == ".").then(pl.lit(None)).otherwise(rsid),
        "chromosome": pl.col("chromosome").replace_strict(
            CHROMOSOME_MAP, default=None, return_dtype=CHROMOSOME_DTYPE
        ),
        "position": pl.col("position").cast(pl.UInt32, strict=False),
    }


def _simple_genotypes() -> dict[str, str | None]:
    """REF, ALT and GT spelled together ("AG0/1") -> the genotype, for one-letter alleles."""
    table: dict[str, str | None] = {}
    for ref, alt, gt in product(_BASES + _BASES.lower(), _BASES + _BASES.lower(), _SIMPLE_GT):
        letters = "".join(ref if digit == "0" else alt for digit in gt[::2])
        table[ref + alt + gt] = GENOTYPE_MAP.get(letters.upper())
    return table


_SIMPLE_GENOTYPES = _simple_genotypes()


def _simple_calls(raw: pl.DataFrame) -> pl.DataFrame:
    key = pl.concat_str([pl.col("ref"), pl.col("alt"), pl.col("gt")])
    return raw.select(
        **_vcf_rsid_chromosome_position(raw),
        genotype=key.replace_strict(_SIMPLE_GENOTYPES, default=None, return_dtype=GENOTYPE_DTYPE),
        symbolic=pl.lit(False),
    )


def _general_calls(raw: pl.DataFrame) -> pl.DataFrame:
    alleles = pl.concat_list([pl.col("ref"), pl.col("alt").str.split(",")])
    indices = (
        pl.when(pl.col("has_gt"))
        .then(pl.col("gt"))
        .otherwise(pl.lit("."))
        .str.replace_all("|", "/", literal=True)
        .str.split("/")
    )
    frame = (
        raw.lazy()
        .with_columns(
            alleles=alleles,
            idx=indices,
            max_len=alleles.list.eval(
                pl.when(pl.element().str.starts_with("<") | pl.element().is_in(["*", "."]))
                .then(pl.lit(0, dtype=pl.UInt32))
                .otherwise(pl.element().str.len_chars())
            ).list.max(),
        )
        .with_columns(
            is_indel=pl.col("max_len") > 1,
            a0=pl.col("alleles").list.get(
                pl.col("idx").list.get(0, null_on_oob=True).cast(pl.Int64, strict=False),
                null_on_oob=True,
            ),
            a1=pl.col("alleles").list.get(
                pl.col("idx").list.get(1, null_on_oob=True).cast(pl.Int64, strict=False),
                null_on_oob=True,
            ),
            ploidy=pl.col("idx").list.len(),
            missing=pl.col("idx").list.eval(pl.element() == ".").list.any(),
        )
    )

    def letter(column: str) -> pl.Expr:
        allele = pl.col(column)
        return (
            pl.when(allele.str.starts_with("<") | (allele == "*"))
            .then(pl.lit(None))
            .when(pl.col("is_indel"))
            .then(
                pl.when(allele.str.len_chars() == pl.col("max_len"))
                .then(pl.lit("I"))
                .otherwise(pl.lit("D"))
            )
            .otherwise(allele.str.to_uppercase())
        )

    genotype_raw = (
        pl.when(pl.col("missing"))
        .then(pl.lit(NO_CALL))
        .when(pl.col("ploidy") == 1)
        .then(letter("a0"))
        .otherwise(pl.concat_str([letter("a0"), letter("a1")]))
    )
    return frame.select(
        **_vcf_rsid_chromosome_position(raw),
        genotype=genotype_raw.replace_strict(
            GENOTYPE_MAP, default=None, return_dtype=GENOTYPE_DTYPE
        ),
        symbolic=genotype_raw.is_null(),
    ).collect()


# Several ids (rs6,rs9 or rs6;rs9) and nothing else: other text with a comma is left alone.
_JOINED_IDS = r"(?i)^\s*[a-z]+\d+(?:\s*[,;]\s*[a-z]+\d+)+\s*$"


def split_joined_ids(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per id where a line names several (``rs6,rs9`` or ``rs6;rs9``), and how many
    such lines there were: never stored under the joined id, where both would read as absent.
    """
    rsids = frame["rsid"]
    joined = (
        rsids.str.contains(",", literal=True) | rsids.str.contains(";", literal=True)
    ).fill_null(False)
    if joined.any():
        joined = joined & rsids.str.contains(_JOINED_IDS).fill_null(False)
    del rsids
    count = int(joined.sum())
    if not count:
        return frame, 0
    split = (
        frame.filter(joined)
        .with_columns(pl.col("rsid").str.split(",").list.eval(pl.element().str.split(";")))
        .with_columns(pl.col("rsid").list.eval(pl.element().explode()))
        .explode("rsid")
        .with_columns(pl.col("rsid").str.strip_chars())
        .filter(pl.col("rsid").is_not_null() & (pl.col("rsid") != "") & (pl.col("rsid") != "."))
    )
    return pl.concat([frame.filter(~joined), split]), count


# The consumer formats differ only in what `detect_format` writes into their Layout
# (separator, quoting, one genotype column or two allele columns, no-call spelling, chromosome
# numbering), so one table reader serves them all:
#   23andMe         TAB, "# rsid chromosome position genotype" (or allele1/allele2)
#   AncestryDNA     TAB, uncommented header, two allele columns, "0 0" no-call, 23-26
#   FamilyTreeDNA   quoted CSV "RSID,CHROMOSOME,POSITION,RESULT"; the header may repeat
#   famfinder       comma-separated, two allele columns; chromosome 0 occurs
#   MyHeritage      like FTDNA, including the "extra-quoted" variant
#   LivingDNA       TAB, "# rsid chromosome position genotype", GRCh37 forward strand
#   WGS text        23andMe-style text from whole-genome tools; its stated build is not trusted
# VCF alone has a reader of its own.
PARSERS = {
    GenomeFormat.TWENTYTHREEANDME: read_table,
    GenomeFormat.ANCESTRY: read_table,
    GenomeFormat.FTDNA: read_table,
    GenomeFormat.FAMFINDER: read_table,
    GenomeFormat.MYHERITAGE: read_table,
    GenomeFormat.LIVINGDNA: read_table,
    GenomeFormat.TEXT_23ANDME_STYLE: read_table,
    GenomeFormat.GENERIC: read_table,
    GenomeFormat.CIRCLEDNA: read_table,
    GenomeFormat.ILLUMINA: read_table,
    GenomeFormat.ILLUMINA_TOP: read_table,
    GenomeFormat.MAPMYGENOME: read_table,
    GenomeFormat.VCF: parse_vcf,
    GenomeFormat.GVCF: parse_vcf,
}
