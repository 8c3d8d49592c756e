"""The article genotype report and the orientation-aware matching behind it."""

import pytest

from genotypes.matching import Status, match_genotype
from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.selectors import genotype_report_for
from tests.factories import MemberFactory
from tests.genotypes.factories import SnpFactory, SnpInterpretationFactory

# --- matching (pure) -------------------------------------------------------------------------


def test_genotype_on_the_plus_strand_matches_order_insensitively():
    match = match_genotype(genotype="AG", ref="G", alt="A")
    assert (match.status, match.key, match.flipped) == (Status.MATCH, "AG", False)


def test_opposite_strand_of_a_non_palindromic_snp_still_matches():
    match = match_genotype(genotype="CT", ref="A", alt="G")  # complement of AG
    assert (match.status, match.genotype, match.flipped) == (Status.MATCH, "AG", True)


@pytest.mark.parametrize("ref,alt,genotype", [("A", "T", "AT"), ("C", "G", "GG"), ("A", "T", "AA")])
def test_palindromic_snps_are_flagged_not_guessed(ref, alt, genotype):
    assert match_genotype(genotype=genotype, ref=ref, alt=alt).status == Status.AMBIGUOUS_STRAND


def test_haploid_call_matches_the_homozygous_genotype():
    assert match_genotype(genotype="A", ref="A", alt="G").key == "AA"


def test_no_call_and_absent_are_distinct_from_any_genotype():
    assert match_genotype(genotype="--", ref="A", alt="G").status == Status.NO_CALL
    assert match_genotype(genotype="", ref="A", alt="G").status == Status.NOT_ON_CHIP
    assert match_genotype(genotype=None, ref="A", alt="G").status == Status.NOT_ON_CHIP


def test_multi_allelic_snp_matches_any_of_its_alleles():
    assert match_genotype(genotype="CT", ref="A", alt="C,T").key == "CT"


# --- the report (database) -------------------------------------------------------------------


def _done_upload(user):
    return GenomeUpload.objects.create(
        user=user,
        status="done",
        is_current=True,
        consented_at="2026-01-01T00:00Z",
        format="23andMe",
    )


@pytest.mark.django_db
def test_report_without_upload_prompts_to_upload():
    snps = [SnpFactory(), SnpFactory()]
    report = genotype_report_for(user=MemberFactory(), snps=snps)
    assert report.state == "no_upload"
    assert [r.status for r in report.rows] == ["no_upload", "no_upload"]
    assert report.upload_url == "/genetics/upload/"


@pytest.mark.django_db
def test_report_while_the_first_upload_is_processing():
    member = MemberFactory()
    pending = GenomeUpload.objects.create(user=member, consented_at="2026-01-01T00:00Z")
    report = genotype_report_for(user=member, snps=[SnpFactory()])
    assert report.state == "processing"
    assert str(pending.pk) in report.status_url


@pytest.mark.django_db
def test_report_rows_follow_the_given_order_with_every_status(django_assert_max_num_queries):
    member = MemberFactory()
    upload = _done_upload(member)
    plain = SnpInterpretationFactory(
        snp=SnpFactory(ref="A", alt="G"), genotype="AG", label="notable", text="Carrier."
    ).snp
    flipped = SnpInterpretationFactory(snp=SnpFactory(ref="A", alt="G"), genotype="AA").snp
    palindromic = SnpFactory(ref="A", alt="T")
    no_call = SnpFactory()
    absent = SnpFactory()
    for snp, genotype in [
        (plain, "GA"),
        (flipped, "TT"),
        (palindromic, "AT"),
        (no_call, "--"),
        (absent, ""),
    ]:
        GenotypeResult.objects.create(
            user=member,
            upload=upload,
            snp=snp,
            genotype="".join(sorted(genotype)) if genotype != "--" else genotype,
        )
    snps = [absent, plain, flipped, palindromic, no_call]
    with django_assert_max_num_queries(4):  # uploads, results, findings, frequencies
        report = genotype_report_for(user=member, snps=snps)
    assert report.state == "ready"
    assert [r.rsid for r in report.rows] == [s.rsid for s in snps]
    rows = {r.rsid: r for r in report.rows}
    assert rows[plain.rsid].status == "match" and rows[plain.rsid].genotype == "AG"
    assert rows[plain.rsid].label == "notable" and rows[plain.rsid].interpretation == "Carrier."
    assert rows[flipped.rsid].genotype == "AA" and rows[flipped.rsid].raw_call == "TT"
    assert "Your file says TT; we show AA" in rows[flipped.rsid].note
    assert rows[palindromic.rsid].status == "ambiguous_strand"
    assert rows[palindromic.rsid].interpretation == ""
    assert rows[no_call.rsid].status == "no_call"
    assert rows[absent.rsid].status == "not_on_chip"


