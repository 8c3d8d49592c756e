"""sitemap.xml: published articles, the main pages, topics with articles, and the public
catalogue pages (every SNP and gene page, and the evidence scale)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles import selectors
from genotypes.selectors import snp_catalogue


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return selectors.sitemap_articles()

    def lastmod(self, item):
        return item.updated

    def location(self, item):
        return item.get_absolute_url()


class PageSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return ["articles:home", "articles:list", "articles:why_members"]

    def location(self, item):
        return reverse(item)


class TopicSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return selectors.topic_list_with_articles()

    def location(self, item):
        return item.get_absolute_url()


class CatalogueSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        snps = snp_catalogue()
        genes = sorted({snp.gene for snp in snps if snp.gene})
        return (
            [reverse("genotypes:evidence")]
            + [reverse("genotypes:gene_detail", args=[gene]) for gene in genes]
            + [reverse("genotypes:snp_detail", args=[snp.rsid]) for snp in snps]
        )

    def location(self, item):
        return item


SITEMAPS = {
    "articles": ArticleSitemap,
    "pages": PageSitemap,
    "topics": TopicSitemap,
    "catalogue": CatalogueSitemap,
}
