from django.apps import AppConfig


class GenotypesConfig(AppConfig):
    name = "genotypes"
    verbose_name = "Genotypes"

    def ready(self):
        from genotypes import receivers
        from genotypes.views import account_panel
        from members import hooks

        receivers.connect()
        hooks.account_panel_register(name="genotypes.data", panel=account_panel)
