"""Load the demo articles shipped in articles/demo/ (safe to run again: updates in place)."""

from django.core.management.base import BaseCommand, CommandError

from articles.article_file import ArticleFileError
from articles.services.importing import demo_articles_load


class Command(BaseCommand):
    help = "Create or update the demo articles, topics and author from articles/demo/."

    def handle(self, *args, **options):
        try:
            results = demo_articles_load()
        except ArticleFileError as error:
            raise CommandError(f"Demo content could not be loaded:\n{error}") from None
        for result in results:
            self.stdout.write(f"{'Created' if result.created else 'Updated'} {result.article.slug}")
            if result.skipped_snps:
                self.stdout.write(
                    self.style.WARNING(
                        "  not in the SNP catalogue yet (load it, then run this again): "
                        + " ".join(result.skipped_snps)
                    )
                )
