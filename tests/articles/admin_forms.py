"""The article admin's change form as a browser would post it back, from the page itself."""

from django.urls import reverse

from .factories import TopicFactory


def change_form_data(client, article) -> dict:
    """Every field and inline of the article's change page with its current value."""
    page = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "key_takeaways":
            value = "\n".join(value or [])
        if name in ("topics", "related"):
            value = [item.pk if hasattr(item, "pk") else item for item in value or []]
        if name == "published_at":
            if article.published_at:
                data["published_at_0"] = article.published_at.strftime("%Y-%m-%d")
                data["published_at_1"] = article.published_at.strftime("%H:%M:%S")
            continue
        if name == "overview_image" or value is None or value is False:
            continue
        data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name, field in inline_form.fields.items():
                value = inline_form.initial.get(name, field.initial)
                if name == "snp_rsids":
                    value = inline_form.fields["snp_rsids"].initial or ""
                if value is not None:
                    data[f"{inline_form.prefix}-{name}"] = (
                        value.pk if hasattr(value, "pk") else value
                    )
    return data


def form_data(author, **overrides):
    """A new article's add form: a public section citing [ref:5] (no such reference) and a
    genotype report listing rs4680 and rs1799971."""
    data = {
        "title": "Ça marche: gènes et santé",
        "slug": "",
        "description": "A test article made in the admin.",
        "author": author.pk,
        "topics": [TopicFactory().pk],
        "key_takeaways": "One.\nTwo.\n",
        "rsids_not_reported": "",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "overview_image_alt": "",
        "sections-TOTAL_FORMS": "2",
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
        "sections-0-order": "1",
        "sections-0-heading": "Public part",
        "sections-0-anchor": "",
        "sections-0-access": "public",
        "sections-0-kind": "standard",
        "sections-0-teaser": "",
        "sections-0-body": "Hello <script>alert(1)</script> [ref:1] and [ref:5].",
        "sections-0-snp_rsids": "",
        "sections-1-order": "2",
        "sections-1-heading": "Your genotype report",
        "sections-1-anchor": "",
        "sections-1-access": "members",
        "sections-1-kind": "genotype_report",
        "sections-1-teaser": "",
        "sections-1-body": "Members only.",
        "sections-1-snp_rsids": "rs4680 rs1799971",
        "references-TOTAL_FORMS": "1",
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "1000",
        "references-0-number": "1",
        "references-0-authors": "Doe J",
        "references-0-title": "Paper",
        "references-0-journal": "J",
        "references-0-year": "2020",
        "references-0-doi": "10.1000/1",
        "references-0-pmid": "",
        "references-0-url": "",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data
