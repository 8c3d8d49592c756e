"""Importing the SNP catalogue (SNPs and one interpretation per genotype) from CSV rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from genotypes.models import (
    Snp,
    SnpInterpretation,
)
from genotypes.services.backfill import snp_catalogue_changed

_CATALOGUE_GENOTYPE = frozenset("".join(sorted(a + b)) for a in "ACGT" for b in "ACGT") | frozenset(
    "ACGT"
)
DEMO_FREQUENCY_NOTE = (
    "Approximate shares in samples of European ancestry, computed from allele frequencies "
    "assuming Hardy-Weinberg proportions; other populations differ."
)


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
                    else SnpInterpretation.Label.TYPICAL
                )
                if genotype is None:
                    notes.append(f"{row.get('genotype', '').strip()}: {text}")
                    continue
                frequency = (row.get("frequency") or "").strip()
                interpretations.append(
                    (genotype, label, text, float(frequency) if frequency else None)
                )
            snp, _ = Snp.objects.update_or_create(
                rsid=rsid,
                defaults={
                    "gene": (first.get("gene") or "").strip(),
                    "chromosome": (first.get("chrom") or "").strip().upper().removeprefix("CHR"),
                    "position_grch37": position37,
                    "position_grch38": _int_or_none(first.get("pos_grch38", "")),
                    "ref": ref,
                    "alt": alt,
                    "verified": bool(position37 and ref and not unverified),
                    "notes": "\n\n".join(notes),
                    "frequency_note": DEMO_FREQUENCY_NOTE
                    if any(i[3] is not None for i in interpretations)
                    else "",
                },
            )
            snp.full_clean()
            for genotype, label, text, frequency in interpretations:
                interpretation, _ = SnpInterpretation.objects.update_or_create(
                    snp=snp,
                    genotype=genotype,
                    defaults={"label": label, "text": text, "frequency": frequency},
                )
                interpretation.full_clean()
                written += 1
            snp_catalogue_changed(snp=snp)
    return len(grouped), written


def normalise_catalogue_genotype(value: str) -> str | None:
    """'GA' -> 'AG'; None for anything that is not a concrete genotype."""
    letters = "".join(sorted((value or "").strip().upper()))
    return letters if letters in _CATALOGUE_GENOTYPE else None
