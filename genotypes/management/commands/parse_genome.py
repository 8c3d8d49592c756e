"""Support and diagnostics: read a raw-DNA file the way the upload pipeline does.

    python manage.py parse_genome PATH [--rsid RSID ...] [--json]

Prints the detected format, genome build, SNP and no-call counts and the genotypes of the
requested rsids; a whole-genome VCF or gVCF is read in one streaming pass in bounded memory.
A file that cannot be read prints one sentence to stderr (after Django's "CommandError: ")
and exits with 2.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from genotypes.parsers import GenomeFormatError, Keep, parse_genome


class Command(BaseCommand):
    help = "Parse a raw-DNA file and print its format, build, counts and chosen genotypes."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The raw-DNA file (plain, .zip or .gz).")
        parser.add_argument(
            "--rsid",
            action="extend",
            nargs="+",
            default=[],
            metavar="RSID",
            help="rsids whose genotypes to print (repeatable).",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object."
        )

    def handle(self, *args, path, rsid, as_json=False, **options):
        try:
            # A whole-genome VCF is streamed: only the requested rsids' rows are held.
            genome = parse_genome(
                path,
                max_bytes=settings.GENOME_MAX_UNPACKED_BYTES,
                max_records=settings.GENOME_MAX_RECORDS,
                max_vcf_bytes=settings.GENOME_VCF_MAX_UNPACKED_BYTES,
                keep=Keep(rsids=frozenset(r.strip().lower() for r in rsid)),
            )
        except GenomeFormatError as error:
            raise CommandError(error.message, returncode=2) from error
        except OSError as error:
            raise CommandError(
                f"The file could not be opened ({error.strerror or 'unreadable'}).", returncode=2
            ) from error
        genotypes = genome.genotypes_for(rsid)
        if as_json:
            self.stdout.write(json.dumps({**genome.summary(), "genotypes": genotypes}))
            return
        self.stdout.write(f"Format:    {genome.format.label}")
        self.stdout.write(f"Build:     {genome.build or 'unknown'}")
        self.stdout.write(f"SNPs:      {genome.snp_count}")
        self.stdout.write(f"No-calls:  {genome.no_call_count}")
        for warning in genome.warnings:
            self.stdout.write(f"Note:      {warning}")
        for name, genotype in genotypes.items():
            self.stdout.write(f"{name}: {genotype if genotype is not None else 'not in file'}")
