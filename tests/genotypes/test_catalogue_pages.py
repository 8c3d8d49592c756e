"""SNP pages, gene pages and the look-up of any rsid in one's own file, through the client.

Public part (everyone): what the variant is, its gene, names, alleles in words, population
frequencies with their source, and the published articles discussing it. Members' part: the
reader's own genotype and every genotype's finding, theirs marked; reading it is audited.
"""

import pytest
from django.urls import reverse

from articles.models import Article
from articles.services import rendering as article_rendering
from genotypes.models import (
    Gene,
    GeneticDataAuditLog,
    PopulationFrequency,
    Snp,
    SnpInterpretation,
)
from genotypes.services import parsing
from tests.articles.factories import ArticleFactory, SectionFactory
from tests.factories import MemberFactory, UserFactory
from tests.genotypes.factories import SnpFactory, demo_catalogue, upload_for

pytestmark = pytest.mark.django_db

Action = GeneticDataAuditLog.Action


def _catalogue():
    snps = demo_catalogue()
    PopulationFrequency.objects.create(
        snp=snps["rs4680"],
        population="Global",
        allele="A",
        frequency=0.37,
        source="Palmatier 1999",
        release="survey of 40 populations",
    )
    Snp.objects.filter(rsid="rs4680").update(
        common_names="Val158Met ; c.472G>A",
        summary="A common change in the COMT enzyme that swaps valine for methionine.",
    )
    Gene.objects.update_or_create(
        symbol="COMT",
        defaults={
            "name": "catechol-O-methyltransferase",
            "summary": "Makes an enzyme that breaks down dopamine.",
        },
    )
    return snps


def _article_covering(rsids, *, title, status=Article.Status.PUBLISHED, published_at=None):
    kwargs = {"title": title, "status": status}
    if status != Article.Status.PUBLISHED:
        kwargs["published_at"] = None
    article = ArticleFactory(**kwargs)
    SectionFactory(article=article, order=1, heading="Background", body="Public words.")
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body="Members-only report text.",
    )
    article_rendering.section_snps_set(section=report, rsids=rsids)
    return article_rendering.article_render(article=article)


def _member_with(client, calls):
    member = MemberFactory()
    upload = upload_for(member, include=calls)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    client.force_login(member)
    return member


def test_visitor_reads_the_public_part_of_a_snp_page(client):
    _catalogue()
    published = _article_covering(["rs4680"], title="Dopamine and pain")
    _article_covering(["rs4680"], title="A draft about COMT", status=Article.Status.DRAFT)
    response = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "swaps valine for methionine" in html
    assert "Val158Met" in html and "c.472G&gt;A" in html
    assert 'href="/genetics/genes/COMT/"' in html and "catechol-O-methyltransferase" in html
    assert "<strong>G</strong>, the letter in the human reference genome" in html
    assert "plus (forward) strand" in html
    assert "A: 37%" in html and "Source: Palmatier 1999; survey of 40 populations." in html
    assert published.get_absolute_url() in html and "A draft about COMT" not in html
    # Nothing of the members' part.
    finding = SnpInterpretation.objects.filter(snp__rsid="rs4680").first()
    assert finding.text not in html and "Evidence:" not in html
    assert "Your genotype:" not in html and "Become a member" in html


def test_an_rsid_the_catalogue_lacks_is_a_404(client):
    _catalogue()
    assert client.get(reverse("genotypes:snp_detail", args=["rs53576"])).status_code == 404
    assert client.get("/genetics/snps/" + "rs1" * 200 + "/").status_code == 404
    assert client.get("/genetics/snps/%F0%9F%A7%AC/").status_code == 404


def test_member_with_data_sees_their_genotype_and_every_finding_theirs_marked(client):
    _catalogue()
    member = _member_with(client, {"rs4680": "AG"})
    response = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your genotype: AG" in html
    for finding in SnpInterpretation.objects.filter(snp__rsid="rs4680"):
        assert finding.text.split(".")[0] in html
    assert html.count('class="interpretation--yours"') == 2  # the AG term and its text
    assert "Become a member" not in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    log = GeneticDataAuditLog.objects.get(subject_user_id=member.pk, action=Action.VIEWED_RESULTS)
    assert log.detail == "a SNP page" and "AG" not in log.detail


def test_member_without_data_reads_the_findings_and_is_asked_to_upload(client):
    _catalogue()
    member = MemberFactory()
    client.force_login(member)
    html = client.get(reverse("genotypes:snp_detail", args=["rs4680"])).content.decode()
    assert "Upload your DNA file" in html and "What each genotype means" in html
    assert 'class="interpretation--yours"' not in html
    assert not GeneticDataAuditLog.objects.filter(subject_user_id=member.pk).exists()


