import re

from django.db import migrations, models

WORDS_RE = re.compile(r"\w+")


def count_public_words(apps, schema_editor):
    """Headings of every section and the text of sections open to everyone (as article_render)."""
    Article = apps.get_model("articles", "Article")
    Section = apps.get_model("articles", "Section")
    for article in Article.objects.only("pk"):
        words = 0
        for heading, text, access in Section.objects.filter(article=article).values_list(
            "heading", "body_text", "access"
        ):
            words += len(WORDS_RE.findall(heading))
            if access == "public":
                words += len(WORDS_RE.findall(text))
        Article.objects.filter(pk=article.pk).update(public_word_count=words)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reference_url_http"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="public_word_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_public_words, migrations.RunPython.noop),
    ]
