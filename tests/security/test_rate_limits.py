"""Rate limits at their configured values: login, signup, password reset, upload, checkout.

Each test reads the limit from ACCOUNT_RATE_LIMITS, spends it exactly, and expects the next
request to be refused with 429. The counters live in the real cache (Redis in CI), which the
security conftest clears around every test.
"""

import pytest
from allauth.core.internal.ratelimit import parse_rates
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Plan
from genotypes.models import GenomeUpload
from genotypes.samples import generate_genome
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Dozens of password checks per test: the limits are what is under test, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def limit(settings, action: str, per: str) -> int:
    """The configured allowance of `action` per `per` ("ip", "user" or "key")."""
    rates = [rate for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS[action]) if rate.per == per]
    assert rates, f"no {per} limit configured for {action}"
    return min(rate.amount for rate in rates)


def test_login_is_refused_with_429_after_the_configured_attempts_per_ip(client, settings):
    allowed = limit(settings, "login", "ip")
    codes = [
        client.post(
            reverse("account_login"), {"login": f"nobody{n}@example.com", "password": "wrong"}
        ).status_code
        for n in range(allowed)
    ]
    assert 429 not in codes
    refused = client.post(
        reverse("account_login"), {"login": "someone@example.com", "password": "wrong"}
    )
    assert refused.status_code == 429


def test_failed_logins_for_one_address_are_refused_even_with_the_right_password(client, settings):
    user = UserFactory()
    allowed = limit(settings, "login_failed", "key")
    for _ in range(allowed):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-staple"}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signup_is_refused_with_429_after_the_configured_attempts_per_ip(client, settings):
    allowed = limit(settings, "signup", "ip")
    codes = [
        client.post(
            reverse("account_signup"),
            {
                "email": f"new{n}@example.com",
                "password1": "a-long-passphrase-1",
                "password2": "does-not-match",
            },
        ).status_code
        for n in range(allowed)
    ]
    assert 429 not in codes
    refused = client.post(
        reverse("account_signup"),
        {
            "email": "late@example.com",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )
    assert refused.status_code == 429
    from members.models import User

    assert not User.objects.filter(email="late@example.com").exists()


def test_password_reset_is_refused_with_429_after_the_configured_requests_per_address(
    client, settings
):
    from django.core import mail

    user = UserFactory()
    allowed = limit(settings, "reset_password", "key")
    codes = [
        client.post(reverse("account_reset_password"), {"email": user.email}).status_code
        for _ in range(allowed)
    ]
    assert 429 not in codes
    sent = len(mail.outbox)
    assert client.post(reverse("account_reset_password"), {"email": user.email}).status_code == 429
    assert len(mail.outbox) == sent, "no reset email once the limit is reached"


def test_password_reset_is_refused_with_429_after_the_configured_requests_per_ip(client, settings):
    allowed = limit(settings, "reset_password", "ip")
    codes = [
        client.post(reverse("account_reset_password"), {"email": f"who{n}@example.com"}).status_code
        for n in range(allowed)
    ]
    assert 429 not in codes
    assert (
        client.post(reverse("account_reset_password"), {"email": "another@example.com"}).status_code
        == 429
    )


def _upload(client, **headers):
    return client.post(
        reverse("genotypes:upload"),
        {
            "file": SimpleUploadedFile(
                "genome.txt", generate_genome("23andme", n_snps=100, seed=5)
            ),
            "consent": "on",
        },
        headers=headers,
    )


def test_upload_is_refused_with_429_after_the_configured_uploads_per_member(client, settings):
    member = MemberFactory()
    client.force_login(member)
    allowed = limit(settings, "genome_upload", "user")
    codes = [_upload(client).status_code for _ in range(allowed)]
    assert codes == [302] * allowed
    refused = _upload(client)
    assert refused.status_code == 429
    assert "uploaded several files in a short time" in refused.content.decode()
    assert GenomeUpload.objects.filter(user=member).count() == allowed
    by_script = _upload(client, **{"X-Requested-With": "XMLHttpRequest"})
    assert by_script.status_code == 429 and "file" in by_script.json()["errors"]


def test_upload_limit_is_per_member_and_refuses_before_reading_the_body(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "genome_upload": "1/h/user"}
    first, second = MemberFactory(), MemberFactory()
    client.force_login(first)
    assert _upload(client).status_code == 302
    # A body that would fail the size check is never looked at: the limit answers first.
    huge = client.post(
        reverse("genotypes:upload"),
        {"file": SimpleUploadedFile("g.txt", b"x"), "consent": "on"},
        CONTENT_LENGTH=str(2 * 1024**3),  # over every format's limit (a VCF may be 1 GB)
    )
    assert huge.status_code == 429
    client.force_login(second)
    assert _upload(client).status_code == 302


def test_a_failed_csrf_check_does_not_spend_a_members_uploads(settings):
    from django.test import Client

    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "genome_upload": "1/h/user"}
    member = MemberFactory()
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(member)
    for _ in range(3):
        assert _upload(forged).status_code == 403
    own = Client()
    own.force_login(member)
    assert _upload(own).status_code == 302


