"""Gating leak matrix: no sentence of a members-only section reaches a reader who is not a
member, on any channel, even when a member has just warmed every cache; members see them.

Readers who must not see: a visitor, a registered non-member, and lapsed members (canceled;
still "active" in our table but past the paid period; past due beyond the grace period;
complimentary access that has ended). Channels: the article page, the same page served from
the cache, conditional GETs (If-None-Match / If-Modified-Since), the meta description, Open
Graph tags and JSON-LD in it, the RSS feed, the sitemap, search results and snippets, home,
list, topic and author pages, and signed preview links at both levels.

A member with an uploaded genome also reads their findings: the article's own finding text
(ArticleFinding), the catalogue's, and "Sources for your results" (sources the reference list
lacks, which depend on the member's genotypes). None of it reaches a non-member either, even
one who has genotype data of their own (a lapsed member keeps their upload).
"""

import datetime as dt
import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from articles.models import Article, ArticleFinding
from articles.selectors import AccessLevel, article_preview_url
from articles.services import rendering as article_rendering
from billing.models import Membership
from genotypes.models import GenomeUpload, GenotypeResult, Snp, SnpInterpretation
from tests.articles.factories import ArticleFactory, SectionFactory, TopicFactory, ldn_catalogue
from tests.factories import MemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every gated sentence carries a word that appears nowhere else in the article.
GENOTYPE_SENTENCES = [
    "Carriers of the quixotrine allele answered the low dose twice as often in the trial.",
    "Two copies of the zephyrlane variant slowed clearance by a third in the small cohort.",
]
LIFEHACK_SENTENCES = [
    "Take the dose at bedtime with a glass of marmalox water to soften the vivid dreams.",
    "Keep a six week diary of pain scores before asking about a higher vellichor dose.",
]
# Genotype-conditioned blocks and a combination grid inside the lifehacks section.
BLOCK_SENTENCES = [
    "Carriers of G should tell the anaesthetist about the snorkelwise dose plan.",
    "People with both common forms kept a quillfeather diary in the study.",
]
BLOCKS_MARKDOWN = (
    f'::: if rs1799971 carries G "Tip for G carriers"\n{BLOCK_SENTENCES[0]}\n:::\n\n'
    f'::: grid rs1799971 rs4680 "OPRM1 and COMT"\nAG GG: {BLOCK_SENTENCES[1]}\n:::'
)
STANDARD_SENTENCES = [
    "The unpublished brambleworth analysis found the effect only in women over fifty.",
]
GATED_SENTENCES = GENOTYPE_SENTENCES + LIFEHACK_SENTENCES + BLOCK_SENTENCES + STANDARD_SENTENCES
GATED_ONLY_WORDS = [
    "quixotrine",
    "zephyrlane",
    "marmalox",
    "vellichor",
    "snorkelwise",
    "quillfeather",
    "brambleworth",
]
PUBLIC_SENTENCE = "Low dose naltrexone is a small dose of an old opioid blocker."
# What only a member with genotype data reads: findings and the sources they cite.
ARTICLE_FINDING_SENTENCE = "In this article the snorkelbright genotype matters for the dose."
CATALOGUE_FINDING_SENTENCE = "Your plinthover genotype is the common one in most trials."
RESULT_SOURCE = "doi:10.5555/grindlewick.2020"
RESULT_SENTENCES = [ARTICLE_FINDING_SENTENCE, CATALOGUE_FINDING_SENTENCE]
RESULT_ONLY_WORDS = ["snorkelbright", "plinthover", "grindlewick", "sources for your results"]


@pytest.fixture
def article(db):
    snps = ldn_catalogue()
    topic = TopicFactory(name="Pain", slug="pain")
    article = ArticleFactory(
        title="Low dose naltrexone and genes",
        slug="ldn-and-genes",
        description="What low dose naltrexone is, and which genes change how it works.",
    )
    article.topics.add(topic)
    SectionFactory(article=article, order=1, heading="What it is", body=PUBLIC_SENTENCE)
    report = SectionFactory(
        article=article,
        order=2,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body=" ".join(GENOTYPE_SENTENCES),
        teaser="Members see their genotypes here.",
    )
    article_rendering.section_snps_set(section=report, rsids=[snp.rsid for snp in snps[:3]])
    for snp in snps[:2]:
        SnpInterpretation.objects.create(
            snp=snp,
            genotype="AG",
            label="notable",
            text=CATALOGUE_FINDING_SENTENCE,
            evidence="limited",
            sources=RESULT_SOURCE,
        )
    ArticleFinding.objects.create(
        article=article, snp=snps[0], genotype="AG", text=ARTICLE_FINDING_SENTENCE
    )
    SectionFactory(
        article=article,
        order=3,
        heading="Lifehacks",
        kind="lifehacks",
        access="members",
        body="\n\n".join(f"- {sentence}" for sentence in LIFEHACK_SENTENCES)
        + "\n\n"
        + BLOCKS_MARKDOWN,
    )
    SectionFactory(
        article=article,
        order=4,
        heading="What the new study adds",
        access="members",
        body="## Details\n\n" + " ".join(STANDARD_SENTENCES),
    )
    return article_rendering.article_render(article=article)


