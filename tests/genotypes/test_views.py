"""The genetics pages through the test client, the way a member meets them."""

import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genlife import queue
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from genotypes.services import parsing, uploads
from tests.factories import (
    TEST_PASSWORD,
    MemberFactory,
    StaffFactory,
    UserFactory,
    sign_in_with_two_factor,
)
from tests.genotypes.factories import demo_catalogue, processed_upload_for, upload_for

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def _logged_in(client, user=None):
    user = user or MemberFactory()
    client.force_login(user)
    return user


def _reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content[:500]


def _assert_page_basics(html: str):
    assert html.count("<h1") == 1
    assert "<title>" in html and 'name="description"' in html
    assert not INLINE_SCRIPT.search(html), "inline <script> found"
    assert not INLINE_HANDLER.search(html), "inline event handler found"


def test_upload_page_explains_kinds_and_asks_for_consent(client):
    _logged_in(client)
    response = client.get(reverse("genotypes:upload"))
    html = response.content.decode()
    assert response.status_code == 200
    for kind in ("23andMe", "AncestryDNA", "MyHeritage", "FamilyTreeDNA", "LivingDNA", "VCF"):
        assert kind in html
    assert 'name="consent"' in html and "100 MB" in html
    assert "genotypes/upload.js" in html and "<progress" in html
    assert '<label for="id_file">' in html
    _assert_page_basics(html)


def test_visitor_is_sent_to_log_in_and_non_member_sees_the_members_offer(client):
    response = client.get(reverse("genotypes:upload"))
    assert response.status_code == 302 and "login" in response["Location"]
    _logged_in(client, UserFactory())
    response = client.get(reverse("genotypes:upload"))
    assert response.status_code == 403
    assert "Become a member" in response.content.decode()


def test_upload_creates_a_queued_upload_and_redirects_to_its_status(client):
    member = _logged_in(client)
    data = generate_genome("23andme", n_snps=500, seed=1)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", data), "consent": "on"},
    )
    upload = GenomeUpload.objects.get(user=member)
    assert response.status_code == 302
    assert response["Location"] == reverse("genotypes:upload_status", args=[upload.pk])
    assert upload.status == "queued" and upload.size == len(data) and not upload.keep_raw
    assert GeneticDataAuditLog.objects.filter(action="uploaded", subject_user_id=member.pk).exists()


def test_upload_by_script_answers_json(client):
    _logged_in(client)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", generate_genome(n_snps=200)), "consent": "on"},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 201
    assert response.json()["status_url"].startswith("/genetics/uploads/")


def test_upload_without_consent_is_refused_with_a_message(client):
    member = _logged_in(client)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", generate_genome(n_snps=200))},
    )
    assert response.status_code == 400
    assert "Please agree" in response.content.decode()
    assert not GenomeUpload.objects.filter(user=member).exists()


def test_a_2_gb_upload_is_refused_before_its_body_is_read(client):
    member = _logged_in(client)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", b"x"), "consent": "on"},
        CONTENT_LENGTH=str(2 * 1024**3),
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 413
    # The largest format's limit: a whole-genome VCF may be up to 1 GB.
    assert "larger than 1024 MB" in response.json()["errors"]["file"][0]
    assert not GenomeUpload.objects.filter(user=member).exists()


def test_upload_over_the_limit_is_stopped_while_streaming(client, settings):
    settings.GENOME_UPLOAD_MAX_BYTES = 2_000
    settings.GENOME_VCF_UPLOAD_MAX_BYTES = 3_000
    member = _logged_in(client)
    response = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("genome.txt", b"x" * 50_000), "consent": "on"},
    )
    assert response.status_code == 413
    assert not GenomeUpload.objects.filter(user=member).exists()


