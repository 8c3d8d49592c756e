from django.apps import AppConfig


class GenotypesConfig(AppConfig):
    name = "genotypes"
    verbose_name = "Genotypes"

    def ready(self):
        from genotypes import receivers

        receivers.connect()
