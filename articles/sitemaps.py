"""sitemap.xml: published articles, the main pages and topics with articles."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles import selectors


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


SITEMAPS = {"articles": ArticleSitemap, "pages": PageSitemap, "topics": TopicSitemap}