def test_status_page_and_json_for_the_owner(client):
    member = _logged_in(client)
    upload = upload_for(member)
    response = client.get(reverse("genotypes:upload_status", args=[upload.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "Queued" in html and "genotypes/status.js" in html
    _assert_page_basics(html)
    data = client.get(reverse("genotypes:upload_status_json", args=[upload.pk])).json()
    assert data["status"] == "queued" and data["finished"] is False


def test_failed_upload_status_names_the_problem(client):
    member = _logged_in(client)
    upload = uploads.genome_upload_create(
        user=member,
        file=SimpleUploadedFile("x.txt", b"<html><body>expired</body></html>"),
        consent=True,
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    data = client.get(reverse("genotypes:upload_status_json", args=[upload.pk])).json()
    assert data["status"] == "failed" and "web page (HTML)" in data["reason"]


@pytest.mark.parametrize("name", ["upload_status", "upload_status_json"])
def test_another_member_and_plain_staff_get_404_for_someone_elses_upload(client, name):
    upload = upload_for(MemberFactory())
    url = reverse(f"genotypes:{name}", args=[upload.pk])
    _logged_in(client, MemberFactory())
    assert client.get(url).status_code == 404
    _logged_in(client, StaffFactory())
    assert client.get(url).status_code == 404


def test_staff_with_the_explicit_permission_may_see_an_upload_status_and_it_is_audited(client):
    # ...after a second factor, as in the admin (tests/genotypes/test_erasure.py: not without).
    upload = upload_for(MemberFactory())
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_genetic_data"))
    sign_in_with_two_factor(client, staff)
    assert client.get(reverse("genotypes:upload_status", args=[upload.pk])).status_code == 200
    assert GeneticDataAuditLog.objects.filter(actor=staff, action="viewed_status").exists()


def test_my_genetics_lists_uploads_coverage_and_results(client):
    demo_catalogue()
    member = _logged_in(client)
    processed_upload_for(member, include={"rs1799971": "AG", "rs4680": "AA"})
    response = client.get(reverse("genotypes:mine"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chip coverage" in html and "23andMe" in html
    assert "rs1799971" in html and "Notable" in html
    _assert_page_basics(html)


def test_snp_page_draws_a_frequency_chart_with_the_members_genotype_highlighted(client):
    demo_catalogue()
    member = _logged_in(client)
    processed_upload_for(member, include={"rs4680": "AG"})
    response = client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "frequency-chart__bar--yours" in html
    assert html.count("frequency-chart__bar--yours") == 1
    assert "AG: 50% (yours)" in html
    _assert_page_basics(html)


def test_export_requires_reauthentication_then_downloads_results(client):
    demo_catalogue()
    member = _logged_in(client)
    processed_upload_for(member, include={"rs4680": "AA"})
    assert client.get(reverse("genotypes:export")).status_code == 200
    response = client.post(reverse("genotypes:export"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    _reauthenticate(client)
    response = client.post(reverse("genotypes:export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "rs4680,COMT,22,AA" in archive.read("genlife-results.csv").decode()


def test_delete_requires_reauthentication_then_removes_everything(client):
    demo_catalogue()
    member = _logged_in(client)
    processed_upload_for(member)
    response = client.post(reverse("genotypes:delete"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert GenomeUpload.objects.filter(user=member).exists()
    _reauthenticate(client)
    response = client.post(reverse("genotypes:delete"), {"confirm": "delete"})
    assert response.status_code == 302
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert not GenotypeResult.objects.filter(user=member).exists()


def test_admin_lists_show_no_genotype_values(client):
    demo_catalogue()
    member = MemberFactory()
    processed_upload_for(member, include={"rs4680": "CT"})
    admin = UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_two_factor(client, admin)
    for model in ("genomeupload", "geneticdataauditlog"):
        html = client.get(reverse(f"admin:genotypes_{model}_changelist")).content.decode()
        assert "rs4680" not in html and ">CT<" not in html
    assert client.get("/admin/genotypes/genotyperesult/").status_code == 404


def test_sample_file_downloads_a_readable_genome_with_the_demo_genotypes(client):
    from genotypes.parsers import parse_genome
    from genotypes.samples import DEMO_CALLS as SAMPLE_CALLS

    response = client.get(reverse("genotypes:sample_file"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    genome = parse_genome(response.content)
    assert genome.genotypes_for(SAMPLE_CALLS) == SAMPLE_CALLS


def test_index_page_links_the_upload_and_the_sample(client):
    _logged_in(client)
    html = client.get(reverse("genotypes:index")).content.decode()
    assert reverse("genotypes:upload") in html and reverse("genotypes:sample_file") in html
    _assert_page_basics(html)


def test_editor_adding_a_snp_in_the_admin_queues_its_backfill(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(queue, "task_send", lambda task, *args: sent.append((task.name, args)))
    sign_in_with_two_factor(client, UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:genotypes_snp_add"),
            {
                "rsid": "rs3094315",
                "gene": "MARKER",
                "chromosome": "1",
                "ref": "C",
                "alt": "T",
                "position_grch37": "752566",
                "verified": "on",
                "interpretations-TOTAL_FORMS": "1",
                "interpretations-INITIAL_FORMS": "0",
                "interpretations-0-genotype": "CT",
                "interpretations-0-label": "typical",
                "interpretations-0-text": "Common.",
                "interpretations-0-evidence": "unverified",
                "population_frequencies-TOTAL_FORMS": "0",
                "population_frequencies-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    from genotypes.models import Snp

    snp = Snp.objects.get(rsid="rs3094315")
    assert sent == [("genotypes.tasks.snp_results_backfill", (snp.pk,))]


def _article_with_genotype_section(title, slug, snps, *, published=True):
    from django.utils import timezone

    from articles.models import Article, Author, Section, SectionSnp

    author, _ = Author.objects.get_or_create(slug="test-author", defaults={"name": "Test Author"})
    article = Article.objects.create(
        title=title,
        slug=slug,
        description="About variants.",
        author=author,
        status="published" if published else "draft",
        published_at=timezone.now() if published else None,
    )
    section = Section.objects.create(
        article=article, order=1, heading="Your genotypes", kind="genotype_report", access="members"
    )
    for order, snp in enumerate(snps):
        SectionSnp.objects.create(section=section, snp=snp, order=order)
    return article


def test_my_genetics_lists_articles_with_results_notable_first(client):
    catalogue = demo_catalogue()
    member = _logged_in(client)
    processed_upload_for(member, include={"rs1799971": "AG", "rs4680": "GG"})
    typical = _article_with_genotype_section(
        "COMT and pain", "comt-and-pain", [catalogue["rs4680"]]
    )
    notable = _article_with_genotype_section(
        "Naltrexone and OPRM1", "naltrexone-and-oprm1", [catalogue["rs1799971"]]
    )
    _article_with_genotype_section(
        "Draft piece", "draft-piece", [catalogue["rs4680"]], published=False
    )
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert notable.get_absolute_url() in html and typical.get_absolute_url() in html
    assert html.index(notable.get_absolute_url()) < html.index(typical.get_absolute_url())
    assert "Draft piece" not in html


def test_a_file_placing_a_catalogue_rsid_on_another_chromosome_shows_elsewhere(client):
    # rs4680 is on chromosome 22 in the catalogue; this file puts it on 5.
    demo_catalogue()
    member = _logged_in(client)
    text = (
        "# This data file generated by 23andMe at: Mon Jan 01 00:00:00 2024\r\n"
        "# rsid\tchromosome\tposition\tgenotype\r\n"
        "rs1799971\t6\t154360797\tAG\r\n"
        "rs4680\t5\t19951271\tAA\r\n"
    )
    upload = uploads.genome_upload_create(
        user=member, file=SimpleUploadedFile("genome.txt", text.encode()), consent=True
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    upload.refresh_from_db()
    assert upload.status == "done", upload.failure_reason
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "Elsewhere in your file" in html and "gt-label--other_chromosome" in html
    assert "What the labels mean" in html  # the one legend, as in article reports
    assert "result-item--other_chromosome" in html
    assert "result-item--notable" in html  # rs1799971 (AG), on its own chromosome, matched
    detail = client.get(reverse("genotypes:snp_detail", args=["rs4680"])).content.decode()
    assert "Your genotype: Your file places this variant elsewhere" in detail
    assert "another chromosome" in detail
    assert "frequency-chart__bar--yours" not in detail


def test_upload_page_names_the_layouts_added_for_issue_16(client):
    _logged_in(client)
    html = client.get(reverse("genotypes:upload")).content.decode()
    for kind in ("CircleDNA", "Mapmygenome", "Sano Genetics", "GenomeStudio", "Allele1 - Plus"):
        assert kind in html


def test_upload_and_index_pages_state_both_size_limits(client, settings):
    settings.GENOME_UPLOAD_MAX_BYTES = 100 * 1024 * 1024
    settings.GENOME_VCF_UPLOAD_MAX_BYTES = 1024 * 1024 * 1024
    _logged_in(client)
    upload = client.get(reverse("genotypes:upload")).content.decode()
    assert "Up to 100 MB; a whole-genome VCF (plain or <code>.gz</code>) up to 1024 MB." in upload
    assert 'data-too-large="1024"' in upload
    index = client.get(reverse("genotypes:index")).content.decode()
    assert "up to 100 MB (1024 MB for a whole-genome VCF)" in index
