from django.apps import AppConfig


class GenotypesConfig(AppConfig):
    name = "genotypes"
    verbose_name = "Genotypes"

    def ready(self) -> None:
        from genotypes import checks  # noqa: F401  (registers the deploy checks)
