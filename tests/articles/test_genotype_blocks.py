"""Lifehacks by genotype: blocks and grids in an article's Markdown, chosen on the server for
each member, refused with the line and the reason when they do not resolve."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from articles.blocks import body_parts_parse, section_body_problems
from articles.models import Article, Section
from articles.receivers import articles_changed
from articles.services import importing
from articles.services import rendering as article_rendering
from tests.factories import MemberFactory, StaffFactory, sign_in_with_two_factor
from tests.genotypes.factories import SnpFactory, demo_catalogue, upload_for

from .test_import import write

pytestmark = pytest.mark.django_db

LDN = importing.DEMO_DIR / "ldn-naltrexone-genetics.md"
G_CARRIER = "Your OPRM1 G copy and surgery"
OPRM1_AA = "Your OPRM1 AA genotype"
PLACEBO = "Expectation and pain"
MISSING = "OPRM1 is missing from your file"
TITLES = [G_CARRIER, OPRM1_AA, PLACEBO, MISSING]
CELL_RE = re.compile(
    r'<li class="ggrid__cell( ggrid__cell--yours)?"[^>]*>\s*<p class="ggrid__pair">'
    r"OPRM1 rs1799971 <strong>(\w\w)</strong> · COMT rs4680 <strong>(\w\w)</strong>"
)


@pytest.fixture
def ldn(db):
    demo_catalogue()
    result = importing.article_import(path=LDN)
    assert result.article.render_problems == []
    return result.article


def _member_with(calls: dict[str, str] | None):
    member = MemberFactory()
    if calls is not None:
        from genotypes.services import parsing

        upload = upload_for(member, include=calls)
        parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    client = Client()
    client.force_login(member)
    return member, client


def _page(client, article) -> str:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _grid(page: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """All cells of the OPRM1 x COMT grid, and the one(s) highlighted."""
    cells = CELL_RE.findall(page)
    return [(a, b) for _, a, b in cells], [(a, b) for yours, a, b in cells if yours]


@pytest.mark.parametrize(
    ("calls", "shown", "why"),
    [
        (
            {"rs1799971": "AA", "rs4680": "AG"},
            [OPRM1_AA, PLACEBO],
            "Shown because your genotype at rs1799971 (OPRM1) is AA and you carry one A at "
            "rs4680 (COMT).",
        ),
        (
            {"rs1799971": "AG", "rs4680": "GG"},
            [G_CARRIER],
            "Shown because you carry one G at rs1799971 (OPRM1).",
        ),
        (
            {"rs1799971": "GG", "rs4680": "AA"},
            [G_CARRIER],
            "Shown because you carry two copies of G at rs1799971 (OPRM1).",
        ),
        (
            {"rs1799971": "--", "rs4680": "AA"},
            [MISSING],
            "Shown because your DNA file has no call at rs1799971 (OPRM1).",
        ),
        (
            {"rs4680": "AA"},
            [MISSING],
            "Shown because your DNA test did not include rs1799971 (OPRM1).",
        ),
    ],
    ids=["AA", "AG", "GG", "no-call", "not on chip"],
)
def test_member_is_sent_only_the_blocks_their_genotype_meets_and_told_why(ldn, calls, shown, why):
    _, client = _member_with(calls)
    page = _page(client, ldn)
    for title in TITLES:
        assert (title in page) == (title in shown), title
    assert why in page
    assert "For people who" not in page  # conditions in words are for members without DNA
    # General tips stay for everyone.
    assert "Start low and go slow" in page


@pytest.mark.parametrize(
    ("calls", "yours", "sentence"),
    [
        ({"rs1799971": "AA", "rs4680": "AG"}, [("AA", "AG")], "AA at OPRM1 rs1799971 and AG"),
        ({"rs1799971": "GG", "rs4680": "GG"}, [("GG", "GG")], "GG at OPRM1 rs1799971 and GG"),
        (
            {"rs1799971": "AG", "rs4680": "--"},
            [],
            "We cannot place you in this grid: your DNA file has no call at COMT rs4680.",
        ),
        (
            {"rs4680": "AA"},
            [],
            "We cannot place you in this grid: your DNA test did not include OPRM1 rs1799971.",
        ),
    ],
    ids=["AA x AG", "GG x GG", "no-call", "not on chip"],
)
def test_grid_highlights_the_members_cell_and_shows_the_others(ldn, calls, yours, sentence):
    _, client = _member_with(calls)
    page = _page(client, ldn)
    cells, highlighted = _grid(page)
    assert len(cells) == 9  # every combination of AA/AG/GG with GG/AG/AA
    assert highlighted == yours
    assert sentence in page
    assert page.count("No finding for this combination.") == 6


def test_member_without_dna_sees_every_block_with_its_condition_in_words(ldn):
    _, client = _member_with(None)
    page = _page(client, ldn)
    for title in TITLES:
        assert title in page
    assert "For people who carry G at rs1799971 (OPRM1)." in page
    assert "For people who have AA at rs1799971 (OPRM1) and carry A at rs4680 (COMT)." in page
    assert "Shown because" not in page
    cells, highlighted = _grid(page)
    assert len(cells) == 9 and highlighted == []
    assert "Once your DNA file is read, your own combination is highlighted." in page


def test_a_new_upload_changes_the_blocks_on_the_cached_page(ldn):
    member, client = _member_with({"rs1799971": "AG", "rs4680": "AG"})
    assert G_CARRIER in _page(client, ldn) and G_CARRIER in _page(client, ldn)  # cached
    from genotypes.services import parsing

    upload = upload_for(member, include={"rs1799971": "AA", "rs4680": "AG"})
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t2")
    page = _page(client, ldn)
    assert G_CARRIER not in page and OPRM1_AA in page
    assert _grid(page)[1] == [("AA", "AG")]


def test_a_backfilled_snp_changes_the_blocks_on_the_cached_page(ldn):
    from genotypes.services import backfill

    member, client = _member_with({"rs1799971": "AG", "rs3094315": "CT"})
    marker = SnpFactory(rsid="rs3094315", gene="MARKER", chromosome="1", ref="C", alt="T")
    section = Section.objects.get(article=ldn, kind="lifehacks")
    section.body += '\n\n::: if rs3094315 carries T "Marker tip"\nOnly for T carriers.\n:::\n'
    section.save()
    article_rendering.article_render(article=ldn)
    assert "Marker tip" not in _page(client, ldn)  # the result is not read yet: not on chip
    upload = member.genome_uploads.get(is_current=True)
    backfill.genotype_results_backfill_chunk(snp_id=marker.pk, upload_ids=[str(upload.pk)])
    page = _page(client, ldn)
    assert "Marker tip" in page and "you carry one T at rs3094315 (MARKER)" in page


def test_an_edited_block_shows_at_once(ldn):
    _, client = _member_with({"rs1799971": "AG", "rs4680": "AG"})
    assert G_CARRIER in _page(client, ldn)
    section = Section.objects.get(article=ldn, kind="lifehacks")
    section.body = section.body.replace("carries G", "is GG")
    section.save()
    article_rendering.article_render(article=ldn)
    articles_changed()
    assert G_CARRIER not in _page(client, ldn)


# --- Refusals with the line and the reason -----------------------------------------------------


class _Snp:
    def __init__(self, ref, alt):
        self.ref, self.alt = ref, alt


CATALOGUE = {"rs1799971": _Snp("A", "G"), "rs4680": _Snp("G", "A")}


def test_block_problems_carry_their_line_and_reason():
    body = "\n".join(
        [
            "Intro [ref:1] and [ref:7].",  # 1
            "",  # 2
            "::: if rs1799971 is AC",  # 3
            "Text.",  # 4
            ":::",  # 5
            "::: if rs1799971 is AG or GG",  # 6
            ":::",  # 7
            "::: if rs123 carries G",  # 8
            ":::",  # 9
            '::: grid rs1799971 rs4680 "Both"',  # 10
            "AA GG: fine",  # 11
            "AA TT: impossible",  # 12
            "AA GG: twice",  # 13
            "just words",  # 14
            ":::",  # 15
            "::: quote",  # 16
            ":::",  # 17
            "::: if rs4680 is AA",  # 18
        ]
    )
    problems = section_body_problems(
        body=body, kind="lifehacks", reference_numbers={1}, catalogue=CATALOGUE
    )
    assert problems == [
        (1, "citation [ref:7] has no reference 7 in the list"),
        (3, "rs1799971 has the alleles A and G, so genotype AC is impossible"),
        (
            6,
            "cannot read the condition 'rs1799971 is AG or GG': 'or GG' names a genotype without "
            "its rsid; to allow several genotypes write 'rs1799971 is one of AG GG'",
        ),
        (8, "rs123 is not in the SNP catalogue"),
        (12, "rs4680 has the alleles A and G, so genotype TT is impossible"),
        (13, "the pair AA GG already has a cell on line 11"),
        (14, "a grid line reads 'AA GG: text' (a genotype of each SNP, a colon, the text)"),
        (16, "unknown block '::: quote'; a block starts with '::: if' or '::: grid'"),
        (17, "':::' closes a block, but no block is open"),
        (18, "this block is never closed with a ':::' line"),
    ]


def test_blocks_belong_in_members_only_kinds_and_code_fences_are_left_alone():
    body = "```\n::: if rs1 is XX\n```\n\n::: if rs4680 is AA\nHi\n:::"
    assert section_body_problems(
        body=body, kind="standard", reference_numbers=set(), catalogue=CATALOGUE
    ) == [(5, "genotype blocks belong in a Lifehacks or Genotype report section only")]
    parts, problems = body_parts_parse(body)
    assert problems == [] and len(parts) == 2


def test_a_block_in_a_public_draft_section_is_never_rendered():
    from .factories import ArticleFactory, SectionFactory

    SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    SectionFactory(
        article=article,
        order=1,
        heading="Open",
        body="Public words.\n\n::: if rs1799971 carries G\nGated fernwhistle words.\n:::",
    )
    article = article_rendering.article_render(article=article)
    section = article.sections.get()
    assert section.blocks == [] and "fernwhistle" not in section.body_html + section.body_text
    assert "fernwhistle" not in article.public_text
    assert article.render_problems[0]["line"] == 3


BAD_BLOCK = (
    '## Tips {kind=lifehacks access=members}\nIntro.\n\n::: if rs1799971 is AT "Tip"\nText.\n:::\n'
)


def test_importing_a_published_file_with_a_bad_condition_fails_with_the_file_line(tmp_path):
    SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    from .test_import import GOOD

    path = write(tmp_path, GOOD + "\n" + BAD_BLOCK)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(path), stdout=StringIO(), stderr=err)
    line = path.read_text().splitlines().index('::: if rs1799971 is AT "Tip"') + 1
    assert (
        f"article.md:{line}: cannot publish: rs1799971 has the alleles A and G, so genotype AT"
        in (err.getvalue())
    )
    assert Article.objects.count() == 0


def test_a_draft_file_imports_and_lists_its_block_problems(tmp_path):
    SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    from .test_import import GOOD

    text = GOOD.replace("status: published", "status: draft") + "\n" + BAD_BLOCK
    call_command("import_article", str(write(tmp_path, text)), stdout=StringIO())
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert [p for p in article.render_problems if p["section"] == "Tips"] == [
        {
            "section": "Tips",
            "line": 3,
            "message": "rs1799971 has the alleles A and G, so genotype AT is impossible",
        }
    ]


def test_malformed_block_in_a_file_is_refused_on_its_line(tmp_path):
    from .test_import import GOOD

    text = GOOD + "\n## Tips {kind=lifehacks}\n::: if rs1799971 is AG or GG\nx\n:::\n"
    path = write(tmp_path, text)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_article", str(path), stdout=StringIO(), stderr=err)
    line = path.read_text().splitlines().index("::: if rs1799971 is AG or GG") + 1
    assert f"article.md:{line}: cannot read the condition" in err.getvalue()


@pytest.fixture
def editor(client):
    user = StaffFactory(is_superuser=True)
    sign_in_with_two_factor(client, user)
    return client


def _lifehacks_form(article, section, body: str, status: str) -> dict:
    """The whole article, complete but for the body under test (which gets a closing line
    citing the one reference, below everything it holds)."""
    from .factories import TopicFactory

    return {
        "title": article.title,
        "slug": article.slug,
        "description": article.description,
        "author": article.author_id,
        "key_takeaways": "One takeaway.",
        "topics": [TopicFactory().pk],
        "rsids_not_reported": "rs1799971 rs999",
        "status": status,
        "published_at_0": "2026-01-01",
        "published_at_1": "08:00:00",
        "overview_image_alt": "",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "1",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
        "sections-0-id": section.pk,
        "sections-0-article": article.pk,
        "sections-0-order": "1",
        "sections-0-heading": "Lifehacks",
        "sections-0-anchor": "lifehacks",
        "sections-0-access": "members",
        "sections-0-kind": "lifehacks",
        "sections-0-teaser": "",
        "sections-0-body": f"{body}\n\nSource [ref:1].",
        "sections-0-snp_rsids": "",
        "references-TOTAL_FORMS": "1",
        "references-0-number": "1",
        "references-0-authors": "Doe J",
        "references-0-title": "Paper",
        "references-0-year": "2020",
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "1000",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000",
    }


def _admin_article():
    from .factories import ArticleFactory, SectionFactory

    SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")
    article = ArticleFactory(title="Blocks", slug="blocks")
    section = SectionFactory(
        article=article, order=1, heading="Lifehacks", kind="lifehacks", access="members"
    )
    return article, section


def test_admin_refuses_to_publish_a_block_naming_an_unknown_rsid(editor):
    article, section = _admin_article()
    body = "Tips.\n\n::: if rs999 carries G\nSecret.\n:::"
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = editor.post(url, _lifehacks_form(article, section, body, "published"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This article cannot be published until these are fixed" in content
    assert "Lifehacks, line 3: rs999 is not in the SNP catalogue" in content
    section.refresh_from_db()
    assert "rs999" not in section.body

    response = editor.post(url, _lifehacks_form(article, section, body, "draft"), follow=True)
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.render_problems[0]["line"] == 3
    assert "Lifehacks, line 3: rs999 is not in the SNP catalogue" in response.content.decode()


def test_admin_publishes_a_valid_block_and_the_section_form_refuses_a_bad_one(editor):
    article, section = _admin_article()
    body = '::: if rs1799971 carries G "G tip"\nFor G carriers.\n:::'
    url = reverse("admin:articles_article_change", args=[article.pk])
    editor.post(url, _lifehacks_form(article, section, body, "published"), follow=True)
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED and article.render_problems == []
    section.refresh_from_db()
    assert section.blocks[0]["title"] == "G tip"

    response = editor.post(
        reverse("admin:articles_section_change", args=[section.pk]),
        {
            "article": article.pk,
            "order": "1",
            "heading": "Lifehacks",
            "anchor": "lifehacks",
            "access": "members",
            "kind": "lifehacks",
            "teaser": "",
            "body": "::: if rs1799971 carries C\nx\n:::",
            "section_snps-TOTAL_FORMS": "0",
            "section_snps-INITIAL_FORMS": "0",
            "section_snps-MIN_NUM_FORMS": "0",
            "section_snps-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "line 1: rs1799971 has the alleles A and G, so no one carries C" in (
        response.content.decode()
    )


def test_body_help_text_shows_the_syntax_and_the_preview_renders_blocks(editor):
    article, _ = _admin_article()
    change = editor.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert "::: if rs1799971 carries G" in change.content.decode().replace("&quot;", '"')
    payload = editor.post(
        reverse("admin:articles_markdown_preview"),
        {
            "body": '::: if rs1799971 carries G "G tip"\nFor **G** carriers.\n:::',
            "kind": "lifehacks",
        },
    ).json()
    assert "For people who carry G at rs1799971 (OPRM1)." in payload["html"]
    assert "<strong>G</strong>" in payload["html"] and payload["problems"] == []
