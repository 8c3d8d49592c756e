"""A member's own genetic data, exported: their results CSV and their stored genome."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import polars as pl
from django.views.decorators.debug import sensitive_variables

from billing.selectors import is_member
from genotypes.genome_store import genome_from_blob
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    SnpInterpretation,
)
from genotypes.services.audit import genetic_data_audit

Status = GenomeUpload.Status
Action = GeneticDataAuditLog.Action


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formula injection (a leading =, +, -, @, tab or CR)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_safe_column(name: str) -> pl.Expr:
    """`csv_safe` for a whole text column at once (a genome has hundreds of thousands of rows)."""
    column = pl.col(name).cast(pl.String)
    return (
        pl.when(column.str.contains(r"^[=+\-@\t\r]"))
        .then(pl.concat_str([pl.lit("'"), column]))
        .otherwise(column)
        .alias(name)
    )


@sensitive_variables()
def genotype_results_csv(*, user) -> str:
    """The member's results as CSV: one row per catalogue SNP.

    Their genotypes are theirs whatever their membership; the interpretations (label and
    text) are members-only, as on the article and SNP pages, and stay empty for anyone else.
    """
    from genotypes.matching import Status as MatchStatus
    from genotypes.matching import match_genotype

    interpretations = (
        {(i.snp_id, i.genotype): i for i in SnpInterpretation.objects.all()}
        if is_member(user)
        else {}
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["rsid", "gene", "chromosome", "your_genotype", "status", "label", "interpretation"]
    )
    results = (
        GenotypeResult.objects.filter(user=user)
        .select_related("snp")
        .order_by("snp__gene", "snp__rsid")
    )
    for result in results:
        snp = result.snp
        match = match_genotype(genotype=result.genotype, ref=snp.ref, alt=snp.alt)
        interpretation = interpretations.get((snp.pk, match.key))
        shown = {
            MatchStatus.NOT_ON_CHIP: "not in your file",
            MatchStatus.NO_CALL: "no call",
            MatchStatus.OTHER_CHROMOSOME: "your file places this variant elsewhere",
        }.get(match.status, match.genotype)
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    snp.rsid,
                    snp.gene,
                    snp.chromosome,
                    shown,
                    match.status,
                    interpretation.label if interpretation else "",
                    interpretation.text if interpretation else "",
                )
            ]
        )
    return buffer.getvalue()


# Rows of the genome written to the zip at a time: the text of one slice is all that exists.
EXPORT_SLICE_ROWS = 100_000


class _ZipStream:
    """A write-only file for ``zipfile`` that hands back what was written since last asked."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts = []
        return data


def genome_data_export(*, user) -> Iterator[bytes]:
    """The member's export, a zip of their results CSV and parsed genome, as a stream.

    Audited when called; the zip is then produced piece by piece as the response is sent
    (the genome in slices of ``EXPORT_SLICE_ROWS`` rows), so a web process holds the stored
    genome's table and one slice of text, never the whole text or the whole zip, and nothing
    of it is written to disk.
    """
    genetic_data_audit(actor=user, subject_user_id=user.pk, action=Action.EXPORTED)
    return _export_pieces(user=user)


@sensitive_variables()
def _export_pieces(*, user) -> Iterator[bytes]:
    out = _ZipStream()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genlife-results.csv", genotype_results_csv(user=user))
        yield out.take()
        upload = GenomeUpload.objects.filter(user=user, is_current=True).first()
        if upload is not None and upload.genome_file:
            with upload.genome_file.open("rb") as handle:
                frame = genome_from_blob(handle.read()).sort("chromosome", "position")
            # Ids are whatever the uploaded file held (parsers keep unknown ones such as
            # i3000001), so a crafted file could carry a formula; genotypes and chromosomes
            # are from the parsers' fixed alphabets.
            frame = frame.with_columns(
                _csv_safe_column("rsid"),
                pl.col("chromosome").cast(pl.String),
                pl.col("genotype").cast(pl.String),
            )
            with archive.open("genlife-genome.tsv", "w") as member:
                member.write(
                    f"# Your genome as genlife stored it: {upload.format}, build "
                    f"{upload.build or 'unknown'}, {upload.snp_count} SNPs.\n".encode()
                )
                for start in range(0, max(frame.height, 1), EXPORT_SLICE_ROWS):
                    text = io.BytesIO()
                    frame.slice(start, EXPORT_SLICE_ROWS).write_csv(
                        text, separator="\t", include_header=start == 0
                    )
                    member.write(text.getvalue())
                    del text
                    yield out.take()
            del frame
    yield out.take()
