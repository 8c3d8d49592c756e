import django.contrib.postgres.search
from django.db import migrations

# The GIN index and the backfill only make sense on PostgreSQL; on SQLite the column stays
# empty and search uses the substring fallback (articles.selectors.article_search).
GIN_INDEX = "article_search_vector_gin"
BACKFILL = """
UPDATE articles_article SET search_vector =
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
 || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'B')
 || setweight(to_tsvector('english'::regconfig, COALESCE(public_text, '')), 'C')
"""


def index_and_backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON articles_article USING gin (search_vector)"
    )
    schema_editor.execute(BACKFILL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(index_and_backfill, drop_index),
    ]
