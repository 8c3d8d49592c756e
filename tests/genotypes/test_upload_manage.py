"""The upload page's help, and a member managing their uploads: a failed one says why, any
one can be removed (for good, audited), and a finished one can be chosen as the file in use."""

import re

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.return_to import SESSION_KEY
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.services import current, parsing, uploads
from genotypes.versions import member_scope
from tests.factories import MemberFactory
from tests.genotypes.factories import demo_catalogue, upload_for
from tests.genotypes.test_views import _logged_in, _reauthenticate

pytestmark = pytest.mark.django_db

Action = GeneticDataAuditLog.Action
CALLS = {"rs1799971": "AG", "rs4680": "AA", "rs1045642": "--", "rs4986790": "AA"}


def _processed(member, django_capture_on_commit_callbacks, **kwargs):
    upload = upload_for(member, **kwargs)
    with django_capture_on_commit_callbacks(execute=True):
        parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    upload.refresh_from_db()
    return upload


def _failed(member, content=b"%PDF-1.5 not a genome"):
    upload = uploads.genome_upload_create(
        user=member, file=SimpleUploadedFile("report.pdf", content), consent=True
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    upload.refresh_from_db()
    return upload


def _two_files(member, django_capture_on_commit_callbacks):
    """Two finished uploads that differ at rs4680 (AA, then GG): the newer one is in use."""
    demo_catalogue()
    older = _processed(member, django_capture_on_commit_callbacks, include=CALLS)
    newer = _processed(
        member, django_capture_on_commit_callbacks, include={**CALLS, "rs4680": "GG"}, seed=3
    )
    return older, newer


def _results(user):
    return dict(GenotypeResult.objects.filter(user=user).values_list("snp__rsid", "genotype"))


def _member_version(user) -> str | None:
    return cache.get(f"page_cache:version:{member_scope(user.pk)}")


# --- the upload page ----------------------------------------------------------------------------


def test_upload_page_guides_each_provider_step_by_step_and_offers_the_sample(client):
    _logged_in(client)
    html = client.get(reverse("genotypes:upload")).content.decode()
    guides = re.findall(
        r'<details class="provider-guide" id="guide-[^"]+">(.*?)</details>', html, re.S
    )
    names = [re.search(r"<summary>(.*?)</summary>", guide).group(1) for guide in guides]
    assert names == [
        "23andMe",
        "AncestryDNA",
        "MyHeritage",
        "FamilyTreeDNA (Family Finder)",
        "LivingDNA",
        "Whole-genome sequencing (VCF)",
    ]
    for guide in guides:
        assert guide.count("<li>") >= 3  # steps, not a sentence
    assert f'href="{reverse("genotypes:sample_file")}" download' in html
    # the drop zone and the byte counter are an enhancement over the plain form
    assert 'class="dropzone"' in html and 'type="file"' in html
    assert 'class="dropzone__hint" hidden' in html


# --- a failed upload says why -------------------------------------------------------------------


def test_failed_upload_shows_its_reason_instead_of_an_empty_bar(client):
    member = _logged_in(client)
    failed = _failed(member)
    html = client.get(reverse("genotypes:upload_status", args=[failed.pk])).content.decode()
    assert "This is a PDF document, not a raw DNA file." in html
    assert re.search(r'<progress class="upload-status__bar"[^>]* hidden>', html)
    assert f'href="{reverse("genotypes:upload_remove", args=[failed.pk])}"' in html

    listing = client.get(reverse("genotypes:mine")).content.decode()
    assert (
        '<p class="upload-list__reason">This is a PDF document, not a raw DNA file.</p>' in listing
    )


def test_a_failure_without_a_stored_reason_still_says_something(client):
    member = _logged_in(client)
    failed = _failed(member)
    GenomeUpload.objects.filter(pk=failed.pk).update(failure_reason="")
    html = client.get(reverse("genotypes:upload_status", args=[failed.pk])).content.decode()
    assert "We could not read this file." in html


def test_finished_status_groups_the_count_and_leads_back_to_the_article(
    client, django_capture_on_commit_callbacks
):
    member = _logged_in(client)
    demo_catalogue()
    done = _processed(member, django_capture_on_commit_callbacks, include=CALLS)
    assert done.snp_count >= 1000
    url = reverse("genotypes:upload_status", args=[done.pk])
    html = client.get(url).content.decode()
    assert f"{done.snp_count:,}</span> SNPs" in html
    assert 'id="status-return"' not in html  # no article remembered: My genetics only

    session = client.session
    session[SESSION_KEY] = "/articles/"
    session.save()
    html = client.get(url).content.decode()
    assert 'href="/articles/" id="status-return"' in html


# --- removing an upload -------------------------------------------------------------------------


def test_removing_an_upload_asks_first_then_deletes_its_files_results_and_is_audited(
    client, django_capture_on_commit_callbacks
):
    member = _logged_in(client)
    older, newer = _two_files(member, django_capture_on_commit_callbacks)
    newer_blob = newer.genome_file.name
    assert newer.is_current and _results(member)["rs4680"] == "GG"
    url = reverse("genotypes:upload_remove", args=[newer.pk])

    page = client.get(url).content.decode()
    assert "Remove this upload?" in page and "It is the file your results come from" in page
    response = client.post(url)
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert GenomeUpload.objects.filter(pk=newer.pk).exists()  # nothing deleted yet
    _reauthenticate(client)

    before = _member_version(member)
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("genotypes:mine")
    assert not GenomeUpload.objects.filter(pk=newer.pk).exists()
    assert not default_storage.exists(newer_blob)
    assert not GenotypeResult.objects.filter(upload_id=newer.pk).exists()
    # the older file takes its place, its results recomputed from its stored genome
    older.refresh_from_db()
    assert older.is_current
    assert _results(member)["rs4680"] == "AA"
    assert _member_version(member) != before  # cached pages with the old genotypes retire
    log = GeneticDataAuditLog.objects.filter(subject_user_id=member.pk)
    assert log.filter(action=Action.DELETED, actor=member, upload_id=newer.pk).exists()
    assert log.filter(action=Action.CHOSE_CURRENT, actor=member, upload_id=older.pk).exists()


def test_removing_the_last_upload_leaves_no_results(client, django_capture_on_commit_callbacks):
    demo_catalogue()
    member = _logged_in(client)
    only = _processed(member, django_capture_on_commit_callbacks, include=CALLS)
    _reauthenticate(client)
    client.post(reverse("genotypes:upload_remove", args=[only.pk]))
    assert not GenomeUpload.objects.filter(user=member).exists()
    assert not GenotypeResult.objects.filter(user=member).exists()


def test_a_failed_upload_can_be_removed(client):
    member = _logged_in(client)
    failed = _failed(member)
    _reauthenticate(client)
    assert client.post(reverse("genotypes:upload_remove", args=[failed.pk])).status_code == 302
    assert not GenomeUpload.objects.filter(pk=failed.pk).exists()


@pytest.mark.parametrize("name", ["upload_remove", "upload_make_current"])
def test_another_members_upload_cannot_be_removed_or_chosen(client, name):
    theirs = upload_for(MemberFactory())
    _logged_in(client)
    _reauthenticate(client)
    assert client.post(reverse(f"genotypes:{name}", args=[theirs.pk])).status_code == 404
    assert GenomeUpload.objects.filter(pk=theirs.pk).exists()


# --- choosing the file in use -------------------------------------------------------------------


def test_member_chooses_an_earlier_file_and_results_follow_it(
    client, django_capture_on_commit_callbacks
):
    member = _logged_in(client)
    older, newer = _two_files(member, django_capture_on_commit_callbacks)
    listing = client.get(reverse("genotypes:mine")).content.decode()
    use_older = reverse("genotypes:upload_make_current", args=[older.pk])
    assert f'action="{use_older}"' in listing
    assert reverse("genotypes:upload_make_current", args=[newer.pk]) not in listing  # in use

    before = _member_version(member)
    response = client.post(use_older, follow=True)
    assert "Your results now come from" in response.content.decode()
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.is_current and not newer.is_current and newer.genome_file
    assert _results(member)["rs4680"] == "AA"
    assert set(GenotypeResult.objects.filter(user=member).values_list("upload", flat=True)) == {
        older.pk
    }
    assert _member_version(member) != before
    assert GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=Action.CHOSE_CURRENT, actor=member, upload_id=older.pk
    ).exists()

    # and back again
    client.post(reverse("genotypes:upload_make_current", args=[newer.pk]))
    assert _results(member)["rs4680"] == "GG"


