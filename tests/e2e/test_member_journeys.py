"""Journeys 2-5 in Chromium: join and pay, upload a genome, an editor adds a SNP, and leaving.

They run in order and hand state on through the `journey` fixture: the member who joins in
journey 2 is the one who uploads in 3, whose table gains a row in 4, and who leaves in 5.
"""
import re
import time

from genotypes.samples import SampleFormat, generate_rows, render_text

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
}
MISSING_FROM_FILE = "rs3829125"  # on the LDN report, deliberately absent from the file


def _wait_for_text(page, text: str, timeout_ms: int = 30_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout_ms)


def _log_in(tab, email: str, password: str) -> None:
    tab.goto("/accounts/login/")
    tab.page.locator("#id_login").fill(email)
    tab.page.locator("#id_password").fill(password)
    tab.page.get_by_role("button", name=re.compile("^Sign In$", re.I)).click()
    tab.page.wait_for_load_state("load")


def _genotype_cells(page) -> dict[str, str]:
    rows = page.locator("table.genotype-table tbody tr")
    cells = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        cells[row.locator("td").nth(1).inner_text().strip()] = row.locator("td").nth(2).inner_text().strip()
    return cells


def test_journey_2_visitor_signs_up_verifies_pays_and_reads_gated_sections(new_tab, site, journey):
    tab = new_tab()
    page = tab.page
    email = f"reader{int(time.time())}@example.com"
    tab.goto("/account/join/")
    page.get_by_role("link", name=re.compile("Join monthly", re.I)).first.click()
    page.wait_for_load_state("load")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign up|Create account", re.I)).click()
    page.wait_for_load_state("load")
    _wait_for_text(page, "erif")  # "Verify your email address"

    link = None
    for _ in range(50):
        for message in site.emails():
            if message["To"] == email:
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+/accounts/confirm-email/\S+", body)
                link = found and found.group(0)
        if link:
            break
        time.sleep(0.2)
    assert link, "no verification email reached the file backend"
    page.goto(re.sub(r"^https?://[^/]+", site.base_url, link))
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_load_state("load")

    tab.goto("/account/join/?plan=monthly")
    page.get_by_role("button", name=re.compile("Continue to payment|Join monthly", re.I)).first.click()
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


def test_journey_3_member_uploads_a_23andme_file_and_sees_their_genotypes(new_tab, site, journey, tmp_path):
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
    page.get_by_role("button", name=re.compile("Upload", re.I)).click()
    progress.wait_for(state="visible", timeout=10_000)
    page.wait_for_url(re.compile(r"/genetics/uploads/"), timeout=60_000)
    _wait_for_text(page, "Done", timeout_ms=60_000)
    tab.screenshot("upload-status")

    tab.goto(LDN_PATH)
    cells = _genotype_cells(page)
    for rsid, genotype in MEMBER_GENOTYPES.items():
        assert cells[rsid] == genotype, (rsid, cells)
    assert cells[MISSING_FROM_FILE].lower() == "not on your chip"
    tab.screenshot("member-article")
    tab.assert_clean()