def _give_genotypes(user) -> None:
    """A current upload with AG at every SNP of the report (a lapsed member keeps theirs)."""
    upload = GenomeUpload.objects.create(
        user=user, status="done", is_current=True, consented_at=timezone.now(), format="23andMe"
    )
    for snp in Snp.objects.all():
        GenotypeResult.objects.create(user=user, upload=upload, snp=snp, genotype="AG")


def _membership(user, **fields) -> None:
    Membership.objects.update_or_create(user=user, defaults=fields)


def _visitor():
    return None


def _registered():
    return UserFactory()


def _canceled():
    user = MemberFactory()
    _membership(
        user,
        status=Membership.Status.CANCELED,
        current_period_end=timezone.now() - dt.timedelta(days=1),
    )
    return user


def _past_period_end():
    """Cancelled at period end and the end has passed, but the final webhook never came."""
    user = MemberFactory()
    _membership(
        user,
        status=Membership.Status.ACTIVE,
        cancel_at_period_end=True,
        current_period_end=timezone.now() - dt.timedelta(days=2),
    )
    return user


def _past_due_beyond_grace():
    user = MemberFactory()
    _membership(
        user,
        status=Membership.Status.PAST_DUE,
        past_due_since=timezone.now() - dt.timedelta(days=30),
    )
    return user


def _complimentary_ended():
    user = MemberFactory()
    _membership(
        user,
        status=Membership.Status.COMPLIMENTARY,
        complimentary_until=timezone.now() - dt.timedelta(hours=1),
    )
    return user


NON_MEMBERS = {
    "visitor": _visitor,
    "registered non-member": _registered,
    "lapsed: canceled": _canceled,
    "lapsed: past period end": _past_period_end,
    "lapsed: past due beyond grace": _past_due_beyond_grace,
    "lapsed: complimentary ended": _complimentary_ended,
}


def _active():
    return MemberFactory()


def _trialing():
    user = MemberFactory()
    _membership(
        user,
        status=Membership.Status.TRIALING,
        current_period_end=timezone.now() + dt.timedelta(days=7),
    )
    return user


def _complimentary():
    user = MemberFactory()
    _membership(user, status=Membership.Status.COMPLIMENTARY, complimentary_until=None)
    return user


MEMBERS = {
    "active": _active,
    "trialing": _trialing,
    "complimentary": _complimentary,
    "staff": StaffFactory,
}


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _warm_caches_as_a_member(article) -> dict:
    """A member reads first, so a leak through any shared cache would show up afterwards."""
    reader = MemberFactory()
    _give_genotypes(reader)
    member = _client_for(reader)
    first = member.get(article.get_absolute_url())
    member.get(article.get_absolute_url())
    page = first.content.decode()
    assert all(sentence in page for sentence in GATED_SENTENCES + RESULT_SENTENCES)
    assert "Sources for your results" in page and RESULT_SOURCE in page
    member.get(article_preview_url(article=article, access=AccessLevel.MEMBERS))
    for path in (reverse("articles:feed"), reverse("articles:sitemap"), reverse("articles:home")):
        member.get(path)
    # A member's page carries no date validator; a client may still send any date it likes.
    assert "Last-Modified" not in first
    return {"etag": first["ETag"], "last_modified": http_date()}


def _head_tags(page: str) -> str:
    head = page.split("</head>", 1)[0]
    return "\n".join(re.findall(r"<meta[^>]+>", head))


def _json_ld(page: str) -> str:
    return re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)


