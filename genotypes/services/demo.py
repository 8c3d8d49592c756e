"""The demo member's genome for `make run`: a made-up file sent through the normal upload
path, so the worker parses it like any member's upload."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from genotypes import samples
from genotypes.models import GenomeUpload, Snp
from genotypes.services.uploads import genome_upload_create

DEMO_GENOME_NAME = "genlife-demo-genome-23andme.txt"
_DEMO_GENOME_PARAMS = {"fmt": "23andme", "n_snps": 20_000, "seed": 2026}


def demo_genome_calls() -> dict[str, str]:
    """A call for every catalogue SNP: the chosen demo genotype where there is one, else the
    SNP's reference allele twice (an SNP added later still gets a reading)."""
    calls = {}
    for snp in Snp.objects.order_by("rsid"):
        if snp.rsid in samples.DEMO_CALLS:
            calls[snp.rsid] = samples.DEMO_CALLS[snp.rsid]
        elif len(snp.ref) == 1 and snp.ref in "ACGT":
            calls[snp.rsid] = snp.ref * 2
    return calls


def demo_genome_ensure(*, user) -> GenomeUpload | None:
    """Upload the demo genome for ``user`` unless they already have an upload that is queued,
    being read or done (so running it again never stacks uploads). Returns the new upload,
    queued for the worker once the transaction commits, or None when nothing was needed."""
    if user.genome_uploads.exclude(status=GenomeUpload.Status.FAILED).exists():
        return None
    data = samples.generate_genome(**_DEMO_GENOME_PARAMS, include=demo_genome_calls())
    return genome_upload_create(
        user=user,
        file=SimpleUploadedFile(DEMO_GENOME_NAME, data, content_type="text/plain"),
        consent=True,
    )
