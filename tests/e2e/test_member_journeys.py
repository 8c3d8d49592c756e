"""Journeys 2-5 in Chromium: join and pay, upload a genome, an editor adds a SNP, and leaving.

They run in order and hand state on through the `journey` fixture: the member who joins in
journey 2 is the one who uploads in 3, whose table gains a row in 4, and who leaves in 5.
"""

import csv
import io
import re
import time
import zipfile

from genotypes.samples import SampleFormat, generate_rows, render_text
from tests.e2e.site import ADMIN_LOGIN, ADMIN_TOTP_SECRET, REAUTHENTICATION_SECONDS
from tests.factories import totp_code
from tests.utils import wait_until

LDN_PATH = "/articles/ldn-naltrexone-genetics/"
PASSWORD = "a-long-e2e-member-passphrase-93"
# The genotypes written into the member's file, on the plus strand as 23andMe reports them.
MEMBER_GENOTYPES = {
    "rs1799971": "AG",
    "rs4680": "AA",
    "rs1045642": "GG",
    "rs2032582": "CC",
    "rs4986790": "AA",
    "rs4986791": "CC",
    "rs1800497": "AG",  # not in the catalogue yet: the editor adds it in journey 4
}
MISSING_FROM_FILE = "rs3829125"  # on the LDN report, deliberately absent from the file
ADDED_BY_EDITOR = {
    "rsid": "rs1800497",
    "gene": "ANKK1",
    "chromosome": "11",
    "position_grch37": "113270828",
    "ref": "G",
    "alt": "A",
}


def _wait_for_text(page, text: str, timeout_ms: int = 30_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout_ms)


def _log_in(tab, email: str, password: str) -> None:
    tab.goto("/accounts/login/")
    tab.page.locator("#id_login").fill(email)
    tab.page.locator("#id_password").fill(password)
    tab.page.get_by_role("button", name=re.compile("^Log in$", re.IGNORECASE)).click()
    tab.page.wait_for_load_state("load")


def _genotype_cells(page) -> dict[str, str]:
    """rsid -> the member's genotype on its report card, or the label saying why there is none."""
    cards = page.locator("li.variant-card")
    cells = {}
    for index in range(cards.count()):
        card = cards.nth(index)
        shown = ""  # no upload: neither a genotype nor a label
        for selector in (".variant-card__genotype .genotype", ".variant-card__id .gt-label"):
            found = card.locator(selector)
            if found.count():
                shown = found.first.inner_text().strip()
                break
        cells[card.get_attribute("data-rsid")] = shown
    return cells


def test_journey_2_visitor_signs_up_verifies_pays_and_reads_gated_sections(new_tab, site, journey):
    tab = new_tab()
    page = tab.page
    email = f"reader{int(time.time())}@example.com"
    tab.goto("/account/join/")
    page.get_by_role("link", name=re.compile("Join monthly", re.IGNORECASE)).first.click()
    page.wait_for_load_state("load")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign up|Create account", re.IGNORECASE)).click()
    page.wait_for_load_state("load")
    _wait_for_text(page, "erif")  # "Verify your email address"

    def verification_link() -> str | None:
        link = None
        for message in site.emails():
            if message["To"] == email:
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+/accounts/confirm-email/\S+", body)
                link = found and found.group(0)
        return link

    link = wait_until(
        verification_link,
        timeout=60,
        interval=0.1,
        message="no verification email reached the file backend",
    )
    page.goto(re.sub(r"^https?://[^/]+", site.base_url, link))
    page.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).click()
    page.wait_for_load_state("load")

    tab.goto("/account/join/?plan=monthly")
    page.get_by_role(
        "button", name=re.compile("Continue to payment|Join monthly", re.IGNORECASE)
    ).first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith(site.stripe_url + "/checkout/"), page.url
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r"/account/join/welcome/"))
    page.locator("#join-welcome").wait_for(state="visible", timeout=30_000)
    assert "Welcome" in page.locator("#join-welcome").inner_text()
    tab.screenshot("member-welcome")

    tab.goto(LDN_PATH)
    report = page.locator("section", has=page.get_by_role("heading", name="Your genotype report"))
    assert report.locator("a[href='/why-members/']").count() == 0
    lifehacks = page.locator("section", has=page.get_by_role("heading", name="Lifehacks"))
    assert len(lifehacks.inner_text()) > 300
    tab.assert_clean()
    journey["email"] = email


