"""Check the whole content (articles and the SNP catalogue); exit 1 with a list on problems."""

from django.core.management.base import BaseCommand

from articles.content_check import content_problems


class Command(BaseCommand):
    help = (
        "Check every published article against the publish rules, every article for "
        "self-relations and every verified catalogue SNP for its position and alleles. Exits "
        "with 1 and lists the problems when there are any."
    )

    def handle(self, *args, **options):
        problems, notices = content_problems()
        for notice in notices:
            self.stdout.write(f"Notice: {notice}")
        if not problems:
            self.stdout.write("Content checked: no problems.")
            return
        self.stdout.write(f"{len(problems)} problem(s):")
        for problem in problems:
            self.stdout.write(f"- {problem}")
        raise SystemExit(1)
