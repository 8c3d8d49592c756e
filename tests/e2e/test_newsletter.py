"""The newsletter in Chromium: a member opts in on the account page, an article goes live, the
worker mails it, and the email's unsubscribe link stops it (axe-clean at 375 and 1280 px)."""

import re

from tests.utils import wait_until

MEMBER = ("newsletter-member@example.com", "newsletter-member-passphrase-71")
SLUG = "newsletter-e2e-article"
TITLE = "A short note on caffeine and CYP1A2"
MEMBERS_TEXT = "Slow metabolisers in the trial slept better with coffee before noon only."


def _log_in(tab) -> None:
    tab.goto("/accounts/login/")
    tab.page.locator("#id_login").fill(MEMBER[0])
    tab.page.locator("#id_password").fill(MEMBER[1])
    tab.page.get_by_role("button", name=re.compile("^Log in$", re.IGNORECASE)).click()
    tab.page.wait_for_load_state("load")


def _publish_article(site) -> None:
    site.manage(
        "shell",
        "-c",
        "from django.utils import timezone; "
        "from articles.models import Article, Author, Section; "
        "from articles.services.rendering import article_render; "
        f"a = Article.objects.create(title='{TITLE}', slug='{SLUG}', "
        "description='Why some people sleep badly after an afternoon coffee.', "
        "author=Author.objects.first(), status='published', published_at=timezone.now()); "
        "Section.objects.create(article=a, order=1, heading='What it is', "
        "body='Caffeine is cleared by the liver.'); "
        "Section.objects.create(article=a, order=2, heading='Lifehacks', kind='lifehacks', "
        f"access='members', body='{MEMBERS_TEXT}'); "
        "article_render(article=a); "
        "from newsletter.tasks import newsletter_issues_due; newsletter_issues_due.delay()",
    )


def _assert_fits_and_clean(tab, where: str) -> None:
    assert tab.axe_violations() == [], where
    assert tab.horizontal_overflow() <= 0, where


def test_member_opts_in_gets_the_article_and_unsubscribes_in_one_click(site, new_tab):
    site.manage(
        "shell",
        "-c",
        "from members.services.users import user_ensure_verified; "
        "from billing.services.memberships import membership_grant_complimentary; "
        f"membership_grant_complimentary(user=user_ensure_verified(email='{MEMBER[0]}', "
        f"password='{MEMBER[1]}', name='Nora Newsletter'))",
    )
    try:
        phone = new_tab(width=375, height=812, bypass_csp=True)
        _log_in(phone)
        phone.goto("/account/")
        panel = phone.page.locator("section[aria-labelledby=newsletter-heading]")
        panel.get_by_role("button", name="Get the newsletter").click()
        phone.page.wait_for_load_state("load")
        assert "You get an email when a new article is published." in panel.inner_text()
        _assert_fits_and_clean(phone, "account page with the newsletter panel, 375 px")

        _publish_article(site)

        def newsletter():
            return next(
                (m for m in site.emails() if TITLE in m["Subject"] and MEMBER[0] in m["To"]),
                None,
            )

        message = wait_until(newsletter, timeout=120, raise_on_timeout=False)
        assert message, "no newsletter email:\n" + site.log("worker")[-3000:]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert MEMBERS_TEXT in message.get_body(("plain",)).get_content()
        url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
        assert url.startswith(site.base_url + "/newsletter/unsubscribe/")

        for width, height in ((1280, 900), (375, 812)):
            tab = new_tab(width=width, height=height, bypass_csp=True)
            tab.page.goto(url)
            tab.page.wait_for_load_state("load")
            assert tab.page.locator("h1").inner_text() == "Unsubscribe from the newsletter"
            _assert_fits_and_clean(tab, f"unsubscribe page, {width} px")
        tab.page.get_by_role("button", name="Unsubscribe").click()
        tab.page.wait_for_load_state("load")
        assert tab.page.locator("h1").inner_text() == "You are unsubscribed"
        _assert_fits_and_clean(tab, "unsubscribed page, 375 px")
        tab.screenshot("newsletter-unsubscribed-phone")

        phone.goto("/account/")
        assert "You do not get the newsletter." in panel.inner_text()
        phone.assert_clean()
        tab.assert_clean()
    finally:  # the later browser tests see the demo content only
        site.manage(
            "shell",
            "-c",
            f"from articles.models import Article; Article.objects.filter(slug='{SLUG}').delete()",
        )
