"""Writes to articles, by sub-domain: ``rendering`` (an article after any edit, the SNPs of a
genotype report), ``importing`` (Markdown files, the demo content) and ``changes`` (the
"What changed" list and the "Updated" date readers see). Callers import the
submodule: ``from articles.services import rendering``."""
