"""The member's results across the articles, through the test client: the highlights page,
the member's part of the home page, and My genetics (grouping, filters, "new since your last
visit")."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import GeneticsVisit
from genotypes.models import GeneticDataAuditLog
from tests.articles.insight_factories import (
    LATER_GENE,
    LATER_RSID,
    later_snp_added,
    processed_upload,
    report_article,
)
from tests.factories import MemberFactory, UserFactory
from tests.genotypes.factories import demo_catalogue

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle=", re.IGNORECASE)


def _page_basics(html: str) -> None:
    assert html.count("<h1") == 1
    assert "<title>" in html and 'name="description"' in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


@pytest.fixture
def library():
    """Two topics: Pain (OPRM1 notable, COMT typical), Medicines (ABCB1 notable); a draft."""
    catalogue = demo_catalogue()
    pain = report_article(
        "Opioids and pain",
        "opioids-and-pain",
        [catalogue["rs4680"], catalogue["rs1799971"]],
        topics=["Pain"],
        anchor="your-pain-genotypes",
    )
    medicines = report_article(
        "Drug transporters",
        "drug-transporters",
        [catalogue["rs2032582"]],
        topics=["Medicines"],
    )
    report_article(
        "Unpublished draft",
        "unpublished-draft",
        [catalogue["rs4680"]],
        status="draft",
        published_at=None,
    )
    return {"catalogue": catalogue, "pain": pain, "medicines": medicines}


def _member_with_dna(client):
    member = MemberFactory()
    processed_upload(member)
    client.force_login(member)
    return member


# --- Highlights ------------------------------------------------------------------------------


def test_highlights_lists_notable_results_by_topic_each_linking_to_its_report(client, library):
    member = _member_with_dna(client)
    response = client.get(reverse("articles:highlights"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("articles:highlights") == "/genetics/highlights/"
    _page_basics(html)
    # Notable only: OPRM1 and ABCB1; COMT GG (typical) is on My genetics, not here.
    assert "rs1799971" in html and "rs2032582" in html and "rs4680" not in html
    assert "2 of your genotypes are <strong>notable</strong>" in html
    assert 'href="/articles/opioids-and-pain/#your-pain-genotypes"' in html
    assert 'href="/articles/drug-transporters/#your-genotypes"' in html
    assert '<h2 id="topic-pain">Pain</h2>' in html and '<h2 id="topic-medicines">' in html
    assert "Unpublished draft" not in html
    assert "gt-label--notable" in html and "What the labels mean" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    assert GeneticDataAuditLog.objects.filter(
        actor=member,
        subject_user_id=member.pk,
        action="viewed_results",
        detail="your highlights",
    ).exists()


def test_highlights_read_no_genotypes_for_a_lapsed_member_and_say_how_to_join(client, library):
    lapsed = UserFactory()  # signed in, no membership, a processed file from before
    processed_upload(lapsed)
    client.force_login(lapsed)
    html = client.get(reverse("articles:highlights")).content.decode()
    assert "rs1799971" not in html and "Join to see them" in html
    assert not GeneticDataAuditLog.objects.filter(action="viewed_results").exists()


def test_highlights_count_one_notable_genotype_in_the_singular(client):
    catalogue = demo_catalogue()
    report_article("Opioids and pain", "opioids-and-pain", [catalogue["rs1799971"]])
    _member_with_dna(client)
    html = client.get(reverse("articles:highlights")).content.decode()
    assert "1 of your genotypes is <strong>notable</strong>" in html


def test_highlights_ask_a_member_without_dna_for_their_file_and_a_visitor_to_log_in(client):
    assert client.get(reverse("articles:highlights")).status_code == 302
    client.force_login(MemberFactory())
    html = client.get(reverse("articles:highlights")).content.decode()
    assert reverse("genotypes:upload") in html and "Upload the raw data file" in html


# --- Home page -------------------------------------------------------------------------------


def test_member_home_shows_highlights_and_articles_and_is_never_cached(client, library):
    member = _member_with_dna(client)
    response = client.get(reverse("articles:home"))
    html = response.content.decode()
    assert response.status_code == 200
    _page_basics(html)
    assert "Your DNA in our articles" in html and "Your highlights" in html
    assert 'href="/articles/opioids-and-pain/#your-pain-genotypes"' in html
    assert "Articles with your results" in html and "Drug transporters" in html
    assert "no-store" in response["Cache-Control"]
    assert GeneticDataAuditLog.objects.filter(actor=member, detail="the home page").exists()


def test_visitor_home_stays_shared_and_identical_after_a_member_visit(client, library):
    before = client.get(reverse("articles:home"))
    member_client = client.__class__()
    _member_with_dna(member_client)
    assert "Your highlights" in member_client.get(reverse("articles:home")).content.decode()
    after = client.get(reverse("articles:home"))
    assert after.content == before.content
    assert "Your DNA in our articles" not in after.content.decode()
    assert "no-store" not in after.get("Cache-Control", "")


def test_signed_in_member_without_dna_gets_the_plain_home(client, library):
    client.force_login(MemberFactory())
    html = client.get(reverse("articles:home")).content.decode()
    assert "Your DNA in our articles" not in html
    assert not GeneticDataAuditLog.objects.exists()


def test_home_asks_visitors_and_registered_readers_to_join_but_not_members(client, library):
    from billing.models import Plan

    Plan.objects.update_or_create(
        slug="monthly", defaults={"name": "Monthly", "interval": "month", "amount": 700}
    )
    visitor = client.get(reverse("articles:home")).content.decode()
    assert "Become a member from" in visitor and ">Join</a>" in visitor
    reader = client.__class__()
    reader.force_login(UserFactory())
    assert "Become a member from" in reader.get(reverse("articles:home")).content.decode()
    for member_client, has_dna in ((client.__class__(), True), (client.__class__(), False)):
        if has_dna:
            _member_with_dna(member_client)
        else:
            member_client.force_login(MemberFactory())
        html = member_client.get(reverse("articles:home")).content.decode()
        assert "Become a member" not in html and ">Join</a>" not in html
        assert "Read the articles" in html
    # The visitors' shared copy, cached before the members came, still asks them to join.
    assert client.get(reverse("articles:home")).content.decode() == visitor


# --- My genetics -----------------------------------------------------------------------------


def test_my_genetics_groups_by_topic_and_article_notable_first(client, library):
    member = _member_with_dna(client)
    response = client.get(reverse("genotypes:mine"))
    html = response.content.decode()
    assert response.status_code == 200 and reverse("genotypes:mine") == "/genetics/me/"
    _page_basics(html)
    # Topics with notable results first; within an article, notable before typical.
    assert html.index('id="topic-pain"') < html.index("Opioids and pain") < html.index("rs1799971")
    pain_part = html[html.index('id="topic-pain"') :]
    assert pain_part.index("rs1799971") < pain_part.index("rs4680")
    # Variants no published article discusses are still listed, after the articles.
    assert "Variants no published article discusses yet" in html and "rs4986791" in html
    assert "Not on your chip" in html
    assert (
        "Chip coverage" in html
        and GeneticDataAuditLog.objects.filter(actor=member, detail="My genetics").exists()
    )


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ({"label": "notable"}, ["rs1799971", "rs2032582"], ["rs4680", "rs4986791"]),
        ({"label": "not_on_chip"}, ["rs4986791"], ["rs1799971", "rs4680"]),
        ({"topic": "medicines"}, ["rs2032582"], ["rs1799971", "rs4986791"]),
        ({"q": "comt"}, ["rs4680"], ["rs1799971", "rs2032582"]),
        ({"q": "Drug transp"}, ["rs2032582"], ["rs1799971", "rs4680"]),
        ({"q": "A118G"}, ["rs1799971"], ["rs4680"]),  # a common name
        ({"label": "typical", "topic": "pain"}, ["rs4680"], ["rs1799971", "rs2032582"]),
    ],
)
def test_my_genetics_filters_without_script(client, library, query, present, absent):
    _member_with_dna(client)
    response = client.get(reverse("genotypes:mine"), query)
    html = response.content.decode()
    assert response.status_code == 200
    results = html[html.index('id="results-heading"') : html.index("Your uploads")]
    for rsid in present:
        assert f">{rsid}</a>" in results, rsid
    for rsid in absent:
        assert f">{rsid}</a>" not in results, rsid
    assert "Clear the filters" in html and "match your filters" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"label": "fabulous"}, "fabulous is not one of ours"),
        ({"topic": "astrology"}, "no article with your results has the topic astrology"),
        ({"q": "x" * 101}, "at most 100 characters"),
    ],
)
def test_my_genetics_explains_a_bad_filter(client, library, query, message):
    _member_with_dna(client)
    response = client.get(reverse("genotypes:mine"), query)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert ">rs1799971</a>" in html  # the unfiltered results stay below the message


def test_my_genetics_form_has_labelled_fields(client, library):
    _member_with_dna(client)
    html = client.get(reverse("genotypes:mine")).content.decode()
    for name in ("label", "topic", "q", "new"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html


def test_lapsed_member_sees_uploads_but_no_results_on_my_genetics(client, library):
    lapsed = UserFactory()
    processed_upload(lapsed)
    client.force_login(lapsed)
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "Your uploads" in html and "Delete my genetic data" in html
    assert "rs1799971" not in html and "Join to see them" in html


# --- New since your last visit ---------------------------------------------------------------


def _new_marks(html: str) -> list[str]:
    """The rsids of the result cards marked new on My genetics, in page order."""
    cards = [card.split("</li>")[0] for card in html.split('<li class="result-item')[1:]]
    return [
        re.search(r">(rs\d+)</a>", card).group(1) for card in cards if "result-item__new" in card
    ]


def _end_visit(member, hours=2):
    GeneticsVisit.objects.filter(user=member).update(
        last_seen_at=timezone.now() - dt.timedelta(hours=hours)
    )


def test_first_visit_marks_nothing_new(client, library):
    _member_with_dna(client)
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "result-item__new" not in html and "New since your last visit" not in html


def test_a_backfilled_snp_is_new_for_the_visit_that_first_shows_it(client, library):
    member = _member_with_dna(client)
    client.get(reverse("genotypes:mine"))  # the first visit
    _end_visit(member)
    later_snp_added()
    html = client.get(reverse("genotypes:mine")).content.decode()
    # The member's file lacks it: a new row, "not on your chip", is new but not a new result.
    assert _new_marks(html) == [LATER_RSID]
    assert "New since your last visit" not in html

    # Reloads and filters within the visit keep the mark; the next visit drops it.
    assert _new_marks(client.get(reverse("genotypes:mine")).content.decode()) == [LATER_RSID]
    _end_visit(member)
    assert _new_marks(client.get(reverse("genotypes:mine")).content.decode()) == []


def test_a_new_result_with_a_call_is_counted_and_filterable(client, library):
    member = MemberFactory()
    processed_upload(member, include={"rs1799971": "AG", LATER_RSID: "AG"})
    client.force_login(member)
    client.get(reverse("genotypes:mine"))
    _end_visit(member)
    later_snp_added()
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "New since your last visit:\n    1 result." in html
    assert _new_marks(html) == [LATER_RSID] and LATER_GENE in html
    only_new = client.get(reverse("genotypes:mine"), {"new": "on"}).content.decode()
    results = only_new[only_new.index('id="results-heading"') : only_new.index("Your uploads")]
    assert f">{LATER_RSID}</a>" in results and ">rs1799971</a>" not in results


def test_a_newly_published_article_is_new_with_its_results(client, library):
    member = _member_with_dna(client)
    client.get(reverse("genotypes:mine"))
    _end_visit(member)
    report_article(
        "Catechols and mood",
        "catechols-and-mood",
        [library["catalogue"]["rs4680"]],
        topics=["Mood"],
    )
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "New article" in html and "1 article." in html
    mood = html[html.index('id="topic-mood"') :]
    assert "Catechols and mood" in mood[: mood.index("</section>")]
    assert "result-item__new" in mood[: mood.index("</section>")]


def test_a_new_file_makes_nothing_new(client, library):
    member = _member_with_dna(client)
    client.get(reverse("genotypes:mine"))
    _end_visit(member)
    processed_upload(member, include={"rs1799971": "GG", "rs4680": "AA"})
    html = client.get(reverse("genotypes:mine")).content.decode()
    assert "result-item__new" not in html


def test_highlights_word_a_finding_as_the_article_does(client, library):
    from articles.models import ArticleFinding

    own = "In these words: the Asp40 copy matters little for pain relief."
    ArticleFinding.objects.create(
        article=library["pain"], snp=library["catalogue"]["rs1799971"], genotype="AG", text=own
    )
    report_article(
        "Opioid receptors",
        "opioid-receptors",
        [library["catalogue"]["rs1799971"]],
        topics=["Receptors"],
    )
    _member_with_dna(client)
    html = client.get(reverse("articles:highlights")).content.decode()
    pain = html[html.index('id="topic-pain"') :]
    assert own in pain[: pain.index("</section>")]
    receptors = html[html.index('id="topic-receptors"') :]
    receptors = receptors[: receptors.index("</section>")]
    assert own not in receptors and "One G (Asp40) copy." in receptors
