"""A member's highlights, My genetics and home page in Chromium: axe finds no serious or
critical violation, nothing scrolls sideways at 375 px, and the filters work without a script."""

import re

import pytest

from tests.e2e.conftest import member_with_upload
from tests.e2e.test_quality import _open

MEMBER = ("insight-member@example.com", "insight-member-passphrase-77")
# OPRM1 AG and ABCB1 rs2032582 AC are notable in the demo catalogue; COMT AG is typical.
CALLS = {"rs1799971": "AG", "rs2032582": "AC", "rs4680": "AG"}
PAGES = [("highlights", "/genetics/highlights/"), ("my-genetics", "/genetics/me/"), ("home", "/")]


@pytest.fixture(scope="module")
def member_storage(site, browser, tmp_path_factory):
    """A signed-in member whose file the site's worker has read: their browser storage."""
    storage, _ = member_with_upload(
        site,
        browser,
        tmp_path_factory.mktemp("insight"),
        login=MEMBER,
        name="Ines Insight",
        include=CALLS,
        n_snps=3_000,
        seed=11,
    )
    return storage


@pytest.mark.parametrize("width", [375, 1280])
def test_highlights_dashboard_and_home_are_accessible_and_fit(browser, site, member_storage, width):
    problems = {}
    for name, path in PAGES:
        context, tab = _open(browser, site, member_storage, as_member=True, width=width, height=812)
        try:
            tab.goto(path)
            assert tab.page.locator("h1").count() == 1
            found = {
                "axe": tab.axe_violations(),
                "overflow": tab.horizontal_overflow() if width == 375 else 0,
                "console": tab.problems.items,
            }
            if any(found.values()):
                problems[name] = found
            tab.screenshot(f"insight-{name}-{width}")
        finally:
            context.close()
    assert not problems, problems


def test_highlights_link_into_the_article_report(browser, site, member_storage):
    context, tab = _open(browser, site, member_storage, as_member=True, width=375, height=812)
    try:
        tab.goto("/genetics/highlights/")
        assert tab.page.locator(".result-item", has_text="rs1799971").count() >= 1
        assert tab.page.locator(".result-item", has_text="rs4680").count() == 0  # typical
        tab.page.locator(".result-item", has_text="rs1799971").first.get_by_role(
            "link", name="Read it in the article"
        ).click()
        tab.page.wait_for_load_state("load")
        assert re.search(r"/articles/[^/]+/#[a-z0-9-]+$", tab.page.url), tab.page.url
        anchor = tab.page.url.rsplit("#", 1)[1]
        # The anchor is the report section's heading; the member's card is in that section.
        section = tab.page.locator(f"section#section-{anchor}")
        assert section.locator("[data-rsid='rs1799971']").count() == 1
    finally:
        context.close()


def test_dashboard_filters_work_without_a_script(browser, site, member_storage):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        storage_state=member_storage,
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        page.goto(site.base_url + "/genetics/me/")
        page.get_by_label("Label").select_option("notable")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state("load")
        assert "label=notable" in page.url
        results = page.locator(".insight__topic .result-item")
        assert results.count() >= 2
        for text in results.all_inner_texts():
            assert "Notable" in text
        assert page.locator(".result-item", has_text="rs4680").count() == 0
        assert page.get_by_text(re.compile(r"\d+ variants? match your filters")).is_visible()
    finally:
        context.close()