def test_gene_page_lists_its_snps_and_articles_for_everyone(client):
    _catalogue()
    article = _article_covering(["rs1045642"], title="Drug pumps")
    response = client.get(reverse("genotypes:gene_detail", args=["ABCB1"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/genetics/snps/rs1045642/"' in html and 'href="/genetics/snps/rs2032582/"' in html
    assert article.get_absolute_url() in html
    assert "Your genotypes" in html and "Become a member" in html
    html = client.get(reverse("genotypes:gene_detail", args=["COMT"])).content.decode()
    assert "Makes an enzyme that breaks down dopamine." in html and "Val158Met" in html


def test_gene_page_address_is_case_insensitive_and_unknown_genes_are_404(client):
    _catalogue()
    response = client.get("/genetics/genes/comt/")
    assert response.status_code == 301 and response["Location"] == "/genetics/genes/COMT/"
    assert client.get("/genetics/genes/BRCA1/").status_code == 404
    assert client.get("/genetics/genes/%3Cscript%3E/").status_code == 404
    assert client.get("/genetics/genes/COMT%0A/").status_code == 404


def test_member_sees_their_genotypes_for_the_genes_snps(client):
    _catalogue()
    member = _member_with(client, {"rs1045642": "AG", "rs2032582": "CC"})
    html = client.get(reverse("genotypes:gene_detail", args=["ABCB1"])).content.decode()
    assert "rs1045642</a>: <strong>AG</strong>" in html
    assert "rs2032582</a>: <strong>CC</strong>" in html
    assert GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=Action.VIEWED_RESULTS, detail="a gene page"
    ).exists()


# --- Look-up of any rsid in one's own file ------------------------------------------------------


def _lookup(client, rsid):
    return client.post(reverse("genotypes:lookup"), {"rsid": rsid})


def test_lookup_shows_the_raw_call_and_links_a_catalogue_snp(client):
    _catalogue()
    member = _member_with(client, {"rs4680": "AG"})
    response = _lookup(client, " RS4680 ")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<strong class="lookup-result__call">AG</strong>' in html
    assert 'href="/genetics/snps/rs4680/"' in html and "not in our catalogue" not in html
    log = GeneticDataAuditLog.objects.get(subject_user_id=member.pk, action=Action.LOOKED_UP)
    assert log.detail == "" and log.upload_id is not None  # neither the rsid nor the call


def test_lookup_of_a_variant_we_do_not_cover_says_not_in_our_catalogue_yet(client):
    _catalogue()
    _member_with(client, {"rs53576": "AG"})
    html = _lookup(client, "rs53576").content.decode()
    assert '<strong class="lookup-result__call">AG</strong>' in html
    assert "rs53576 is not in our catalogue yet" in html


def test_lookup_of_an_rsid_missing_from_the_file_says_so(client):
    _catalogue()
    _member_with(client, {"rs4680": "AG"})
    html = _lookup(client, "rs999999999").content.decode()
    assert "Your file has no entry for rs999999999" in html
    assert "lookup-result__call" not in html


def test_lookup_of_a_no_call_says_the_file_could_not_read_it(client):
    _catalogue()
    _member_with(client, {"rs53576": "--"})
    html = _lookup(client, "rs53576").content.decode()
    assert "gives no call for it" in html


@pytest.mark.parametrize(
    "raw", ["4680", "rs", "rs46a80", "rs4680; DROP TABLE", "🧬", "rs" + "9" * 40, "", "rs-1"]
)
def test_a_malformed_rsid_is_refused_with_a_message(client, raw):
    _catalogue()
    _member_with(client, {"rs4680": "AG"})
    response = _lookup(client, raw)
    html = response.content.decode()
    assert response.status_code == 400
    assert "not an rsid" in html or "Type an rs number" in html or "at most 40" in html
    assert "lookup-result" not in html


def test_lookup_without_a_processed_file_asks_for_one(client):
    _catalogue()
    client.force_login(MemberFactory())
    html = _lookup(client, "rs4680").content.decode()
    assert "You have no processed DNA file yet" in html
    assert not GeneticDataAuditLog.objects.filter(action=Action.LOOKED_UP).exists()


def test_lookup_form_is_on_my_genetics_and_on_search_for_members_only(client):
    _catalogue()
    _member_with(client, {"rs4680": "AG"})
    assert 'action="/genetics/lookup/"' in client.get(reverse("genotypes:mine")).content.decode()
    search = client.get(reverse("articles:search"), {"q": "rs4680"}).content.decode()
    assert 'action="/genetics/lookup/"' in search and 'value="rs4680"' in search
    client.force_login(UserFactory())
    search = client.get(reverse("articles:search"), {"q": "rs4680"}).content.decode()
    assert 'action="/genetics/lookup/"' not in search


def test_lookup_is_for_members(client):
    _catalogue()
    assert _lookup(client, "rs4680").status_code == 302  # to the login page
    client.force_login(UserFactory())
    response = _lookup(client, "rs4680")
    assert response.status_code == 403 and "lookup-result" not in response.content.decode()


def test_snp_and_gene_pages_use_the_reports_label_scheme_and_legend(client):
    """One label scheme everywhere: the SNP and gene pages draw labels as the article report
    does (gt-label, in words) and carry the same legend."""
    _catalogue()
    _member_with(client, {"rs4680": "AG"})
    label = SnpInterpretation.objects.get(snp__rsid="rs4680", genotype="AG").get_label_display()
    for url in (
        reverse("genotypes:snp_detail", args=["rs4680"]),
        reverse("genotypes:gene_detail", args=["COMT"]),
    ):
        html = client.get(url).content.decode()
        assert f'<span class="gt-label gt-label--{label.lower()}">{label}</span>' in html, url
        assert "What the labels mean" in html and "Strand unclear" in html, url
        assert "badge--typical" not in html and "badge--notable" not in html, url


def test_pages_without_articles_say_so(client):
    SnpFactory(rsid="rs6897932", gene="IL7R", ref="C", alt="T")
    snp_page = client.get(reverse("genotypes:snp_detail", args=["rs6897932"])).content.decode()
    gene_page = client.get(reverse("genotypes:gene_detail", args=["IL7R"])).content.decode()
    assert "No article discusses this variant yet." in snp_page
    assert "No article discusses this gene's variants yet." in gene_page
