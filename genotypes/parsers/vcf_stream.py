"""Whole-genome VCFs and gVCFs in one streaming pass, in bounded memory.

A 30x genome's variants file holds 4-5 million records (over a gigabyte unpacked), a gVCF
several times that in reference blocks. ``read_vcf_stream`` reads the text in line-aligned
blocks of ``BLOCK_BYTES``; each block becomes calls (the same ``vcf_calls`` as the
whole-text reader) that go to a ``sink`` (the encrypted genome store writes them out as it
goes) and are then dropped, except the few rows the caller asked to ``keep`` (the
catalogue's SNPs, the build markers). Memory is one block's worth, whatever the file's size.

In a gVCF, a reference block (ALT ``<NON_REF>`` or ``<*>`` alone, ``END=`` in INFO, a
0/0 genotype) that covers a position in ``reference_sites`` gives a reference call for that
site (the catalogue's reference allele, twice); a plain VCF leaves such a site absent, which
is read as "not in your file (may be the reference)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import polars as pl

from genotypes.parsers.containers import too_many_records
from genotypes.parsers.detect import GenomeFormat, Layout
from genotypes.parsers.formats import (
    CHROMOSOME_DTYPE,
    CHROMOSOME_MAP,
    CHROMOSOMES,
    GENOTYPES,
    NO_CALL,
    TableCounts,
    split_joined_ids,
    vcf_calls,
    vcf_names,
    vcf_no_genotype,
    vcf_read,
    vcf_samples_note,
)

BLOCK_BYTES = 8 * 1024 * 1024
_REFERENCE_ALTS = ("<NON_REF>", "<*>")
_REFERENCE_GTS = ("0/0", "0|0", "0")
_NO_CALL_CODE = GENOTYPES.index(NO_CALL)
_FIRST_SEX_CODE = CHROMOSOMES.index("X")


@dataclass(frozen=True)
class Keep:
    """Rows to keep in memory: these rsids, and records without an id at these positions
    (``None``: keep every row, as the whole-text reader does)."""

    rsids: frozenset[str] | None = None
    positions: frozenset[int] = frozenset()

    def filter(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.rsids is None:
            return frame
        wanted = pl.col("rsid").is_in(list(self.rsids))
        if self.positions:
            wanted = wanted | (
                pl.col("rsid").is_null() & pl.col("position").is_in(list(self.positions))
            )
        return frame.filter(wanted)


@dataclass
class StreamTotals:
    """What the caller's checks need from the rows that were not kept."""

    stored: int = 0
    no_calls: int = 0
    with_ids: int = 0
    joined: int = 0
    reference_calls: int = 0
    chromosome_codes: set[int] = field(default_factory=set)

    @property
    def autosomes(self) -> int:
        return sum(1 for code in self.chromosome_codes if code < _FIRST_SEX_CODE)


def _blocks(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Re-cut text pieces into blocks of about ``size`` bytes that end at a line end."""
    parts: list[bytes] = []
    held = 0
    for piece in pieces:
        parts.append(piece)
        held += len(piece)
        if held < size:
            continue
        joined = b"".join(parts)
        cut = joined.rfind(b"\n") + 1
        if not cut:
            parts, held = [joined], len(joined)
            continue
        yield joined[:cut]
        rest = joined[cut:]
        parts, held = ([rest], len(rest)) if rest else ([], 0)
        del joined
    if parts:
        yield b"".join(parts)


def read_vcf_stream(
    pieces: Iterable[bytes],
    layout: Layout,
    *,
    max_records: int,
    keep: Keep,
    sink: Callable[[pl.DataFrame], None] | None = None,
    reference_sites: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, TableCounts, StreamTotals]:
    """Read a VCF's text (``pieces``, starting with its header) block by block.

    ``reference_sites``: rsid, chromosome (the Enum), position (UInt32) and genotype (the
    reference allele twice) of the sites a gVCF reference block should be read for, in the
    file's build. Returns the kept rows, the counts the caller's checks use, and the totals
    over every row.
    """
    names = vcf_names(layout.sample_count)
    gvcf = layout.format == GenomeFormat.GVCF
    counts = TableCounts()
    totals = StreamTotals()
    kept: list[pl.DataFrame] = []
    any_gt = False
    records = 0
    for block in _blocks(pieces, BLOCK_BYTES):
        raw = vcf_read(block, names, ends=gvcf)
        del block
        counts.lines += raw.height
        any_gt = any_gt or bool(raw["has_gt"].any())
        reference = None
        if gvcf:
            # Reference blocks count towards neither the record cap nor the stored calls:
            # the unpacked-size limit bounds them, and only the sites they cover are kept.
            is_block = (
                pl.col("alt").is_in(_REFERENCE_ALTS)
                & pl.col("end").is_not_null()
                & pl.col("gt").is_in(_REFERENCE_GTS)
            )
            reference = _reference_blocks(raw.filter(is_block))
            raw = raw.filter(~is_block).drop("end")
        records += raw.height
        if records > max_records:
            raise too_many_records(max_records)
        frame, malformed, invalid = vcf_calls(raw)
        del raw
        counts.malformed += malformed
        counts.invalid_genotypes += invalid
        frame, joined = split_joined_ids(frame)
        totals.joined += joined
        if reference is not None and reference.height and reference_sites is not None:
            calls = _reference_calls(reference, reference_sites)
            totals.reference_calls += calls.height
            frame = pl.concat([frame, calls]) if calls.height else frame
        _tally(frame, totals)
        if sink is not None and frame.height:
            sink(frame)
        kept.append(keep.filter(frame))
        del frame
    if counts.lines and not any_gt:
        raise vcf_no_genotype()
    if layout.sample_count > 1:
        counts.notes.append(vcf_samples_note(layout.sample_count))
    frame = pl.concat(kept) if kept else pl.DataFrame()
    return frame, counts, totals


def _tally(frame: pl.DataFrame, totals: StreamTotals) -> None:
    totals.stored += frame.height
    genotype_codes = frame["genotype"].to_physical()
    totals.no_calls += genotype_codes.filter(genotype_codes == _NO_CALL_CODE).len()
    totals.with_ids += frame.height - frame["rsid"].null_count()
    totals.chromosome_codes.update(frame["chromosome"].to_physical().unique().drop_nulls())


def _reference_blocks(raw: pl.DataFrame) -> pl.DataFrame:
    """gVCF reference block records as chromosome, start, end."""
    return raw.select(
        chromosome=pl.col("chromosome").replace_strict(
            CHROMOSOME_MAP, default=None, return_dtype=CHROMOSOME_DTYPE
        ),
        start=pl.col("position").cast(pl.UInt32, strict=False),
        end=pl.col("end"),
    )


def _reference_calls(blocks: pl.DataFrame, sites: pl.DataFrame) -> pl.DataFrame:
    """A reference call for every site that one of ``blocks`` covers (start <= position <= end)."""
    blocks = blocks.drop_nulls()
    if not blocks.height or not sites.height:
        return sites.clear()
    # Each block's end becomes the furthest end of any block starting at or before it, so
    # that the block found below (the last to start at or before a site) stands for all of
    # them, even where blocks overlap.
    blocks = blocks.sort("chromosome", "start").with_columns(
        end=pl.col("end").cum_max().over("chromosome")
    )
    covered = (
        sites.sort("position")
        .join_asof(
            blocks.sort("start"),
            left_on="position",
            right_on="start",
            by="chromosome",
            strategy="backward",
            check_sortedness=False,  # both sorted above, by position within each chromosome
        )
        .filter(pl.col("end").is_not_null() & (pl.col("position") <= pl.col("end")))
    )
    return covered.select(sites.columns)
