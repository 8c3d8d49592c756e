"""Create the Stripe Product and Prices for the plans in the database, where missing.

Safe to run any number of times: existing Prices with the same amount are reused.
"""

from django.core.management.base import BaseCommand, CommandError

from billing import stripe_gateway
from billing.models import Plan
from billing.services.plans import plan_sync_to_stripe


class Command(BaseCommand):
    help = "Create missing Stripe Product/Prices for the active plans and store their ids."

    def handle(self, *args, **options):
        plans = list(Plan.objects.filter(is_active=True))
        if not plans:
            self.stdout.write("No active plans in the database; nothing to do.")
            return
        for plan in plans:
            before = plan.stripe_price_id
            try:
                price_id = plan_sync_to_stripe(plan=plan)
            except stripe_gateway.StripeGatewayError as exc:
                raise CommandError(f"{plan.slug}: {exc}") from exc
            change = "unchanged" if before == price_id else f"now {price_id}"
            self.stdout.write(f"{plan.slug}: {plan.amount_display} per {plan.interval}, {change}")
