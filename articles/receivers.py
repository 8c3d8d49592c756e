"""Articles' cache invalidation, and its answers to the genotypes app, in one place (connected
in ArticlesConfig.ready). A member's genetic data deleted (``genotypes.signals``) revokes
every share link to their printable summaries.

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


def _share_links_revoke(sender, *, user_id: int, **kwargs) -> None:
    from articles.services.sharing import summary_share_links_revoke_all

    summary_share_links_revoke_all(user_id=user_id)


def connect() -> None:
    from genotypes.signals import genetic_data_deleted

    genetic_data_deleted.connect(_share_links_revoke, dispatch_uid="articles.share_links_revoke")
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
