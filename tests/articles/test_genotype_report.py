"""The genotype report in an article as a member reads it: one card per variant, every
genotype's finding behind a details element, numbered citations resolving to the article's
references or to "Sources for your results", the article's own finding texts, the strand note."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from articles.models import ArticleFinding
from articles.services import rendering
from genotypes.models import GenomeUpload, GenotypeResult, PopulationFrequency
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, SnpInterpretationFactory

from .factories import ArticleFactory, ReferenceFactory, SectionFactory

pytestmark = pytest.mark.django_db

# The article cites DOI_IN_REFERENCES as its reference 2; the other sources only findings cite.
DOI_IN_REFERENCES = "10.1001/archpsyc.65.2.135"
PMID_ONLY_IN_FINDINGS = "PMID:24521234"
DOI_ONLY_IN_FINDINGS = "doi:10.1111/j.1369-1600.2012.00442.x"
DOI_OF_OTHER_GENOTYPE = "doi:10.1016/j.pain.2006.10.023"


@pytest.fixture
def catalogue(db):
    oprm1 = SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    comt = SnpFactory(rsid="rs4680", gene="COMT", ref="G", alt="A")
    absent = SnpFactory(rsid="rs3829125", gene="AKR1C4", ref="C", alt="G")
    SnpInterpretationFactory(
        snp=oprm1,
        genotype="AA",
        label="typical",
        text="Two common copies of the receptor gene.",
        frequency=0.71,
        evidence="moderate",
        sources=f"doi:{DOI_IN_REFERENCES}\n{DOI_OF_OTHER_GENOTYPE}",
    )
    SnpInterpretationFactory(
        snp=oprm1,
        genotype="AG",
        label="notable",
        text="One G copy: naltrexone helped carriers more in one trial.",
        frequency=0.27,
        evidence="moderate",
        sources=f"{DOI_ONLY_IN_FINDINGS}\ndoi:{DOI_IN_REFERENCES.upper()}\n{PMID_ONLY_IN_FINDINGS}",
    )
    SnpInterpretationFactory(
        snp=comt,
        genotype="AA",
        label="uncertain",
        text="Met/Met: slower dopamine breakdown.",
        evidence="limited",
        sources=PMID_ONLY_IN_FINDINGS,
    )
    for allele, frequency in (("A", 0.84), ("G", 0.16)):
        PopulationFrequency.objects.create(
            snp=oprm1,
            population="ALL",
            allele=allele,
            frequency=frequency,
            source="gnomAD",
            release="v4.1",
        )
    PopulationFrequency.objects.create(
        snp=oprm1, population="EAS", allele="G", frequency=0.4, source="gnomAD", release="v4.1"
    )
    return {"oprm1": oprm1, "comt": comt, "absent": absent}


def _article(catalogue, *, slug="report-article", title="Report article"):
    article = ArticleFactory(slug=slug, title=title)
    ReferenceFactory(article=article, number=1, doi="10.1000/unrelated")
    ReferenceFactory(article=article, number=2, doi=DOI_IN_REFERENCES, pmid="")
    ReferenceFactory(article=article, number=3, doi="", pmid="11111111")
    SectionFactory(article=article, order=1, heading="Background", body="Public text [ref:1].")
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body="Read the cards above.",
    )
    rendering.section_snps_set(
        section=report, rsids=[catalogue[k].rsid for k in ("oprm1", "comt", "absent")]
    )
    return rendering.article_render(article=article)


@pytest.fixture
def article(catalogue):
    return _article(catalogue)


def _member_with(calls: dict) -> tuple:
    member = MemberFactory()
    upload = GenomeUpload.objects.create(
        user=member,
        status="done",
        is_current=True,
        consented_at="2026-01-01T00:00Z",
        format="23andMe",
    )
    for snp, genotype in calls.items():
        GenotypeResult.objects.create(user=member, upload=upload, snp=snp, genotype=genotype)
    client = Client()
    client.force_login(member)
    return member, client


def _cards(page: str) -> dict[str, str]:
    return dict(
        re.findall(r'<li class="variant-card[^"]*" data-rsid="(rs\d+)">(.*?)\n  </li>', page, re.S)
    )


def _citations(fragment: str) -> list[tuple[str, str]]:
    """(href, number) of each numbered citation link in a piece of HTML, in order."""
    return re.findall(r'<a href="(#[a-z0-9-]+)" title="[^"]*">(\d+)</a>', fragment)


def _own_finding(card: str) -> str:
    return card.split('<details class="variant-card__more">', 1)[0]


def test_each_variant_is_a_card_with_gene_linked_rsid_genotype_label_and_finding(
    article, catalogue
):
    _, client = _member_with({catalogue["oprm1"]: "AG", catalogue["comt"]: "AA"})
    page = client.get(article.get_absolute_url()).content.decode()
    cards = _cards(page)
    assert list(cards) == ["rs1799971", "rs4680", "rs3829125"]  # the section's order
    oprm1 = cards["rs1799971"]
    assert "OPRM1" in oprm1
    assert f'<a href="{reverse("genotypes:snp_detail", args=["rs1799971"])}">rs1799971</a>' in oprm1
    assert '<strong class="genotype">AG</strong>' in oprm1
    assert '<span class="gt-label gt-label--notable">Notable</span>' in oprm1
    assert "One G copy: naltrexone helped carriers more in one trial." in oprm1
    assert "Evidence: Moderate" in oprm1
    assert '<span class="gt-label gt-label--uncertain">Uncertain</span>' in cards["rs4680"]
    absent = cards["rs3829125"]
    assert '<span class="gt-label gt-label--not_on_chip">Not on your chip</span>' in absent
    assert 'class="genotype"' not in _own_finding(absent)
    # The legend explains every label, in words.
    for words in ("Typical", "Notable", "Uncertain", "No call", "Strand unclear"):
        assert words in page.split('<ul class="variant-cards"', 1)[0]


def test_every_genotypes_finding_and_the_allele_frequencies_expand_with_the_members_marked(
    article, catalogue
):
    _, client = _member_with({catalogue["oprm1"]: "AG"})
    card = _cards(client.get(article.get_absolute_url()).content.decode())["rs1799971"]
    details = card.split('<details class="variant-card__more">', 1)[1]
    findings = re.findall(r'<li class="genotype-finding([^"]*)">(.*?)</li>', details, re.S)
    assert [re.search(r'class="genotype">(\w+)<', body).group(1) for _, body in findings] == [
        "AA",
        "AG",
    ]
    marks = {re.search(r'class="genotype">(\w+)<', body).group(1): m for m, body in findings}
    assert marks == {"AA": "", "AG": " genotype-finding--yours"}
    assert "Two common copies of the receptor gene." in details
    assert "Your genotype" in findings[1][1] and "Your genotype" not in findings[0][1]
    assert "71% of people" in findings[0][1] and "27% of people" in findings[1][1]
    assert "How common each allele is in ALL" in details
    assert "A 84% (in your genotype)" in details and "G 16% (in your genotype)" in details
    assert "gnomAD; v4.1" in details
    assert "1 other population" in details


def test_citations_use_the_articles_reference_numbers_or_continue_after_the_last(
    article, catalogue
):
    _, client = _member_with({catalogue["oprm1"]: "AG", catalogue["comt"]: "AA"})
    page = client.get(article.get_absolute_url()).content.decode()
    cards = _cards(page)
    # The member's own OPRM1 finding: a source the article lists keeps its number (2, the DOI
    # compared case-insensitively); the others are numbered 4, 5 in order of first use (the
    # DOI, then the PMID), and shown in ascending order.
    assert _citations(_own_finding(cards["rs1799971"])) == [
        ("#ref-2", "2"),
        ("#result-source-4", "4"),
        ("#result-source-5", "5"),
    ]
    # Then the other genotype's finding (AA): 2 again, and a new source, 6.
    assert ("#result-source-6", "6") in _citations(cards["rs1799971"])
    # COMT cites the PMID already numbered 5: the same number, not a new one.
    assert _citations(_own_finding(cards["rs4680"])) == [("#result-source-5", "5")]
    sources = page.split("Sources for your results", 1)[1].split("</section>", 1)[0]
    listed = re.findall(r'<li id="result-source-(\d+)" value="(\d+)"><a href="([^"]+)"', sources)
    assert listed == [
        ("4", "4", "https://doi.org/10.1111/j.1369-1600.2012.00442.x"),
        ("5", "5", "https://pubmed.ncbi.nlm.nih.gov/24521234/"),
        ("6", "6", "https://doi.org/10.1016/j.pain.2006.10.023"),
    ]
    # Reference 2 itself is in the article's list, with the anchor its citations point to.
    assert '<li id="ref-2" value="2" class="reference">' in page
    # Stable: the same numbers on the next (cached) request.
    again = client.get(article.get_absolute_url()).content.decode()
    assert _citations(again) == _citations(page)


def test_report_citations_follow_the_numbers_the_text_gives_its_references(catalogue):
    """The text cites the editor's reference 2 first, so readers see it as 1: the report's
    findings citing it say 1 too, and its own sources continue after the last reference."""
    article = _article(catalogue, slug="cited-first", title="Cited first")
    article.sections.filter(heading="Background").update(body="First [ref:2], then [ref:1].")
    rendering.article_render(article=article)
    _, client = _member_with({catalogue["oprm1"]: "AG"})
    page = client.get(article.get_absolute_url()).content.decode()
    own = _citations(_own_finding(_cards(page)["rs1799971"]))
    assert own == [("#ref-1", "1"), ("#result-source-4", "4"), ("#result-source-5", "5")]
    listed = re.findall(r'<li id="ref-(\d+)" value="\d+" class="reference">\s*<span[^>]*>', page)
    assert listed == ["1", "2", "3"]
    assert f"doi:{DOI_IN_REFERENCES}" in page.split('<li id="ref-1"', 1)[1].split("</li>", 1)[0]


def test_no_sources_list_when_the_article_lists_every_source(catalogue):
    article = _article(catalogue)
    _, client = _member_with({catalogue["oprm1"]: "AA"})
    # AA cites reference 2 and one source the article lacks; take that one out of the finding.
    interpretation = catalogue["oprm1"].interpretations.get(genotype="AA")
    interpretation.sources = f"doi:{DOI_IN_REFERENCES}"
    interpretation.save()
    catalogue["oprm1"].interpretations.filter(genotype="AG").delete()
    catalogue["comt"].interpretations.all().delete()
    page = client.get(article.get_absolute_url()).content.decode()
    assert _citations(_own_finding(_cards(page)["rs1799971"])) == [("#ref-2", "2")]
    assert "Sources for your results" not in page


def test_an_article_finding_replaces_the_catalogue_text_in_that_article_only(article, catalogue):
    other = _article(catalogue, slug="other-article", title="Other article")
    ArticleFinding.objects.create(
        article=article,
        snp=catalogue["oprm1"],
        genotype="AG",
        text="In this article: the G copy matters for the trial we discuss.",
    )
    _, client = _member_with({catalogue["oprm1"]: "AG"})
    card = _cards(client.get(article.get_absolute_url()).content.decode())["rs1799971"]
    assert "In this article: the G copy matters" in _own_finding(card)
    assert "One G copy: naltrexone helped" not in card
    # The label, evidence and sources stay the catalogue's.
    assert "gt-label--notable" in card and "Evidence: Moderate" in card
    assert len(_citations(_own_finding(card))) == 3
    elsewhere = _cards(client.get(other.get_absolute_url()).content.decode())["rs1799971"]
    assert "One G copy: naltrexone helped" in elsewhere
    assert "In this article" not in elsewhere


def test_the_members_cached_page_is_retired_when_an_article_finding_changes(article, catalogue):
    _, client = _member_with({catalogue["oprm1"]: "AG"})
    first = client.get(article.get_absolute_url()).content.decode()
    assert "One G copy: naltrexone helped" in first
    finding = ArticleFinding.objects.create(
        article=article, snp=catalogue["oprm1"], genotype="AG", text="First article wording."
    )
    assert "First article wording." in client.get(article.get_absolute_url()).content.decode()
    finding.text = "Second article wording."
    finding.save()
    assert "Second article wording." in client.get(article.get_absolute_url()).content.decode()
    finding.delete()
    assert (
        "One G copy: naltrexone helped" in client.get(article.get_absolute_url()).content.decode()
    )


def test_the_strand_note_names_the_raw_call_and_the_genotype_shown(article, catalogue):
    _, client = _member_with({catalogue["oprm1"]: "CT"})  # the complement of AG
    card = _cards(client.get(article.get_absolute_url()).content.decode())["rs1799971"]
    assert '<strong class="genotype">AG</strong>' in card
    assert (
        "Your file says CT; we show AG because your file reads the other DNA strand from the "
        "one our catalogue uses." in card
    )
    assert "One G copy: naltrexone helped" in card


@pytest.mark.parametrize(
    "genotype,message",
    [
        ("AC", "AC is impossible for rs1799971, whose alleles are A and G on the plus strand."),
        ("A", "'A' is not a genotype"),
        ("AGG", "'AGG' is not a genotype"),
    ],
)
def test_an_article_finding_must_be_a_genotype_of_the_snp(article, catalogue, genotype, message):
    finding = ArticleFinding(article=article, snp=catalogue["oprm1"], genotype=genotype, text="x")
    with pytest.raises(ValidationError) as raised:
        finding.full_clean()
    assert message in " ".join(raised.value.message_dict["genotype"])


def test_an_article_finding_genotype_is_stored_in_alphabetical_order(article, catalogue):
    finding = ArticleFinding(article=article, snp=catalogue["oprm1"], genotype="ga", text="x")
    finding.full_clean()
    assert finding.genotype == "AG"
