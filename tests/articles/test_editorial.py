"""Editing that protects readers: publish checks, check_content, revisions (diff and restore),
"What changed" and the "Updated" date, and the member preview with the sample genome."""

import re
from io import StringIO

import pytest
import reversion
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from articles.models import Article
from articles.selectors import AccessLevel, article_preview_url
from articles.services import changes, rendering
from genotypes.models import Snp, SnpInterpretation
from genotypes.samples import DEMO_CALLS
from tests.factories import MemberFactory

from .admin_forms import change_form_data, form_data
from .conftest import GATED_TEXT
from .factories import ArticleFactory, AuthorFactory, ReferenceFactory, SnpFactory

pytestmark = pytest.mark.django_db

CLEAN_BODY = "Hello [ref:1]."


def _catalogue():
    SnpFactory(rsid="rs4680", gene="COMT", ref="G", alt="A")
    SnpFactory(rsid="rs1799971", gene="OPRM1", ref="A", alt="G")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"sections-0-body": "Hello [ref:1] and [ref:99]."},
            "citation [ref:99] has no reference 99",
        ),
        (
            {
                "sections-1-kind": "lifehacks",
                "sections-1-snp_rsids": "",
                "sections-1-body": '::: if rs999 carries G "Title"\nText.\n:::',
            },
            "rs999 is not in the SNP catalogue",
        ),
        ({"key_takeaways": ""}, "it has no key takeaways"),
        ({"topics": []}, "it has no topic"),
        (
            {"references-TOTAL_FORMS": "0", "sections-0-body": "Hello."},
            "it has no references: a health article cites its sources",
        ),
        (
            {
                "references-TOTAL_FORMS": "2",
                "references-1-number": "2",
                "references-1-authors": "Roe R",
                "references-1-title": "Unused",
                "references-1-year": "2021",
            },
            "reference 2 is never cited in the text",
        ),
        ({"references-0-doi": "10.1000/"}, "reference 1 has the DOI &#x27;10.1000/&#x27;"),
        (
            {"sections-0-body": "Hello [ref:1]; rs1045642 is a drug-pump variant."},
            "rs1045642 is named in the text but is neither in a genotype report nor listed",
        ),
    ],
)
def test_publishing_is_refused_with_each_reason_while_the_draft_saves(editor, overrides, reason):
    _catalogue()
    author = AuthorFactory()
    data = form_data(author, **{"sections-0-body": CLEAN_BODY, **overrides})
    response = editor.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200  # the form again: nothing published
    content = response.content.decode()
    assert "This article cannot be published until these are fixed" in content
    assert reason in content
    assert not Article.objects.exists()

    draft = form_data(author, **{"sections-0-body": CLEAN_BODY, **overrides, "status": "draft"})
    response = editor.post(reverse("admin:articles_article_add"), draft, follow=True)
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    change = editor.get(reverse("admin:articles_article_change", args=[article.pk]))
    page = change.content.decode()
    assert reason in page and "None: it can be published" not in page


def test_a_complete_article_publishes_and_says_it_has_no_problems(editor):
    _catalogue()
    data = form_data(AuthorFactory(), **{"sections-0-body": CLEAN_BODY})
    assert editor.post(reverse("admin:articles_article_add"), data).status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.PUBLISHED and article.render_problems == []
    page = editor.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert "None: it can be published" in page.content.decode()


def test_an_rsid_listed_as_not_reported_may_be_named(editor):
    _catalogue()
    data = form_data(
        AuthorFactory(),
        **{
            "sections-0-body": "Hello [ref:1]; rs1045642 is not on consumer chips.",
            "rsids_not_reported": "rs1045642",
        },
    )
    assert editor.post(reverse("admin:articles_article_add"), data).status_code == 302


def test_an_article_cannot_be_related_to_itself(editor, gated_article):
    data = change_form_data(editor, gated_article)
    data["related"] = [gated_article.pk]
    response = editor.post(reverse("admin:articles_article_change", args=[gated_article.pk]), data)
    assert response.status_code == 200
    assert "An article cannot be related to itself." in response.content.decode()
    assert not gated_article.related.exists()


def test_slug_help_renders_the_address(editor):
    page = editor.get(reverse("admin:articles_article_add")).content.decode()
    assert "/articles/your-slug/" in page and "/articles//" not in page


# check_content


def test_check_content_passes_on_the_demo_content(capsys):
    """What CI runs: the demo catalogue and articles, then the check."""
    call_command("load_demo_snps", stdout=StringIO())
    call_command("load_demo_articles", stdout=StringIO())
    call_command("check_content")
    assert "Content checked: no problems." in capsys.readouterr().out


