"""Parsing an upload in the worker: claim, read, store the encrypted genome, write results;
the stuck-job sweeper and the member's email when it is done."""

from __future__ import annotations

import errno
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta

import polars as pl
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from genotypes.genome_store import (
    SEALED_FRAME_BYTES,
    SEALED_MAGIC,
    GenomeBlobError,
    GenomeBlobWriter,
    genome_to_blob,
    is_sealed,
    sealed_chunks,
)
from genotypes.matching import ELSEWHERE, top_to_plus
from genotypes.models import (
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    Snp,
)
from genotypes.parsers import (
    CHROMOSOME_DTYPE,
    GENOTYPE_DTYPE,
    GenomeFormatError,
    Keep,
    parse_genome,
    parse_genome_stream,
)
from genotypes.parsers.detect import TOP_STRAND_LABEL
from genotypes.parsers.formats import CHROMOSOME_MAP
from genotypes.services import uploads
from genotypes.services.audit import genetic_data_audit

logger = logging.getLogger(__name__)

Status = GenomeUpload.Status
Action = GeneticDataAuditLog.Action


MAX_ATTEMPTS = 5
GENERIC_FAILURE = (
    "We could not process this file because of a problem on our side, even after several "
    "tries. Please upload it again later; nothing from it was kept."
)
GAVE_UP_FAILURE = (
    "We tried to read this file several times and each attempt stopped before it finished "
    "(the file may be too large or too unusual for us to read). We have stopped trying and "
    "nothing from it was kept. Please check that it is the raw data file your testing "
    "company gave you, or contact us if this keeps happening."
)
DISK_FULL_FAILURE = (
    "We could not store the results of this file because our storage is full. Nothing from "
    "it was kept. Please upload it again later; our team has been told."
)
SUPERSEDED = (
    "You uploaded a newer file while this one was being read, so your results come from the "
    "newer file. Nothing from this one was kept."
)


def _stuck_queued_after() -> timedelta:
    return timedelta(seconds=settings.GENOME_STUCK_QUEUED_SECONDS)


def _stuck_parsing_after() -> timedelta:
    return timedelta(seconds=settings.GENOME_STUCK_PARSING_SECONDS)


def _claimed(upload: GenomeUpload):
    """The rows of ``upload`` still held by the attempt that claimed it: the fence.

    A claim is the pair (task id, attempt number) written by ``_claim``. The sweeper's
    re-queue, a later claim (even a redelivery of the same task) or a deletion all take it
    away; an attempt that no longer holds it writes nothing.
    """
    return GenomeUpload.objects.filter(
        pk=upload.pk, status=Status.PARSING, task_id=upload.task_id, attempts=upload.attempts
    )


def _progress(upload: GenomeUpload, percent: int) -> None:
    _claimed(upload).update(progress=percent)


def _is_disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT)


def _claim(upload_id, task_id: str) -> GenomeUpload | None:
    """Mark the upload as parsing by this attempt; None when there is nothing to do.

    Every entry counts as an attempt (a redelivery after a killed pool process, a retry, a
    re-queue by the sweeper); past ``MAX_ATTEMPTS`` the upload fails here, once.
    """
    with transaction.atomic():
        upload = GenomeUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.is_finished:
            return None
        if (
            upload.status == Status.PARSING
            and upload.task_id
            and task_id
            and upload.task_id != task_id
            and upload.started_at
            and upload.started_at > timezone.now() - _stuck_parsing_after()
        ):
            return None  # another task is on it; a redelivery of the same task may resume
        if upload.attempts >= MAX_ATTEMPTS:
            _give_up(upload, code="gave_up", reason=GAVE_UP_FAILURE)
            logger.warning("Upload %s failed after %d attempts", upload.pk, upload.attempts)
            return None
        upload.status = Status.PARSING
        upload.progress = 5
        upload.attempts += 1
        upload.task_id = task_id
        upload.started_at = timezone.now()
        upload.save(update_fields=["status", "progress", "attempts", "task_id", "started_at"])
        return upload