def _channels(client: Client, article, member_validators: dict) -> dict[str, str]:
    url = article.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    page = first.content.decode()
    channels = {
        "page": page,
        "page again (cached)": client.get(url).content.decode(),
        "meta description and Open Graph": _head_tags(page),
        "JSON-LD": _json_ld(page),
        "feed": client.get(reverse("articles:feed")).content.decode(),
        "sitemap": client.get(reverse("articles:sitemap")).content.decode(),
        "home": client.get(reverse("articles:home")).content.decode(),
        "list": client.get(reverse("articles:list")).content.decode(),
        "topic": client.get(reverse("articles:topic", kwargs={"slug": "pain"})).content.decode(),
        "author": client.get(article.author.get_absolute_url()).content.decode(),
        "visitor preview": client.get(
            article_preview_url(article=article, access=AccessLevel.PUBLIC)
        ).content.decode(),
        "members preview": client.get(
            article_preview_url(article=article, access=AccessLevel.MEMBERS)
        ).content.decode(),
    }
    for query in ["naltrexone", "naltrexone dose", "vivid dreams diary", *GATED_ONLY_WORDS]:
        channels[f"search {query!r}"] = client.get(
            reverse("articles:search"), {"q": query}
        ).content.decode()
    conditional = {
        "304 with the member's ETag": {"HTTP_IF_NONE_MATCH": member_validators["etag"]},
        "304 with the member's Last-Modified": {
            "HTTP_IF_MODIFIED_SINCE": member_validators["last_modified"]
        },
        "304 with both of the member's validators": {
            "HTTP_IF_NONE_MATCH": member_validators["etag"],
            "HTTP_IF_MODIFIED_SINCE": member_validators["last_modified"],
        },
        "304 with the reader's own ETag": {"HTTP_IF_NONE_MATCH": first["ETag"]},
    }
    for name, headers in conditional.items():
        response = client.get(url, **headers)
        assert response.status_code in (200, 304), name
        channels[name] = response.content.decode()
    return channels


