"""Writes of genetic data: uploads, parsing, results, backfill, export and deletion.

Every function is keyword-only and owns its transactions. Storage I/O (raw files, encrypted
genome blobs) happens outside ``transaction.atomic``; tasks are enqueued only on commit.
Nothing here logs a genotype value: log lines carry upload ids and counts only.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import zipfile
from collections.abc import Iterable
from datetime import timedelta

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from genlife import queue
from genotypes.genome_store import genome_from_blob, genome_to_blob
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    Snp,
    SnpInterpretation,
)
from genotypes.parsers import GenomeFormatError, parse_genome
from genotypes.versions import genotype_data_changed

logger = logging.getLogger(__name__)

Status = GenomeUpload.Status
Action = GeneticDataAuditLog.Action

MAX_ATTEMPTS = 5
BACKFILL_CHUNK = 50
GENERIC_FAILURE = (
    "We could not process this file because of a problem on our side, even after several "
    "tries. Please upload it again later; nothing from it was kept."
)


def _stuck_queued_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "GENOME_STUCK_QUEUED_SECONDS", 120))


def _stuck_parsing_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "GENOME_STUCK_PARSING_SECONDS", 600))


def genetic_data_audit(*, actor, subject_user_id: int, action: str,
                       upload_id=None, detail: str = "") -> None:
    """Record who touched whose genetic data. ``detail`` must never hold genotype values."""
    GeneticDataAuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject_user_id=subject_user_id, action=action, upload_id=upload_id, detail=detail[:255])


# --- upload ---------------------------------------------------------------------------------

def genome_upload_create(*, user, file: UploadedFile, consent: bool,
                         keep_raw: bool = False) -> GenomeUpload:
    """Store an uploaded file (streamed to storage in chunks) and queue it for parsing."""
    if not consent:
        raise ValidationError({"consent": "Please agree to the processing of your genetic data."})
    limit = settings.GENOME_UPLOAD_MAX_BYTES
    if file.size is None or file.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than {limit // (1024 * 1024)} MB; raw DNA files are "
                     "much smaller, so please check you picked the right one."})
    if file.size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload = GenomeUpload(
        user=user,
        original_name=os.path.basename(file.name or "")[:255],
        size=file.size,
        keep_raw=keep_raw,
        consented_at=timezone.now(),
    )
    upload.full_clean(exclude=["raw_file", "genome_file"])
    # FieldFile.save copies the upload chunk by chunk (Django spooled it to a temporary file
    # for anything above FILE_UPLOAD_MAX_MEMORY_SIZE), so it is never whole in memory.
    upload.raw_file.save("upload", file, save=False)
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            genetic_data_audit(actor=user, subject_user_id=user.pk, action=Action.UPLOADED,
                               upload_id=upload.pk, detail=f"{upload.size} bytes")
            transaction.on_commit(lambda: genome_upload_enqueue(upload_id=upload.pk))
    except Exception:
        upload.raw_file.delete(save=False)
        raise
    return upload


def genome_upload_enqueue(*, upload_id) -> bool:
    """Send the parse task; False when the broker is unreachable (the sweeper retries)."""
    from genotypes.tasks import genome_upload_process

    return queue.task_send(genome_upload_process, str(upload_id))


# --- parsing --------------------------------------------------------------------------------

def _progress(upload: GenomeUpload, percent: int) -> None:
    GenomeUpload.objects.filter(pk=upload.pk, status=Status.PARSING).update(progress=percent)


def _claim(upload_id, task_id: str) -> GenomeUpload | None:
    """Mark the upload as parsing by this task; None when there is nothing to do."""
    with transaction.atomic():
        upload = GenomeUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.is_finished:
            return None
        if (upload.status == Status.PARSING and upload.task_id and task_id
                and upload.task_id != task_id and upload.started_at
                and upload.started_at > timezone.now() - _stuck_parsing_after()):
            return None  # another task is on it; a redelivery of the same task may resume
        upload.status = Status.PARSING
        upload.progress = 5
        upload.attempts += 1
        upload.task_id = task_id
        upload.started_at = timezone.now()
        upload.save(update_fields=["status", "progress", "attempts", "task_id", "started_at"])
        return upload


def _parse_source(upload: GenomeUpload):
    """A local path when the storage has one (the parser then maps the file), else bytes."""
    try:
        return upload.raw_file.path
    except NotImplementedError:
        with upload.raw_file.open("rb") as handle:
            return handle.read(settings.GENOME_UPLOAD_MAX_BYTES + 1)


def _results_for(frame: pl.DataFrame, build: int | None, snps: Iterable[Snp]) -> dict[int, str]:
    """snp id -> genotype ('' when absent) for every catalogue SNP."""
    snps = list(snps)
    by_rsid = dict(
        frame.filter(pl.col("rsid").is_in([s.rsid for s in snps]))
        .select("rsid", pl.col("genotype").cast(pl.String)).iter_rows())
    results = {snp.pk: by_rsid.get(snp.rsid, "") for snp in snps}
    missing = [s for s in snps if not results[s.pk] and s.chromosome]
    if missing and frame["rsid"].null_count():
        # Records without ids (VCFs): look them up by position in the file's build.
        for snp in missing:
            position = snp.position_grch38 if build == 38 else snp.position_grch37
            if position is None or build not in (37, 38):
                continue
            hit = frame.filter(pl.col("rsid").is_null() & (pl.col("position") == position)
                               & (pl.col("chromosome").cast(pl.String) == snp.chromosome))
            if hit.height:
                results[snp.pk] = str(hit["genotype"][0])
    return results


def _fail(upload: GenomeUpload, *, code: str, reason: str) -> None:
    with transaction.atomic():
        locked = GenomeUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.status == Status.DONE:
            return
        locked.status = Status.FAILED
        locked.failure_code = code[:40]
        locked.failure_reason = reason
        locked.progress = 0
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "failure_code", "failure_reason", "progress",
                                   "finished_at"])
        genetic_data_audit(actor=None, subject_user_id=locked.user_id, action=Action.FAILED,
                           upload_id=locked.pk, detail=code)
        transaction.on_commit(lambda: _after_finish(locked.pk, old_blob=""))
    logger.info("Upload %s failed: %s", upload.pk, code)


@sensitive_variables()
def genome_upload_process(*, upload_id, task_id: str = "") -> None:
    """Parse an upload, store its encrypted genome and replace the member's results.

    Idempotent: a finished upload is left alone; a redelivered task resumes; a second task
    racing the first writes nothing once the first has committed. A file that cannot be
    read fails with the parser's member-facing message and leaves previous results intact.
    """
    upload = _claim(upload_id, task_id)
    if upload is None:
        return
    try:
        source = _parse_source(upload)
    except (FileNotFoundError, ValueError):
        _fail(upload, code="missing_file",
              reason="We could not find your uploaded file. Please upload it again.")
        return
    _progress(upload, 20)
    try:
        genome = parse_genome(source, max_bytes=settings.GENOME_MAX_UNPACKED_BYTES)
    except GenomeFormatError as error:
        _fail(upload, code=error.code, reason=error.message)
        return
    except MemoryError:
        raise  # let the task retry on a fresh process
    except Exception:
        # A parser bug on unusual input: fail now with an honest message rather than let
        # the sweeper retry the same file for an hour. The traceback has no genotypes.
        logger.exception("Parser error on upload %s", upload.pk)
        _fail(upload, code="internal", reason=(
            "We could not read this file because of a problem on our side. Our team has been "
            "told; nothing from the file was kept. You can try again later."))
        return
    del source
    _progress(upload, 55)
    storage = upload.genome_file.storage
    blob_name = upload.genome_file.field.generate_filename(upload, "genome")
    storage.delete(blob_name)  # left by an attempt killed before it committed
    blob_name = storage.save(blob_name, ContentFile(genome_to_blob(genome.frame)))
    _progress(upload, 80)
    results = _results_for(genome.frame, genome.build, Snp.objects.all())
    with transaction.atomic():
        list(GenomeUpload.objects.select_for_update().filter(user_id=upload.user_id))
        fresh = GenomeUpload.objects.get(pk=upload.pk)
        if fresh.status != Status.PARSING:
            transaction.on_commit(lambda: upload.genome_file.storage.delete(blob_name))
            return
        previous = (GenomeUpload.objects.filter(user_id=upload.user_id, is_current=True)
                    .exclude(pk=upload.pk).first())
        old_blob = ""
        if previous is not None:
            old_blob = previous.genome_file.name
            previous.is_current = False
            previous.genome_file = ""
            previous.save(update_fields=["is_current", "genome_file"])
        GenotypeResult.objects.filter(user_id=upload.user_id).delete()
        GenotypeResult.objects.bulk_create(
            GenotypeResult(user_id=upload.user_id, upload_id=upload.pk, snp_id=snp_id,
                           genotype=genotype)
            for snp_id, genotype in results.items())
        fresh.status = Status.DONE
        fresh.progress = 100
        fresh.is_current = True
        fresh.finished_at = timezone.now()
        fresh.genome_file = blob_name
        fresh.format = genome.format.label
        fresh.build = genome.build
        fresh.snp_count = genome.snp_count
        fresh.no_call_count = genome.no_call_count
        fresh.warnings = genome.warnings
        fresh.save()
        genetic_data_audit(actor=None, subject_user_id=upload.user_id, action=Action.PROCESSED,
                           upload_id=upload.pk,
                           detail=f"{genome.format.label}, {genome.snp_count} SNPs")
        transaction.on_commit(lambda: _after_finish(upload.pk, old_blob=old_blob))
    logger.info("Upload %s parsed: %s, build %s, %d SNPs", upload.pk, genome.format.label,
                genome.build, genome.snp_count)


def _after_finish(upload_id, *, old_blob: str) -> None:
    """Delete the raw file (unless kept) and a superseded blob; email the member."""
    upload = GenomeUpload.objects.select_related("user").filter(pk=upload_id).first()
    if upload is None:
        return
    storage = upload.genome_file.storage
    if old_blob:
        storage.delete(old_blob)
    if upload.raw_file and not upload.keep_raw:
        upload.raw_file.delete(save=False)
        GenomeUpload.objects.filter(pk=upload.pk).update(raw_file="")
    genome_upload_notify(upload=upload)


def genome_upload_notify(*, upload: GenomeUpload) -> None:
    """Email the member that their file is done (or could not be read). No genotypes."""
    context = {
        "upload": upload,
        "status_url": settings.SITE_URL + reverse("genotypes:upload_status", args=[upload.pk]),
        "mine_url": settings.SITE_URL + reverse("genotypes:mine"),
        "site_name": settings.SITE_NAME,
    }
    if upload.status == Status.DONE:
        subject = "Your DNA file is ready"
    else:
        subject = "We could not read your DNA file"
    body = render_to_string("genotypes/email/upload_finished.txt", context)
    try:
        send_mail(subject, body, None, [upload.user.email])
    except Exception:  # the result is saved either way; a lost email is not worth a retry
        logger.warning("Could not send the upload email for upload %s", upload.pk)


def genome_uploads_requeue_stuck() -> int:
    """Re-queue uploads stuck in queued (broker was down) or parsing (worker was killed)."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        stuck = (
            GenomeUpload.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.QUEUED, Status.PARSING])
        )
        for upload in stuck:
            if upload.status == Status.QUEUED and upload.queued_at > now - _stuck_queued_after():
                continue
            if upload.status == Status.PARSING and upload.started_at and (
                    upload.started_at > now - _stuck_parsing_after()):
                continue
            if upload.attempts >= MAX_ATTEMPTS:
                upload.status = Status.FAILED
                upload.failure_code = "gave_up"
                upload.failure_reason = GENERIC_FAILURE
                upload.finished_at = now
                upload.save(update_fields=["status", "failure_code", "failure_reason",
                                           "finished_at"])
                pk = upload.pk
                transaction.on_commit(lambda pk=pk: _after_finish(pk, old_blob=""))
                continue
            upload.status = Status.QUEUED
            upload.queued_at = now
            upload.task_id = ""
            upload.progress = 0
            upload.save(update_fields=["status", "queued_at", "task_id", "progress"])
            pk = upload.pk
            transaction.on_commit(lambda pk=pk: genome_upload_enqueue(upload_id=pk))
            count += 1
    if count:
        logger.info("Re-queued %d stuck genome uploads", count)
    return count