def _parse_source(upload: GenomeUpload) -> bytes:
    """The member's file, decrypted in memory (it is stored sealed: genome_store).

    Bounded by GENOME_UPLOAD_MAX_BYTES (only a VCF, which is streamed, may be larger): a
    larger plaintext is refused before it is read whole. Files stored in clear before
    uploads were sealed are read as they are.
    """
    limit = settings.GENOME_UPLOAD_MAX_BYTES
    parts = []
    size = 0
    for chunk in _raw_chunks(upload):
        size += len(chunk)
        if size > limit:
            raise GenomeFormatError(
                f"The file is larger than {limit // (1024 * 1024)} MB and is not a whole-genome "
                "VCF, the only kind of file we read past that size.",
                code="too_large",
            )
        parts.append(chunk)
    return b"".join(parts)


def _raw_chunks(upload: GenomeUpload) -> Iterator[bytes]:
    """The member's file, decrypted frame by frame (it is stored sealed: genome_store).

    Files stored in clear before uploads were sealed are read as they are. A sealed file
    that does not open raises ValueError.
    """
    with upload.raw_file.open("rb") as handle:
        if is_sealed(handle.read(len(SEALED_MAGIC))):
            handle.seek(0)
            try:
                yield from sealed_chunks(handle)
            except GenomeBlobError as error:
                raise ValueError(str(error)) from error
            return
        handle.seek(0)
        while chunk := handle.read(SEALED_FRAME_BYTES):
            yield chunk


