"""import_article and load_demo_articles through call_command."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from articles.models import Article, Author, Reference, Section, Topic

from .factories import AuthorFactory, ldn_catalogue

pytestmark = pytest.mark.django_db

GOOD = """---
title: "Ünïcode genes"
description: A test article.
author: test-author
topics: [genes]
key_takeaways: [Genes matter a little.]
status: published
published_at: 2020-01-01T00:00:00Z
references:
  - number: 1
    authors: Doe J
    title: A paper
    journal: J Test
    year: 2020
    doi: 10.1000/xyz
    pmid: "123"
---
## First part
Text [ref:1].

## Member part {access=members teaser="Members read more."}
Secret member text.
"""

AUTHORS = "test-author:\n  name: Test Author\n  bio: Writes tests.\n"
TOPICS = "genes:\n  name: Genes\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "authors.yaml").write_text(AUTHORS)
    (tmp_path / "topics.yaml").write_text(TOPICS)
    path = tmp_path / "article.md"
    path.write_text(text)
    return path


def test_import_creates_the_article_with_sections_and_references(tmp_path):
    out = StringIO()
    call_command("import_article", str(write(tmp_path, GOOD)), stdout=out)
    article = Article.objects.get(slug="unicode-genes")
    assert "Created" in out.getvalue()
    assert article.author.name == "Test Author"
    assert list(article.topics.values_list("slug", flat=True)) == ["genes"]
    assert [s.access for s in article.sections.all()] == ["public", "members"]
    assert article.references.get().pmid == "123"
    assert 'href="#ref-1"' in article.sections.first().body_html
    assert "Secret member text" not in article.public_text


def test_reimport_updates_in_place_by_slug(tmp_path):
    path = write(tmp_path, GOOD)
    call_command("import_article", str(path), stdout=StringIO())
    first_pk = Article.objects.get().pk
    path.write_text(GOOD.replace("Text [ref:1].", "Changed text [ref:1]."))
    out = StringIO()
    call_command("import_article", str(path), stdout=out)
    assert "Updated" in out.getvalue()
    assert Article.objects.get().pk == first_pk
    assert Section.objects.count() == 2 and Reference.objects.count() == 1
    assert "Changed text" in Article.objects.get().public_text


def test_invalid_file_reports_errors_by_line_and_writes_nothing(tmp_path):
    bad = GOOD.replace("Text [ref:1].", "Text [ref:2].").replace("year: 2020", "year: soon")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(write(tmp_path, bad)), stdout=StringIO(), stderr=err)
    output = err.getvalue()
    assert "article.md:14: reference 1 needs a four-digit 'year'" in output
    assert "article.md:19: citation [ref:2]" in output
    assert Article.objects.count() == 0


def test_unknown_author_is_reported_on_its_line(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_article",
            str(write(tmp_path, GOOD.replace("author: test-author", "author: ghost"))),
            stdout=StringIO(),
            stderr=err,
        )
    assert (
        "article.md:4: author 'ghost' is neither in authors.yaml nor on the site" in err.getvalue()
    )
    assert Article.objects.count() == 0


def test_check_mode_validates_without_writing(tmp_path):
    out = StringIO()
    call_command("import_article", "--check", str(write(tmp_path, GOOD)), stdout=out)
    assert "valid" in out.getvalue()
    assert Article.objects.count() == 0


def test_unknown_snp_is_an_import_error(tmp_path):
    text = GOOD.replace(
        "## Member part {access=members",
        "## Member part {kind=genotype_report snps=rs999999 access=members",
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(write(tmp_path, text)), stdout=StringIO(), stderr=err)
    assert "rs999999 is not in the SNP catalogue" in err.getvalue()


def test_existing_author_on_site_may_be_used_without_authors_yaml(tmp_path):
    AuthorFactory(slug="test-author", name="Already here")
    path = tmp_path / "solo.md"
    path.write_text(
        GOOD.replace("topics: [genes]\n", "").replace("status: published", "status: draft")
    )
    call_command("import_article", str(path), stdout=StringIO())
    assert Article.objects.get().author.name == "Already here"


def test_load_demo_articles_is_idempotent():
    ldn_catalogue()
    call_command("load_demo_articles", stdout=StringIO())
    counts = (
        Article.objects.count(),
        Section.objects.count(),
        Reference.objects.count(),
        Topic.objects.count(),
        Author.objects.count(),
    )
    call_command("load_demo_articles", stdout=StringIO())
    assert counts == (
        Article.objects.count(),
        Section.objects.count(),
        Reference.objects.count(),
        Topic.objects.count(),
        Author.objects.count(),
    )
    ldn = Article.objects.get(slug="ldn-naltrexone-genetics")
    assert ldn.related.count() == 3
    report = ldn.sections.get(kind="genotype_report")
    assert [link.snp.rsid for link in report.section_snps.select_related("snp")][:2] == [
        "rs1799971",
        "rs4680",
    ]
    assert ldn.render_problems == []
    assert ldn.overview_image


def test_demo_loads_before_the_snp_catalogue_and_attaches_snps_later():
    out = StringIO()
    call_command("load_demo_articles", stdout=out)
    assert "not in the SNP catalogue yet" in out.getvalue()
    ldn_catalogue()
    call_command("load_demo_articles", stdout=StringIO())
    report = Article.objects.get(slug="ldn-naltrexone-genetics").sections.get(
        kind="genotype_report"
    )
    assert report.section_snps.count() == 8


@pytest.mark.parametrize("photo", ["../secret_key", "/proc/self/environ", "notes.txt"])
def test_author_photo_outside_the_folder_or_not_an_image_is_refused(tmp_path, client, photo):
    secret = tmp_path / "secret_key"
    secret.write_text("django-insecure-do-not-publish")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "notes.txt").write_text("django-insecure-do-not-publish")
    path = write(bundle, GOOD)
    (bundle / "authors.yaml").write_text(AUTHORS + f"  photo: {photo}\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(path), stdout=StringIO(), stderr=err)
    assert f"photo '{photo}'" in err.getvalue()
    assert "must be an image file in the article's folder" in err.getvalue()
    assert not Article.objects.exists() and not Author.objects.exists()
    photo_url = reverse("articles:author_photo", kwargs={"slug": "test-author"})
    assert client.get(photo_url).status_code == 404


@pytest.mark.parametrize("target", ["../secret_key", "notes.txt"])
def test_overview_image_leading_out_of_the_folder_or_not_an_image_is_refused(tmp_path, target):
    (tmp_path / "secret_key").write_text("django-insecure-do-not-publish")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "notes.txt").write_text("django-insecure-do-not-publish")
    (bundle / "diagram.png").symlink_to(target)  # a name the front matter accepts
    text = GOOD.replace(
        "status: published",
        "status: published\noverview_image: diagram.png\noverview_image_alt: A diagram",
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(write(bundle, text)), stdout=StringIO(), stderr=err)
    assert (
        "image file 'diagram.png' must be an image file in the article's folder" in err.getvalue()
    )
    assert not Article.objects.exists()


def test_author_photo_inside_the_folder_is_published(tmp_path, client):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    (tmp_path / "face.png").write_bytes(png)
    path = write(tmp_path, GOOD)
    (tmp_path / "authors.yaml").write_text(AUTHORS + "  photo: face.png\n")
    call_command("import_article", str(path), stdout=StringIO())
    response = client.get(reverse("articles:author_photo", kwargs={"slug": "test-author"}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png


WITH_FINDINGS = GOOD.replace(
    "---\n## First part",
    """findings:
  - rsid: rs1799971
    genotype: GA
    text: In this article, one G copy is what the trial was about.
  - rsid: rs1799971
    genotype: GG
    text: Two G copies.
