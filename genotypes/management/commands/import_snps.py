"""Load SNPs and interpretations from a CSV in the LDN research-table layout."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from genotypes.services.catalogue import CatalogueImport, snp_catalogue_import


def import_csv(path: Path) -> CatalogueImport:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    missing = {"rsid", "gene", "chrom", "genotype", "finding"} - set(rows[0] if rows else {})
    if missing:
        raise CommandError(f"{path} lacks the column(s): {', '.join(sorted(missing))}.")
    return snp_catalogue_import(rows=rows)


class Command(BaseCommand):
    help = (
        "Create or update catalogue SNPs and their interpretations from a CSV with the "
        "columns rsid,gene,chrom,pos_grch37,pos_grch38,ref,alt,effect_allele,genotype,"
        "finding,evidence and source_doi or source (optional: status, pmid, label, "
        "frequency). Sources (DOIs, PMIDs, PMC ids) and evidence levels are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        outcome = import_csv(path)
        self.stdout.write(
            f"Imported {outcome.snps} SNPs and {outcome.interpretations} interpretations."
        )
        for line in outcome.skipped_rows:
            self.stdout.write(f"Skipped {line}.")
        if outcome.unresolved_sources:
            self.stdout.write(
                f"{len(outcome.unresolved_sources)} references name no DOI, PMID or PMC id "
                "and were not kept as sources:"
            )
            for line in dict.fromkeys(outcome.unresolved_sources):
                self.stdout.write(f"  {line}")
