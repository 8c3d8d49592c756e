"""Joining keeps the thread: from an article, through sign-up, the email confirmation, Stripe
Checkout (devstripe) and the DNA upload, back to that article; and the account copy."""

import re
import urllib.parse

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.return_to import SESSION_KEY
from genotypes.models import GenomeUpload
from genotypes.sample_file import sample_genome_bytes
from members.models import User
from tests.factories import TEST_PASSWORD, MemberFactory, UserFactory, totp_code
from tests.stripe_events import press
from tests.utils import wait_until


def local(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unescape(href: str) -> str:
    return href.replace("&amp;", "&")


@pytest.mark.django_db(transaction=True)
def test_join_leads_from_the_article_through_payment_and_upload_back_to_it(
    client, live_server, stripe_settings, plans, eager_tasks, gated_article, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    fake = stripe_settings
    fake.webhook_url = live_server.url + "/stripe/webhook/"
    path = gated_article.get_absolute_url()

    # the article's Join link names the article
    article_page = client.get(path).content.decode()
    join_href = re.search(r'href="(/account/join/\?next=[^"]+)"', article_page)
    assert join_href, article_page
    join_url = unescape(join_href.group(1))
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(join_url).query)["next"] == [path]

    # the join page keeps it and says so; the sign-up link leads back to the chosen plan
    join_page = client.get(join_url).content.decode()
    assert f'<a href="{path}">the page you were reading</a>' in join_page
    signup = re.search(r'href="(/accounts/signup/\?next=[^"]+plan%3Dmonthly)"', join_page)
    assert signup, join_page
    response = client.post(
        unescape(signup.group(1)),
        {"email": "lin@example.com", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 302

    # the confirmation link logs the new account in and returns to the plan
    confirm = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mail.outbox[-1].body)
    key_path = local(confirm.group(0))
    response = client.post(key_path)
    assert response.status_code == 302
    assert response.url == reverse("billing:join") + "?plan=monthly"
    assert client.session[SESSION_KEY] == path

    # checkout on devstripe; the welcome step leads to the upload and back to the article
    response = client.post(reverse("billing:join_checkout"), {"plan": "monthly"})
    assert response.status_code == 302 and response.url.startswith(fake.base_url + "/checkout/")
    success = press(response.url, {"card": "4242 4242 4242 4242"})
    wait_until(
        lambda: client.get(reverse("billing:join_status")).json()["member"],
        timeout=30,
        message="the webhook never activated the membership",
    )
    welcome = client.get(local(success)).content.decode()
    assert "<h1>Welcome to" in welcome
    assert f'href="{reverse("genotypes:upload")}" id="welcome-upload"' in welcome
    assert f'href="{path}" id="welcome-return"' in welcome

    # the upload is read (in process: eager tasks) and its status page leads back
    response = client.post(
        reverse("genotypes:upload"),
        {
            "file": SimpleUploadedFile("sample.txt", sample_genome_bytes()),
            "consent": "on",
        },
    )
    assert response.status_code == 302
    upload = GenomeUpload.objects.get(user__email="lin@example.com")
    wait_until(
        lambda: GenomeUpload.objects.get(pk=upload.pk).status == "done",
        timeout=60,
        message="the upload was never read",
    )
    status = client.get(response.url).content.decode()
    assert f'href="{path}" id="status-return"' in status
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/articles/",
        "//evil.example/articles/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://testserver/articles/",  # even our own host: only relative paths are kept
        "/account/join/",  # a step of joining is not a place to return to
        "/accounts/login/",
        "/no/such/page/",
    ],
)
def test_join_refuses_to_remember_anything_but_a_page_of_ours(client, db, next_url):
    page = client.get(reverse("billing:join"), {"next": next_url}).content.decode()
    assert SESSION_KEY not in client.session
    assert 'id="join-return"' not in page
    assert "evil.example" not in page


def test_a_later_unsafe_next_keeps_the_page_remembered_before(client, db, gated_article):
    path = gated_article.get_absolute_url()
    client.get(reverse("billing:join"), {"next": path})
    client.get(reverse("billing:join"), {"next": "https://evil.example/"})
    assert client.session[SESSION_KEY] == path


def test_header_offers_join_to_visitors_and_signed_in_non_members_only(client, db, gated_article):
    path = gated_article.get_absolute_url()
    join_link = f'href="{reverse("billing:join")}?next={path}">Join</a>'
    assert join_link in client.get(path).content.decode().split("</header>")[0]

    client.force_login(UserFactory())
    html = client.get(reverse("articles:home")).content.decode()
    header = html.split("</header>")[0]
    assert ">Join</a>" in header and "My genetics" in header

    client.force_login(MemberFactory())
    header = client.get(reverse("articles:home")).content.decode().split("</header>")[0]
    assert ">Join</a>" not in header


def test_billing_address_opened_by_hand_leads_to_the_membership_panel(client, db):
    client.force_login(MemberFactory())
    response = client.get(reverse("billing:billing_portal"))
    assert response.status_code == 302
    assert response.url == reverse("members:account") + "#membership-heading"


def test_activating_heading_has_one_ellipsis(client, db):
    client.force_login(UserFactory())
    html = client.get(reverse("billing:join_success")).content.decode()
    assert "Activating your membership…</h1>" in html
    assert "status-live" not in html  # the CSS that added a second " …"


def test_account_deletion_explains_the_paid_period_without_a_blunt_no_refund(client, db):
    client.force_login(MemberFactory())
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    html = client.get(reverse("members:account_delete")).content.decode()
    assert "no refund" not in html.lower()
    assert "no further payment is taken" in html


@pytest.mark.parametrize(
    ("name", "heading", "button"),
    [
        ("account_login", "Log in", "Log in"),
        ("account_signup", "Create your account", "Create account"),
        ("account_request_login_code", "Log in with a code", "Email me a code"),
    ],
)
def test_allauth_pages_speak_the_sites_words(client, db, name, heading, button):
    html = client.get(reverse(name)).content.decode()
    assert re.search(rf"<h1[^>]*>\s*{heading}\s*</h1>", html), html
    assert re.search(rf"<button[^>]*>\s*{button}\s*</button>", html), html
    for stock in ("Sign In", "Sign Up", "sign in", "sign up", "Signup"):
        assert stock not in html, stock


def test_a_reused_authenticator_code_is_not_called_incorrect(client, db):
    user = UserFactory()
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(user, secret)
    code = totp_code(secret)

    def log_in_with(code: str) -> str:
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
        return client.post(reverse("mfa_authenticate"), {"code": code})

    assert log_in_with(code).status_code == 302
    assert User.objects.get(pk=user.pk).pk == int(client.session["_auth_user_id"])
    client.logout()
    html = log_in_with(code).content.decode()
    assert "Incorrect code" not in html
    assert "Each code can be used only once" in html