# --- catalogue and backfill ----------------------------------------------------------------

def snp_catalogue_changed(*, snp: Snp) -> None:
    """After an editor adds or changes a SNP, fill in every member's result for it."""
    from genotypes.tasks import snp_results_backfill

    snp_id = snp.pk
    queue.task_send_on_commit(snp_results_backfill, snp_id)


def snp_results_backfill(*, snp_id: int) -> int:
    """Split the backfill of one SNP into chunks of uploads, one task each."""
    from genotypes.tasks import genotype_results_backfill_chunk

    ids = [str(pk) for pk in GenomeUpload.objects.filter(is_current=True)
           .exclude(genome_file="").order_by("pk").values_list("pk", flat=True)]
    for start in range(0, len(ids), BACKFILL_CHUNK):
        queue.task_send(genotype_results_backfill_chunk, snp_id, ids[start:start + BACKFILL_CHUNK])
    return len(ids)


@sensitive_variables()
def genotype_results_backfill_chunk(*, snp_id: int, upload_ids: list[str]) -> int:
    """Materialise one SNP for a chunk of stored genomes. Safe to run twice.

    Blobs are read and decrypted outside any transaction; the results are then written in
    one statement for the uploads that are still current (a newer upload that committed in
    the meantime has already written its own result for this SNP).
    """
    snp = Snp.objects.filter(pk=snp_id).first()
    if snp is None:
        return 0
    positions = [(snp.chromosome, p) for p in (snp.position_grch37, snp.position_grch38) if p]
    found: dict = {}
    uploads = GenomeUpload.objects.filter(pk__in=upload_ids, is_current=True).only(
        "pk", "user_id", "build", "format", "genome_file")
    for upload in uploads:
        try:
            with upload.genome_file.open("rb") as handle:
                blob = handle.read()
        except (FileNotFoundError, ValueError):
            continue
        # Only VCFs hold records without an rsid; positions are looked up among those.
        frame = genome_from_blob(blob, rsids=[snp.rsid],
                                 positions=positions if upload.format == "VCF" else ())
        found[upload.pk] = (upload.user_id, _results_for(frame, upload.build, [snp])[snp.pk])
    if not found:
        return 0
    now = timezone.now()
    with transaction.atomic():
        current = set(GenomeUpload.objects.select_for_update()
                      .filter(pk__in=list(found), is_current=True).values_list("pk", flat=True))
        GenotypeResult.objects.bulk_create(
            [GenotypeResult(user_id=user_id, upload_id=pk, snp=snp, genotype=genotype,
                            updated=now)
             for pk, (user_id, genotype) in found.items() if pk in current],
            update_conflicts=True, unique_fields=["user", "snp"],
            update_fields=["upload", "genotype", "updated"])
        genotype_data_changed(user_ids=[user_id for pk, (user_id, _) in found.items()
                                        if pk in current])
    return len(current)


