"""The article admin's change form as a browser would post it back, from the page itself."""

from django.urls import reverse


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
