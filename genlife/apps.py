from django.contrib.admin.apps import AdminConfig


class GenlifeAdminConfig(AdminConfig):
    """django.contrib.admin with genlife's admin site (genlife/admin_site.py) as the default."""

    default_site = "genlife.admin_site.GenlifeAdminSite"
