"""Access control: every URL that names someone's genetic data or billing answers only its owner.

Another member, staff without the explicit genetic-data permission (even with the admin's
model permissions), and anyone guessing get the same 404 as for an id that does not exist,
so the answer tells nobody that the upload exists. URLs that take no id (export, delete,
billing portal) act on the signed-in user alone, whatever the request carries.
"""

import io
import re
import uuid
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from billing import stripe_gateway
from billing.models import Membership
from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.services import parsing
from tests.factories import TEST_PASSWORD, MemberFactory, StaffFactory, sign_in_with_two_factor
from tests.genotypes.factories import demo_catalogue, processed_upload_for, upload_for

pytestmark = pytest.mark.django_db

# Every non-admin URL that takes a parameter, and why it is safe. A new one fails the first
# test below until it is reviewed here and given an owner-only test.
REVIEWED_PARAMETER_URLS = {
    "genotypes:upload_status": "an upload id: owner-only, tested below",
    "genotypes:upload_status_json": "an upload id: owner-only, tested below",
    "genotypes:upload_remove": "an upload id: owner-only (even for permitted staff), tested below",
    "genotypes:upload_make_current": "an upload id: owner-only (even for permitted staff), below",
    "genotypes:snp_detail": "a catalogue rsid; shows only the reader's own genotype (tested below)",
    "genotypes:gene_detail": "a gene symbol; shows only the reader's own genotypes (gating matrix)",
    "articles:detail": "a public slug; gating is the matrix's",
    "articles:overview_image": "a public slug; drafts' images only to staff",
    "articles:card_image": "a public slug; a drawn picture, drafts only to staff (404 tested)",
    "articles:preview": "a signed token; the matrix tests tampering",
    "articles:topic": "a public slug",
    "articles:author": "a public slug",
    "articles:author_photo": "a public slug",
    "articles:summary": "a public slug; the signed-in member's own summary only (tests/articles)",
    "articles:share_create": "a public slug; makes a link to the member's own summary",
    "articles:share_revoke": "a link id: revokes only the member's own (tests/articles)",
    "articles:shared": "a signed token checked against a stored hash (tests/articles)",
    "account_confirm_email": "allauth's signed key",
    "account_reset_password_from_key": "allauth's one-time key",
    "newsletter:unsubscribe": "a signed token naming one reader; tests/newsletter tests tampering",
    "digests:unsubscribe": "a signed token naming one reader; tests/digests tests tampering",
}

UPLOAD_URLS = ["genotypes:upload_status", "genotypes:upload_status_json"]
GENOME_UPLOAD_ADMIN_URLS = [
    "admin:genotypes_genomeupload_change",
    "admin:genotypes_genomeupload_history",
    "admin:genotypes_genomeupload_delete",
]


def _parameter_urls() -> set[str]:
    names = set()

    def walk(patterns, namespace, route):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    pattern.namespace or namespace,
                    route + str(pattern.pattern),
                )
            elif isinstance(pattern, URLPattern):
                full = route + str(pattern.pattern)
                if ("<" in full or "(?P" in full) and namespace != "admin" and pattern.name:
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None, "")
    return names


def test_every_url_that_takes_an_id_has_been_reviewed():
    assert _parameter_urls() == set(REVIEWED_PARAMETER_URLS)


def _staff_with_upload_model_permissions():
    """Staff who may view and delete uploads in the admin, but lack the genetic-data permission."""
    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_genomeupload", "delete_genomeupload", "view_geneticdataauditlog"]
        )
    )
    return staff


INTRUDERS = {
    "another member": MemberFactory,
    "staff": StaffFactory,
    "staff with upload model permissions": _staff_with_upload_model_permissions,
}