# --- export and deletion -------------------------------------------------------------------

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formula injection (a leading =, +, -, @, tab or CR)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_safe_column(name: str) -> pl.Expr:
    """`csv_safe` for a whole text column at once (a genome has hundreds of thousands of rows)."""
    column = pl.col(name).cast(pl.String)
    return (pl.when(column.str.contains(r"^[=+\-@\t\r]"))
            .then(pl.concat_str([pl.lit("'"), column]))
            .otherwise(column)
            .alias(name))


@sensitive_variables()
def genotype_results_csv(*, user) -> str:
    """The member's results as CSV: one row per catalogue SNP."""
    from genotypes.matching import Status as MatchStatus
    from genotypes.matching import match_genotype

    interpretations = {(i.snp_id, i.genotype): i for i in SnpInterpretation.objects.all()}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rsid", "gene", "chromosome", "your_genotype", "status", "label",
                     "interpretation"])
    results = GenotypeResult.objects.filter(user=user).select_related("snp").order_by(
        "snp__gene", "snp__rsid")
    for result in results:
        snp = result.snp
        match = match_genotype(genotype=result.genotype, ref=snp.ref, alt=snp.alt)
        interpretation = interpretations.get((snp.pk, match.key))
        shown = {MatchStatus.NOT_ON_CHIP: "not in your file",
                 MatchStatus.NO_CALL: "no call"}.get(match.status, match.genotype)
        writer.writerow([csv_safe(v) for v in (
            snp.rsid, snp.gene, snp.chromosome, shown, match.status,
            interpretation.label if interpretation else "",
            interpretation.text if interpretation else "")])
    return buffer.getvalue()


