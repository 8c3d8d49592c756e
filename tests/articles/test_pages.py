"""Reading pages through the client: lists, topics, authors, search, feed, sitemap, robots."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.services import rendering

from .factories import ArticleFactory, AuthorFactory, SectionFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_home_shows_featured_and_latest(client):
    featured = ArticleFactory(title="The featured one", featured=True)
    ArticleFactory(title="A recent one")
    content = client.get(reverse("articles:home")).content.decode()
    assert "The featured one" in content and "A recent one" in content
    assert content.count("<h1") == 1
    assert '<meta name="description"' in content
    assert featured.get_absolute_url() in content


def test_article_list_is_paginated(client):
    for index in range(13):
        ArticleFactory(
            title=f"Listed {index:02d}", published_at=timezone.now() - dt.timedelta(hours=index + 1)
        )
    first = client.get(reverse("articles:list")).content.decode()
    second = client.get(reverse("articles:list"), {"page": 2}).content.decode()
    assert "Listed 00" in first and "Listed 12" not in first
    assert "Listed 12" in second
    assert client.get(reverse("articles:list"), {"page": "banana"}).status_code == 200


def test_unpublished_and_future_articles_are_hidden_until_due(client):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    scheduled = ArticleFactory(
        title="Coming soon", published_at=timezone.now() + dt.timedelta(hours=2)
    )
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    assert "Coming soon" not in client.get(reverse("articles:list")).content.decode()
    assert "Coming soon" not in client.get(reverse("articles:feed")).content.decode()
    assert scheduled.slug not in client.get(reverse("articles:sitemap")).content.decode()
    Article.objects.filter(pk=scheduled.pk).update(
        published_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(scheduled.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/articles/no-such-article/", "/topics/nope/", "/authors/nobody/", "/articles/%C3%BCber/"],
)
def test_unknown_urls_are_404(client, url):
    assert client.get(url).status_code == 404


def test_topic_and_author_pages_list_their_articles(client):
    topic = TopicFactory(name="Pain", slug="pain")
    author = AuthorFactory(name="Ada Writer", slug="ada-writer")
    article = ArticleFactory(title="On pain", author=author)
    article.topics.add(topic)
    ArticleFactory(title="Unrelated")
    topic_page = client.get(topic.get_absolute_url()).content.decode()
    author_page = client.get(author.get_absolute_url()).content.decode()
    assert "On pain" in topic_page and "Unrelated" not in topic_page
    assert "On pain" in author_page and "Ada Writer" in author_page


def test_article_page_shows_dates_reading_time_related_and_references(client, gated_article):
    other = ArticleFactory(title="A related read", description="One line about it.")
    gated_article.related.add(other)
    rendering.article_render(article=gated_article)
    content = client.get(gated_article.get_absolute_url()).content.decode()
    assert "Published <time" in content and "min read" in content
    assert "Updated <time" not in content  # no substantive change recorded: no "Updated" date
    assert "A related read" in content and "One line about it." in content
    assert 'id="ref-1"' in content and "https://doi.org/10.1000/" in content
    assert 'href="#ref-1"' in content
    assert content.count("<h1") == 1
    assert '<link rel="canonical" href="http' in content
    assert 'property="og:title"' in content


def test_search_finds_public_text_with_highlighted_snippet(client):
    article = ArticleFactory(title="Sleep genes")
    SectionFactory(article=article, body="The clock gene PER3 shapes morning preference.")
    rendering.article_render(article=article)
    response = client.get(reverse("articles:search"), {"q": "morning preference"})
    content = response.content.decode()
    assert "Sleep genes" in content
    assert "<mark>" in content.lower()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 100_000,
        "'; DROP TABLE articles_article; --",
        "a & | ! ( ) : * <script>",
        "\x00\x01",
        "%_%",
        '"unterminated',
    ],
)
def test_search_survives_hostile_queries(client, query):
    ArticleFactory(title="Something")
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</header>", 1)[-1].replace(
        "application/ld+json", ""
    )


def test_search_snippet_escapes_html_in_text(client):
    article = ArticleFactory(title="Escaping")
    SectionFactory(article=article, body="Values where p &lt; 0.05 matter for escaping.")
    rendering.article_render(article=article)
    content = client.get(reverse("articles:search"), {"q": "escaping"}).content.decode()
    assert "p &lt; 0.05" in content


def test_feed_lists_published_articles_with_descriptions_only(client, gated_article):
    content = client.get(reverse("articles:feed")).content.decode()
    assert "<rss" in content and gated_article.title in content
    assert "Public words about the drug" not in content


def test_sitemap_and_robots(client, gated_article):
    sitemap = client.get(reverse("articles:sitemap")).content.decode()
    assert gated_article.get_absolute_url() in sitemap
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: " in robots.content.decode()


def test_public_catalogue_pages_are_in_the_sitemap_and_open_to_crawlers(client):
    from tests.genotypes.factories import SnpFactory

    SnpFactory(rsid="rs4680", gene="COMT", ref="G", alt="A")
    sitemap = client.get(reverse("articles:sitemap")).content.decode()
    for path in ("/genetics/snps/rs4680/", "/genetics/genes/COMT/", "/genetics/evidence/"):
        assert f"{path}</loc>" in sitemap, path
    robots = client.get("/robots.txt").content.decode().splitlines()
    allowed = ["Allow: /genetics/snps/", "Allow: /genetics/genes/", "Allow: /genetics/evidence/"]
    # Listed before the folder's Disallow, as crawlers that take the first match need.
    assert robots.index("Disallow: /genetics/") > max(robots.index(line) for line in allowed)


def test_why_members_page_explains_and_offers_join(client):
    content = client.get(reverse("articles:why_members")).content.decode()
    assert "<h1>Why is this section for members?</h1>" in content
    assert "Join" in content


def test_overview_image_is_served_with_a_restrictive_policy(client, demo_articles):
    article = Article.objects.get(slug="ldn-naltrexone-genetics")
    response = client.get(reverse("articles:overview_image", kwargs={"slug": article.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b"<title" in b"".join(response.streaming_content)


def test_very_long_article_renders_completely(client):
    article = ArticleFactory(title="Long read", slug="long-read")
    paragraph = "This sentence repeats to make a very long section body. " * 40
    for index in range(1, 121):
        SectionFactory(
            article=article, order=index, heading=f"Chapter {index}", body=(paragraph + "\n\n") * 5
        )
    rendering.article_render(article=article)
    response = client.get(article.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="chapter-120"' in content
    assert article.reading_minutes > 1000
    assert f"{article.reading_minutes} min read" in content


def test_author_photo_is_served_from_storage(client, demo_articles):
    response = client.get(reverse("articles:author_photo", kwargs={"slug": "genlife-editors"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert (
        client.get(reverse("articles:author_photo", kwargs={"slug": "nobody"})).status_code == 404
    )


def test_hostile_markdown_and_title_never_reach_the_page_as_markup(client):
    article = ArticleFactory(title="</script><script>alert('title')</script>", slug="hostile")
    SectionFactory(
        article=article,
        heading="<img src=x onerror=alert(1)>",
        body=(
            "<script>alert('body')</script>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n"
            '[link](javascript:alert(2)) <a href="#" onmouseover="alert(3)">hover</a>\n\n'
            "<svg onload=alert(4)></svg> <object data=x></object>"
        ),
    )
    rendering.article_render(article=article)
    content = client.get(article.get_absolute_url()).content.decode().lower()
    assert "<script>alert" not in content
    assert "</script><script>" not in content
    tags = re.findall(r"<[a-z][^>]*>", content)
    for tag in tags:
        assert not re.search(r"\son\w+\s*=", tag), tag
        assert "javascript:" not in tag, tag
        assert not tag.startswith(("<iframe", "<object", "<svg", "<img src=x")), tag
    assert "&lt;img src=x onerror=alert(1)&gt;" in content


def test_search_ranks_title_matches_above_body_matches(client):
    in_body = ArticleFactory(
        title="Vitamins overview", published_at=timezone.now() - dt.timedelta(hours=1)
    )
    SectionFactory(article=in_body, body="Melatonin is mentioned once here.")
    in_title = ArticleFactory(
        title="Melatonin and sleep", published_at=timezone.now() - dt.timedelta(days=3)
    )
    SectionFactory(article=in_title, body="A hormone made at night.")
    for article in (in_body, in_title):
        rendering.article_render(article=article)
    content = client.get(reverse("articles:search"), {"q": "melatonin"}).content.decode()
    assert content.index("Melatonin and sleep") < content.index("Vitamins overview")


def test_reading_time_and_word_count_count_only_what_the_reader_is_shown(client):
    import json
    import re

    from tests.factories import MemberFactory

    article = ArticleFactory(title="Mostly for members", slug="mostly-for-members")
    SectionFactory(article=article, order=1, heading="Open", body="A short open paragraph.")
    SectionFactory(
        article=article, order=2, heading="Closed", access="members", body="member " * 2200
    )
    rendering.article_render(article=article)

    def seen(reader_client):
        page = reader_client.get(article.get_absolute_url()).content.decode()
        ld = json.loads(
            re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
        )
        return page, ld["wordCount"]

    page, words = seen(client)
    assert "1 min read" in page and words < 20
    assert "1 min read" in client.get(reverse("articles:list")).content.decode()
    client.force_login(MemberFactory())
    page, words = seen(client)
    assert "10 min read" in page and words > 2200
