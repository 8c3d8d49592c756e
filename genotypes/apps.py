from django.apps import AppConfig


class GenotypesConfig(AppConfig):
    name = "genotypes"
    verbose_name = "Genotypes"