def test_check_content_lists_every_problem_and_exits_1(capsys, gated_article):
    gated_article.related.add(gated_article)
    ReferenceFactory(article=gated_article, number=2, doi="10.1000/")
    section = gated_article.sections.get(order=1)
    section.body = "Public words [ref:1] about rs9999991."
    section.save()
    Snp.objects.filter(rsid="rs4680").update(
        chromosome="22", ref="G", alt="A", position_grch37=None, position_grch38=None
    )
    Snp.objects.filter(rsid="rs1799971").update(verified=False)  # a known gap: a notice
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_content")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    where = "article gated-example"
    assert f"{where}: it is listed among its own related articles" in out
    assert f"{where}: reference 2 is never cited in the text" in out
    assert f"{where}: reference 2 has the DOI '10.1000/'" in out
    assert f"{where}: rs9999991 is named in the text" in out
    assert "- SNP rs4680 lacks: position (GRCh37 or GRCh38)\n" in out
    assert "Notice: SNP rs1799971 lacks:" in out and "- SNP rs1799971" not in out


# Revisions


def _main(html: str) -> str:
    return re.search(r"<main.*?</main>", html, re.S).group(0)


def _save_in_admin(client, article, **changes):
    data = change_form_data(client, article)
    data.update(changes)
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_restoring_a_revision_gives_identical_html(editor, gated_article):
    client = Client()  # a reader beside the editor
    member = MemberFactory()
    _save_in_admin(editor, gated_article)  # the first revision: the article as it is
    visitor_before = _main(client.get(gated_article.get_absolute_url()).content.decode())
    client.force_login(member)
    member_before = _main(client.get(gated_article.get_absolute_url()).content.decode())

    _save_in_admin(
        editor,
        gated_article,
        **{
            "sections-0-body": "Entirely new public words [ref:1].",
            "sections-2-body": "A changed lifehack.",
            "title": "Gated example, rewritten",
        },
    )
    changed = _main(client.get(gated_article.get_absolute_url()).content.decode())
    assert "Entirely new public words" in changed and "A changed lifehack." in changed

    versions = Version.objects.get_for_object(gated_article).order_by("pk")
    assert versions.count() == 2
    first, second = versions
    assert second.revision.user is not None
    history = editor.get(
        reverse("admin:articles_article_history", args=[gated_article.pk])
    ).content.decode()
    assert second.revision.user.email in history and "Changes" in history
    diff_url = reverse(
        "admin:articles_article_revision_changes", args=[gated_article.pk, second.pk]
    )
    diff = editor.get(diff_url).content.decode()
    assert "Entirely new public words [ref:1]." in diff and "Public words about the drug" in diff
    assert 'class="revision-diff__add"' in diff and 'class="revision-diff__remove"' in diff

    restore_url = reverse(
        "admin:articles_article_revision_changes", args=[gated_article.pk, first.pk]
    )
    assert editor.post(restore_url).status_code == 302
    assert _main(client.get(gated_article.get_absolute_url()).content.decode()) == member_before
    client.logout()
    assert _main(client.get(gated_article.get_absolute_url()).content.decode()) == visitor_before
    assert Version.objects.get_for_object(gated_article).count() == 3  # the restore is kept


def test_restoring_removes_a_section_added_since(editor, gated_article):
    client = Client()
    _save_in_admin(editor, gated_article)
    data = change_form_data(editor, gated_article)
    data.update(
        {
            "sections-TOTAL_FORMS": "4",
            "sections-3-order": "4",
            "sections-3-heading": "Added later",
            "sections-3-access": "public",
            "sections-3-kind": "standard",
            "sections-3-body": "Words added later [ref:1].",
        }
    )
    url = reverse("admin:articles_article_change", args=[gated_article.pk])
    assert editor.post(url, data).status_code == 302
    assert "Words added later" in client.get(gated_article.get_absolute_url()).content.decode()
    first = Version.objects.get_for_object(gated_article).order_by("pk").first()
    editor.post(
        reverse("admin:articles_article_revision_changes", args=[gated_article.pk, first.pk])
    )
    assert gated_article.sections.count() == 3
    assert "Words added later" not in client.get(gated_article.get_absolute_url()).content.decode()


def test_snp_interpretation_changes_are_kept_shown_and_restorable(editor):
    snp = SnpFactory(rsid="rs4680", gene="COMT", ref="G", alt="A")
    with reversion.create_revision():
        interpretation = SnpInterpretation.objects.create(
            snp=snp,
            genotype="AA",
            label="typical",
            text="The first wording.",
            evidence="limited",
            sources="doi:10.1000/182",
        )
        reversion.add_to_revision(snp)
    with reversion.create_revision():
        interpretation.text = "A second wording."
        interpretation.save()
        reversion.add_to_revision(snp)
    first, second = Version.objects.get_for_object(snp).order_by("pk")
    diff = editor.get(reverse("admin:genotypes_snp_revision_changes", args=[snp.pk, second.pk]))
    page = diff.content.decode()
    assert "The first wording." in page and "A second wording." in page
    editor.post(reverse("admin:genotypes_snp_revision_changes", args=[snp.pk, first.pk]))
    interpretation.refresh_from_db()
    assert interpretation.text == "The first wording."


