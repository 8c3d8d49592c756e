"""The gating leak matrix, extended to the newsletter: the email is one more channel.

Every reader of the matrix who can hold an account opts in, and all of them are mailed in the
same batch, members first (each version is rendered once per batch, so a version leaking into
the other would show here). A non-member's email, text and HTML parts alike, carries no
sentence and no word of a members-only section and nothing from a genotype report. A member's
carries every members' section as all members read it, and still nothing that depends on
whose email it is: no findings, no sources for their results, no genotype-chosen blocks, no
genotype, although each of them has genotype data.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from newsletter.models import Delivery, Subscription
from newsletter.services import sending
from tests.factories import StaffFactory, sign_in_with_two_factor
from tests.security.test_gating_matrix import (  # noqa: F401 - `article` is a fixture
    BLOCK_SENTENCES,
    GATED_ONLY_WORDS,
    GATED_SENTENCES,
    GENOTYPE_SENTENCES,
    LIFEHACK_SENTENCES,
    MEMBERS,
    NON_MEMBERS,
    PUBLIC_SENTENCE,
    RESULT_ONLY_WORDS,
    RESULT_SENTENCES,
    STANDARD_SENTENCES,
    _give_genotypes,
    _visible_text,
    article,
)

pytestmark = pytest.mark.django_db

# Visitors have no address to mail: every other reader of the matrix can opt in.
NON_MEMBER_RECIPIENTS = {name: make for name, make in NON_MEMBERS.items() if name != "visitor"}
PERSONAL_MARKS = ["Shown because", "ggrid", "gblock", "Your combination", "genlife:block"]


def _parts(message) -> dict[str, str]:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return {"text part": message.body, "HTML part": html, "subject": message.subject}


def _assert_carries_no_gated_text(parts: dict[str, str], reader: str) -> None:
    for name, raw in parts.items():
        text = _visible_text(raw)
        for sentence in GATED_SENTENCES + RESULT_SENTENCES:
            assert sentence not in raw and sentence not in text, f"{reader}: {name} leaks"
        for word in GATED_ONLY_WORDS + RESULT_ONLY_WORDS:
            assert word not in raw.lower(), f"{reader}: {name} contains {word!r}"


def _assert_nothing_personal(parts: dict[str, str], reader: str) -> None:
    for name, raw in parts.items():
        for sentence in BLOCK_SENTENCES + RESULT_SENTENCES:
            assert sentence not in raw, f"{reader}: {name} carries {sentence!r}"
        for word in RESULT_ONLY_WORDS + PERSONAL_MARKS:
            assert word.lower() not in raw.lower(), f"{reader}: {name} carries {word!r}"
        # Every reader holds AG at every SNP of the report: no genotype call in the email.
        assert not re.search(r"\bAG\b", _visible_text(raw)), f"{reader}: {name} has a genotype"


@pytest.fixture
def mailed(article, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    """Every reader of the matrix opted in and mailed in one batch; message per reader."""
    readers = {}
    for name, make in {**MEMBERS, **NON_MEMBER_RECIPIENTS}.items():
        user = make()
        _give_genotypes(user)
        Subscription.objects.create(user=user, subscribed=True)
        readers[name] = user
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.newsletter_issues_due() == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    by_address = {message.to[0]: message for message in mail.outbox}
    assert len(by_address) == len(readers) == len(mail.outbox)
    return {name: by_address[user.email] for name, user in readers.items()}


def test_non_member_email_carries_no_gated_text(mailed):
    for name in NON_MEMBER_RECIPIENTS:
        parts = _parts(mailed[name])
        _assert_carries_no_gated_text(parts, reader=name)
        _assert_nothing_personal(parts, reader=name)
        # The public parts and the locked sections' headings are there: a real email was read.
        for part in ("text part", "HTML part"):
            assert PUBLIC_SENTENCE in _visible_text(parts[part]), f"{name}: {part}"
            assert "Your genotype report" in parts[part] and "Lifehacks" in parts[part]
            assert "Members see their genotypes here." in parts[part]


def test_member_email_carries_the_members_sections_but_no_genotype(mailed):
    member_text = GENOTYPE_SENTENCES + LIFEHACK_SENTENCES + STANDARD_SENTENCES
    for name in MEMBERS:
        parts = _parts(mailed[name])
        for part in ("text part", "HTML part"):
            text = _visible_text(parts[part])
            for sentence in member_text:
                assert sentence in text, f"{name}: {part} lacks {sentence!r}"
            assert "read it on the article page" in text or "on the article page" in text
        _assert_nothing_personal(parts, reader=name)


def test_admin_previews_follow_the_same_gate(article, client):  # noqa: F811
    staff = StaffFactory(is_superuser=True)
    _give_genotypes(staff)
    sign_in_with_two_factor(client, staff)
    pages = {}
    for version in ("members", "visitors"):
        for view in ("admin:newsletter_preview", "admin:newsletter_preview_html"):
            response = client.get(reverse(view, args=[article.pk, version]))
            assert response.status_code == 200
            pages[f"{version} {view}"] = response.content.decode()
    visitors = {name: page for name, page in pages.items() if name.startswith("visitors")}
    _assert_carries_no_gated_text(visitors, reader="visitors' preview")
    for name, page in pages.items():
        assert PUBLIC_SENTENCE in _visible_text(page), name
        for sentence in BLOCK_SENTENCES + RESULT_SENTENCES:
            assert sentence not in page, f"{name} carries {sentence!r}"
    for sentence in GENOTYPE_SENTENCES + LIFEHACK_SENTENCES:
        assert sentence in _visible_text(pages["members admin:newsletter_preview_html"])
