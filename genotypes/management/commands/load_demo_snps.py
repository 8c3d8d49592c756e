"""Load genlife's demo SNP catalogue (genotypes/demo/ldn-snps.csv), the population
frequencies of its SNPs (genotypes/demo/population-frequencies.csv) and, when the file is
there, its genes (genotypes/demo/genes.csv). Safe to run repeatedly."""

from pathlib import Path

from django.core.management.base import BaseCommand

from genotypes.management.commands.import_genes import import_genes_csv
from genotypes.management.commands.import_population_frequencies import import_frequencies_csv
from genotypes.management.commands.import_snps import import_csv

DEMO_CSV = Path(__file__).resolve().parents[2] / "demo" / "ldn-snps.csv"
DEMO_FREQUENCIES_CSV = DEMO_CSV.with_name("population-frequencies.csv")
DEMO_GENES_CSV = DEMO_CSV.with_name("genes.csv")


class Command(BaseCommand):
    help = "Load the demo SNP catalogue with member-friendly interpretations (idempotent)."

    def handle(self, *args, **options):
        snps, interpretations = import_csv(DEMO_CSV)
        frequencies = import_frequencies_csv(DEMO_FREQUENCIES_CSV).written
        genes = import_genes_csv(DEMO_GENES_CSV).written if DEMO_GENES_CSV.exists() else 0
        self.stdout.write(
            f"Demo catalogue: {snps} SNPs, {interpretations} interpretations, "
            f"{frequencies} population frequencies, {genes} genes."
        )
