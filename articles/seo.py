"""What search engines and link previews read: absolute links, meta description, Open Graph
image, and schema.org JSON-LD. Built from what the gate (selectors) lets the reader see."""

import html
import json

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Author
from articles.selectors import AccessLevel, VisibleSection


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def article_overview_image_url(*, article: Article) -> str:
    if not article.overview_image:
        return ""
    return reverse("articles:overview_image", kwargs={"slug": article.slug})


def _person(author: Author) -> dict:
    """An author or reviewer: a Person (with their credentials) or, for a team, an Organization."""
    team = "team" in author.name.lower()
    person = {
        "@type": "Organization" if team else "Person",
        "name": author.name,
        "url": absolute_url(author.get_absolute_url()),
    }
    if author.credentials:
        person["description" if team else "jobTitle"] = author.credentials
    return person


_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def article_json_ld(
    *, article: Article, sections: list[VisibleSection], access: AccessLevel
) -> SafeString:
    """schema.org Article; gated sections are declared with isAccessibleForFree/hasPart, and
    wordCount counts what this reader is shown."""
    url = absolute_url(article.get_absolute_url())
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.description,
        "mainEntityOfPage": url,
        "url": url,
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.editorial_updated.isoformat(),
        "author": _person(article.author),
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL,
        },
        "wordCount": (
            article.word_count if access == AccessLevel.MEMBERS else article.public_word_count
        ),
    }
    if article.reviewed_by_id:
        data["reviewedBy"] = _person(article.reviewed_by)
        if article.reviewed_on:
            data["lastReviewed"] = article.reviewed_on.isoformat()
    image = article_overview_image_url(article=article)
    if image:
        data["image"] = absolute_url(image)
    gated = [section for section in sections if section.gated]
    data["isAccessibleForFree"] = not gated
    if gated:
        data["hasPart"] = [
            {
                "@type": "WebPageElement",
                "isAccessibleForFree": False,
                "cssSelector": f"#section-{section.anchor}",
            }
            for section in gated
        ]
    payload = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
    return mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES))  # escaped for <script>


def meta_text(value: str, *, limit: int = 300) -> str:
    text = " ".join(html.unescape(value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
