"""Importing the SNP catalogue from CSV rows: SNPs (with their public names and summary), one
interpretation per genotype with its sources and evidence level, per-population frequencies,
and the genes the SNPs sit in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from genotypes.models import (
    GENE_SYMBOL_PATTERN,
    SOURCED_REGEX,
    EvidenceLevel,
    Gene,
    PopulationFrequency,
    Snp,
    SnpInterpretation,
    common_names_split,
)
from genotypes.services.backfill import snps_catalogue_changed

_CATALOGUE_GENOTYPE = frozenset("".join(sorted(a + b)) for a in "ACGT" for b in "ACGT") | frozenset(
    "ACGT"
)


def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _allele_text(value: str) -> str:
    value = (value or "").strip()
    return "" if value.lower() in ("", "unknown", "na") else value.upper().replace(" ", "")


_DOI = re.compile(r"(?<![\w-])(?:doi:\s*)?(10\.[0-9]{4,9}/[^\s;*]+)", re.IGNORECASE)
_PMID = re.compile(r"PMID:\s*([0-9]{1,9})\b", re.IGNORECASE)
_PMC = re.compile(r"\b(PMC[0-9]{1,9})\b")
_LEVELS = [  # weakest first: a row that grades several outcomes is graded by its weakest
    EvidenceLevel.PRELIMINARY,
    EvidenceLevel.LIMITED,
    EvidenceLevel.MODERATE,
    EvidenceLevel.STRONG,
]
_RSID = re.compile(r"^rs[0-9]+$")


def sources_parse(*, text: str) -> tuple[list[str], list[str]]:
    """Identifiers found in a CSV sources cell, and the references that name none.

    The cell lists references separated by ';' (or '+'), e.g. "[1] 10.1001/x ; PMID:123 ;
    PMC1995596 ; Zhao 2019". Returns (["doi:10.1001/x", "PMID:123", "PMC1995596"],
    ["Zhao 2019"]): only references a reader can open by their id are kept as sources.
    """
    found: list[str] = []
    unresolved: list[str] = []
    for part in re.split(r"\s[;+]\s|;", text or ""):
        part = part.strip()
        if not part:
            continue
        ids = [f"doi:{m.rstrip('.,)')}" for m in _DOI.findall(part)]
        ids += [f"PMID:{m}" for m in _PMID.findall(part)]
        ids += _PMC.findall(part)
        if not ids:
            unresolved.append(part)
        found.extend(i for i in ids if i not in found)
    return found, unresolved


def evidence_parse(*, text: str, status: str, sourced: bool) -> tuple[str, str]:
    """(level, note) from a CSV evidence cell such as "strong (opioid dose); moderate (...)".

    Unverified when the row's status says so, when it names no level, or when it has no DOI
    or PMID to stand on. The note keeps the cell's wording when it says more than one word.
    """
    text = (text or "").strip()
    words = re.findall(r"[a-z]+", text.lower())
    levels = [level for level in _LEVELS if level.value in words]
    note = "" if text.lower() in {lvl.value for lvl in EvidenceLevel} else text
    if text.lower() == "sourced":  # the demo layout puts the status in this column
        note = ""
    if levels and status != "unverified" and not sourced:
        note = f"Graded {text} where it was read, but no DOI or PMID is recorded yet."
    if status == "unverified" or not levels or not sourced:
        return EvidenceLevel.UNVERIFIED, note[:255]
    return levels[0], note[:255]


def _row_status(row: dict) -> str:
    """'sourced' or 'unverified': the status column, or (demo layout) the evidence column."""
    status = (row.get("status") or "").strip().lower()
    if not status and (row.get("evidence") or "").strip().lower() in ("sourced", "unverified"):
        status = row["evidence"].strip().lower()
    return status


def _row_sources(row: dict) -> tuple[list[str], list[str]]:
    found, unresolved = [], []
    for column in ("source_doi", "source", "source_pmid", "pmid"):
        ids, rest = sources_parse(text=row.get(column) or "")
        found.extend(i for i in ids if i not in found)
        unresolved.extend(rest)
    return found, unresolved


@dataclass
class CatalogueImport:
    snps: int = 0
    interpretations: int = 0
    skipped_rows: list[str] = field(default_factory=list)
    unresolved_sources: list[str] = field(default_factory=list)

    def __iter__(self):  # (SNPs, interpretations), as callers unpack it
        return iter((self.snps, self.interpretations))


def snp_catalogue_import(*, rows: Iterable[dict]) -> CatalogueImport:
    """Create or update SNPs and their interpretations from CSV rows.

    Two layouts are read: the demo one (columns rsid, gene, chrom, pos_grch37, pos_grch38,
    ref, alt, effect_allele, genotype, finding, evidence = sourced|unverified, source_doi;
    optional ``label`` and ``frequency``) and the shared research one (the same facts with
    ``evidence`` holding the level, e.g. "strong (opioid dose); moderate (...)", ``source``
    and ``status``). Each interpretation keeps its sources (DOIs, PMIDs and PMC ids found in
    ``source_doi``/``source``/``pmid``) and its evidence level (see ``evidence_parse``);
    references that name no identifier are reported in ``unresolved_sources``, not kept.

    Idempotent. Rows whose genotype is not a concrete genotype ("*", ``hom_ref``, ``het``)
    are kept as notes on the SNP; rows whose rsid is not an rsid are skipped. Every touched
    SNP is backfilled into members' results after commit.
    """
    outcome = CatalogueImport()
    changed: list[int] = []
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        rsid = (row.get("rsid") or "").strip().lower()
        if _RSID.match(rsid):
            grouped.setdefault(rsid, []).append(row)
        elif rsid:
            outcome.skipped_rows.append(f"{rsid} {row.get('gene', '')}: not an rsid")
    with transaction.atomic():
        for rsid, snp_rows in grouped.items():
            first = snp_rows[0]
            position37 = _int_or_none(first.get("pos_grch37", ""))
            has_status = any((r.get("status") or "").strip() for r in snp_rows)
            if has_status:  # shared layout: the SNP-level ("*") row speaks for the SNP
                unverified = any(
                    _row_status(r) == "unverified"
                    for r in snp_rows
                    if (r.get("genotype") or "").strip() == "*"
                )
            else:
                unverified = any(_row_status(r) == "unverified" for r in snp_rows)
            ref, alt = _allele_text(first.get("ref", "")), _allele_text(first.get("alt", ""))
            notes = []
            interpretations = []
            for row in snp_rows:
                genotype = normalise_catalogue_genotype(row.get("genotype", ""))
                text = (row.get("finding") or "").strip()
                status = _row_status(row)
                sources, unresolved = _row_sources(row)
                outcome.unresolved_sources.extend(f"{rsid}: {ref}" for ref in unresolved)
                if genotype is None:
                    note = f"{row.get('genotype', '').strip()}: {text}"
                    if sources:
                        note += "\nSources: " + "; ".join(sources)
                    notes.append(note)
                    continue
                sources_text = "\n".join(sources)
                evidence, evidence_note = evidence_parse(
                    text=row.get("evidence") or "",
                    status=status,
                    sourced=bool(re.search(SOURCED_REGEX, sources_text)),
                )
                label = (row.get("label") or "").strip().lower() or (
                    SnpInterpretation.Label.UNCERTAIN
                    if status == "unverified"
                    else SnpInterpretation.Label.TYPICAL
                )
                frequency = (row.get("frequency") or "").strip()
                interpretations.append(
                    (
                        genotype,
                        {
                            "label": label,
                            "text": text,
                            "frequency": float(frequency) if frequency else None,
                            "evidence": evidence,
                            "evidence_note": evidence_note,
                            "sources": sources_text,
                        },
                    )
                )
            snp, _ = Snp.objects.update_or_create(
                rsid=rsid,
                defaults={
                    **_public_description(snp_rows),
                    "gene": (first.get("gene") or "").strip()[:40],
                    "chromosome": (first.get("chrom") or "").strip().upper().removeprefix("CHR"),
                    "position_grch37": position37,
                    "position_grch38": _int_or_none(first.get("pos_grch38", "")),
                    "ref": ref,
                    "alt": alt,
                    "verified": bool(position37 and ref and not unverified),
                    "notes": "\n\n".join(notes),
                },
            )
            snp.full_clean()
            for genotype, values in interpretations:
                interpretation, _ = SnpInterpretation.objects.update_or_create(
                    snp=snp, genotype=genotype, defaults=values
                )
                interpretation.full_clean()
                outcome.interpretations += 1
            changed.append(snp.pk)
            outcome.snps += 1
        # one backfill for the whole file: each stored genome is read once for all its SNPs
        snps_catalogue_changed(snp_ids=changed)
    return outcome


def _public_description(snp_rows: list[dict]) -> dict:
    """The optional ``common_name`` and ``summary`` columns, when the file has them: the
    first non-empty cell of the SNP's rows wins; names are kept in the order first met."""
    values = {}
    if any("common_name" in row for row in snp_rows):
        names = common_names_split(
            next((r["common_name"] for r in snp_rows if (r.get("common_name") or "").strip()), "")
        )
        values["common_names"] = " ; ".join(names)[:255]
    if any("summary" in row for row in snp_rows):
        values["summary"] = next(
            (r["summary"].strip() for r in snp_rows if (r.get("summary") or "").strip()), ""
        )
    return values