---
## First part""",
)


def _oprm1():
    from tests.genotypes.factories import SnpFactory

    return SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")


def test_import_stores_the_articles_own_findings_and_replaces_them_on_reimport(tmp_path):
    from articles.models import ArticleFinding

    _oprm1()
    call_command("import_article", str(write(tmp_path, WITH_FINDINGS)), stdout=StringIO())
    article = Article.objects.get(slug="unicode-genes")
    assert list(article.findings.values_list("snp__rsid", "genotype", "text")) == [
        ("rs1799971", "AG", "In this article, one G copy is what the trial was about."),
        ("rs1799971", "GG", "Two G copies."),
    ]
    shorter = WITH_FINDINGS.split("  - rsid: rs1799971\n    genotype: GG")[0] + (
        "---" + WITH_FINDINGS.split("Two G copies.\n---", 1)[1]
    )
    call_command("import_article", str(write(tmp_path, shorter)), stdout=StringIO())
    assert list(ArticleFinding.objects.values_list("genotype", flat=True)) == ["AG"]


@pytest.mark.parametrize(
    "change,message",
    [
        (("genotype: GG", "genotype: CC"), "article.md:21: CC is impossible for rs1799971"),
        (("genotype: GG", "genotype: G"), "article.md:21: finding genotype 'G' must be two"),
        (("genotype: GG", "genotype: AG"), "article.md:21: rs1799971 AG already has a finding"),
        (("    text: Two G copies.\n", ""), "article.md:21: the finding for rs1799971 GG needs"),
        (("rsid: rs1799971\n    genotype: GG", "rsid: rs4680\n    genotype: GG"), "rs4680 is not"),
    ],
)
def test_a_finding_that_does_not_resolve_blocks_the_import_with_its_line(tmp_path, change, message):
    _oprm1()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_article",
            str(write(tmp_path, WITH_FINDINGS.replace(*change))),
            stdout=StringIO(),
            stderr=err,
        )
    assert message in err.getvalue()
    assert Article.objects.count() == 0
