from django.apps import AppConfig


class GenotypesConfig(AppConfig):
    name = "genotypes"
    verbose_name = "Genotypes"

    def ready(self):
        from genotypes import receivers
        from genotypes.versions import connect_signals

        connect_signals()
        receivers.connect()
