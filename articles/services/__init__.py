"""Writes to articles, by sub-domain: ``rendering`` (an article after any edit, the SNPs of a
genotype report) and ``importing`` (Markdown files, the demo content). Callers import the
submodule: ``from articles.services import rendering``."""