def normalise_catalogue_genotype(value: str) -> str | None:
    """'GA' -> 'AG'; None for anything that is not a concrete genotype."""
    letters = "".join(sorted((value or "").strip().upper()))
    return letters if letters in _CATALOGUE_GENOTYPE else None


_ALLELE = re.compile(r"^([ACGT]+)\b")


@dataclass
class FrequencyImport:
    written: int = 0
    skipped_rows: list[str] = field(default_factory=list)


def population_frequencies_import(*, rows: Iterable[dict]) -> FrequencyImport:
    """Create or update per-population frequencies from CSV rows.

    Columns: rsid, allele, population, frequency, source, release (the layout of the shared
    population-frequencies.csv). ``allele`` starts with the allele counted on the plus strand
    ("G (plus) = coding 3435C"); the rest is kept as the way papers name it, and a text
    speaking of carriers makes the number a share of carriers rather than an allele
    frequency. Rows are skipped, and listed, when the SNP is not in the catalogue, when the
    source is unverified or missing, or when the frequency is not a single number in 0-1
    (ranges such as "0.40-0.60" are not charted). Idempotent.
    """
    outcome = FrequencyImport()
    snps = {snp.rsid: snp for snp in Snp.objects.all()}
    with transaction.atomic():
        for row in rows:
            rsid = (row.get("rsid") or "").strip().lower()
            population = (row.get("population") or "").strip()
            allele_text = (row.get("allele") or "").strip()
            source = (row.get("source") or "").strip()
            release = (row.get("release") or "").strip()
            where = f"{rsid} {population}"
            if rsid not in snps:
                outcome.skipped_rows.append(f"{where}: not in the catalogue")
                continue
            if not source or source.lower().startswith("unverified") or not release:
                outcome.skipped_rows.append(f"{where}: no verified source and release")
                continue
            try:
                frequency = float((row.get("frequency") or "").strip())
            except ValueError:
                outcome.skipped_rows.append(f"{where}: frequency is not a single number")
                continue
            allele = _ALLELE.match(allele_text)
            if allele is None or not 0 <= frequency <= 1:
                outcome.skipped_rows.append(f"{where}: no allele or frequency outside 0-1")
                continue
            measure = (
                PopulationFrequency.Measure.CARRIER
                if "carrier" in allele_text.lower()
                else PopulationFrequency.Measure.ALLELE
            )
            entry, _ = PopulationFrequency.objects.update_or_create(
                snp=snps[rsid],
                population=population[:80],
                allele=allele.group(1),
                measure=measure,
                source=source[:255],
                defaults={
                    "frequency": frequency,
                    "release": release[:255],
                    "allele_note": allele_text[allele.end() :].strip(" ,")[:120],
                },
            )
            entry.full_clean()
            outcome.written += 1
    return outcome


@dataclass
class GeneImport:
    written: int = 0
    skipped_rows: list[str] = field(default_factory=list)


def genes_import(*, rows: Iterable[dict]) -> GeneImport:
    """Create or update genes from CSV rows with the columns symbol, name, summary
    (genotypes/demo/genes.csv). A row whose symbol is not a gene symbol is skipped and
    listed. Idempotent."""
    outcome = GeneImport()
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            symbol = (row.get("symbol") or "").strip()
            if not re.fullmatch(GENE_SYMBOL_PATTERN, symbol):
                outcome.skipped_rows.append(f"line {number} ({symbol or 'empty'}): not a symbol")
                continue
            gene, _ = Gene.objects.update_or_create(
                symbol=symbol,
                defaults={
                    "name": (row.get("name") or "").strip()[:200],
                    "summary": (row.get("summary") or "").strip(),
                },
            )
            gene.full_clean()
            outcome.written += 1
    return outcome
