"""The member's own view of their data through the test client: the activity page (one entry
per kind of access, in plain words, newest first, paginated, their own only), the export's
account, billing and activity files, and the confirmation before deleting genetic data."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import StripeEvent
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from genotypes.services import backfill, parsing, uploads
from tests.factories import TEST_PASSWORD, MemberFactory, StaffFactory, sign_in_with_two_factor
from tests.genotypes.factories import SnpFactory, demo_catalogue, processed_upload_for

pytestmark = pytest.mark.django_db

Action = GeneticDataAuditLog.Action


def _member_client(member=None):
    member = member or MemberFactory()
    client = Client()
    client.force_login(member)
    return member, client


def _reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302


def _activity(client, page=None) -> str:
    url = reverse("genotypes:activity") + (f"?page={page}" if page else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr>")[1:]]


def test_activity_page_lists_each_kind_of_access_in_plain_words(client):
    demo_catalogue()
    member, client = _member_client()
    upload = processed_upload_for(member, include={"rs4680": "AG"})
    client.get(reverse("genotypes:mine"))
    client.get(reverse("genotypes:snp_detail", args=["rs4680"]))
    client.post(reverse("genotypes:lookup"), {"rsid": "rs4680"})
    _reauthenticate(client)
    b"".join(client.post(reverse("genotypes:export")).streaming_content)
    # The worker's backfill of a newly catalogued SNP reads the stored genome again.
    snp = SnpFactory(rsid="rs3094315", chromosome="1", ref="C", alt="T")
    backfill.genotype_results_backfill_chunk(snp_id=snp.pk, upload_ids=[str(upload.pk)])
    # Support staff with the permission and a second factor open the upload's status.
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_genetic_data"))
    staff_client = Client()
    sign_in_with_two_factor(staff_client, staff)
    assert staff_client.get(reverse("genotypes:upload_status", args=[upload.pk])).status_code == 200

    html = _activity(client)
    assert html.count("<h1") == 1 and 'name="description"' in html
    expected = [
        ("A DNA file was uploaded: ", "you"),
        ("Your file was read and your genome stored: 23andMe", "genlife (automatically)"),
        ("Your genotypes were shown on My genetics.", "you"),
        ("Your genotypes were shown on a SNP page.", "you"),
        ("A variant was looked up in your stored genome.", "you"),
        ("Your data was downloaded as a zip file.", "you"),
        ("for newly catalogued variants (rs3094315).", "genlife (automatically)"),
        (
            "An upload&#x27;s details (status and counts) were opened (on the site).",
            "genlife support staff",
        ),
    ]
    rows = _rows(html)
    assert len(rows) == len(expected)
    # Newest first: the page lists them in the reverse of the order they happened.
    for row, (what, who) in zip(rows, reversed(expected), strict=True):
        assert what in row and f"<td>{who}</td>" in row, row
    assert "rs4680" not in html and "AG" not in html.split("<tbody>", 1)[1]


def test_article_page_with_the_members_genotypes_is_logged_cached_or_not(client):
    from articles.services import rendering
    from tests.articles.factories import ArticleFactory, SectionFactory

    catalogue = demo_catalogue()
    member, client = _member_client()
    processed_upload_for(member, include={"rs4680": "AG"})
    article = ArticleFactory(slug="comt-article", title="COMT and you")
    section = SectionFactory(
        article=article, order=1, heading="Report", kind="genotype_report", access="members"
    )
    rendering.section_snps_set(section=section, rsids=[catalogue["rs4680"].rsid])
    rendering.article_render(article=article)
    for _ in range(2):  # the second is served from the member's cached page
        assert client.get(article.get_absolute_url()).status_code == 200
    viewed = GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=Action.VIEWED_RESULTS, detail__contains="COMT and you"
    )
    assert viewed.count() == 2
    assert "Your genotypes were shown on the article “COMT and you”." in _activity(client)


def test_activity_page_is_paginated_and_shows_only_the_members_own_entries(client):
    member, client = _member_client()
    other = MemberFactory()
    GeneticDataAuditLog.objects.bulk_create(
        [
            GeneticDataAuditLog(subject_user_id=member.pk, actor=member, action=Action.LOOKED_UP)
            for _ in range(55)
        ]
        + [GeneticDataAuditLog(subject_user_id=other.pk, actor=other, action=Action.EXPORTED)]
    )
    first, second = _activity(client), _activity(client, page=2)
    assert len(_rows(first)) == 50 and len(_rows(second)) == 5
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "downloaded" not in first + second
    assert Client().get(reverse("genotypes:activity")).status_code == 302  # visitors log in


def test_every_kind_of_access_has_its_own_sentence_and_an_empty_log_says_so(client):
    member, client = _member_client()
    assert "No one has accessed your genetic data yet." in _activity(client)
    GeneticDataAuditLog.objects.bulk_create(
        [GeneticDataAuditLog(subject_user_id=member.pk, action=action) for action in Action]
    )
    rows = _rows(_activity(client))
    whats = [row.split("<td>")[2].split("</td>")[0] for row in rows]
    assert len(rows) == len(Action) and len(set(whats)) == len(Action)
    # None falls back to the model's short label, none speaks of a worker.
    labels = {str(label) + "." for label in Action.labels}
    assert not labels & set(whats)
    assert not any("worker" in row.lower() for row in rows)


def test_export_holds_account_billing_history_and_the_activity_log(client):
    demo_catalogue()
    member, client = _member_client()
    member.membership.stripe_customer_id = "cus_export"
    member.membership.save()
    StripeEvent.objects.create(
        event_id="evt_paid",
        type="invoice.paid",
        created=timezone.now(),
        payload={
            "data": {"object": {"customer": "cus_export", "amount_paid": 900, "currency": "eur"}}
        },
    )
    StripeEvent.objects.create(
        event_id="evt_other",
        type="invoice.paid",
        created=timezone.now(),
        payload={"data": {"object": {"customer": "cus_someone_else", "amount_paid": 1}}},
    )
    processed_upload_for(member, include={"rs4680": "AG"})
    client.get(reverse("genotypes:mine"))
    _reauthenticate(client)
    response = client.post(reverse("genotypes:export"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert set(archive.namelist()) == {
        "genlife-account.json",
        "genlife-activity.csv",
        "genlife-results.csv",
        "genlife-uploads.csv",
        "genlife-genome-23andme.txt",
    }
    account = json.loads(archive.read("genlife-account.json"))
    assert account["account"]["email"] == member.email
    assert account["membership"]["status"] == "Active"
    assert account["events"] == [
        {"date": account["events"][0]["date"], "what": "Invoice paid", "amount": "9.00 EUR"}
    ]
    activity = list(csv.reader(io.StringIO(archive.read("genlife-activity.csv").decode())))
    assert activity[0] == ["when_utc", "what", "by"]
    whats = [row[1] for row in activity[1:]]
    assert whats[0] == "Your data was downloaded as a zip file."  # this export, newest first
    assert "Your genotypes were shown on My genetics." in whats
    assert whats[-1].startswith("A DNA file was uploaded: ")
    genome = archive.read("genlife-genome-23andme.txt").decode()
    assert genome.startswith("# genlife export of your stored genome, in the 23andMe")
    assert "\nrs4680\t22\t" in genome


def test_deleting_genetic_data_needs_the_box_ticked(client):
    demo_catalogue()
    member, client = _member_client()
    processed_upload_for(member)
    page = client.get(reverse("genotypes:delete")).content.decode()
    assert 'name="confirm"' in page and "cannot be undone" in page
    assert "every share link" in page and '<label class="label-inline" for="confirm">' in page
    _reauthenticate(client)
    refused = client.post(reverse("genotypes:delete"))
    assert refused.status_code == 400
    assert "Tick the box to confirm that you want to delete your genetic data." in (
        refused.content.decode()
    )
    assert GenomeUpload.objects.filter(user=member).exists()
    assert GenotypeResult.objects.filter(user=member).exists()
    done = client.post(reverse("genotypes:delete"), {"confirm": "delete"}, follow=True)
    assert "every result and every share link" in done.content.decode()
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert "Genetic data was deleted: 1 uploads." in _activity(client)


def test_account_page_links_to_activity_export_and_delete(client):
    _, client = _member_client()
    html = client.get(reverse("members:account")).content.decode()
    for name in ("activity", "export", "delete"):
        assert reverse(f"genotypes:{name}") in html


def test_backfill_through_the_queue_is_logged_for_each_genome_read(
    client, eager_tasks, django_capture_on_commit_callbacks
):
    demo_catalogue()
    member, client = _member_client()
    processed_upload_for(member, include={"rs3094315": "CT"})
    snp = SnpFactory(rsid="rs3094315", chromosome="1", ref="C", alt="T")
    with django_capture_on_commit_callbacks(execute=True):
        backfill.snp_catalogue_changed(snp=snp)
    assert GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=Action.BACKFILLED, actor=None
    ).exists()


def test_a_whole_genome_is_exported_one_stored_part_at_a_time(client, monkeypatch):
    """A streamed (sealed, multi-part) genome: every call with an id reaches the text, read
    from storage a part at a time; calls without an id are counted in a last comment."""
    import gzip

    from genotypes import genome_store
    from genotypes.services import export

    # Parts of 500 calls (a real one holds a million): the parse hands the writer 300 at a time.
    monkeypatch.setattr(genome_store, "BLOB_PART_ROWS", 500)
    write = genome_store.GenomeBlobWriter.write
    monkeypatch.setattr(
        genome_store.GenomeBlobWriter,
        "write",
        lambda self, frame: [write(self, frame.slice(i, 300)) for i in range(0, frame.height, 300)],
    )
    member, client = _member_client()
    data = gzip.compress(generate_genome("vcf", n_snps=3_000, seed=3, vcf_ids=True))
    upload = uploads.genome_upload_create(
        user=member, file=SimpleUploadedFile("genome.vcf.gz", data), consent=True
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    upload.refresh_from_db()
    assert upload.status == "done", upload.failure_reason
    with upload.genome_file.open("rb") as handle:
        blob = handle.read()
    assert genome_store.is_sealed(blob)
    stored = genome_store.genome_from_blob(blob)

    parts = []
    real = export.genome_frames_from_file
    monkeypatch.setattr(
        export,
        "genome_frames_from_file",
        lambda handle: (parts.append(frame.height) or frame for frame in real(handle)),
    )
    _reauthenticate(client)
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(client.post(reverse("genotypes:export")).streaming_content))
    )
    text = archive.read("genlife-genome-23andme.txt").decode()
    lines = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert len(parts) > 1 and sum(parts) == stored.height
    with_id = stored.drop_nulls("rsid")
    assert len(lines) == with_id.height
    assert {row[0] for row in lines} == set(with_id["rsid"].to_list())
    without_id = stored.height - with_id.height
    trailer = f"# {without_id} calls without an rsid are not included."
    assert (trailer in text) == (without_id > 0)
