from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from members import hooks
        from newsletter.views import account_panel

        hooks.account_panel_register(name="newsletter.subscription", panel=account_panel)
