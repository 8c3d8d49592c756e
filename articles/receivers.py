"""Articles' cache invalidation, in one place (connected in ArticlesConfig.ready).

Every cached page that prints articles, topics or authors is read under the ``"articles"``
scope of genlife.page_cache (a member's article page too, so an article's own finding texts,
``ArticleFinding``, and its "What changed" list, ``ArticleChange``, retire it). A save or
delete of anything a page prints, from the admin, an
import or the shell, retires them all (related-article lists and topic names appear on
other pages too). Writes that send no signals (``article_render``'s bulk updates) call
``articles_changed`` themselves.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from genlife import page_cache

ARTICLES_SCOPE = "articles"


def articles_changed() -> None:
    """Retire every cached page that prints articles, topics or authors."""
    page_cache.scope_changed(ARTICLES_SCOPE)


def _changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed sends pre_ and post_
        articles_changed()


def connect() -> None:
    from articles.models import (
        Article,
        ArticleChange,
        ArticleFinding,
        Author,
        Reference,
        Section,
        SectionSnp,
        Topic,
    )

    for model in (
        Article,
        Section,
        Reference,
        SectionSnp,
        Topic,
        Author,
        ArticleFinding,
        ArticleChange,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"articles.{model.__name__}.save")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"articles.{model.__name__}.delete"
        )
    for field in ("topics", "related"):
        m2m_changed.connect(
            _changed,
            sender=getattr(Article, field).through,
            dispatch_uid=f"articles.Article.{field}.m2m",
        )
