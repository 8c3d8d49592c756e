"""Frequencies by population (issue 13, item 6): imported with their source and release,
edited in the admin, and charted on the SNP page for the population the member picks."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from genotypes.models import PopulationFrequency, Snp
from genotypes.services import parsing
from tests.factories import MemberFactory, UserFactory, sign_in_with_two_factor
from tests.genotypes.factories import demo_catalogue, upload_for
from tests.genotypes.test_views import _assert_page_basics

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHARED_FREQUENCIES = next(
    (
        folder / "population-frequencies.csv"
        for folder in (ROOT.parent / "shared" / "content", ROOT.parents[1] / "shared" / "content")
        if (folder / "population-frequencies.csv").exists()
    ),
    None,
)


def test_demo_catalogue_loads_sourced_population_frequencies():
    demo_catalogue()
    eur = PopulationFrequency.objects.get(snp__rsid="rs1045642", population="EUR", allele="G")
    assert eur.frequency == pytest.approx(0.4811)
    assert eur.measure == PopulationFrequency.Measure.ALLELE
    assert eur.allele_note == "(plus) = coding 3435C"
    assert eur.source.startswith("github sbslee/pypgx@8af1d2ab")
    assert eur.release.startswith("1000 Genomes 30x GRCh38")
    carriers = PopulationFrequency.objects.get(snp__rsid="rs1799971", population="East Asian")
    assert carriers.measure == PopulationFrequency.Measure.CARRIER
    assert carriers.frequency == pytest.approx(0.622)
    # Loading again changes nothing.
    count = PopulationFrequency.objects.count()
    demo_catalogue()
    assert PopulationFrequency.objects.count() == count


@pytest.mark.skipif(SHARED_FREQUENCIES is None, reason="the shared content folder is not here")
def test_import_of_the_shared_file_keeps_sourced_numbers_and_lists_what_it_skips():
    demo_catalogue()
    PopulationFrequency.objects.all().delete()
    out = StringIO()
    call_command("import_population_frequencies", str(SHARED_FREQUENCIES), stdout=out)
    printed = out.getvalue()
    assert "Imported 63 population frequencies." in printed, printed[:500]
    # Ranges are not charted, unverified rows carry no number, unknown SNPs are not invented.
    assert "rs1799971 Asian populations (range): frequency is not a single number" in printed
    assert "rs1799971 1000 Genomes EUR: no verified source and release" in printed
    assert "rs13202464 1000 Genomes EUR: not in the catalogue" in printed
    assert not PopulationFrequency.objects.filter(source__icontains="unverified").exists()
    ok = PopulationFrequency.objects.get(
        snp__rsid="rs2032582", population="EAS", allele="T", source__startswith="github"
    )
    assert ok.frequency == pytest.approx(0.1339)


def _member_with(client, calls):
    demo_catalogue()
    member = MemberFactory()
    upload = upload_for(member, include=calls)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    client.force_login(member)
    return member


def test_member_chooses_the_population_of_the_frequency_chart(client):
    _member_with(client, {"rs1045642": "AG"})
    url = reverse("genotypes:snp_detail", args=["rs1045642"])
    html = client.get(url).content.decode()
    # A pooled population first, with every other population on offer.
    assert '<option value="ALL (pooled unrelated; computed from AC/AN)" selected>' in html
    for name in ("EUR", "EAS", "AFR", "Yoruba", "Gabon"):
        assert f'<option value="{name}">' in html
    assert "G: 60% (in your genotype)" in html
    html = client.get(url, {"population": "EAS"}).content.decode()
    assert '<option value="EAS" selected>' in html
    assert "G: 60% (in your genotype)" in html  # 0.6022 in East Asians
    assert "Source: github sbslee/pypgx@8af1d2ab" in html
    assert "1000 Genomes 30x GRCh38 (NYGC) callset, 2,504 unrelated samples" in html
    html = client.get(url, {"population": "Gabon"}).content.decode()
    assert '<option value="Gabon" selected>' in html
    assert "A: 14% (in your genotype)" in html and "PMC8218688 Table 3" in html
    _assert_page_basics(html)


def test_an_unknown_population_falls_back_to_the_default(client):
    _member_with(client, {"rs1045642": "GG"})
    url = reverse("genotypes:snp_detail", args=["rs1045642"])
    response = client.get(url, {"population": "<script>x</script>" * 20})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="ALL (pooled unrelated; computed from AC/AN)" selected>' in html
    assert "<script>x" not in html


def test_carrier_shares_are_labelled_as_such(client):
    _member_with(client, {"rs1799971": "AA"})
    url = reverse("genotypes:snp_detail", args=["rs1799971"])
    html = client.get(url, {"population": "South Asian"}).content.decode()
    assert "G carriers: 69%" in html and "(in your genotype)" not in html
    assert "not an allele frequency" in html


def test_visitor_gets_the_frequency_chart_without_any_genotype_marked(client):
    demo_catalogue()
    response = client.get(reverse("genotypes:snp_detail", args=["rs1045642"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="EAS">' in html and "Source: github sbslee/pypgx@8af1d2ab" in html
    assert "in your genotype" not in html and "frequency-chart__bar--yours" not in html


def _admin_post(client, snp, **row):
    sign_in_with_two_factor(client, UserFactory(is_staff=True, is_superuser=True))
    data = {
        "rsid": snp.rsid,
        "gene": snp.gene,
        "chromosome": snp.chromosome,
        "ref": snp.ref,
        "alt": snp.alt,
        "verified": "on",
        "interpretations-TOTAL_FORMS": "0",
        "interpretations-INITIAL_FORMS": "0",
        "population_frequencies-TOTAL_FORMS": "1",
        "population_frequencies-INITIAL_FORMS": "0",
        "population_frequencies-0-measure": "allele",
    }
    data.update({f"population_frequencies-0-{k}": v for k, v in row.items()})
    return client.post(reverse("admin:genotypes_snp_change", args=[snp.pk]), data)


def test_editor_adds_a_population_frequency_with_its_source_and_release(client):
    snp = Snp.objects.create(rsid="rs3094315", gene="MARKER", chromosome="1", ref="C", alt="T")
    response = _admin_post(
        client,
        snp,
        population="EUR",
        allele="T",
        frequency="0.21",
        source="doi:10.1038/nature15393",
        release="1000 Genomes phase 3",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = PopulationFrequency.objects.get(snp=snp)
    assert (entry.population, entry.allele, entry.frequency) == ("EUR", "T", 0.21)


def test_editor_cannot_add_a_frequency_without_source_or_outside_0_1(client):
    snp = Snp.objects.create(rsid="rs3094315", gene="MARKER", chromosome="1", ref="C", alt="T")
    response = _admin_post(
        client, snp, population="EUR", allele="T", frequency="1.5", source="", release=""
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "less than or equal to 1.0" in html
    assert not PopulationFrequency.objects.exists()
