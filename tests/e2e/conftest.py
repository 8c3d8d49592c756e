"""Browser fixtures: Debian's Chromium driven by Playwright, against tests/e2e/site.py's site."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from genotypes.samples import SampleFormat, generate_rows, render_text
from tests.e2e.site import Site
from tests.faults.processes import RedisServer
from tests.utils import TEST_PASSWORD_HASHERS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture(scope="session")
def site(tmp_path_factory, static_root):
    folder = tmp_path_factory.mktemp("e2e-site")
    redis = None
    # With Redis configured (CI), the site's broker and cache go to a private redis-server:
    # the site flushes them, and another test run on the machine must not share them.
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") and shutil.which("redis-server"):
        redis = RedisServer(folder / "redis.log")
        redis.start()
    running = Site(
        folder,
        extra_env={"DJANGO_PASSWORD_HASHERS": ",".join(TEST_PASSWORD_HASHERS)},
        static_root=static_root,  # collected once for the session (tests/conftest.py)
        redis_url=redis.url(0) if redis else "",
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if redis:
            redis.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one browser tab."""

    items: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def watch(self, page) -> None:
        page.on(
            "console", lambda msg: msg.type == "error" and self.items.append(f"console: {msg.text}")
        )
        page.on("pageerror", lambda exc: self.items.append(f"page error: {exc}"))
        # ERR_ABORTED is the browser cancelling a request because the test navigated on
        # (a favicon still loading, say); every other failure counts.
        page.on(
            "requestfailed",
            lambda req: (
                "ERR_ABORTED" not in (req.failure or "")
                and self.items.append(f"request failed: {req.method} {req.url} {req.failure}")
            ),
        )
        page.on(
            "response",
            lambda res: (
                res.status >= 400
                and res.status not in self.allowed_statuses
                and self.items.append(f"HTTP {res.status}: {res.request.method} {res.url}")
            ),
        )


@dataclass
class Tab:
    page: object
    problems: PageProblems
    site: Site

    def goto(self, path: str):
        started = time.monotonic()
        response = self.page.goto(self.site.base_url + path)
        self.page.wait_for_load_state("load")
        return response, time.monotonic() - started

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def snapshot(self, name: str, locator=None) -> Path:
        """A small picture of one element (or of the viewport), e.g. for the README."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def axe_violations(self, impacts=("serious", "critical")) -> list[dict]:
        self.page.add_script_tag(path=str(AXE))
        # Every rule still runs and every violation comes back whole; resultTypes only spares
        # axe the selectors and details of the passing and inapplicable results (axe-core's
        # API docs, "Performance"), which are not read here and not sent back either.
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in violations
            if v["impact"] in impacts
        ]

    def horizontal_overflow(self) -> int:
        return self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    def assert_clean(self) -> None:
        assert not self.problems.items, json.dumps(self.problems.items, indent=2)


@pytest.fixture
def new_tab(request, browser, site):
    """Open a fresh browser context (its own cookies) and tab; checks for problems on close."""
    contexts = []

    def open_tab(*, width: int = 1280, height: int = 900, bypass_csp: bool = False) -> Tab:
        # axe is injected as an inline script, which our CSP rightly refuses; the checks that
        # inject it open their tab with bypass_csp. Journeys run under the real policy.
        context = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=bypass_csp
        )
        contexts.append(context)
        page = context.new_page()
        problems = PageProblems()
        problems.watch(page)
        return Tab(page=page, problems=problems, site=site)

    yield open_tab
    failed = getattr(request.node, "e2e_failed", False)
    for index, context in enumerate(contexts):
        if failed:  # what each tab showed when the test failed, for the CI log reader
            SCREENSHOTS.mkdir(exist_ok=True)
            for number, page in enumerate(context.pages):
                name = f"FAILED-{request.node.name}-{index}-{number}.png"
                page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
                print(f"{name}: {page.url}")
        context.close()


@pytest.fixture(scope="session")
def journey() -> dict:
    """State handed from one journey to the next (the member who joined, their file, ...)."""
    return {}


def member_with_upload(
    site, browser, folder: Path, *, login: tuple[str, str], name: str, include: dict, **rows
) -> tuple[dict, str]:
    """A member (complimentary membership) who logged in and uploaded a generated 23andMe file
    holding ``include`` through the upload page, read by the site's worker: (their browser
    storage state, the upload status page's path)."""
    email, password = login
    site.manage(
        "shell",
        "-c",
        "from members.services.users import user_ensure_verified; "
        "from billing.services.memberships import membership_grant_complimentary; "
        f"membership_grant_complimentary(user=user_ensure_verified(email='{email}', "
        f"password='{password}', name='{name}'))",
    )
    genome = folder / "genome.txt"
    genome.write_bytes(
        render_text(SampleFormat.TWENTYTHREEANDME, generate_rows(include=include, **rows))
    )
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.base_url + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("^Log in$", re.I)).click()
    page.wait_for_load_state("load")
    page.goto(site.base_url + "/genetics/upload/")
    page.locator("input[type=file]").set_input_files(str(genome))
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name=re.compile("Upload", re.I)).click()
    page.wait_for_url(re.compile(r"/genetics/uploads/"), timeout=60_000)
    page.get_by_text("Done").first.wait_for(state="visible", timeout=60_000)
    status_path = page.url.removeprefix(site.base_url)
    storage = context.storage_state()
    context.close()
    return storage, status_path
