"""The demo articles (articles/demo/) each carry a genotype report over catalogue SNPs and
genotype-conditioned lifehacks whose conditions the catalogue can answer (issue 13, item 7)."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.models import Article, Section
from genotypes.matching import snp_alleles
from genotypes.models import Snp

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "articles" / "demo"
ARTICLES = {
    "ldn-naltrexone-genetics": 8,
    "opioid-receptor-variants-and-addiction": 1,
    "genetics-of-multiple-sclerosis": 3,
    "hla-b27-and-autoimmunity": 2,
}
_CONDITION = re.compile(r"^::: if (.+?)(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
_WORDS = {"is", "one", "of", "carries", "no-call", "not", "on", "chip", "and", "or", "(", ")"}


def _load():
    call_command("load_demo_snps", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_articles", stdout=out)
    assert "not in the SNP catalogue yet" not in out.getvalue()


def test_each_demo_article_reports_snps_that_exist_and_cites_what_it_lists():
    _load()
    for slug, count in ARTICLES.items():
        article = Article.objects.get(slug=slug)
        assert article.render_problems == [], slug
        report = article.sections.get(kind=Section.Kind.GENOTYPE_REPORT)
        text = (DEMO / f"{slug}.md").read_text()
        listed = re.search(r"kind=genotype_report[^}]*snps=\"([^\"]+)\"", text).group(1).split()
        linked = [link.snp.rsid for link in report.section_snps.select_related("snp")]
        assert linked == listed and len(linked) == count, slug
        assert "report above" in report.body, slug


def test_each_related_article_has_lifehacks_conditioned_on_its_genotypes():
    _load()
    catalogue = {snp.rsid: snp for snp in Snp.objects.all()}
    for slug in ARTICLES:
        if slug == "ldn-naltrexone-genetics":
            continue  # its lifehacks are written elsewhere (issue 13, item 4)
        lifehacks = Article.objects.get(slug=slug).sections.get(kind=Section.Kind.LIFEHACKS)
        conditions = _CONDITION.findall(lifehacks.body)
        assert conditions, slug
        assert lifehacks.body.count("\n:::\n") + lifehacks.body.endswith("\n:::") >= len(conditions)
        for condition in conditions:
            tokens = re.findall(r"\(|\)|[^\s()]+", condition)
            for token in tokens:
                if token.lower() in _WORDS:
                    continue
                if token.startswith("rs"):
                    assert token in catalogue, f"{slug}: {token} is not in the catalogue"
                    alleles = snp_alleles(catalogue[token].ref, catalogue[token].alt)
                    continue
                # A genotype or an allele of the rsid named before it: possible for its alleles.
                assert re.fullmatch(r"[ACGT]{1,2}", token), f"{slug}: '{token}' in {condition}"
                assert alleles and set(token) <= alleles, f"{slug}: {token} in {condition}"
