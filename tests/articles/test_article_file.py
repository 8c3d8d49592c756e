"""The editor-facing file format: parsing and errors reported by line."""

from pathlib import Path

import pytest

from articles.article_file import ArticleFileError, article_file_parse

DEMO = Path(__file__).resolve().parents[2] / "articles" / "demo"


def test_ldn_demo_file_parses_with_gated_sections_and_references():
    article = article_file_parse((DEMO / "ldn-naltrexone-genetics.md").read_text())
    kinds = {section.kind: section for section in article.sections}
    assert kinds["genotype_report"].access == "members"
    assert kinds["genotype_report"].snps[:2] == ["rs1799971", "rs4680"]
    assert len(kinds["genotype_report"].snps) == 8
    assert kinds["lifehacks"].access == "members"
    assert kinds["genotype_report"].teaser
    assert len(article.key_takeaways) == 3
    assert any("|---|" in section.body for section in article.sections)
    assert all(ref.doi for ref in article.references if ref.number != 11)


def test_errors_are_reported_with_line_numbers():
    text = (
        "---\n"  # 1
        "title: Test\n"  # 2
        "descriptoin: x\n"  # 3
        "author: editors\n"  # 4
        "references:\n"  # 5
        "  - number: 1\n"  # 6
        "    authors: A\n"  # 7
        "    title: T\n"  # 8
        "    year: 2020\n"  # 9
        "    doi: not-a-doi\n"  # 10
        "---\n"  # 11
        "Stray text\n"  # 12
        '## Heading {kind=genotype_report access=public snps="rs1 bad"}\n'  # 13
        "Cites [ref:4].\n"  # 14
    )
    with pytest.raises(ArticleFileError) as caught:
        article_file_parse(text)
    lines = {line for line, _ in caught.value.errors}
    messages = " ".join(message for _, message in caught.value.errors)
    assert {1, 3, 10, 12, 13, 14} <= lines
    assert "unknown front matter key 'descriptoin'" in messages
    assert "'bad' is not an rsid" in messages
    assert "[ref:4]" in messages


def test_heading_attributes_use_shell_quoting():
    text = (
        "---\ntitle: T\ndescription: D\nauthor: a\n---\n"
        "## Report {kind=genotype_report snps='rs1 rs2' "
        'teaser="Members see \\"their\\" data."}\nBody\n'
    )
    section = article_file_parse(text).sections[0]
    assert section.access == "members"
    assert section.snps == ["rs1", "rs2"]
    assert section.teaser == 'Members see "their" data.'


def test_headings_inside_code_fences_do_not_start_sections():
    text = "---\ntitle: T\ndescription: D\nauthor: a\n---\n## One\n```\n## not a heading\n```\n"
    article = article_file_parse(text)
    assert [section.heading for section in article.sections] == ["One"]


def test_non_ascii_title_gets_an_ascii_slug():
    article = article_file_parse(
        "---\ntitle: Über Schlaf\ndescription: D\nauthor: a\n---\n## One\nx\n"
    )
    assert article.slug == "uber-schlaf"


def test_a_file_without_front_matter_is_rejected_on_line_one():
    with pytest.raises(ArticleFileError) as caught:
        article_file_parse("## Just a heading\n")
    assert caught.value.errors[0][0] == 1