@sensitive_variables()
def genome_data_export(*, user) -> bytes:
    """A zip of the member's results CSV and their parsed genome (tab-separated)."""
    genetic_data_audit(actor=user, subject_user_id=user.pk, action=Action.EXPORTED)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genlife-results.csv", genotype_results_csv(user=user))
        upload = GenomeUpload.objects.filter(user=user, is_current=True).first()
        if upload is not None and upload.genome_file:
            with upload.genome_file.open("rb") as handle:
                frame = genome_from_blob(handle.read()).sort("chromosome", "position")
            text = io.BytesIO()
            # Ids are whatever the uploaded file held (parsers keep unknown ones such as
            # i3000001), so a crafted file could carry a formula; genotypes and chromosomes
            # are from the parsers' fixed alphabets.
            frame.with_columns(_csv_safe_column("rsid"), pl.col("chromosome").cast(pl.String),
                               pl.col("genotype").cast(pl.String)).write_csv(
                text, separator="\t", include_header=True)
            header = (f"# Your genome as genlife stored it: {upload.format}, build "
                      f"{upload.build or 'unknown'}, {upload.snp_count} SNPs.\n").encode()
            archive.writestr("genlife-genome.tsv", header + text.getvalue())
    return buffer.getvalue()


def genome_data_delete_all(*, user, actor=None) -> int:
    """Delete every upload, raw file, stored genome and result of ``user``, at once.

    Returns the number of uploads removed. Files go after the rows are gone, so a crash in
    between leaves orphan files (found by name prefix), never rows pointing at nothing.
    Safe to call for a user with no genetic data (the members app calls it on account
    deletion).
    """
    with transaction.atomic():
        uploads = list(GenomeUpload.objects.select_for_update().filter(user=user))
        names = [n for u in uploads for n in (u.raw_file.name, u.genome_file.name) if n]
        GenotypeResult.objects.filter(user=user).delete()
        GenomeUpload.objects.filter(user=user).delete()
        genotype_data_changed(user_ids=[user.pk])
        genetic_data_audit(actor=actor or user, subject_user_id=user.pk, action=Action.DELETED,
                           detail=f"{len(uploads)} uploads")
    storage = GenomeUpload._meta.get_field("raw_file").storage
    for name in names + _files_under(storage, user.pk):
        storage.delete(name)
    return len(uploads)


