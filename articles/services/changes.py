"""Substantive changes an editor marks at save time: the "What changed" list readers see and
the "Updated" date (``Article.revised_at``), which moves only with them."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from articles.models import Article, ArticleChange


def article_change_record(
    *, article: Article, note: str, members_only: bool, editor
) -> ArticleChange:
    """List a substantive change under the article and make it the article's "Updated" date."""
    with transaction.atomic():
        change = ArticleChange(
            article=article,
            date=timezone.now(),
            note=note.strip(),
            members_only=members_only,
            editor=editor if editor is not None and editor.is_authenticated else None,
        )
        change.full_clean()
        change.save()
        Article.objects.filter(pk=article.pk).update(revised_at=change.date)
        article.revised_at = change.date
    return change


def article_revised_at_sync(*, article: Article) -> None:
    """Set the "Updated" date from the change list (after a restore brought back an older
    value): a restore is not itself a substantive change unless the editor records one."""
    latest = article.changes.aggregate(latest=Max("date"))["latest"]
    Article.objects.filter(pk=article.pk).update(revised_at=latest)
    article.revised_at = latest


def article_changes_delete(*, changes) -> None:
    """Remove entries from "What changed" (e.g. a note recorded by mistake); each article's
    "Updated" date goes back to its latest remaining entry."""
    with transaction.atomic():
        articles = list(Article.objects.filter(pk__in=changes.values("article_id")))
        changes.delete()
        for article in articles:
            article_revised_at_sync(article=article)
