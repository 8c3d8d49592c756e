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
