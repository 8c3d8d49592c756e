"""The Markdown renderer, without the database: sanitising, citations, tables, anchors."""

from articles.rendering import citation_numbers, section_body_render, slug_for


def render(body: str, refs=(1, 2, 3)):
    return section_body_render(body=body, reference_numbers=set(refs), anchor_prefix="s")


def test_script_iframe_and_event_handlers_never_survive_rendering():
    hostile = (
        "<script>alert('x')</script>\n\n<iframe src='https://evil.example'></iframe>\n\n"
        '<img src=x onerror=alert(1)>\n\n<a href="https://ok.example" onclick="steal()">ok</a>\n\n'
        "[click](javascript:alert(1)) <a href='JaVaScRiPt:alert(2)'>two</a>\n\n"
        '<p style="background:url(javascript:alert(3))">styled</p>'
    )
    html = render(hostile).html.lower()
    for needle in (
        "<script",
        "alert('x')",
        "<iframe",
        "onerror",
        "onclick",
        "javascript:",
        "style=",
        "<img",
    ):
        assert needle not in html
    assert 'href="https://ok.example"' in html


def test_citation_markers_link_to_numbered_references():
    result = render("As shown before [ref:1] and again [ref:2,3] or [ref:1-3].")
    assert '<sup class="cite">[<a href="#ref-1"' in result.html
    assert 'href="#ref-3"' in result.html
    assert result.cited == [1, 2, 3]
    assert result.missing_citations == []


def test_citation_of_missing_reference_is_plain_text_and_reported():
    result = render("Claimed without support [ref:9].", refs=(1,))
    assert "[ref:9]" in result.html
    assert 'href="#ref-9"' not in result.html
    assert result.missing_citations == [9]


def test_partly_missing_citation_links_the_known_number_only():
    result = render("Mixed [ref:1,7].", refs=(1,))
    assert 'href="#ref-1"' in result.html
    assert 'href="#ref-7"' not in result.html
    assert result.missing_citations == [7]


def test_citations_inside_code_are_left_alone():
    result = render("Write `[ref:1]` to cite.")
    assert "<code>[ref:1]</code>" in result.html
    assert result.cited == []


def test_tables_render_inside_a_scrolling_box():
    result = render("| Dose | Use |\n|---|---|\n| 50 mg | Alcohol |\n")
    assert '<div class="table-scroll"' in result.html
    assert "<th>Dose</th>" in result.html


def test_body_headings_get_unique_prefixed_ids_and_never_compete_with_h1_or_h2():
    result = render("# Top\n\n### Detail\n\n### Detail\n")
    assert "<h1" not in result.html and "<h2" not in result.html
    assert 'id="s-top"' in result.html
    assert [entry.anchor for entry in result.subheadings] == ["s-top", "s-detail", "s-detail-2"]


def test_plain_text_drops_markup():
    assert render("Some **bold** words.").text == "Some bold words."


def test_slugs_are_transliterated_to_ascii():
    assert slug_for("Über Schlaf und Gene") == "uber-schlaf-und-gene"
    assert slug_for("Ça va? Ωμέγα") == "ca-va"
    assert slug_for("日本語", fallback="article") == "article"


def test_citation_ranges_are_bounded():
    assert citation_numbers("1-3") == [1, 2, 3]
    assert citation_numbers("3-1") is None
    assert citation_numbers("1-100000") is None
    assert citation_numbers("x") is None


def test_reference_parts_end_with_exactly_one_full_stop():
    from articles.templatetags.articles_tags import end_sentence

    assert end_sentence("Doe J, et al.") == "Doe J, et al."
    assert end_sentence("Does it work?") == "Does it work?"
    assert end_sentence("Doe J") == "Doe J."