def test_journey_3_member_uploads_a_23andme_file_and_sees_their_genotypes(
    new_tab, site, journey, tmp_path
):
    assert journey.get("email"), "journey 2 did not complete"
    rows = generate_rows(n_snps=30_000, seed=11, include=MEMBER_GENOTYPES)
    genome = tmp_path / "genome_23andme.txt"
    genome.write_bytes(render_text(SampleFormat.TWENTYTHREEANDME, rows))
    journey["genome"] = genome

    tab = new_tab()
    page = tab.page
    _log_in(tab, journey["email"], PASSWORD)
    tab.goto("/genetics/upload/")
    page.locator("input[type=file]").set_input_files(str(genome))
    page.get_by_role("checkbox").first.check()
    progress = page.locator("progress")
    page.get_by_role("button", name=re.compile("Upload", re.IGNORECASE)).click()
    progress.wait_for(state="visible", timeout=10_000)
    page.wait_for_url(re.compile(r"/genetics/uploads/"), timeout=60_000)
    _wait_for_text(page, "Done", timeout_ms=60_000)
    tab.screenshot("upload-status")
    tab.snapshot("readme-upload-status", page.locator("main"))

    tab.goto(LDN_PATH)
    cells = _genotype_cells(page)
    for rsid, genotype in MEMBER_GENOTYPES.items():
        if rsid != ADDED_BY_EDITOR["rsid"]:
            assert cells[rsid] == genotype, (rsid, cells)
    assert ADDED_BY_EDITOR["rsid"] not in cells
    assert cells[MISSING_FROM_FILE].lower() == "not on your chip"
    tab.screenshot("member-article")
    tab.assert_clean()