def test_a_failed_upload_cannot_be_chosen_and_the_member_is_told(
    client, django_capture_on_commit_callbacks
):
    demo_catalogue()
    member = _logged_in(client)
    done = _processed(member, django_capture_on_commit_callbacks, include=CALLS)
    failed = _failed(member)
    response = client.post(reverse("genotypes:upload_make_current", args=[failed.pk]), follow=True)
    assert current.NOT_SELECTABLE in response.content.decode().replace("&#x27;", "'")
    done.refresh_from_db()
    assert done.is_current and _results(member)["rs4680"] == "AA"


def test_choosing_needs_a_post(client, django_capture_on_commit_callbacks):
    member = _logged_in(client)
    done = _processed(member, django_capture_on_commit_callbacks)
    assert client.get(reverse("genotypes:upload_make_current", args=[done.pk])).status_code == 405


def test_a_newer_upload_finishing_later_still_becomes_current(
    client, django_capture_on_commit_callbacks
):
    """The member's choice holds until they upload again: the newest upload then wins."""
    member = _logged_in(client)
    older, newer = _two_files(member, django_capture_on_commit_callbacks)
    current.genome_upload_make_current(user=member, upload_id=older.pk)
    newest = _processed(
        member, django_capture_on_commit_callbacks, include={**CALLS, "rs4680": "AG"}, seed=4
    )
    assert newest.is_current and _results(member)["rs4680"] == "AG"
    assert GenomeUpload.objects.filter(user=member, is_current=True).count() == 1
    newer.refresh_from_db()
    assert newer.genome_file and default_storage.exists(newer.genome_file.name)
