"""Constant query count, cached anonymous pages, and conditional GETs."""

import pytest
from django.urls import reverse

from articles.models import Section
from articles.services import rendering

from .factories import ArticleFactory, ReferenceFactory, SectionFactory, SnpFactory, TopicFactory

pytestmark = pytest.mark.django_db


def build_long_article(*, sections: int, references: int):
    article = ArticleFactory(title="A very long article", slug="very-long")
    for number in range(1, references + 1):
        ReferenceFactory(article=article, number=number)
    for index in range(1, sections + 1):
        kind = "genotype_report" if index % 10 == 0 else "standard"
        section = SectionFactory(
            article=article,
            order=index,
            heading=f"Part {index}",
            kind=kind,
            access="members" if kind != "standard" or index % 7 == 0 else "public",
            body=(
                f"Text of part {index} citing [ref:{index}] and [ref:{references}].\n\n"
                "| a | b |\n|---|---|\n| 1 | 2 |"
            ),
        )
        if kind == "genotype_report":
            rendering.section_snps_set(
                section=section, rsids=[SnpFactory(rsid=f"rs{900 + index}").rsid]
            )
    for _ in range(5):
        article.topics.add(TopicFactory())
        article.related.add(ArticleFactory())
    return rendering.article_render(article=article)


def test_article_page_runs_at_most_seven_queries_for_a_visitor(
    client, django_assert_max_num_queries
):
    article = build_long_article(sections=30, references=60)
    # Six to build the page, one for how long it may be cached (the next scheduled article).
    with django_assert_max_num_queries(7):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('class="references__list"') == 1


def test_query_count_does_not_grow_with_article_size(client, django_assert_num_queries):
    small = build_long_article(sections=3, references=3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small_queries:
        client.get(small.get_absolute_url())
    small.delete()
    large = build_long_article(sections=30, references=60)
    with CaptureQueriesContext(connection) as large_queries:
        client.get(large.get_absolute_url())
    assert len(large_queries) == len(small_queries)


def test_second_anonymous_request_is_served_from_cache_without_queries(
    client, django_assert_num_queries
):
    article = build_long_article(sections=5, references=5)
    client.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200


def test_cache_is_invalidated_when_the_article_is_edited(client):
    article = build_long_article(sections=3, references=3)
    assert "Part 1" in client.get(article.get_absolute_url()).content.decode()
    Section.objects.filter(article=article, order=1).update(heading="Renamed part")
    rendering.article_render(article=article)
    content = client.get(article.get_absolute_url()).content.decode()
    assert "Renamed part" in content


def test_conditional_get_answers_304_by_etag_and_by_date(client):
    article = build_long_article(sections=2, references=2)
    first = client.get(article.get_absolute_url())
    assert first["ETag"] and first["Last-Modified"]
    assert "Cookie" in first["Vary"]
    by_etag = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(article.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_etag.status_code == 304 and by_date.status_code == 304
    stale = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH='"something-else"')
    assert stale.status_code == 200


def test_unpublishing_removes_the_cached_page(client):
    article = build_long_article(sections=2, references=2)
    assert client.get(article.get_absolute_url()).status_code == 200
    article.status = "draft"
    article.published_at = None
    article.save()
    rendering.article_render(article=article)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_search_stays_fast_for_a_huge_query(client):
    import time

    build_long_article(sections=3, references=3)
    started = time.monotonic()
    response = client.get(reverse("articles:search"), {"q": "gene " * 20_000})
    assert response.status_code == 200
    assert time.monotonic() - started < 10  # a hang bound: a runaway query takes minutes


def test_member_query_count_does_not_grow_with_genotype_report_sections(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MemberFactory

    client.force_login(MemberFactory())
    client.get(reverse("articles:home"))  # the first request records the session (usersessions)
    counts = []
    for sections in (10, 30):  # one genotype report section, then three
        article = build_long_article(sections=sections, references=sections)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert response.content.decode().count('class="variant-cards"') == sections // 10
        counts.append(len(queries))
        article.delete()
    assert counts[0] == counts[1]


def test_article_page_still_works_when_the_cache_backend_fails(client, monkeypatch):
    from django.core.cache import cache

    article = build_long_article(sections=2, references=2)

    def broken(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    monkeypatch.setattr(cache, "add", broken)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "Part 1" in response.content.decode()
    rendering.article_render(article=article)


def test_postgresql_search_reads_a_stored_gin_indexed_vector(client):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the stored search vector exists on PostgreSQL only")
    article = build_long_article(sections=2, references=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'article_search_vector_gin'"
        )
        assert "gin (search_vector)" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT search_vector IS NOT NULL FROM articles_article WHERE id = %s", [article.pk]
        )
        assert cursor.fetchone()[0] is True
    assert (
        "A very long article"
        in client.get(reverse("articles:search"), {"q": "part"}).content.decode()
    )
