"""Reads of genotype data. Every function here answers only for the given user."""
from dataclasses import dataclass, field

from django.urls import reverse

from .models import Snp


@dataclass(frozen=True)
class GenotypeRow:
    snp: Snp
    status: str  # "match" | "not_on_chip" | "no_call" | "ambiguous_strand" | "no_upload"
    genotype: str = ""
    label: str = ""
    interpretation: str = ""

    @property
    def gene(self) -> str:
        return self.snp.gene

    @property
    def rsid(self) -> str:
        return self.snp.rsid


@dataclass(frozen=True)
class GenotypeReport:
    state: str  # "no_upload" | "processing" | "ready"
    rows: list[GenotypeRow] = field(default_factory=list)
    upload_url: str = ""


def genotype_report_for(*, user, snps: list[Snp]) -> GenotypeReport:
    """The member's genotype for each of `snps`, in order. No upload yet: a prompt to upload."""
    rows = [GenotypeRow(snp=snp, status="no_upload") for snp in snps]
    return GenotypeReport(state="no_upload", rows=rows, upload_url=reverse("genotypes:index"))


def snp_catalogue() -> list[Snp]:
    return list(Snp.objects.order_by("gene", "rsid"))