def test_journey_4_editor_adds_a_snp_and_the_member_sees_it_without_reupload(
    new_tab, site, journey
):
    assert journey.get("genome"), "journey 3 did not complete"
    rsid = ADDED_BY_EDITOR["rsid"]
    editor = new_tab()
    page = editor.page
    editor.goto("/admin/login/")  # hands over to allauth's login, then its TOTP step
    page.locator("#id_login").fill(ADMIN_LOGIN[0])
    page.locator("#id_password").fill(ADMIN_LOGIN[1])
    page.get_by_role("button", name=re.compile("^Log in$", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    page.locator("#id_code").fill(totp_code(ADMIN_TOTP_SECRET))
    page.get_by_role("button", name=re.compile("^Log in$", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/admin/$"))

    editor.goto("/admin/genotypes/snp/add/")
    for field, value in ADDED_BY_EDITOR.items():
        page.locator(f"#id_{field}").fill(value)
    for index, (genotype, label, text) in enumerate(
        [
            ("GG", "typical", "Two copies of the common Taq1A allele."),
            (
                "AG",
                "notable",
                "One copy of the Taq1A A1 allele, linked in studies to fewer dopamine D2 "
                "receptors.",
            ),
        ]
    ):
        if index:
            page.locator(".add-row a").first.click()
        page.locator(f"#id_interpretations-{index}-genotype").fill(genotype)
        page.locator(f"#id_interpretations-{index}-label").select_option(label)
        page.locator(f"#id_interpretations-{index}-text").fill(text)
    page.locator("input[name=_save]").click()
    page.wait_for_load_state("load")
    assert "was added successfully" in page.locator(".messagelist").inner_text()

    editor.goto("/admin/articles/section/?kind__exact=genotype_report")
    # Every demo article has a report now: open the LDN article's.
    ldn_row = page.locator("tr", has_text="Naltrexone: LDN & Genetics")
    ldn_row.get_by_role("link", name="Your genotype report").click()
    page.wait_for_load_state("load")
    inline = page.locator(".inline-group", has_text="SNP")
    inline.locator(".add-row a").first.click()
    new_row = inline.locator("tr.form-row:not(.empty-form)").last
    new_row.locator("input[name$='-order']").fill("99")
    snp_select = new_row.locator("select[name$='-snp']")
    snp_select.select_option(snp_select.locator("option", has_text=rsid).get_attribute("value"))
    page.locator("input[name=_save]").click()
    page.wait_for_load_state("load")
    assert "changed successfully" in page.locator(".messagelist").inner_text()

    editor.goto("/admin/articles/article/?q=LDN")
    page.get_by_role("link", name="Naltrexone: LDN & Genetics").first.click()
    page.wait_for_load_state("load")
    with page.context.expect_page() as preview_opened:
        page.get_by_role("link", name=re.compile("as member", re.IGNORECASE)).click(
            modifiers=["Shift"]
        )
    preview = preview_opened.value
    preview.wait_for_load_state("load")
    assert rsid in preview.content()
    editor.assert_clean()

    member = new_tab()
    _log_in(member, journey["email"], PASSWORD)
    seen: dict[str, str] = {}

    def backfilled() -> bool:
        member.goto(LDN_PATH)
        seen.clear()
        seen.update(_genotype_cells(member.page))
        return seen.get(rsid) == MEMBER_GENOTYPES[rsid]

    # A hang bound: the worker backfills the new SNP for stored genomes.
    assert wait_until(backfilled, timeout=120, interval=0.5, raise_on_timeout=False), seen
    member.assert_clean()


def _answer_password_prompt(page) -> None:
    """The site asks for the password again before a sensitive action; give it.

    After the prompt allauth resumes the original request, so the caller sees that request's
    answer (a download, or the page after deletion).
    """
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).click()


def _wait_past_reauthentication(password_given_at: float) -> None:
    """Until the test site's re-authentication window (3 s) has passed since the password was
    last given (noted after the server accepted it, so the site's clock started earlier)."""
    wait_until(
        lambda: time.monotonic() > password_given_at + REAUTHENTICATION_SECONDS + 0.2,
        timeout=REAUTHENTICATION_SECONDS + 5,
        interval=0.1,
    )


def test_journey_5_member_cancels_exports_and_deletes_genetic_data(new_tab, site, journey):
    assert journey.get("genome"), "journey 3 did not complete"
    tab = new_tab()
    page = tab.page
    _log_in(tab, journey["email"], PASSWORD)
    password_given_at = time.monotonic()

    tab.goto("/account/")
    page.get_by_role("button", name="Manage billing").click()
    page.wait_for_url(re.compile(re.escape(site.stripe_url) + "/portal/"))
    page.get_by_role("button", name="Cancel subscription").click()
    page.wait_for_load_state("load")
    if page.url.startswith(site.stripe_url):
        page.get_by_role("link", name="Return").click()
    page.wait_for_url(re.compile(re.escape(site.base_url) + r"/account/"))

    def cancellation_shown() -> bool:
        ends = page.locator("#membership-date")
        if ends.count() and "you keep reading until then" in ends.inner_text():
            return True
        tab.goto("/account/")
        return False

    # A hang bound: Stripe's webhook reaches the site and the worker processes it.
    wait_until(cancellation_shown, timeout=120, interval=0.5, raise_on_timeout=False)
    assert re.search(
        r"^\d{1,2} \w+ \d{4}; you keep reading until then",
        page.locator("#membership-date").inner_text(),
    )
    tab.screenshot("account-ending")

    _wait_past_reauthentication(password_given_at)
    tab.goto("/genetics/export/")
    page.get_by_role("button", name="Download my data").click()
    with page.expect_download() as download_info:
        _answer_password_prompt(page)
    password_given_at = time.monotonic()
    archive = zipfile.ZipFile(download_info.value.path())
    results_name = "genlife-results.csv"
    results = list(csv.DictReader(io.StringIO(archive.read(results_name).decode("utf-8-sig"))))
    exported = {row["rsid"]: row["your_genotype"] for row in results}
    for rsid in ("rs1799971", "rs4680"):
        assert exported[rsid] == MEMBER_GENOTYPES[rsid], exported

    _wait_past_reauthentication(password_given_at)
    tab.goto("/genetics/delete/")
    page.get_by_label("I understand; delete my genetic data.").check()
    page.get_by_role("button", name="Delete my genetic data").click()
    _answer_password_prompt(page)
    page.wait_for_url(lambda url: "/accounts/reauthenticate/" not in url)

    tab.goto(LDN_PATH)
    report = page.locator("section", has=page.get_by_role("heading", name="Your genotype report"))
    assert report.get_by_role("link", name=re.compile("Upload", re.IGNORECASE)).count() >= 1
    assert MEMBER_GENOTYPES["rs4680"] not in _genotype_cells(page).values()
    tab.assert_clean()
