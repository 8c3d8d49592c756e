"""Load per-population allele frequencies from a CSV (rsid,allele,population,frequency,source,
release), as in the shared population-frequencies.csv."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from genotypes.services.catalogue import FrequencyImport, population_frequencies_import

COLUMNS = {"rsid", "allele", "population", "frequency", "source", "release"}


def import_frequencies_csv(path: Path) -> FrequencyImport:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    missing = COLUMNS - set(rows[0] if rows else {})
    if missing:
        raise CommandError(f"{path} lacks the column(s): {', '.join(sorted(missing))}.")
    return population_frequencies_import(rows=rows)


class Command(BaseCommand):
    help = (
        "Create or update per-population frequencies of catalogue SNPs from a CSV with the "
        "columns rsid,allele,population,frequency,source,release. Rows without a verified "
        "source or a single number are skipped and listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        outcome = import_frequencies_csv(path)
        self.stdout.write(f"Imported {outcome.written} population frequencies.")
        if outcome.skipped_rows:
            self.stdout.write(f"Skipped {len(outcome.skipped_rows)} rows:")
            for line in outcome.skipped_rows:
                self.stdout.write(f"  {line}")
