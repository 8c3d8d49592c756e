from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # revisions registers the models with django-reversion (before the admin would
        # register them its own way: articles.admin imports it too, and may run first).
        from articles import receivers, revisions, selectors  # noqa: F401
        from genotypes import article_links

        receivers.connect()
        # genotypes sits below articles: it asks which articles cover a SNP through this hook.
        article_links.articles_for_snps_provide(selectors.article_list_covering_snps)
