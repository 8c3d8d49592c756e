from django import forms

ACCEPT = ".txt,.csv,.tsv,.vcf,.zip,.gz,text/plain,text/csv,application/zip,application/gzip"


class GenomeUploadForm(forms.Form):
    file = forms.FileField(
        label="Your raw DNA file",
        help_text="The .txt, .csv, .tsv, .vcf, .zip or .gz file your DNA service gave you.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    consent = forms.BooleanField(
        label="I agree that genlife processes my genetic data to show my genotypes in "
        "articles. I can export or delete it at any time.",
        required=True,
        error_messages={"required": "Please agree to the processing of your genetic data."},
    )
    keep_raw = forms.BooleanField(
        label="Keep my original file as well (otherwise it is deleted once it has been read)",
        required=False,
    )


class RsidLookupForm(forms.Form):
    """One rsid to look up in the member's own file: "rs4680", "RS4680" or " rs4680 "."""

    rsid = forms.CharField(
        label="Variant (rsid)",
        max_length=40,
        help_text="An rs number as your file lists it, e.g. rs4680.",
        error_messages={"required": "Type an rs number, e.g. rs4680."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "rs4680",
                "aria-describedby": "rsid-help",
            }
        ),
    )

    def clean_rsid(self) -> str:
        from genotypes.selectors import RSID_PATTERN

        value = "".join(self.cleaned_data["rsid"].split()).lower()
        if not RSID_PATTERN.fullmatch(value):
            raise forms.ValidationError(
                'That is not an rsid. An rsid is "rs" followed by digits only, e.g. rs4680.'
            )
        return value
