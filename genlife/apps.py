from django.contrib.admin.apps import AdminConfig


class GenlifeAdminConfig(AdminConfig):
    """django.contrib.admin with genlife's admin site (genlife/admin_site.py) as the default;
    also registers genlife's system checks (genlife/checks.py)."""

    default_site = "genlife.admin_site.GenlifeAdminSite"

    def ready(self) -> None:
        super().ready()
        from genlife import checks  # noqa: F401 - registers the deploy checks
