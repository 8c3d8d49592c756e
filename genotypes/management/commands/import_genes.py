"""Load genes (symbol, name, public summary) from a CSV such as genotypes/demo/genes.csv."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from genotypes.services.catalogue import GeneImport, genes_import


def import_genes_csv(path: Path) -> GeneImport:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    if not rows or "symbol" not in rows[0]:
        raise CommandError(f"{path} lacks the column: symbol (columns: symbol,name,summary).")
    return genes_import(rows=rows)


class Command(BaseCommand):
    help = "Create or update genes from a CSV with the columns symbol,name,summary (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        outcome = import_genes_csv(path)
        self.stdout.write(f"Imported {outcome.written} genes.")
        for line in outcome.skipped_rows:
            self.stdout.write(f"Skipped {line}.")