def _files_under(storage, user_id: int) -> list[str]:
    """Every stored file of the user, including any a killed worker left without a row."""
    names = []
    for folder in (f"genomes/raw/{user_id}", f"genomes/blobs/{user_id}"):
        try:
            _, files = storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue
        names += [f"{folder}/{name}" for name in files]
    return names


# --- catalogue import -----------------------------------------------------------------------

_CATALOGUE_GENOTYPE = frozenset(
    "".join(sorted(a + b)) for a in "ACGT" for b in "ACGT") | frozenset("ACGT")
DEMO_FREQUENCY_NOTE = (
    "Approximate shares in samples of European ancestry, computed from allele frequencies "
    "assuming Hardy-Weinberg proportions; other populations differ.")


def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _allele_text(value: str) -> str:
    value = (value or "").strip()
    return "" if value.lower() in ("", "unknown", "na") else value.upper().replace(" ", "")


def snp_catalogue_import(*, rows: Iterable[dict]) -> tuple[int, int]:
    """Create or update SNPs and their interpretations from rows in the LDN CSV layout.

    Columns: rsid, gene, chrom, pos_grch37, pos_grch38, ref, alt, effect_allele, genotype,
    finding, evidence, source_doi; optional ``label`` and ``frequency``. Idempotent. Rows whose
    genotype is not a concrete genotype (``hom_ref``, ``het`` for unverified SNPs) are kept as
    notes on the SNP. Returns (SNPs touched, interpretations written); every touched SNP is
    backfilled into members' results after commit.
    """
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        rsid = (row.get("rsid") or "").strip().lower()
        if rsid:
            grouped.setdefault(rsid, []).append(row)
    written = 0
    with transaction.atomic():
        for rsid, snp_rows in grouped.items():
            first = snp_rows[0]
            position37 = _int_or_none(first.get("pos_grch37", ""))
            unverified = any((r.get("evidence") or "").strip() == "unverified" for r in snp_rows)
            ref, alt = _allele_text(first.get("ref", "")), _allele_text(first.get("alt", ""))
            notes = []
            interpretations = []
            for row in snp_rows:
                genotype = normalise_catalogue_genotype(row.get("genotype", ""))
                text = (row.get("finding") or "").strip()
                label = (row.get("label") or "").strip().lower() or (
                    SnpInterpretation.Label.UNCERTAIN
                    if (row.get("evidence") or "").strip() == "unverified"
                    else SnpInterpretation.Label.TYPICAL)
                if genotype is None:
                    notes.append(f"{row.get('genotype', '').strip()}: {text}")
                    continue
                frequency = (row.get("frequency") or "").strip()
                interpretations.append((genotype, label, text, float(frequency) if frequency else None))
            snp, _ = Snp.objects.update_or_create(rsid=rsid, defaults={
                "gene": (first.get("gene") or "").strip(),
                "chromosome": (first.get("chrom") or "").strip().upper().removeprefix("CHR"),
                "position_grch37": position37,
                "position_grch38": _int_or_none(first.get("pos_grch38", "")),
                "ref": ref,
                "alt": alt,
                "verified": bool(position37 and ref and not unverified),
                "notes": "\n\n".join(notes),
                "frequency_note": DEMO_FREQUENCY_NOTE
                if any(i[3] is not None for i in interpretations) else "",
            })
            snp.full_clean()
            for genotype, label, text, frequency in interpretations:
                interpretation, _ = SnpInterpretation.objects.update_or_create(
                    snp=snp, genotype=genotype,
                    defaults={"label": label, "text": text, "frequency": frequency})
                interpretation.full_clean()
                written += 1
            snp_catalogue_changed(snp=snp)
    return len(grouped), written


def normalise_catalogue_genotype(value: str) -> str | None:
    """'GA' -> 'AG'; None for anything that is not a concrete genotype."""
    letters = "".join(sorted((value or "").strip().upper()))
    return letters if letters in _CATALOGUE_GENOTYPE else None