def _visible_text(raw: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _assert_no_gated_sentence(channels: dict[str, str], reader: str) -> None:
    for name, raw in channels.items():
        text = _visible_text(raw)
        for sentence in GATED_SENTENCES + RESULT_SENTENCES:
            assert sentence not in raw and sentence not in text, (
                f"{reader}: {name} leaks {sentence!r}"
            )


@pytest.mark.parametrize("make_reader", NON_MEMBERS.values(), ids=NON_MEMBERS.keys())
def test_non_member_never_receives_gated_text_on_any_channel(article, make_reader):
    validators = _warm_caches_as_a_member(article)
    reader = make_reader()
    if reader is not None:
        _give_genotypes(reader)
    channels = _channels(_client_for(reader), article, validators)
    _assert_no_gated_sentence(channels, reader="visitor" if reader is None else reader.email)
    # Words found only in gated text appear nowhere the reader can read (search pages echo
    # the query itself, so there the test is that the article is not a hit).
    for name, raw in channels.items():
        for word in GATED_ONLY_WORDS + RESULT_ONLY_WORDS:
            if name.startswith("search"):
                assert f"search {word!r}" != name or article.get_absolute_url() not in raw, name
            else:
                assert word not in raw.lower(), f"{name} contains {word!r}"
    # The public parts are there, so the assertions above looked at real pages.
    assert PUBLIC_SENTENCE in channels["page"] and "Your genotype report" in channels["page"]
    assert article.get_absolute_url() in channels["search 'naltrexone'"]
    assert (
        article.get_absolute_url() in channels["feed"]
        and article.get_absolute_url() in channels["sitemap"]
    )


@pytest.mark.parametrize("make_reader", NON_MEMBERS.values(), ids=NON_MEMBERS.keys())
def test_genotype_blocks_a_member_was_shown_never_reach_a_non_member(article, make_reader):
    """A member whose genotype meets a block warms every cache first; the block, its reason
    and the grid's highlighted cell stay theirs."""
    from genotypes.services import parsing
    from tests.genotypes.factories import upload_for

    member = MemberFactory()
    upload = upload_for(member, include={"rs1799971": "AG", "rs4680": "GG"})
    parsing.genome_upload_process(upload_id=upload.pk, task_id="matrix")
    member_client = _client_for(member)
    first = member_client.get(article.get_absolute_url())
    member_page = first.content.decode()
    assert BLOCK_SENTENCES[0] in member_page and "Shown because you carry one G" in member_page
    assert "ggrid__cell--yours" in member_page
    member_client.get(article.get_absolute_url())
    validators = {"etag": first["ETag"], "last_modified": http_date()}

    channels = _channels(_client_for(make_reader()), article, validators)
    _assert_no_gated_sentence(channels, reader="non-member")
    for name, raw in channels.items():
        for leak in ("Shown because", "ggrid", "gblock", "For people who carry"):
            assert leak not in raw, f"{name} contains {leak!r}"


@pytest.mark.parametrize("make_reader", NON_MEMBERS.values(), ids=NON_MEMBERS.keys())
def test_json_ld_and_open_graph_declare_the_gated_parts_without_their_text(article, make_reader):
    page = _client_for(make_reader()).get(article.get_absolute_url()).content.decode()
    data = json.loads(_json_ld(page))
    assert data["isAccessibleForFree"] is False
    assert {part["cssSelector"] for part in data["hasPart"]} == {
        "#section-your-genotype-report",
        "#section-lifehacks",
        "#section-what-the-new-study-adds",
    }
    assert "articleBody" not in data
    head = _head_tags(page)
    assert 'property="og:description" content="What low dose naltrexone is' in head
    assert 'name="description" content="What low dose naltrexone is' in head


@pytest.mark.parametrize("make_reader", MEMBERS.values(), ids=MEMBERS.keys())
def test_member_reads_every_gated_sentence_on_the_page_and_in_the_members_preview(
    article, make_reader
):
    client = _client_for(make_reader())
    for url in (
        article.get_absolute_url(),
        article.get_absolute_url(),
        article_preview_url(article=article, access=AccessLevel.MEMBERS),
    ):
        text = _visible_text(client.get(url).content.decode())
        for sentence in GATED_SENTENCES:
            assert sentence in text, (url, sentence)


@pytest.mark.parametrize("make_reader", MEMBERS.values(), ids=MEMBERS.keys())
def test_member_with_genotypes_reads_their_findings_and_sources_for_their_results(
    article, make_reader
):
    reader = make_reader()
    _give_genotypes(reader)
    client = _client_for(reader)
    for url in (
        article.get_absolute_url(),
        article.get_absolute_url(),
        article_preview_url(article=article, access=AccessLevel.MEMBERS),
    ):
        page = client.get(url).content.decode()
        text = _visible_text(page)
        for sentence in RESULT_SENTENCES:
            assert sentence in text, (url, sentence)
        assert "Sources for your results" in text and RESULT_SOURCE in text, url


def test_member_who_lapses_is_not_served_their_old_page_on_revalidation(article):
    member = MemberFactory()
    _give_genotypes(member)
    client = _client_for(member)
    first = client.get(article.get_absolute_url())
    assert GATED_SENTENCES[0] in first.content.decode()
    assert "Sources for your results" in first.content.decode()
    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)
    assert "Last-Modified" not in first
    again = client.get(
        article.get_absolute_url(),
        HTTP_IF_NONE_MATCH=first["ETag"],
        HTTP_IF_MODIFIED_SINCE=http_date(),
    )
    assert again.status_code == 200, "a 304 would let the browser show its cached member copy"
    _assert_no_gated_sentence({"revalidated page": again.content.decode()}, reader=member.email)
    assert "Sources for your results" not in again.content.decode()


def test_visitor_revalidating_a_members_cached_copy_gets_a_full_public_page(article):
    validators = _warm_caches_as_a_member(article)
    response = Client().get(
        article.get_absolute_url(),
        HTTP_IF_NONE_MATCH=validators["etag"],
        HTTP_IF_MODIFIED_SINCE=validators["last_modified"],
    )
    assert response.status_code == 200
    assert PUBLIC_SENTENCE in response.content.decode()
    _assert_no_gated_sentence({"page": response.content.decode()}, reader="visitor")


