"""Forms of the reading pages."""

from __future__ import annotations

from django import forms

from .insight_selectors import DashboardFilters, label_choices


class DashboardFilterForm(forms.Form):
    """My genetics' filters: plain GET fields, so they work without a script."""

    label = forms.ChoiceField(label="Label", required=False)
    topic = forms.ChoiceField(label="Topic", required=False)
    q = forms.CharField(
        label="Gene, variant or article",
        required=False,
        max_length=100,
        error_messages={"max_length": "Search with at most 100 characters."},
    )
    new = forms.BooleanField(label="Only what is new since your last visit", required=False)

    def __init__(self, *args, topics: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = [("", "Any label"), *label_choices()]
        self.fields["topic"].choices = [("", "Any topic"), *topics]
        self.fields["label"].error_messages["invalid_choice"] = (
            "Pick a label from the list: %(value)s is not one of ours."
        )
        self.fields["topic"].error_messages["invalid_choice"] = (
            "Pick a topic from the list: no article with your results has the topic %(value)s."
        )

    def filters(self) -> DashboardFilters:
        """The valid filters (none when the form has errors: the page then says why)."""
        if not self.is_valid():
            return DashboardFilters()
        data = self.cleaned_data
        return DashboardFilters(
            label=data["label"], topic=data["topic"], text=data["q"], only_new=data["new"]
        )
