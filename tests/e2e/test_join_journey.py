"""The joining journey in Chromium, as one reader: from an article to Join, sign-up, the email
confirmation, payment on devstripe, the welcome step, the DNA upload by drag and drop (the
sample file), its status page, and back to the article with the genotype report filled."""

import re
import time
import urllib.parse

from genotypes.samples import DEMO_CALLS
from tests.utils import wait_until

ARTICLE = "/articles/ldn-naltrexone-genetics/"
PASSWORD = "a-long-e2e-joiner-passphrase-58"
GROUPED = r"\d{1,3}(?:,\d{3})+"  # a number with thousands separators, e.g. 577,122


def _report_cells(page) -> dict[str, str]:
    """rsid -> the genotype on its report card ("" when the card shows none)."""
    cells = {}
    cards = page.locator("li.variant-card")
    for index in range(cards.count()):
        card = cards.nth(index)
        genotype = card.locator(".variant-card__genotype .genotype")
        cells[card.get_attribute("data-rsid")] = (
            genotype.first.inner_text().strip() if genotype.count() else ""
        )
    return cells


def test_article_join_pay_upload_by_drop_and_back_to_the_article(new_tab, site):
    tab = new_tab()
    page = tab.page
    email = f"joiner{int(time.time())}@example.com"

    # A visitor reading the article follows its Join button; the join page remembers it.
    tab.goto(ARTICLE)
    assert not any(_report_cells(page).values())  # a visitor sees no genotypes
    page.locator("main").get_by_role("link", name="Join", exact=True).first.click()
    page.wait_for_url(re.compile(r"/account/join/\?next="))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query["next"] == [ARTICLE]
    assert page.locator("#join-return a").get_attribute("href") == ARTICLE
    tab.screenshot("join-from-article")

    # Sign up, then confirm the address from the email.
    page.get_by_role("link", name=re.compile("Join monthly", re.IGNORECASE)).first.click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Create your account"
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state("load")

    def verification_link() -> str | None:
        for message in reversed(site.emails()):
            if message["To"] == email:
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+/accounts/confirm-email/\S+", body)
                return found and found.group(0)
        return None

    link = wait_until(
        verification_link, timeout=60, interval=0.1, message="no verification email arrived"
    )
    page.goto(re.sub(r"^https?://[^/]+", site.base_url, link))
    page.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/account/join/\?plan=monthly"))
    # Signed in now, and still on the way back to the article.
    assert page.locator("#join-return a").get_attribute("href") == ARTICLE
    header = page.locator("header.site-header")
    assert header.get_by_role("link", name="Join", exact=True).count() == 1  # not a member yet

    # Pay on devstripe; the welcome step leads to the upload.
    page.get_by_role("button", name=re.compile("Continue to payment", re.IGNORECASE)).click()
    page.wait_for_load_state("load")
    assert page.url.startswith(site.stripe_url + "/checkout/"), page.url
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r"/account/join/welcome/"))
    page.locator("#join-welcome").wait_for(state="visible", timeout=30_000)
    assert page.locator("#welcome-return").get_attribute("href") == ARTICLE
    assert header.get_by_role("link", name="Join", exact=True).count() == 0  # a member now
    tab.screenshot("join-welcome-upload-next")
    page.locator("#welcome-upload").click()
    page.wait_for_url(re.compile(r"/genetics/upload/$"))
    assert page.locator("header.site-header").get_by_role("link", name="Join").count() == 0

    # The guides open one provider at a time.
    guide = page.locator("#guide-ancestry")
    guide.locator("summary").click()
    assert guide.locator("li").count() >= 3 and guide.locator("li").first.is_visible()
    tab.screenshot("upload-guides")

    # Drop the sample file (fetched from the page's own link) onto the form.
    sample_href = page.get_by_role("link", name=re.compile("sample file")).get_attribute("href")
    dropped = page.evaluate_handle(
        """async (href) => {
            const blob = await (await fetch(href)).blob();
            const transfer = new DataTransfer();
            const name = "genlife-sample-23andme.txt";
            transfer.items.add(new File([blob], name, {type: "text/plain"}));
            return transfer;
        }""",
        sample_href,
    )
    zone = page.locator(".dropzone")
    zone.dispatch_event("dragenter", {"dataTransfer": dropped})
    assert "dropzone--over" in zone.get_attribute("class")
    zone.dispatch_event("drop", {"dataTransfer": dropped})
    chosen = page.locator(".dropzone__chosen")
    chosen.wait_for(state="visible")
    assert re.fullmatch(
        rf"Chosen: genlife-sample-23andme\.txt \({GROUPED} bytes\)", chosen.inner_text()
    )
    assert page.locator("input[type=file]").evaluate("input => input.files.length") == 1

    # Every text the progress line shows is recorded, even after the page moves on.
    shown: list[str] = []
    page.expose_function("recordProgress", lambda text: shown.append(text))
    page.evaluate(
        """() => {
            const text = document.querySelector(".upload-progress__text");
            new MutationObserver(() => window.recordProgress(text.textContent))
                .observe(text, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.get_by_label(re.compile("I agree that genlife processes")).check()
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/genetics/uploads/[0-9a-f-]+/$"), timeout=60_000)
    wait_until(
        lambda: any("Opening the status page" in text for text in shown),
        timeout=10,
        interval=0.05,
        message=f"the progress line never reached the end: {shown}",
    )
    sent = [text for text in shown if "bytes sent" in text]
    assert sent and re.fullmatch(rf"({GROUPED}) of \1 bytes sent \(100%\)", sent[-1]), shown

    # The status page updates by itself until the file is read, then leads back.
    page.locator(".upload-status__done").wait_for(state="visible", timeout=120_000)
    assert page.locator(".upload-status__bar").is_hidden()
    assert re.fullmatch(GROUPED, page.locator(".upload-status__count").inner_text())
    tab.screenshot("upload-status-done-return")

    # The highlights first: the notable results across the articles, each leading into one.
    page.locator("#status-highlights").click()
    page.wait_for_url(re.compile(r"/genetics/highlights/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your highlights"
    into_articles = page.locator(".insight__article h3 a")
    assert into_articles.count() >= 1
    assert all(
        href.startswith("/articles/")
        for href in into_articles.evaluate_all("l => l.map(a => a.getAttribute('href'))")
    )
    tab.screenshot("highlights-after-joining")
    page.go_back()
    page.locator(".upload-status__done").wait_for(state="visible", timeout=30_000)

    back = page.locator("#status-return")
    assert back.get_attribute("href") == ARTICLE
    back.click()
    page.wait_for_url(re.compile(re.escape(ARTICLE) + "$"))

    # The article now shows the member's own genotypes from the sample file.
    cells = _report_cells(page)
    on_report = {rsid: DEMO_CALLS[rsid] for rsid in cells if rsid in DEMO_CALLS}
    assert len(on_report) >= 3, cells
    assert {rsid: cells[rsid] for rsid in on_report} == on_report
    tab.screenshot("article-report-after-joining")
    tab.assert_clean()
