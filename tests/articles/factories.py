import datetime as dt

import factory
from django.utils import timezone

from articles.models import Article, Author, Reference, Section, Topic
from genotypes.models import Snp


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    bio = "Writes about genes and health."


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article number {n}")
    slug = factory.Sequence(lambda n: f"article-number-{n}")
    description = "A short summary of the article for lists and search engines."
    author = factory.SubFactory(AuthorFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    article = factory.SubFactory(ArticleFactory)
    order = factory.Sequence(lambda n: n + 1)
    heading = factory.Sequence(lambda n: f"Section heading {n}")
    body = "Plain public text about a gene."


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    article = factory.SubFactory(ArticleFactory)
    number = factory.Sequence(lambda n: n + 1)
    authors = "Doe J, Roe R"
    title = factory.Sequence(lambda n: f"A study of things, part {n}")
    journal = "Journal of Examples"
    year = 2020
    doi = factory.Sequence(lambda n: f"10.1000/example.{n}")


class SnpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snp
        django_get_or_create = ["rsid"]

    rsid = factory.Sequence(lambda n: f"rs{1000 + n}")
    gene = "GENE1"


LDN_SNPS = {
    "rs1799971": "OPRM1",
    "rs4680": "COMT",
    "rs1045642": "ABCB1",
    "rs2032582": "ABCB1",
    "rs4986790": "TLR4",
    "rs4986791": "TLR4",
    "rs3829125": "AKR1C4",
    "rs17134592": "AKR1C4",
}


def ldn_catalogue() -> list[Snp]:
    return [SnpFactory(rsid=rsid, gene=gene) for rsid, gene in LDN_SNPS.items()]
