"""Give the local demo member a demo genome (after create_demo_users and load_demo_snps)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from billing.management.commands.create_demo_users import DEMO_MEMBER
from genotypes.services.demo import demo_genome_ensure


class Command(BaseCommand):
    help = (
        "Upload a made-up raw-DNA file for the demo member through the normal upload path "
        "(the worker parses it). Does nothing when the member already has an upload."
    )

    def handle(self, *args, **options) -> None:
        if not settings.LOCAL_MODE:
            raise CommandError("The demo genome exists only in local mode (no DATABASE_URL set).")
        member = get_user_model().objects.filter(email=DEMO_MEMBER[0]).first()
        if member is None:
            raise CommandError("No demo member yet: run create_demo_users first.")
        upload = demo_genome_ensure(user=member)
        if upload is None:
            self.stdout.write(f"The demo member {DEMO_MEMBER[0]} already has a genome upload.")
        else:
            self.stdout.write(
                f"Demo genome uploaded for {DEMO_MEMBER[0]}; the worker reads it once it starts."
            )
