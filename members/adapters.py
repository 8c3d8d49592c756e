"""allauth customisation, all in one place (settings point ACCOUNT_ADAPTER here)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # Addresses are stored lower-cased (a database constraint on User insists), so that
        # "Ada@Example.com" and "ada@example.com" are one account.
        return super().clean_email(email).strip().lower()

    def save_user(self, request, user, form, commit=True):
        user.email = (user.email or "").lower()
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's own emails (verification, reset, codes) can name the site like ours do.
        context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
        super().send_mail(template_prefix, email, context)
