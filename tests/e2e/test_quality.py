"""Accessibility, mobile layout, console cleanliness and load times of the core pages.

axe-core finds no serious or critical violation; at 375 x 812 no page scrolls sideways and
every table either fits or scrolls inside its own box; no page logs a console error or a
failed request. Load times are measured and written out (tests/e2e/screenshots/timings.json)
for the report, not asserted: timing belongs in bench/, not in a pass/fail test.
"""

import json

import pytest

from tests.e2e.conftest import SCREENSHOTS, member_with_upload

MEMBER = ("quality-member@example.com", "quality-member-passphrase-55")
LDN_PATH = "/articles/ldn-naltrexone-genetics/"


@pytest.fixture(scope="module")
def member_pages(site, browser, tmp_path_factory):
    """A logged-in member with a processed upload: (browser context storage, status path)."""
    return member_with_upload(
        site,
        browser,
        tmp_path_factory.mktemp("quality"),
        login=MEMBER,
        name="Quinn Quality",
        include={"rs4680": "AG"},
        n_snps=5_000,
        seed=5,
    )


def _pages(status_path: str) -> list[tuple[str, str, bool]]:
    """(name, path, as member) for every core page."""
    return [
        ("home", "/", False),
        ("home-member", "/", True),
        ("article-visitor", LDN_PATH, False),
        ("list", "/articles/", False),
        ("topic", "/topics/medications/", False),
        ("author", "/authors/genlife-editors/", False),
        ("search-visitor", "/search/?q=naltrexone", False),
        ("join", "/account/join/", False),
        ("login", "/accounts/login/", False),
        ("article-member", LDN_PATH, True),
        ("upload", "/genetics/upload/", True),
        ("upload-status", status_path, True),
        ("upload-remove", status_path + "remove/", True),
        ("my-genetics", "/genetics/me/", True),
        ("account", "/account/", True),
        ("snp-visitor", "/genetics/snps/rs1799971/", False),
        ("snp-member", "/genetics/snps/rs1799971/", True),
        ("gene-visitor", "/genetics/genes/ABCB1/", False),
        ("search-member", "/search/?q=COMT", True),
        ("activity", "/genetics/activity/", True),
        ("summary", LDN_PATH + "summary/", True),
        ("export", "/genetics/export/", True),
        ("delete-genetic-data", "/genetics/delete/", True),
    ]


def _open(browser, site, storage, *, as_member: bool, width: int, height: int):
    from tests.e2e.conftest import PageProblems, Tab

    # axe is injected as an inline script, which our CSP refuses; these tabs bypass the
    # policy for that one reason. The journeys run under the real policy.
    context = browser.new_context(
        viewport={"width": width, "height": height},
        bypass_csp=True,
        storage_state=storage if as_member else None,
    )
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    return context, Tab(page=page, problems=problems, site=site)


def test_core_pages_are_accessible_clean_and_fit_a_phone(browser, site, member_pages):
    storage, status_path = member_pages
    report = {"violations": {}, "overflow": {}, "wide_tables": {}, "problems": {}, "load_ms": {}}
    for name, path, as_member in _pages(status_path):
        for width, height in ((1280, 900), (375, 812)):
            context, tab = _open(
                browser, site, storage, as_member=as_member, width=width, height=height
            )
            try:
                tab.goto(path)
                key = f"{name}@{width}"
                report["load_ms"][key] = tab.page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return Math.round(n.loadEventEnd - n.startTime); }"
                )
                violations = tab.axe_violations()
                if violations:
                    report["violations"][key] = violations
                if width == 375:
                    overflow = tab.horizontal_overflow()
                    if overflow > 0:
                        report["overflow"][key] = overflow
                    wide = tab.page.evaluate(
                        """() => [...document.querySelectorAll('table')].filter(t => {
                              const r = t.getBoundingClientRect();
                              if (r.right <= window.innerWidth + 1) return false;
                              let el = t.parentElement;
                              while (el && el !== document.body) {
                                const o = getComputedStyle(el).overflowX;
                                const right = el.getBoundingClientRect().right;
                                if ((o === 'auto' || o === 'scroll') &&
                                    right <= window.innerWidth + 1) return false;
                                el = el.parentElement;
                              }
                              return true;
                           }).map(t =>
                             t.className || t.querySelector('th')?.innerText || 'table')"""
                    )
                    if wide:
                        report["wide_tables"][key] = wide
                    tab.screenshot(f"mobile-{name}")
                if tab.problems.items:
                    report["problems"][key] = tab.problems.items
            finally:
                context.close()

    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "timings.json").write_text(json.dumps(report["load_ms"], indent=2))
    print("page load times (ms):", json.dumps(report["load_ms"], indent=2))
    assert not report["violations"], json.dumps(report["violations"], indent=2)
    assert not report["overflow"], report["overflow"]
    assert not report["wide_tables"], report["wide_tables"]
    assert not report["problems"], json.dumps(report["problems"], indent=2)
    assert len(report["load_ms"]) == 2 * len(_pages(status_path))
