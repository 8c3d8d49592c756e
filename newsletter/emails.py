"""The newsletter email itself: subject, text and HTML parts, and the unsubscribe headers.

`newsletter_message` is the one place a newsletter email is built, for a real send, an admin
test send and the admin preview alike, so what an editor previews is what readers get.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from articles.models import Article
from articles.selectors import AccessLevel
from genlife.unsubscribe import unsubscribe_headers, unsubscribe_url
from members.models import User

from .selectors import EmailSection

LIST_NAME = "newsletter"  # in the unsubscribe tokens (genlife/unsubscribe.py)


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
    unsubscribe = unsubscribe_url(
        list_name=LIST_NAME, user_id=user.pk, url_name="newsletter:unsubscribe"
    )
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
        headers=unsubscribe_headers(unsubscribe),
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("email/newsletter/article.html", context), "text/html"
    )
    return message
