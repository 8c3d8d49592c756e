"""Journey 1: a visitor reads the LDN article in Chromium and never receives members' text."""

import re
from pathlib import Path

from articles.article_file import article_file_parse

LDN_FILE = Path(__file__).resolve().parents[2] / "articles" / "demo" / "ldn-naltrexone-genetics.md"


def _ldn():
    return article_file_parse(LDN_FILE.read_text())


def _members_only_sentences() -> list[str]:
    """Sentences long enough to be unmistakable, from every members-only section body."""
    sentences = []
    for section in _ldn().sections:
        if section.access == "members":
            plain = re.sub(r"\[ref:[0-9, ]+\]|[*_`#>|]", " ", section.body)
            sentences += [
                s.strip() for s in re.split(r"(?<=[.!?])\s+", plain) if len(s.strip()) > 40
            ]
    return sentences


def test_visitor_reads_the_ldn_article_without_members_text(new_tab):
    ldn = _ldn()
    tab = new_tab()
    tab.goto("/")
    tab.page.get_by_role("link", name=ldn.title).first.click()
    tab.page.wait_for_load_state("load")
    assert tab.page.url.endswith(f"/articles/{ldn.slug}/")
    page = tab.page

    assert page.get_by_role("heading", level=1).inner_text() == ldn.title
    for takeaway in ldn.key_takeaways:
        assert page.get_by_text(takeaway[:40], exact=False).first.is_visible()
    dose_table = page.locator("table", has_text="50")
    assert dose_table.first.is_visible()
    references = page.locator(".references li")
    assert references.count() == len(ldn.references)
    assert page.locator("a[href^='https://doi.org/']").count() >= len(ldn.references) // 2
    for related_slug in ldn.related:
        assert page.locator(f"a[href='/articles/{related_slug}/']").count() >= 1

    # The gated sections show their heading, the call to action and the why-members link...
    for section in ldn.sections:
        if section.access != "members":
            continue
        heading = page.get_by_role("heading", name=section.heading)
        assert heading.is_visible()
        block = page.locator("section", has=heading)
        assert block.get_by_role("link", name=re.compile("Join", re.I)).count() >= 1
        assert block.get_by_role("link", name=re.compile("Log in", re.I)).count() >= 1
        assert block.locator("a[href='/why-members/']").count() == 1
    # ...and the DOM holds none of their text.
    dom = page.content()
    leaked = [s for s in _members_only_sentences() if s in dom]
    assert not leaked, leaked[:3]
    assert len(_members_only_sentences()) >= 5

    # A citation marker jumps to its reference.
    citation = page.locator("a[href^='#ref-']").first
    target = citation.get_attribute("href")
    citation.click()
    page.wait_for_function("(hash) => location.hash === hash", arg=target)
    assert page.locator(target).is_visible()
    tab.screenshot("visitor-article")
    report_heading = page.get_by_role("heading", name="Your genotype report")
    tab.snapshot("readme-visitor-article", page.locator("section", has=report_heading))
    tab.assert_clean()