def test_responses_that_vary_by_reader_say_so_to_shared_caches(article):
    anonymous = Client().get(article.get_absolute_url())
    assert "Cookie" in anonymous["Vary"]
    member = _client_for(MemberFactory()).get(article.get_absolute_url())
    assert "Cookie" in member["Vary"] and "private" in member["Cache-Control"]
    preview = _client_for(MemberFactory()).get(
        article_preview_url(article=article, access=AccessLevel.MEMBERS)
    )
    assert preview["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "make_reader",
    [*NON_MEMBERS.values(), *MEMBERS.values()],
    ids=[*(f"non-member {k}" for k in NON_MEMBERS), *(f"member {k}" for k in MEMBERS)],
)
def test_visitor_level_preview_link_never_shows_members_text_whoever_opens_it(article, make_reader):
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT, published_at=None)
    response = _client_for(make_reader()).get(
        article_preview_url(article=article, access=AccessLevel.PUBLIC)
    )
    assert response.status_code == 200
    assert PUBLIC_SENTENCE in response.content.decode()
    _assert_no_gated_sentence({"visitor preview": response.content.decode()}, reader="reader")
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("make_reader", NON_MEMBERS.values(), ids=NON_MEMBERS.keys())
def test_members_level_preview_link_given_to_a_non_member_shows_the_visitor_version(
    article, make_reader
):
    """Decision: the link is not a key. A members-level preview opened by someone who is not
    a member (or staff) is the visitor preview, with a note saying why; nothing gated."""
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT, published_at=None)
    response = _client_for(make_reader()).get(
        article_preview_url(article=article, access=AccessLevel.MEMBERS)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert PUBLIC_SENTENCE in page and "Members see their genotypes here." in page
    assert "log in as a member or staff to see members" in page
    _assert_no_gated_sentence({"members preview": page}, reader="non-member")
    assert response["Cache-Control"] == "private, no-store"


def test_a_tampered_preview_link_cannot_raise_its_own_access_level(article):
    from django.core import signing

    from articles.selectors import PREVIEW_SALT

    def token_of(access):
        return article_preview_url(article=article, access=access).rstrip("/").rsplit("/", 1)[1]

    visitor_token, members_token = token_of(AccessLevel.PUBLIC), token_of(AccessLevel.MEMBERS)
    members_payload = members_token.split(":", 1)[0]
    visitor_stamp_and_signature = visitor_token.split(":", 1)[1]
    forged = signing.dumps(
        {"a": article.pk, "l": "members"}, salt=PREVIEW_SALT + "x", compress=True
    )
    spliced = f"{members_payload}:{visitor_stamp_and_signature}"
    for token in (
        forged,
        spliced,
        visitor_token[:-1] + ("B" if visitor_token.endswith("A") else "A"),
    ):
        response = _client_for(_registered()).get(
            reverse("articles:preview", kwargs={"token": token})
        )
        assert response.status_code == 404


# --- SNP pages, gene pages and the rsid look-up (issue 13, item 5) -----------------------------
#
# Their public part (what the variant is, its names, alleles, frequencies, articles) is for
# everyone; the members' part (the reader's own genotype, every genotype's finding) and the
# look-up of an rsid in one's file are not. Each non-member reader here has a processed DNA
# file, so a leak of their genotype would show; a member reads first.

FINDING_SENTENCES = {
    "AA": "Two copies of the quellimar allele doubled the clearance in the pilot cohort.",
    "AG": "One copy of the quellimar allele halved the side effects in the small trial.",
    "GG": "Without the quellimar allele the standard dose worked as labelled.",
}
SNP_SUMMARY = "A public sentence about the ostrafel variant in this gene."
YOUR_GENOTYPE_MARKERS = [
    "Your genotype:",
    "(yours)",
    "· yours",
    "(in your genotype)",
    "frequency-chart__bar--yours",
    "interpretation--yours",
    "lookup-result",
]


@pytest.fixture
def catalogue_snp(db):
    from genotypes.models import Gene, PopulationFrequency, SnpInterpretation
    from tests.genotypes.factories import SnpFactory

    snp = SnpFactory(rsid="rs4680", gene="COMT", chromosome="22", ref="G", alt="A")
    snp.summary, snp.common_names = SNP_SUMMARY, "Val158Met"
    snp.save()
    Gene.objects.create(symbol="COMT", name="catechol-O-methyltransferase")
    for genotype, text in FINDING_SENTENCES.items():
        SnpInterpretation.objects.create(
            snp=snp,
            genotype=genotype,
            text=text,
            label="notable",
            frequency=0.3,
            evidence="limited",
            sources="PMID:8807664",
        )
    PopulationFrequency.objects.create(
        snp=snp, population="Global", allele="A", frequency=0.4, source="S", release="R"
    )
    covering = ArticleFactory(title="Dopamine breakdown", slug="dopamine-breakdown")
    report = SectionFactory(
        article=covering,
        heading="Your genotype report",
        kind="genotype_report",
        access="members",
        body="Members-only report words.",
    )
    article_rendering.section_snps_set(section=report, rsids=["rs4680"])
    article_rendering.article_render(article=covering)
    return snp


def _with_genome(user):
    from genotypes.services import parsing
    from tests.genotypes.factories import upload_for

    upload = upload_for(user, include={"rs4680": "AG", "rs53576": "AG"})
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    return user


def _catalogue_channels(client: Client) -> dict[str, tuple[int, str]]:
    snp_url = reverse("genotypes:snp_detail", args=["rs4680"])
    gene_url = reverse("genotypes:gene_detail", args=["COMT"])
    lookup_url = reverse("genotypes:lookup")
    responses = {
        "snp page": client.get(snp_url),
        "snp page again": client.get(snp_url),
        "snp page, a population chosen": client.get(snp_url, {"population": "Global"}),
        "gene page": client.get(gene_url),
        "gene page, lower case (redirect)": client.get(gene_url.lower(), follow=True),
        "look-up form": client.get(lookup_url),
        "look-up of a catalogue rsid": client.post(lookup_url, {"rsid": "rs4680"}),
        "look-up of another rsid": client.post(lookup_url, {"rsid": "rs53576"}),
        "search by rsid": client.get(reverse("articles:search"), {"q": "rs4680"}),
        "search by common name": client.get(reverse("articles:search"), {"q": "Val158Met"}),
        "search for a finding's word": client.get(reverse("articles:search"), {"q": "quellimar"}),
    }
    return {name: (r.status_code, r.content.decode()) for name, r in responses.items()}


@pytest.mark.parametrize("make_reader", NON_MEMBERS.values(), ids=NON_MEMBERS.keys())
def test_non_member_reads_only_the_public_part_of_snp_and_gene_pages(catalogue_snp, make_reader):
    from genotypes.models import GeneticDataAuditLog

    member = _client_for(_with_genome(MemberFactory()))
    assert (
        FINDING_SENTENCES["AG"]
        in member.get(f"/genetics/snps/{catalogue_snp.rsid}/").content.decode()
    )

    reader = make_reader()
    if reader is not None:
        _with_genome(reader)
    channels = _catalogue_channels(_client_for(reader))
    for name, (_status, raw) in channels.items():
        text = _visible_text(raw)
        for sentence in FINDING_SENTENCES.values():
            assert sentence not in raw and sentence not in text, f"{name} leaks a finding"
        for marker in YOUR_GENOTYPE_MARKERS:
            assert marker not in raw, f"{name} shows the reader's genotype ({marker!r})"
        assert "pubmed.ncbi.nlm.nih.gov/8807664" not in raw and "Evidence:" not in text, name
        assert "Members-only report words." not in raw, name
    # The look-up is refused outright: to the login page, or the members-only page.
    for name in ("look-up form", "look-up of a catalogue rsid", "look-up of another rsid"):
        assert channels[name][0] == (302 if reader is None else 403), name
    # The public parts are there, so the assertions above looked at real pages.
    assert channels["snp page"][0] == 200 and SNP_SUMMARY in channels["snp page"][1]
    assert (
        "Val158Met" in channels["snp page"][1]
        and "/articles/dopamine-breakdown/" in (channels["snp page"][1])
    )
    assert (
        channels["gene page"][0] == 200
        and 'href="/genetics/snps/rs4680/"' in (channels["gene page"][1])
    )
    assert "/genetics/snps/rs4680/" in channels["search by common name"][1]
    if reader is not None:
        assert not GeneticDataAuditLog.objects.filter(
            subject_user_id=reader.pk,
            action__in=[
                GeneticDataAuditLog.Action.VIEWED_RESULTS,
                GeneticDataAuditLog.Action.LOOKED_UP,
            ],
        ).exists()


@pytest.mark.parametrize("make_reader", MEMBERS.values(), ids=MEMBERS.keys())
def test_member_reads_their_genotype_and_every_finding_on_snp_and_gene_pages(
    catalogue_snp, make_reader
):
    client = _client_for(_with_genome(make_reader()))
    snp_page = _visible_text(client.get("/genetics/snps/rs4680/").content.decode())
    assert "Your genotype: AG" in snp_page
    assert all(sentence in snp_page for sentence in FINDING_SENTENCES.values())
    gene_page = client.get("/genetics/genes/COMT/").content.decode()
    assert "rs4680</a>: <strong>AG</strong>" in gene_page
    looked_up = client.post(reverse("genotypes:lookup"), {"rsid": "rs53576"}).content.decode()
    assert '<strong class="lookup-result__call">AG</strong>' in looked_up
