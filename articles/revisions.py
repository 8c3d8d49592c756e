"""Which article models keep revisions (django-reversion, shown and restored by
genlife/revisions.py), and what a revision of an article holds.

One revision per admin save holds the article with its sections (and their SNP lists), its
references and its own findings, so a restore puts the whole article back at once. Fields that
``article_render`` derives from the Markdown are not kept (a restore leaves their defaults and
renders them again, which gives the same HTML as before because rendering depends only on what
is kept).
"""

import reversion

from .models import Article, ArticleFinding, Reference, Section, SectionSnp

ARTICLE_DERIVED = [
    "public_text",
    "search_vector",
    "word_count",
    "public_word_count",
    "render_problems",
]
SECTION_DERIVED = ["body_html", "body_text", "blocks", "subheadings"]

reversion.register(Article, follow=["sections", "references", "findings"], exclude=ARTICLE_DERIVED)
reversion.register(Section, follow=["section_snps"], exclude=SECTION_DERIVED)
reversion.register(SectionSnp)
reversion.register(Reference)
reversion.register(ArticleFinding)
