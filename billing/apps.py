from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from billing import receivers
        from billing.views import account_panel
        from members import hooks

        receivers.connect()
        hooks.account_panel_register(name="billing.membership", panel=account_panel)
