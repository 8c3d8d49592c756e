from django.db import models


class Snp(models.Model):
    """A catalogue SNP. Alleles are written on the plus strand of GRCh37, as consumer files are."""

    rsid = models.CharField(max_length=20, unique=True)
    gene = models.CharField(max_length=40, blank=True)
    chromosome = models.CharField(max_length=2, blank=True)
    position_grch37 = models.PositiveBigIntegerField(null=True, blank=True)
    position_grch38 = models.PositiveBigIntegerField(null=True, blank=True)
    ref = models.CharField("reference allele", max_length=50, blank=True)
    alt = models.CharField("alternative allele(s)", max_length=50, blank=True,
                           help_text="Comma-separated when there are several, e.g. C,T.")
    verified = models.BooleanField(
        default=True, help_text="Untick when the position or alleles are not yet confirmed."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["gene", "rsid"]
        verbose_name = "SNP"
        constraints = [
            models.CheckConstraint(condition=models.Q(rsid__regex=r"^rs[0-9]+$"), name="snp_rsid_format"),
        ]

    def __str__(self) -> str:
        return f"{self.rsid} ({self.gene})" if self.gene else self.rsid


class SnpInterpretation(models.Model):
    """What one genotype of a SNP means, in words a member can act on."""

    class Label(models.TextChoices):
        TYPICAL = "typical", "Typical"
        NOTABLE = "notable", "Notable"
        UNCERTAIN = "uncertain", "Uncertain"

    snp = models.ForeignKey(Snp, on_delete=models.CASCADE, related_name="interpretations")
    genotype = models.CharField(max_length=20, help_text="Alleles in alphabetical order, e.g. AG.")
    label = models.CharField(max_length=20, choices=Label.choices, default=Label.TYPICAL)
    text = models.TextField()

    class Meta:
        ordering = ["snp", "genotype"]
        constraints = [
            models.UniqueConstraint(fields=["snp", "genotype"], name="interpretation_unique_genotype"),
        ]

    def __str__(self) -> str:
        return f"{self.snp.rsid} {self.genotype}"