def test_checkout_creation_is_refused_with_429_after_the_configured_attempts_per_member(
    client, settings, stripe_settings
):
    Plan.objects.update_or_create(
        slug="monthly",
        defaults={
            "name": "Monthly",
            "interval": "month",
            "amount": 600,
            "currency": "eur",
            "is_active": True,
            "order": 1,
            "stripe_price_id": "",
        },
    )
    client.force_login(UserFactory())
    allowed = limit(settings, "checkout", "user")
    codes = [
        client.post(reverse("billing:join_checkout"), {"plan": "monthly"}).status_code
        for _ in range(allowed)
    ]
    assert codes == [302] * allowed
    refused = client.post(reverse("billing:join_checkout"), {"plan": "monthly"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


def test_export_streams_the_zip_and_is_refused_with_429_after_the_configured_exports(
    client, settings
):
    import io
    import zipfile

    from genotypes.models import GeneticDataAuditLog
    from genotypes.services import parsing
    from tests.factories import TEST_PASSWORD
    from tests.genotypes.factories import SnpFactory, upload_for

    SnpFactory(rsid="rs4680", gene="COMT", chromosome="22", ref="G", alt="A")
    member = MemberFactory()
    parsing.genome_upload_process(
        upload_id=upload_for(member, n_snps=5_000, include={"rs4680": "AG"}).pk
    )
    client.force_login(member)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    allowed = limit(settings, "genome_export", "user")
    for _ in range(allowed):
        response = client.post(reverse("genotypes:export"))
        assert response.status_code == 200 and response.streaming
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert "rs4680,COMT,22,AG" in archive.read("genlife-results.csv").decode()
        genome = archive.read("genlife-genome-23andme.txt").decode().splitlines()
        assert "# rsid\tchromosome\tposition\tgenotype" in genome and len(genome) > 4_000
    refused = client.post(reverse("genotypes:export"))
    assert refused.status_code == 429
    assert "downloaded your data several times" in refused.content.decode()
    exported = GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=GeneticDataAuditLog.Action.EXPORTED
    )
    assert exported.count() == allowed


def test_rsid_lookup_is_refused_with_429_after_the_configured_lookups(client, settings):
    from genotypes.models import GeneticDataAuditLog
    from genotypes.services import parsing
    from tests.genotypes.factories import upload_for

    member = MemberFactory()
    parsing.genome_upload_process(upload_id=upload_for(member, include={"rs53576": "AG"}).pk)
    client.force_login(member)
    allowed = limit(settings, "genome_lookup", "user")
    for _ in range(allowed):
        response = client.post(reverse("genotypes:lookup"), {"rsid": "rs53576"})
        assert response.status_code == 200
        assert '<strong class="lookup-result__call">AG</strong>' in response.content.decode()
    refused = client.post(reverse("genotypes:lookup"), {"rsid": "rs53576"})
    assert refused.status_code == 429
    assert "looked up many variants" in refused.content.decode()
    assert "lookup-result__call" not in refused.content.decode()
    looked_up = GeneticDataAuditLog.objects.filter(
        subject_user_id=member.pk, action=GeneticDataAuditLog.Action.LOOKED_UP
    )
    assert looked_up.count() == allowed