# What changed, and the "Updated" date


def test_a_substantive_change_is_listed_and_dates_the_article(editor, gated_article):
    client = Client()  # a visitor, then a member
    assert "What changed" not in client.get(gated_article.get_absolute_url()).content.decode()
    _save_in_admin(editor, gated_article)  # an ordinary save: no entry, no "Updated" date
    page = client.get(gated_article.get_absolute_url()).content.decode()  # cached from here
    assert "What changed" not in page and "· Updated" not in page

    _save_in_admin(
        editor,
        gated_article,
        substantive_change="on",
        change_note="Added the 2024 trial in Crohn's disease.",
        change_public="on",
    )
    _save_in_admin(
        editor,
        gated_article,
        substantive_change="on",
        change_note="Rewrote the lifehacks for members.",  # members only unless ticked
    )
    gated_article.refresh_from_db()
    latest = gated_article.changes.first()
    assert gated_article.revised_at == latest.date
    visitor = client.get(gated_article.get_absolute_url()).content.decode()
    assert "What changed" in visitor and "Added the 2024 trial in Crohn&#x27;s disease." in visitor
    assert "Rewrote the lifehacks" not in visitor
    assert f'· Updated <time datetime="{latest.date.isoformat()}">' in visitor
    assert f'"dateModified": "{latest.date.isoformat()}"' in visitor  # JSON-LD agrees
    client.force_login(MemberFactory())
    member = client.get(gated_article.get_absolute_url()).content.decode()
    assert "Rewrote the lifehacks for members." in member and "Added the 2024 trial" in member


def test_a_substantive_change_needs_a_note(editor, gated_article):
    data = change_form_data(editor, gated_article)
    data["substantive_change"] = "on"
    response = editor.post(reverse("admin:articles_article_change", args=[gated_article.pk]), data)
    assert response.status_code == 200
    assert "Say in one sentence what changed for readers." in response.content.decode()
    assert not gated_article.changes.exists()


# Preview as a member with the sample genome


def test_member_preview_fills_the_report_from_the_sample_genome(editor, gated_article):
    url = article_preview_url(article=gated_article, access=AccessLevel.MEMBERS)
    page = editor.get(url).content.decode()
    assert GATED_TEXT in page
    assert "Sample genome:" in page and "made-up sample genome" in page
    rsid = next(s.rsid for s in gated_article.sections.get(order=2).snps.all())
    card = re.search(rf'data-rsid="{rsid}".*?</li>', page, re.S).group(0)
    assert DEMO_CALLS[rsid] in card


def test_visitor_preview_has_no_sample_label(editor, gated_article):
    url = article_preview_url(article=gated_article, access=AccessLevel.PUBLIC)
    page = editor.get(url).content.decode()
    assert "Sample genome:" not in page and GATED_TEXT not in page


def test_article_factory_is_untouched_by_rendering():
    article = ArticleFactory()
    rendering.article_render(article=article)
    assert article.revised_at is None


def test_removing_a_change_entry_moves_the_updated_date_back(editor, gated_article):
    first = changes.article_change_record(
        article=gated_article, note="First substantive change.", members_only=False, editor=None
    )
    second = changes.article_change_record(
        article=gated_article, note="Recorded by mistake.", members_only=False, editor=None
    )
    gated_article.refresh_from_db()
    assert gated_article.revised_at == second.date
    reader = Client()
    assert "Recorded by mistake." in reader.get(gated_article.get_absolute_url()).content.decode()
    url = reverse("admin:articles_articlechange_delete", args=[second.pk])
    assert editor.post(url, {"post": "yes"}).status_code == 302
    gated_article.refresh_from_db()
    assert gated_article.revised_at == first.date
    page = reader.get(gated_article.get_absolute_url()).content.decode()
    assert "Recorded by mistake." not in page and "First substantive change." in page


def test_an_imported_article_is_kept_as_a_revision_named_after_its_file(editor):
    call_command("load_demo_snps", stdout=StringIO())
    call_command("load_demo_articles", stdout=StringIO())
    article = Article.objects.get(slug="ldn-naltrexone-genetics")
    version = Version.objects.get_for_object(article).get()
    assert version.revision.get_comment() == "Imported from ldn-naltrexone-genetics.md"
    held = {v.content_type.model for v in version.revision.version_set.all()}
    assert {"article", "section", "reference", "sectionsnp"} <= held
