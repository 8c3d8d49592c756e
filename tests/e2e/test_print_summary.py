"""The printable summary in a real browser: a member opens it from the article at 375 px,
axe finds nothing serious, nothing scrolls sideways, printing hides the site's chrome and keeps
the table and references; the share link opens the same summary for a stranger, signed out."""

import re

import pytest

from tests.e2e.conftest import member_with_upload

MEMBER = ("print-member@example.com", "print-member-passphrase-71")
LDN_PATH = "/articles/ldn-naltrexone-genetics/"
SUMMARY_PATH = LDN_PATH + "summary/"


@pytest.fixture(scope="module")
def member_storage(site, browser, tmp_path_factory):
    storage, _ = member_with_upload(
        site,
        browser,
        tmp_path_factory.mktemp("print"),
        login=MEMBER,
        name="Pat Print",
        include={"rs1799971": "AG"},
        n_snps=5_000,
        seed=9,
    )
    return storage


def _tab(browser, site, *, storage=None, width=375, height=812):
    from tests.e2e.conftest import PageProblems, Tab

    # bypass_csp only so that axe (an injected inline script) can run.
    context = browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=True, storage_state=storage
    )
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    return context, Tab(page=page, problems=problems, site=site)


def test_print_summary_at_375px_is_accessible_prints_cleanly_and_shares(
    browser, site, member_storage
):
    context, tab = _tab(browser, site, storage=member_storage)
    try:
        tab.goto(LDN_PATH)
        tab.page.get_by_role("link", name="Print / share your summary").click()
        tab.page.wait_for_url(re.compile(re.escape(SUMMARY_PATH) + "$"))
        table = tab.page.locator("table.summary-table")
        assert table.locator("th", has_text="rs1799971").count() == 1
        assert "AG" in table.inner_text()
        assert tab.page.locator(".summary-references li").count() >= 1
        assert tab.axe_violations() == []
        assert tab.horizontal_overflow() <= 0
        tab.screenshot("summary-phone")
        tab.snapshot("summary-phone-top")

        tab.page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        tab.page.emulate_media(media="print")
        assert not tab.page.locator(".site-header, header").first.is_visible()
        assert not tab.page.locator(".share-panel").is_visible()
        assert table.is_visible()
        tab.snapshot("summary-print-top")
        tab.page.emulate_media(media="screen")
        tab.page.set_viewport_size({"width": 375, "height": 812})

        tab.page.get_by_label("The link works for").select_option("3")
        tab.page.get_by_role("button", name="Make a share link").click()
        link = tab.page.get_by_label("Share link").input_value()
        assert "/shared/" in link
        tab.assert_clean()
    finally:
        context.close()

    stranger_context, stranger = _tab(browser, site)
    try:
        response, _ = stranger.goto(link.removeprefix(site.base_url))
        assert response.status == 200
        assert "no-store" in response.headers["cache-control"]
        assert "noindex" in response.headers["x-robots-tag"]
        assert "AG" in stranger.page.locator("table.summary-table").inner_text()
        assert stranger.axe_violations() == []
        assert stranger.horizontal_overflow() <= 0
        stranger.screenshot("summary-shared-phone")
        stranger.assert_clean()
    finally:
        stranger_context.close()
