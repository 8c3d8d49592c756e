"""The RSS feed of published articles."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed

from articles import selectors, seo


class ArticleFeed(Feed):
    """RSS of published articles: title and meta description only, never section text."""

    feed_type = Rss201rev2Feed
    title = "genlife articles"
    description = "New evidence-based articles on genetics and health."

    def link(self):
        return reverse("articles:home")

    def feed_url(self):
        return reverse("articles:feed")

    def items(self):
        return selectors.feed_articles()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated

    def item_author_name(self, item):
        return item.author.name

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]

    def item_guid(self, item):
        return seo.absolute_url(item.get_absolute_url())

    item_guid_is_permalink = True