def _with_progress(upload: GenomeUpload, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` passed through, moving the upload's progress from 20 % to 75 % as the
    file is read (one update per 5 %)."""
    total = max(upload.size or 0, 1)
    read = 0
    shown = 20
    for chunk in chunks:
        read += len(chunk)
        percent = 20 + min(55, 55 * read // total)
        if percent >= shown + 5:
            shown = percent
            _progress(upload, percent)
        yield chunk


@sensitive_variables()
def _parse_upload(upload: GenomeUpload, snps: list[Snp], writer: GenomeBlobWriter):
    """Parse the member's file; a whole-genome VCF or gVCF is streamed into ``writer``.

    Only the catalogue's SNPs (by rsid, and by position among records without one) are held
    in memory from a streamed file; every call goes to the sealed blob. Any other file is
    read whole, within the chip limits, as it always was.
    """
    rsids = frozenset(snp.rsid for snp in snps)
    positions = frozenset(
        p for snp in snps for p in (snp.position_grch37, snp.position_grch38) if p
    )

    def read_whole():
        return parse_genome(
            _parse_source(upload),
            max_bytes=settings.GENOME_MAX_UNPACKED_BYTES,
            max_records=settings.GENOME_MAX_RECORDS,
        )

    genome = parse_genome_stream(
        lambda: _with_progress(upload, _raw_chunks(upload)),
        fallback=read_whole,
        max_unpacked_bytes=settings.GENOME_VCF_MAX_UNPACKED_BYTES,
        max_records=settings.GENOME_MAX_RECORDS,
        keep=Keep(rsids=rsids, positions=positions),
        sink=writer.write,
        reference_sites=reference_sites(snps),
    )
    if genome.stored_count is not None:
        writer.close()
    return genome


def reference_sites(snps: Iterable[Snp]) -> dict[int, pl.DataFrame]:
    """{build: the catalogue's sites a gVCF reference block gives a call for}: each SNP with
    a known chromosome, position and one-letter reference allele, called reference twice."""
    sites = {}
    for build in (37, 38):
        rows = [
            (snp.rsid, chromosome, position, snp.ref.strip().upper() * 2)
            for snp in snps
            if (chromosome := CHROMOSOME_MAP.get(snp.chromosome.strip()))
            and (position := snp.position_grch38 if build == 38 else snp.position_grch37)
            and snp.ref.strip().upper() in ("A", "C", "G", "T")
        ]
        sites[build] = pl.DataFrame(
            rows,
            schema={
                "rsid": pl.String,
                "chromosome": CHROMOSOME_DTYPE,
                "position": pl.UInt32,
                "genotype": GENOTYPE_DTYPE,
            },
            orient="row",
        )
    return sites


def genome_results_for(
    frame: pl.DataFrame, build: int | None, snps: Iterable[Snp], *, format_label: str = ""
) -> dict[int, str]:
    """snp id -> genotype ('' when absent) for every catalogue SNP.

    An rsid that the file places on another chromosome than the catalogue's is not matched:
    its result is ``matching.ELSEWHERE`` ("your file places this variant elsewhere"). A
    file read on Illumina's TOP strand (``format_label``, as stored with the upload) has each
    call turned to the plus strand against the SNP's alleles (``matching.top_to_plus``).
    """
    snps = list(snps)
    by_rsid = {
        rsid: (genotype, chromosome)
        for rsid, genotype, chromosome in frame.filter(pl.col("rsid").is_in([s.rsid for s in snps]))
        .select("rsid", pl.col("genotype").cast(pl.String), pl.col("chromosome").cast(pl.String))
        .iter_rows()
    }
    results = {}
    for snp in snps:
        genotype, chromosome = by_rsid.get(snp.rsid, ("", None))
        if genotype and not _same_chromosome(chromosome, snp.chromosome):
            genotype = ELSEWHERE
        if genotype and format_label == TOP_STRAND_LABEL:
            genotype = top_to_plus(genotype=genotype, ref=snp.ref, alt=snp.alt)
        results[snp.pk] = genotype
    missing = [s for s in snps if not results[s.pk] and s.chromosome]
    if missing and frame["rsid"].null_count():
        # Records without ids (VCFs): look them up by position in the file's build.
        for snp in missing:
            position = snp.position_grch38 if build == 38 else snp.position_grch37
            if position is None or build not in (37, 38):
                continue
            hit = frame.filter(
                pl.col("rsid").is_null()
                & (pl.col("position") == position)
                & (pl.col("chromosome").cast(pl.String) == snp.chromosome)
            )
            if hit.height:
                results[snp.pk] = str(hit["genotype"][0])
    return results


def _same_chromosome(in_file: str | None, in_catalogue: str) -> bool:
    """Whether the file's chromosome agrees with the catalogue's (true when either is
    unknown); the pseudo-autosomal XY agrees with X and Y."""
    ours = CHROMOSOME_MAP.get(in_catalogue.strip()) if in_catalogue else None
    if not in_file or not ours:
        return True
    return in_file == ours or (in_file == "XY" and ours in ("X", "Y"))


def _give_up(locked: GenomeUpload, *, code: str, reason: str) -> None:
    """Fail a row locked by the caller's transaction; files go once it commits."""
    locked.status = Status.FAILED
    locked.failure_code = code[:40]
    locked.failure_reason = reason
    locked.progress = 0
    locked.finished_at = timezone.now()
    locked.save(
        update_fields=["status", "failure_code", "failure_reason", "progress", "finished_at"]
    )
    genetic_data_audit(
        actor=None,
        subject_user_id=locked.user_id,
        action=Action.FAILED,
        upload_id=locked.pk,
        detail=code,
    )
    pk = locked.pk
    transaction.on_commit(lambda: _after_finish(pk), robust=True)


def _fail(upload: GenomeUpload, *, code: str, reason: str) -> None:
    """Fail the upload, if this attempt still holds it (else another attempt decides)."""
    with transaction.atomic():
        locked = _claimed(upload).select_for_update().first()
        if locked is None:
            return
        _give_up(locked, code=code, reason=reason)
    logger.info("Upload %s failed: %s", upload.pk, code)


def _blob_delete(name: str) -> None:
    """Remove a blob this attempt wrote; a failure here is left to the orphan sweeper."""
    try:
        GenomeUpload._meta.get_field("genome_file").storage.delete(name)
    except OSError:
        logger.warning("Could not delete blob %s; the orphan sweeper will", name)


@sensitive_variables()
def genome_upload_process(*, upload_id, task_id: str = "") -> None:
    """Parse an upload, store its encrypted genome and replace the member's results.

    Idempotent: a finished upload is left alone; a redelivered task resumes as a new
    attempt (at most ``MAX_ATTEMPTS``). Only the attempt holding the claim commits, and each
    attempt writes its own blob, which it deletes when it does not commit (the member deleted
    their data meanwhile, another attempt took over, or a newer upload already finished). A
    file that cannot be read fails with the parser's member-facing message and leaves
    previous results intact; a full disk fails the upload once, leaving nothing behind.
    """
    upload = _claim(upload_id, task_id)
    if upload is None:
        return
    _progress(upload, 20)
    snps = list(Snp.objects.all())
    # Ciphertext only: a whole-genome file's calls are sealed here as they are read.
    spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    try:
        try:
            genome = _parse_upload(upload, snps, GenomeBlobWriter(spool))
        except GenomeFormatError as error:
            _fail(upload, code=error.code, reason=error.message)
            return
        except (FileNotFoundError, ValueError):
            _fail(
                upload,
                code="missing_file",
                reason="We could not find your uploaded file. Please upload it again.",
            )
            return
        except MemoryError:
            raise  # let the task retry on a fresh process
        except Exception as error:
            if isinstance(error, OSError) and _is_disk_full(error):  # unpacking to a full disk
                logger.error("Storage full while reading upload %s", upload.pk)
                _fail(upload, code="storage_full", reason=DISK_FULL_FAILURE)
                return
            # A parser bug on unusual input: fail now with an honest message rather than let
            # the sweeper retry the same file for an hour. The traceback has no genotypes.
            logger.exception("Parser error on upload %s", upload.pk)
            _fail(
                upload,
                code="internal",
                reason=(
                    "We could not read this file because of a problem on our side. Our team has "
                    "been told; nothing from the file was kept. You can try again later."
                ),
            )
            return
        _progress(upload, 75)
        storage = upload.genome_file.storage
        # This attempt's own name (upload id and attempt number, in the member's folder, which
        # a deletion empties): no other attempt ever writes or deletes it.
        blob_name = upload.genome_file.field.generate_filename(upload, f"a{upload.attempts}")
        storage.delete(blob_name)
        try:
            if genome.stored_count is None:
                content = ContentFile(genome_to_blob(genome.frame))
            else:
                spool.seek(0)  # written (and closed) by the stream's sink
                content = File(spool, "genome")
            blob_name = storage.save(blob_name, content)
        except OSError as error:
            if not _is_disk_full(error):
                raise
            _blob_delete(blob_name)  # whatever part of it was written
            logger.error("Storage full while storing the genome of upload %s", upload.pk)
            _fail(upload, code="storage_full", reason=DISK_FULL_FAILURE)
            return
    finally:
        spool.close()
    _progress(upload, 80)
    results = genome_results_for(genome.frame, genome.build, snps, format_label=genome.format.label)
    try:
        committed = _commit(upload, genome=genome, results=results, blob_name=blob_name)
    except Exception:
        # Most likely rolled back (a database error; the task retries): keep the blob only
        # if the row took it after all. When even that cannot be read, the sweeper decides.
        try:
            if not GenomeUpload.objects.filter(pk=upload.pk, genome_file=blob_name).exists():
                _blob_delete(blob_name)
        except DatabaseError:
            logger.warning("Upload %s: left blob %s to the orphan sweeper", upload.pk, blob_name)
        raise
    if not committed:
        _blob_delete(blob_name)
        logger.info(
            "Upload %s, attempt %s: stored nothing (deleted, claimed by another "
            "attempt or superseded by a newer upload)",
            upload.pk,
            upload.attempts,
        )
        return
    logger.info(
        "Upload %s parsed: %s, build %s, %d SNPs",
        upload.pk,
        genome.format.label,
        genome.build,
        genome.snp_count,
    )


def _commit(upload: GenomeUpload, *, genome, results: dict[int, str], blob_name: str) -> bool:
    """Make this attempt's genome the member's current one, in one transaction.

    False (nothing written) when this attempt no longer holds the upload: the row was
    deleted (the member erased their data), another attempt claimed it, or it finished.
    The newest upload (by creation) wins: an older one finishing after a newer one stores
    nothing and says so. The upload it replaces keeps its stored genome, so the member can
    choose it again (``services.current``).
    """
    with transaction.atomic():
        rows = list(GenomeUpload.objects.select_for_update().filter(user_id=upload.user_id))
        fresh = next((row for row in rows if row.pk == upload.pk), None)
        if fresh is None or not _claimed(upload).exists():
            return False
        previous = next((row for row in rows if row.is_current and row.pk != upload.pk), None)
        if previous is not None and previous.created > fresh.created:
            _give_up(fresh, code="superseded", reason=SUPERSEDED)
            return False
        if previous is not None:
            # It keeps its genome: the member may go back to it (services/current.py) or
            # remove it.
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        GenotypeResult.objects.filter(user_id=upload.user_id).delete()
        GenotypeResult.objects.bulk_create(
            GenotypeResult(
                user_id=upload.user_id, upload_id=upload.pk, snp_id=snp_id, genotype=genotype
            )
            for snp_id, genotype in results.items()
        )
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
        genetic_data_audit(
            actor=None,
            subject_user_id=upload.user_id,
            action=Action.PROCESSED,
            upload_id=upload.pk,
            detail=f"{genome.format.label}, {genome.snp_count} SNPs",
        )
        # Robust: the genome is committed whatever happens here; a raw file or blob this
        # fails to delete is the orphan sweeper's.
        transaction.on_commit(lambda: _after_finish(upload.pk), robust=True)
    return True


def _after_finish(upload_id) -> None:
    """Delete the raw file (unless kept) and blobs of lost attempts; email the member."""
    upload = GenomeUpload.objects.select_related("user").filter(pk=upload_id).first()
    if upload is None:
        return
    storage = upload.genome_file.storage
    for name in _attempt_blobs(upload):
        if name != upload.genome_file.name:
            storage.delete(name)  # left by attempts that were killed or lost their claim
    if upload.raw_file and not upload.keep_raw:
        upload.raw_file.delete(save=False)
        GenomeUpload.objects.filter(pk=upload.pk).update(raw_file="")
    if upload.failure_code != "superseded":  # its newer upload sends the news
        genome_upload_notify(upload=upload)


def _attempt_blobs(upload: GenomeUpload) -> list[str]:
    """Every blob any attempt at ``upload`` wrote (named after the upload id)."""
    storage = upload.genome_file.storage
    folder = f"genomes/blobs/{upload.user_id}"
    try:
        _, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return []
    return [f"{folder}/{name}" for name in files if name.startswith(f"{upload.pk}.")]


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
        stuck = GenomeUpload.objects.select_for_update(skip_locked=True).filter(
            status__in=[Status.QUEUED, Status.PARSING]
        )
        for upload in stuck:
            if upload.status == Status.QUEUED and upload.queued_at > now - _stuck_queued_after():
                continue
            if (
                upload.status == Status.PARSING
                and upload.started_at
                and (upload.started_at > now - _stuck_parsing_after())
            ):
                continue
            if upload.attempts >= MAX_ATTEMPTS:
                upload.status = Status.FAILED
                upload.failure_code = "gave_up"
                upload.failure_reason = GENERIC_FAILURE
                upload.finished_at = now
                upload.save(
                    update_fields=["status", "failure_code", "failure_reason", "finished_at"]
                )
                pk = upload.pk
                transaction.on_commit(lambda pk=pk: _after_finish(pk))
                continue
            upload.status = Status.QUEUED
            upload.queued_at = now
            upload.task_id = ""
            upload.progress = 0
            upload.save(update_fields=["status", "queued_at", "task_id", "progress"])
            pk = upload.pk
            transaction.on_commit(lambda pk=pk: uploads.genome_upload_enqueue(upload_id=pk))
            count += 1
    if count:
        logger.info("Re-queued %d stuck genome uploads", count)
    return count
