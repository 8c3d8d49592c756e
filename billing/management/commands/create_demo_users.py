from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.services.memberships import membership_grant_complimentary
from members.services.users import editor_group_ensure, user_ensure_verified

DEMO_ADMIN = ("admin@genlife.local", "genlife-admin-demo")
DEMO_MEMBER = ("member@genlife.local", "genlife-member-demo")


class Command(BaseCommand):
    help = "Create (or reset) the local demo admin and demo member and print their logins."

    def handle(self, *args, **options) -> None:
        if not settings.LOCAL_MODE:
            raise CommandError("Demo users exist only in local mode (no DATABASE_URL set).")
        # An editor, not a superuser: writes articles and the SNP catalogue, sees no member's
        # genetic data (so the admin does not ask this demo login for a second factor).
        editor = user_ensure_verified(
            email=DEMO_ADMIN[0],
            password=DEMO_ADMIN[1],
            is_staff=True,
            is_superuser=False,
            name="Demo Editor",
        )
        editor.groups.add(editor_group_ensure())
        member = user_ensure_verified(
            email=DEMO_MEMBER[0], password=DEMO_MEMBER[1], name="Demo Member"
        )
        membership_grant_complimentary(user=member)
        self.stdout.write("Demo logins (local mode only):")
        self.stdout.write(
            f"  editor  {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}  (admin at /{settings.ADMIN_URL})"
        )
        self.stdout.write(f"  member  {DEMO_MEMBER[0]} / {DEMO_MEMBER[1]}")
