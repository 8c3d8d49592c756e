"""System checks for genetic-data settings (run by ``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def genome_encryption_keys_check(app_configs, **kwargs):
    if getattr(settings, "LOCAL_MODE", False):
        return []
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in getattr(settings, "GENOME_ENCRYPTION_KEYS", []) if k.strip()]
    if not keys:
        return [Error("GENOME_ENCRYPTION_KEYS is not set; stored genomes cannot be encrypted.",
                      hint="Set it to one or more comma-separated Fernet keys "
                           "(python -c 'from cryptography.fernet import Fernet; "
                           "print(Fernet.generate_key().decode())').",
                      id="genotypes.E001")]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            return [Error("GENOME_ENCRYPTION_KEYS holds a value that is not a Fernet key.",
                          id="genotypes.E002")]
    return []
