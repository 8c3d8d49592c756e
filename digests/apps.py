from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "digests"
    verbose_name = "New-findings digests"

    def ready(self):
        from digests.views import account_panel
        from members import hooks

        hooks.account_panel_register(name="digests.preference", panel=account_panel)
