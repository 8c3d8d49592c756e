"""The member's genotype report in Chromium, on a 375 px phone and a 1280 px desktop.

No sideways scroll, with every variant's details open too; on the phone the finding text is at
least 280 px wide; on the desktop it takes most of the card; axe-core finds no serious or
critical violation. Also takes the README's pictures of the report (docs/screenshots/ holds
the copies the README shows; tests/e2e/screenshots/ is rewritten on every run).
"""

import pytest

from tests.e2e.conftest import member_with_upload

MEMBER = ("report-member@example.com", "report-member-passphrase-61")
LDN_PATH = "/articles/ldn-naltrexone-genetics/"
# rs4680 written on the opposite strand (CT for AG), so the strand note shows.
GENOTYPES = {"rs1799971": "AG", "rs4680": "CT", "rs1045642": "AG", "rs4986790": "AA"}
PHONE, DESKTOP = (375, 812), (1280, 900)


@pytest.fixture(scope="module")
def member_storage(site, browser, tmp_path_factory):
    """A logged-in member whose processed upload holds GENOTYPES: the browser storage."""
    storage, _ = member_with_upload(
        site,
        browser,
        tmp_path_factory.mktemp("report"),
        login=MEMBER,
        name="Robin Report",
        include=GENOTYPES,
        n_snps=4_000,
        seed=13,
    )
    return storage


def _open_report(browser, site, storage, size):
    from tests.e2e.conftest import PageProblems, Tab

    # axe is injected as an inline script, which our CSP refuses: this tab bypasses the policy
    # for that one reason.
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, bypass_csp=True, storage_state=storage
    )
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    tab = Tab(page=page, problems=problems, site=site)
    tab.goto(LDN_PATH)
    return context, tab


FINDING_WIDTHS = """() => [...document.querySelectorAll('.variant-card')].map(card => {
    const finding = card.querySelector('.variant-card__finding > p');
    return {
        rsid: card.dataset.rsid,
        finding: finding ? finding.getBoundingClientRect().width : null,
        card: card.getBoundingClientRect().width,
    };
})"""


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone-375", "desktop-1280"])
def test_member_report_fits_the_screen_reads_wide_and_is_accessible(
    browser, site, member_storage, size
):
    context, tab = _open_report(browser, site, member_storage, size)
    try:
        page = tab.page
        cards = page.locator(".variant-card")
        assert cards.count() >= 4, page.content()[:2000]
        yours = page.locator('.variant-card[data-rsid="rs4680"]')
        assert yours.locator(".variant-card__genotype").inner_text().strip().endswith("AG")
        assert "Your file says CT; we show AG" in yours.inner_text()
        assert tab.horizontal_overflow() <= 0

        widths = page.evaluate(FINDING_WIDTHS)
        with_text = [w for w in widths if w["finding"]]
        assert len(with_text) >= 4, widths
        for entry in with_text:
            if size == PHONE:
                assert entry["finding"] >= 280, entry
            else:
                assert entry["finding"] >= 0.6 * entry["card"], entry

        # README pictures: the top of the report as the member meets it, and the member's
        # OPRM1 card opened to every genotype.
        page.evaluate("() => document.getElementById('your-genotype-report').scrollIntoView()")
        name = "phone" if size == PHONE else "desktop"
        tab.snapshot(f"readme-member-report-{name}")

        for summary in page.locator(".variant-card__more > summary").all():
            summary.click()
        assert page.locator(".genotype-finding--yours").count() >= 3
        assert tab.horizontal_overflow() <= 0, "an opened variant widens the page"
        oprm1 = page.locator('.variant-card[data-rsid="rs1799971"]')
        oprm1.scroll_into_view_if_needed()
        tab.snapshot(f"readme-member-report-{name}-expanded", oprm1)

        violations = tab.axe_violations()
        assert not violations, violations
        tab.assert_clean()
    finally:
        context.close()
