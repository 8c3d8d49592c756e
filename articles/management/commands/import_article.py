"""Import articles from Markdown files with front matter (format: articles/demo/README.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.article_file import ArticleFileError
from articles.services.importing import article_import, articles_import


class Command(BaseCommand):
    help = "Create or update articles (matched by slug) from Markdown files with front matter."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Article .md files")
        parser.add_argument("--check", action="store_true", help="Validate only; change nothing.")

    def handle(self, *args, paths: list[Path], check: bool, **options):
        failed = False
        valid = []
        for path in paths:
            if not path.is_file():
                self.stderr.write(f"{path}: no such file")
                failed = True
                continue
            try:
                article_import(path=path, dry_run=True)
            except ArticleFileError as error:
                failed = True
                for line, message in error.errors:
                    self.stderr.write(f"{path}:{line}: {message}" if line else f"{path}: {message}")
            else:
                valid.append(path)
        if failed:
            raise CommandError(
                "Nothing was imported; fix the errors above and run the command again."
            )
        if check:
            self.stdout.write(f"{len(valid)} file(s) valid.")
            return
        for result in articles_import(paths=valid):
            action = "Created" if result.created else "Updated"
            self.stdout.write(
                f"{action} “{result.article.title}” at {result.article.get_absolute_url()}"
            )
            for slug in result.unresolved_related:
                self.stdout.write(
                    self.style.WARNING(
                        f"  related article '{slug}' does not exist yet; import it and re-run"
                    )
                )
