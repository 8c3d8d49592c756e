"""The newsletter email itself: subject, text and HTML parts, and the unsubscribe headers.

`newsletter_message` is the one place a newsletter email is built, for a real send, an admin
test send and the admin preview alike, so what an editor previews is what readers get.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from articles.models import Article
from articles.selectors import AccessLevel
from members.models import User

from .selectors import EmailSection

UNSUBSCRIBE_SALT = "newsletter.unsubscribe"


def unsubscribe_token(*, user: User) -> str:
    """A signed token naming the recipient; it does not expire (old emails keep working)."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_user_id(*, token: str) -> int | None:
    """The user a token names, or None when it was forged, altered or is not ours."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(*, user: User) -> str:
    path = reverse("newsletter:unsubscribe", kwargs={"token": unsubscribe_token(user=user)})
    return settings.SITE_URL + path


def newsletter_message(
    *,
    article: Article,
    sections: list[EmailSection],
    access: AccessLevel,
    user: User,
    test: bool = False,
    connection=None,
) -> EmailMultiAlternatives:
    """The email for ``user``; ``sections`` come from selectors.newsletter_sections_for at the
    access level the recipient was given (a preview or test send names it)."""
    site = settings.SITE_URL
    unsubscribe = unsubscribe_url(user=user)
    context = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": site,
        "article": article,
        "article_url": site + article.get_absolute_url(),
        "sections": sections,
        "is_member_version": access == AccessLevel.MEMBERS,
        "has_locked": any(section.locked for section in sections),
        "join_url": site + reverse("billing:join"),
        "account_url": site + reverse("members:account"),
        "unsubscribe_url": unsubscribe,
        "name": user.get_short_name(),
    }
    subject = render_to_string("email/newsletter/article_subject.txt", context).strip()
    if test:
        subject = f"[Test: {'members' if access == AccessLevel.MEMBERS else 'visitors'}] {subject}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/newsletter/article.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("email/newsletter/article.html", context), "text/html"
    )
    return message
