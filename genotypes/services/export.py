"""A member's own data, exported: their account, membership and billing history, the activity
log of their genetic data, their results, and their stored genome as a 23andMe-layout text
that the site's own upload reads back to the same calls."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator

import polars as pl
from django.views.decorators.debug import sensitive_variables

from billing.selectors import billing_history_for, is_member
from genotypes.genome_store import genome_frames_from_file
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    SnpInterpretation,
)
from genotypes.selectors import activity_entry_from, genetic_data_activity_for
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
GENOME_TEXT_NAME = "genlife-genome-23andme.txt"
UPLOADS_CSV_NAME = "genlife-uploads.csv"


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


def account_export_json(*, user) -> str:
    """The account, membership and billing history as indented JSON."""
    data = {
        "account": {
            "email": user.email,
            "name": getattr(user, "name", ""),
            "joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else "",
        },
        **billing_history_for(user=user),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def activity_export_csv(*, user) -> str:
    """Every access to the member's genetic data, newest first, as on their activity page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["when_utc", "what", "by"])
    for row in genetic_data_activity_for(user=user).iterator():
        entry = activity_entry_from(row, owner_id=user.pk)
        writer.writerow([csv_safe(v) for v in (entry.when.isoformat(), entry.what, entry.who)])
    return buffer.getvalue()


def genome_data_export(*, user) -> Iterator[bytes]:
    """The member's export as a zip, streamed: account and billing, activity, results, the
    list of uploads, and the genome of every upload whose genome we keep.

    Audited when called (so the export's own activity log lists it); the zip is then produced
    piece by piece as the response is sent. The genome text is written a slice of
    ``EXPORT_SLICE_ROWS`` rows at a time from a table of the stored genome: a chip file's table
    whole (a few MB), a whole genome's one stored part (``BLOB_PART_ROWS`` calls) at a time,
    read from storage as it goes. Nothing of it is written to disk.
    """
    genetic_data_audit(actor=user, subject_user_id=user.pk, action=Action.EXPORTED)
    return _export_pieces(user=user)


@sensitive_variables()
def _export_pieces(*, user) -> Iterator[bytes]:
    out = _ZipStream()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genlife-account.json", account_export_json(user=user))
        archive.writestr("genlife-activity.csv", activity_export_csv(user=user))
        archive.writestr("genlife-results.csv", genotype_results_csv(user=user))
        uploads = list(GenomeUpload.objects.filter(user=user).order_by("-created"))
        names = _genome_text_names(uploads)
        archive.writestr(UPLOADS_CSV_NAME, uploads_csv(uploads=uploads, names=names))
        yield out.take()
        for upload in uploads:
            if upload.pk in names:
                with archive.open(names[upload.pk], "w") as member:
                    yield from _genome_text(upload, member, out)
    yield out.take()


def _genome_text_names(uploads: list[GenomeUpload]) -> dict:
    """Upload id -> the name of its genome text in the zip, for every upload whose genome we
    keep: the file in use gets ``GENOME_TEXT_NAME``; earlier ones (kept so the member can go
    back to them) are named by when they were uploaded."""
    names = {}
    for upload in uploads:
        if upload.genome_file:
            names[upload.pk] = (
                GENOME_TEXT_NAME
                if upload.is_current
                else f"genlife-genome-uploaded-{upload.created:%Y%m%d-%H%M%S}-23andme.txt"
            )
    return names


def uploads_csv(*, uploads: list[GenomeUpload], names: dict) -> str:
    """Every upload we hold a record of: when, which file, what we read, and where its
    genome is in the export (empty when we keep none: a failed or removed one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "uploaded_utc",
            "file_name",
            "status",
            "format",
            "build",
            "snps",
            "no_calls",
            "in_use",
            "genome_in_this_export",
        ]
    )
    for upload in uploads:
        writer.writerow(
            [
                upload.created.isoformat(),
                csv_safe(upload.original_name),
                upload.get_status_display(),
                csv_safe(upload.format),
                upload.build or "",
                upload.snp_count,
                upload.no_call_count,
                "yes" if upload.is_current else "no",
                names.get(upload.pk, ""),
            ]
        )
    return buffer.getvalue()


@sensitive_variables()
def _genome_text(upload: GenomeUpload, member, out: _ZipStream) -> Iterator[bytes]:
    """The stored genome in 23andMe's raw-data layout (tab-separated rsid, chromosome,
    position, genotype after ``#`` comment lines), which the upload reads as 23andMe.

    Calls the file held without an id (possible only in a VCF) have no place in this layout
    and are left out; a last comment line says how many. Ids are whatever the uploaded file held
    (parsers keep unknown ones such as i3000001), so a crafted one could carry a spreadsheet
    formula and is neutralised as in the CSV; genotypes and chromosomes come from the parsers'
    fixed alphabets.
    """
    build = f"build {upload.build} (GRCh{upload.build})" if upload.build else "build unknown"
    member.write(
        (
            "# genlife export of your stored genome, in the 23andMe raw data layout.\n"
            f"# Read from your {upload.format} file; reference human assembly {build}.\n"
            f"# {upload.snp_count} SNPs; a no-call is written --.\n"
            "# rsid\tchromosome\tposition\tgenotype\n"
        ).encode()
    )
    without_id = 0
    with upload.genome_file.open("rb") as handle:
        for frame in genome_frames_from_file(handle):
            without_id += frame["rsid"].null_count()
            frame = (
                frame.drop_nulls("rsid")
                .sort("chromosome", "position")
                .with_columns(
                    _csv_safe_column("rsid"),
                    pl.col("chromosome").cast(pl.String),
                    pl.col("genotype").cast(pl.String),
                )
            )
            for start in range(0, frame.height, EXPORT_SLICE_ROWS):
                text = io.BytesIO()
                frame.slice(start, EXPORT_SLICE_ROWS).write_csv(
                    text, separator="\t", include_header=False
                )
                member.write(text.getvalue())
                del text
                yield out.take()
            del frame
    if without_id:
        member.write(f"# {without_id} calls without an rsid are not included.\n".encode())
