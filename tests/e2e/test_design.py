"""The reading design in Chromium: the article's contents list and citation previews work from
the keyboard, the contents stay beside the text on a desktop and fold away on a phone, the
overview diagram keeps legible labels on a phone, and reference back links lead to the text.
Also takes the README's pictures of the home page and the article (tests/e2e/screenshots/,
copied by hand to docs/screenshots/)."""

import re

LDN_PATH = "/articles/ldn-naltrexone-genetics/"


def _tab_until(tab, selector: str, *, limit: int = 80) -> bool:
    """Press Tab until the focused element matches ``selector`` (False after ``limit`` presses)."""
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return True
    return False


def test_contents_and_citation_previews_work_from_the_keyboard_on_a_desktop(new_tab):
    tab = new_tab(width=1280, height=900)
    tab.goto(LDN_PATH)
    toc = tab.page.locator("nav.toc")
    assert tab.page.locator("details.toc__details").evaluate("d => d.open")
    assert toc.get_by_role("link", name="Dose ranges at a glance").is_visible()
    # The contents are reachable by keyboard and lead to their section.
    assert _tab_until(tab, "nav.toc a")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile(r"#"))
    # They stay in view while the reader scrolls down the article.
    tab.page.locator("#references-title").scroll_into_view_if_needed()
    box = toc.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] < 900

    # A citation shows its reference on keyboard focus and hides on Escape.
    first = tab.page.locator("sup.cite a").first
    target = first.get_attribute("href")
    title = tab.page.locator(f"{target} .reference__title").inner_text().strip()
    assert _tab_until(tab, "sup.cite a")
    tooltip = tab.page.get_by_role("tooltip")
    tooltip.wait_for(state="visible")
    focused_target = tab.page.evaluate("() => document.activeElement.getAttribute('href')")
    expected = tab.page.locator(f"{focused_target} .reference__title").inner_text().strip()
    assert expected in tooltip.inner_text()
    assert tab.page.evaluate("() => document.activeElement.getAttribute('aria-describedby')")
    tab.page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    # And on hover.
    first.hover()
    tooltip.wait_for(state="visible")
    assert title in tooltip.inner_text()

    # The reference links back to where it was cited.
    back = tab.page.locator(f"{target} a.reference__back").first
    back_target = back.get_attribute("href")
    back.click()
    tab.page.wait_for_url(re.compile(re.escape(back_target) + "$"))
    assert tab.page.locator(back_target).is_visible()

    tab.page.locator("#what-is-low-dose-naltrexone").scroll_into_view_if_needed()
    tab.page.mouse.move(0, 0)
    tab.snapshot("readme-article-desktop")
    tab.assert_clean()


def test_phone_folds_the_contents_and_keeps_the_diagram_legible(new_tab):
    tab = new_tab(width=375, height=812)
    tab.goto(LDN_PATH)
    details = tab.page.locator("details.toc__details")
    assert not details.evaluate("d => d.open")
    assert not tab.page.get_by_role("link", name="Dose ranges at a glance").first.is_visible()
    tab.page.locator("summary.toc__summary").click()
    assert details.evaluate("d => d.open")
    tab.page.get_by_role("link", name="Dose ranges at a glance").first.click()
    tab.page.wait_for_url(re.compile(r"#dose-ranges-at-a-glance$"))
    # The diagram's smallest labels are 13 units in an 800-unit drawing: drawn at least 680 px
    # wide they read at 11 px or more; its frame scrolls, the page does not.
    width = tab.page.locator(".article__overview img").evaluate(
        "i => i.getBoundingClientRect().width"
    )
    assert width * 13 / 800 >= 11
    assert tab.horizontal_overflow() == 0
    tab.page.evaluate("window.scrollTo(0, 0)")
    tab.snapshot("readme-article-phone")
    tab.assert_clean()


def test_home_explains_shows_a_sample_and_the_price(new_tab):
    tab = new_tab(width=1280, height=900)
    tab.goto("/")
    sample = tab.page.locator("section.sample")
    assert sample.get_by_text("Sample", exact=True).is_visible()
    assert sample.locator(".variant-card").count() >= 2
    assert tab.page.get_by_role("heading", name="How it works").is_visible()
    assert tab.page.locator(".price__amount").first.is_visible()
    cards = tab.page.locator(".home__latest .article-card__image")
    assert cards.count() >= 3
    assert all(
        cards.nth(i).evaluate("i => i.complete && i.naturalWidth > 0") for i in range(cards.count())
    )
    tab.screenshot("readme-home")
    tab.assert_clean()