@pytest.mark.django_db
def test_report_query_count_does_not_grow_with_the_number_of_snps(django_assert_max_num_queries):
    member = MemberFactory()
    upload = _done_upload(member)
    snps = [SnpFactory() for _ in range(40)]
    for snp in snps:
        SnpInterpretationFactory(snp=snp, genotype="AA")
        GenotypeResult.objects.create(user=member, upload=upload, snp=snp, genotype="AA")
    with django_assert_max_num_queries(4):  # uploads, results, findings, frequencies
        report = genotype_report_for(user=member, snps=snps)
    assert all(r.interpretation for r in report.rows)


@pytest.mark.django_db
def test_report_shows_only_the_members_own_results():
    member, other = MemberFactory(), MemberFactory()
    snp = SnpFactory()
    GenotypeResult.objects.create(user=other, upload=_done_upload(other), snp=snp, genotype="GG")
    _done_upload(member)
    report = genotype_report_for(user=member, snps=[snp])
    assert report.rows[0].status == "not_on_chip"


@pytest.mark.django_db
def test_report_template_shows_distinct_wording_for_each_status(client):
    from django.template.loader import render_to_string

    member = MemberFactory()
    upload = _done_upload(member)
    shown = SnpInterpretationFactory(snp=SnpFactory(), genotype="AG", text="Carrier text.").snp
    no_call, absent = SnpFactory(), SnpFactory()
    GenotypeResult.objects.create(user=member, upload=upload, snp=shown, genotype="AG")
    GenotypeResult.objects.create(user=member, upload=upload, snp=no_call, genotype="--")
    html = render_to_string(
        "genotypes/includes/genotype_report.html",
        {"report": genotype_report_for(user=member, snps=[shown, no_call, absent])},
    )
    cards = _cards(html)
    assert '<strong class="genotype">AG</strong>' in cards[shown.rsid]
    assert "Carrier text." in cards[shown.rsid]
    assert "gt-label--no_call" in cards[no_call.rsid] and "No call" in cards[no_call.rsid]
    assert "Not on your chip" in cards[absent.rsid]


def _cards(html: str) -> dict[str, str]:
    """rsid -> the HTML of its card in a rendered report."""
    import re

    return dict(
        re.findall(r'<li class="variant-card[^"]*" data-rsid="(rs\d+)">(.*?)\n  </li>', html, re.S)
    )


# --- a file that places the rsid on another chromosome (issue 16 item 2) ---------------------


def test_the_stored_elsewhere_marker_is_its_own_status():
    from genotypes.matching import ELSEWHERE

    match = match_genotype(genotype=ELSEWHERE, ref="A", alt="G")
    assert (match.status, match.genotype, match.key) == (Status.OTHER_CHROMOSOME, "", "")


@pytest.mark.django_db
def test_an_rsid_on_another_chromosome_in_the_file_is_not_matched():
    import polars as pl

    from genotypes.matching import ELSEWHERE
    from genotypes.parsers import CHROMOSOME_DTYPE, GENOTYPE_DTYPE
    from genotypes.services.parsing import genome_results_for

    same = SnpFactory(rsid="rs701", chromosome="6")
    other = SnpFactory(rsid="rs702", chromosome="22")
    on_x = SnpFactory(rsid="rs703", chromosome="X")
    unknown = SnpFactory(rsid="rs704", chromosome="")
    frame = pl.DataFrame(
        {
            "rsid": ["rs701", "rs702", "rs703", "rs704"],
            "chromosome": pl.Series(["6", "5", "XY", "3"], dtype=CHROMOSOME_DTYPE),
            "position": pl.Series([1, 2, 3, 4], dtype=pl.UInt32),
            "genotype": pl.Series(["AG", "AG", "AA", "GG"], dtype=GENOTYPE_DTYPE),
        }
    )
    results = genome_results_for(frame, 37, [same, other, on_x, unknown])
    assert results == {same.pk: "AG", other.pk: ELSEWHERE, on_x.pk: "AA", unknown.pk: "GG"}