@pytest.mark.parametrize("make_intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
@pytest.mark.parametrize("name", UPLOAD_URLS)
def test_someone_elses_upload_is_a_404_like_one_that_does_not_exist(client, name, make_intruder):
    upload = upload_for(MemberFactory())
    client.force_login(make_intruder())
    theirs = client.get(reverse(name, args=[upload.pk]))
    missing = client.get(reverse(name, args=[uuid.uuid4()]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content.decode().replace(str(upload.pk), "") == missing.content.decode().replace(
        missing.wsgi_request.path.split("/")[3], ""
    )
    assert upload.original_name not in theirs.content.decode()


def _another_member(client):
    client.force_login(MemberFactory())
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})


def _staff_with_genetic_data_permission_and_second_factor(client):
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_genetic_data"))
    sign_in_with_two_factor(client, staff)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    return staff


@pytest.mark.parametrize("name", ["genotypes:upload_remove", "genotypes:upload_make_current"])
@pytest.mark.parametrize(
    "sign_in",
    [
        _another_member,
        _staff_with_genetic_data_permission_and_second_factor,
    ],
    ids=["another member", "staff allowed to read genetic data"],
)
def test_only_the_owner_may_remove_an_upload_or_choose_it(client, name, sign_in):
    owner = MemberFactory()
    demo_catalogue()
    upload = upload_for(owner)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    sign_in(client)
    theirs = client.post(reverse(name, args=[upload.pk]))
    missing = client.post(reverse(name, args=[uuid.uuid4()]))
    assert theirs.status_code == missing.status_code == 404
    upload.refresh_from_db()
    assert upload.is_current and upload.genome_file
    assert GenotypeResult.objects.filter(user=owner, upload=upload).exists()


@pytest.mark.parametrize("name", UPLOAD_URLS)
def test_visitor_asking_for_an_upload_is_sent_to_log_in_and_learns_nothing(client, name):
    upload = upload_for(MemberFactory())
    response = client.get(reverse(name, args=[upload.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", UPLOAD_URLS)
def test_the_owner_still_reads_their_own_upload(client, name):
    owner = MemberFactory()
    upload = upload_for(owner)
    client.force_login(owner)
    assert client.get(reverse(name, args=[upload.pk])).status_code == 200


@pytest.mark.parametrize("name", GENOME_UPLOAD_ADMIN_URLS)
def test_admin_pages_naming_an_upload_are_404_for_staff_without_the_genetic_data_permission(
    client, name
):
    upload = upload_for(MemberFactory())
    client.force_login(_staff_with_upload_model_permissions())
    assert client.get(reverse(name, args=[upload.pk])).status_code == 404
    assert (
        client.post(
            reverse("admin:genotypes_genomeupload_delete", args=[upload.pk]), {"post": "yes"}
        ).status_code
        == 404
    )
    assert GenomeUpload.objects.filter(pk=upload.pk).exists()


def test_admin_upload_list_is_forbidden_and_hidden_for_staff_without_the_genetic_data_permission(
    client,
):
    upload = upload_for(MemberFactory())
    client.force_login(_staff_with_upload_model_permissions())
    listing = client.get(reverse("admin:genotypes_genomeupload_changelist"))
    assert listing.status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:genotypes_genomeupload_changelist") not in index
    assert str(upload.pk) not in listing.content.decode()


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_audit_log_pages_are_404_for_staff_without_the_genetic_data_permission(client, view):
    from genotypes.models import GeneticDataAuditLog

    upload_for(MemberFactory())  # writes an "uploaded" audit entry
    entry = GeneticDataAuditLog.objects.get()
    client.force_login(_staff_with_upload_model_permissions())
    url = reverse(f"admin:genotypes_geneticdataauditlog_{view}", args=[entry.pk])
    assert client.get(url).status_code == 404
    listing = client.get(reverse("admin:genotypes_geneticdataauditlog_changelist"))
    assert listing.status_code == 403
    assert reverse("admin:genotypes_geneticdataauditlog_change", args=[entry.pk]) not in (
        listing.content.decode()
    )


def test_support_staff_with_the_permission_and_a_second_factor_see_an_upload_in_the_admin(client):
    upload = upload_for(MemberFactory())
    staff = _staff_with_upload_model_permissions()
    staff.user_permissions.add(Permission.objects.get(codename="view_genetic_data"))
    sign_in_with_two_factor(client, staff)
    assert (
        client.get(reverse("admin:genotypes_genomeupload_change", args=[upload.pk])).status_code
        == 200
    )


def test_genotype_results_have_no_admin_page_at_all(client):
    sign_in_with_two_factor(client, StaffFactory(is_superuser=True))
    assert client.get("/admin/genotypes/genotyperesult/").status_code == 404


def test_snp_page_shows_the_readers_genotype_never_anothers(client):
    demo_catalogue()
    owner, other = MemberFactory(), MemberFactory()
    processed_upload_for(owner, include={"rs4680": "AA"})
    processed_upload_for(other, include={"rs4680": "GG"})
    client.force_login(other)
    html = client.get(reverse("genotypes:snp_detail", args=["rs4680"])).content.decode()
    assert html.count("(yours)") == 1
    assert re.search(r"GG: \d+% \(yours\)", html)
    assert not re.search(r"AA: \d+% \(yours\)", html)


def _reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302


def test_export_carries_only_the_signed_in_members_data_whatever_the_request_names(client):
    demo_catalogue()
    owner, other = MemberFactory(), MemberFactory()
    theirs = processed_upload_for(owner, include={"rs4680": "AA"})
    processed_upload_for(other, include={"rs4680": "GG"})
    client.force_login(other)
    _reauthenticate(client)
    response = client.post(
        f"{reverse('genotypes:export')}?user={owner.pk}&upload={theirs.pk}",
        {"user": owner.pk, "user_id": owner.pk, "upload_id": str(theirs.pk)},
    )
    assert response.status_code == 200
    results = (
        zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        .read("genlife-results.csv")
        .decode()
    )
    assert "rs4680,COMT,22,GG" in results and ",AA," not in results


def test_delete_removes_only_the_signed_in_members_data_whatever_the_request_names(client):
    demo_catalogue()
    owner, other = MemberFactory(), MemberFactory()
    theirs = processed_upload_for(owner, include={"rs4680": "AA"})
    processed_upload_for(other, include={"rs4680": "GG"})
    client.force_login(other)
    _reauthenticate(client)
    client.post(
        f"{reverse('genotypes:delete')}?user={owner.pk}",
        {"user": owner.pk, "upload_id": str(theirs.pk), "confirm": "delete"},
    )
    assert not GenomeUpload.objects.filter(user=other).exists()
    assert GenomeUpload.objects.filter(pk=theirs.pk).exists()
    assert GenotypeResult.objects.filter(user=owner).exists()


def test_billing_portal_and_invoices_open_only_for_the_signed_in_members_own_customer(
    client, stripe_settings
):
    owner, other = MemberFactory(), MemberFactory()
    ids = {}
    for user in (owner, other):
        ids[user.pk] = stripe_gateway.customer_create(
            email=user.email, name=user.name, user_id=user.pk, idempotency_key=f"sec-{user.pk}"
        )
        Membership.objects.filter(user=user).update(stripe_customer_id=ids[user.pk])
    client.force_login(other)
    for url in (
        f"{reverse('billing:billing_portal')}?customer={ids[owner.pk]}",
        f"{reverse('billing:fix_card')}?customer={ids[owner.pk]}",
    ):
        method = client.post if "billing" in url else client.get
        response = method(url, {"customer": ids[owner.pk]} if method == client.post else None)
        assert response.status_code == 302 and "/portal/bps_" in response.url
    sessions = stripe_settings.account.portal_sessions.values()
    assert [session["customer"] for session in sessions] == [ids[other.pk]] * 2
