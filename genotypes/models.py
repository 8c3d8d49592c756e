import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Snp(models.Model):
    """A catalogue SNP. Alleles are written on the plus strand of GRCh37, as consumer files are."""

    rsid = models.CharField(max_length=20, unique=True)
    gene = models.CharField(max_length=40, blank=True)
    chromosome = models.CharField(max_length=2, blank=True)
    position_grch37 = models.PositiveBigIntegerField(null=True, blank=True)
    position_grch38 = models.PositiveBigIntegerField(null=True, blank=True)
    ref = models.CharField("reference allele", max_length=50, blank=True)
    alt = models.CharField(
        "alternative allele(s)",
        max_length=50,
        blank=True,
        help_text="Comma-separated when there are several, e.g. C,T.",
    )
    verified = models.BooleanField(
        default=True, help_text="Untick when the position or alleles are not yet confirmed."
    )
    notes = models.TextField(blank=True)
    frequency_note = models.CharField(
        max_length=255,
        blank=True,
        help_text="Where the genotype frequencies come from, shown under the chart.",
    )
    common_names = models.CharField(
        max_length=255,
        blank=True,
        help_text="The names papers use, separated by ' ; ', e.g. 'A118G ; Asn40Asp ; N40D'. "
        "Public, and searched.",
    )
    summary = models.TextField(
        blank=True,
        help_text="One or two public sentences on what the variant is (no genotype findings).",
    )

    class Meta:
        ordering = ["gene", "rsid"]
        verbose_name = "SNP"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rsid__regex=r"^rs[0-9]+$"), name="snp_rsid_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rsid} ({self.gene})" if self.gene else self.rsid

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("genotypes:snp_detail", args=[self.rsid])

    @property
    def common_name_list(self) -> list[str]:
        return common_names_split(self.common_names)


def common_names_split(value: str) -> list[str]:
    """'A118G ; Asn40Asp' -> ['A118G', 'Asn40Asp'] (also split on a bare ';'), no repeats."""
    return list(dict.fromkeys(part.strip() for part in (value or "").split(";") if part.strip()))


# A gene symbol as the catalogue writes it: OPRM1, HLA-B, HLA-DRB1, C4orf33.
GENE_SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,39}$"


class Gene(models.Model):
    """A gene the catalogue's SNPs sit in; its page lists the SNPs whose ``Snp.gene`` equals
    the symbol. Everything here is public."""

    symbol = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200, blank=True, help_text="e.g. mu-opioid receptor.")
    summary = models.TextField(blank=True, help_text="What the gene does, in public words.")

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(symbol__regex=GENE_SYMBOL_PATTERN), name="gene_symbol_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} ({self.name})" if self.name else self.symbol

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("genotypes:gene_detail", args=[self.symbol])


class EvidenceLevel(models.TextChoices):
    """How much weight a finding can bear; explained to readers at /genetics/evidence/."""

    STRONG = "strong", "Strong"
    MODERATE = "moderate", "Moderate"
    LIMITED = "limited", "Limited"
    PRELIMINARY = "preliminary", "Preliminary"
    UNVERIFIED = "unverified", "Unverified"


# One source identifier: a DOI ("doi:10.1001/archpsyc.65.2.135"), a PubMed id ("PMID:8807664")
# or a PubMed Central id ("PMC1995596").
DOI_PATTERN = r"doi:10\.[0-9]{4,9}/[^\s;]+"
PMID_PATTERN = r"PMID:[0-9]{1,9}"
PMC_PATTERN = r"PMC[0-9]{1,9}"
_SOURCE_RE = re.compile(rf"^(?:{DOI_PATTERN}|{PMID_PATTERN}|{PMC_PATTERN})$")
# A finding counts as sourced when its list holds at least one DOI or PMID.
SOURCED_REGEX = r"(^|\s)(doi:10\.|PMID:[0-9])"
UNSOURCED_MESSAGE = (
    "A finding without a source (a DOI or a PMID) can only be saved as unverified: add its "
    "DOI or PMID, or set the evidence level to Unverified."
)


def source_identifiers(value: str) -> list[str]:
    """The identifiers of a sources field: one per line (or separated by ';')."""
    return [part.strip() for part in re.split(r"[;\n]", value or "") if part.strip()]


def validate_sources(value: str) -> None:
    bad = [part for part in source_identifiers(value) if not _SOURCE_RE.match(part)]
    if bad:
        raise ValidationError(
            "Not a well-formed source: %(bad)s. Write doi:10.xxxx/..., PMID:digits or "
            "PMCdigits, one per line.",
            params={"bad": ", ".join(bad)},
            code="source_format",
        )


def source_url(identifier: str) -> str:
    """Where a reader can open a source: doi.org, PubMed or PubMed Central."""
    if identifier.startswith("doi:"):
        return "https://doi.org/" + identifier.removeprefix("doi:")
    if identifier.startswith("PMID:"):
        return "https://pubmed.ncbi.nlm.nih.gov/" + identifier.removeprefix("PMID:") + "/"
    return "https://pmc.ncbi.nlm.nih.gov/articles/" + identifier + "/"


class SnpInterpretation(models.Model):
    """What one genotype of a SNP means, in words a member can act on, with its sources and
    how strong the evidence for it is."""

    class Label(models.TextChoices):
        TYPICAL = "typical", "Typical"
        NOTABLE = "notable", "Notable"
        UNCERTAIN = "uncertain", "Uncertain"

    Evidence = EvidenceLevel

    snp = models.ForeignKey(Snp, on_delete=models.CASCADE, related_name="interpretations")
    genotype = models.CharField(max_length=20, help_text="Alleles in alphabetical order, e.g. AG.")
    label = models.CharField(max_length=20, choices=Label.choices, default=Label.TYPICAL)
    text = models.TextField()
    frequency = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of people with this genotype (0-1), for the per-SNP chart.",
    )
    evidence = models.CharField(
        "evidence level",
        max_length=20,
        choices=EvidenceLevel.choices,
        default=EvidenceLevel.UNVERIFIED,
        help_text="See the evidence scale page. Without a DOI or PMID only Unverified is allowed.",
    )
    evidence_note = models.CharField(
        max_length=255,
        blank=True,
        help_text="When outcomes differ, the level of each, e.g. 'strong for opioid dose; "
        "moderate for naltrexone response'.",
    )
    sources = models.TextField(
        blank=True,
        validators=[validate_sources],
        help_text="One per line: doi:10.xxxx/..., PMID:digits or PMCdigits.",
    )

    class Meta:
        ordering = ["snp", "genotype"]
        constraints = [
            models.UniqueConstraint(
                fields=["snp", "genotype"], name="interpretation_unique_genotype"
            ),
            models.CheckConstraint(
                condition=models.Q(evidence=EvidenceLevel.UNVERIFIED)
                | models.Q(sources__regex=SOURCED_REGEX),
                name="interpretation_sourced_unless_unverified",
                violation_error_message=UNSOURCED_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__isnull=True)
                | models.Q(frequency__gte=0, frequency__lte=1),
                name="interpretation_frequency_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snp.rsid} {self.genotype}"

    def clean(self) -> None:
        super().clean()
        if self.evidence != EvidenceLevel.UNVERIFIED and not self.is_sourced:
            raise ValidationError({"evidence": UNSOURCED_MESSAGE})

    @property
    def is_sourced(self) -> bool:
        return bool(re.search(SOURCED_REGEX, self.sources or ""))

    @property
    def source_links(self) -> list[tuple[str, str]]:
        """(identifier, URL) for each well-formed source, in the order written."""
        return [
            (part, source_url(part))
            for part in source_identifiers(self.sources)
            if _SOURCE_RE.match(part)
        ]


class PopulationFrequency(models.Model):
    """How common an allele (or carrying it) is in one population, as one source reports it."""

    class Measure(models.TextChoices):
        ALLELE = "allele", "Allele frequency"
        CARRIER = "carrier", "Share of people carrying the allele"

    snp = models.ForeignKey(Snp, on_delete=models.CASCADE, related_name="population_frequencies")
    population = models.CharField(max_length=80)
    allele = models.CharField(
        max_length=10, help_text="The allele counted, on the plus strand (e.g. G)."
    )
    allele_note = models.CharField(
        max_length=120, blank=True, help_text="How papers name it, e.g. 'coding 3435C'."
    )
    measure = models.CharField(max_length=10, choices=Measure.choices, default=Measure.ALLELE)
    frequency = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    source = models.CharField(max_length=255, help_text="Where the number was read.")
    release = models.CharField(
        max_length=255, help_text="The data release or study, e.g. '1000 Genomes 30x GRCh38'."
    )

    class Meta:
        ordering = ["snp", "population", "allele"]
        verbose_name = "population frequency"
        verbose_name_plural = "population frequencies"
        constraints = [
            models.UniqueConstraint(
                fields=["snp", "population", "allele", "measure", "source"],
                name="population_frequency_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__gte=0, frequency__lte=1),
                name="population_frequency_share",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="") & ~models.Q(release=""),
                name="population_frequency_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snp.rsid} {self.allele} in {self.population}"


def _raw_upload_path(instance: "GenomeUpload", filename: str) -> str:
    # The member's file name never reaches storage: it can carry a name or a kit number.
    return f"genomes/raw/{instance.user_id}/{instance.pk}.upload"


def _blob_path(instance: "GenomeUpload", filename: str) -> str:
    # ``filename`` names the attempt that writes the blob (the worker passes "a<attempt>"), so
    # two attempts at one upload never share a name; the member's folder holds them all.
    return f"genomes/blobs/{instance.user_id}/{instance.pk}.{filename}.parquet.fernet"


class GenomeUpload(models.Model):
    """One raw-DNA file a member uploaded, its processing state and its stored genome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Reading your file"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="genome_uploads"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, while parsing.")
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.TextField(blank=True, help_text="Shown to the member.")
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    raw_file = models.FileField(upload_to=_raw_upload_path, blank=True, max_length=255)
    keep_raw = models.BooleanField(
        default=False, help_text="The member asked us to keep the original file."
    )
    consented_at = models.DateTimeField()
    genome_file = models.FileField(
        upload_to=_blob_path,
        blank=True,
        max_length=255,
        help_text="Encrypted Parquet of the parsed genome.",
    )
    is_current = models.BooleanField(
        default=False, help_text="The upload whose results the member currently sees."
    )
    format = models.CharField(max_length=40, blank=True)
    build = models.PositiveSmallIntegerField(null=True, blank=True)
    snp_count = models.PositiveIntegerField(default=0)
    no_call_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(
        max_length=64, blank=True, help_text="The Celery task currently parsing this upload."
    )
    created = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        permissions = [
            ("view_genetic_data", "Can view members' genetic data (support only)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="genome_upload_progress_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(build__isnull=True) | models.Q(build__in=[36, 37, 38]),
                name="genome_upload_build_known",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_current=True),
                name="genome_upload_one_current_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_current=True) | models.Q(status="done"),
                name="genome_upload_current_is_done",
            ),
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"Upload {self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class SealedGenotypeField(models.TextField):
    """A genotype stored encrypted: the one place results are sealed and opened.

    Python code sees the plain value ("AG"); the column holds a Fernet token made with the
    genome keys (``genome_store.value_seal``: a fresh random IV each time, 100 characters
    whatever the value, the empty "not in your file" value included), so a database dump or a
    replica shows no genotype, not even which results are equal. ``genome_blobs_rotate``
    re-encrypts the column under the newest key.

    Consequence: the column cannot be filtered or grouped on in SQL (an equality lookup would
    seal the value with a new IV and never match); nothing does so.
    """

    description = "A genotype, encrypted with the genome keys"

    def from_db_value(self, value, expression, connection):
        from genotypes.genome_store import value_unseal

        return value if value is None else value_unseal(value)

    def get_prep_value(self, value):
        from genotypes.genome_store import value_seal

        value = super().get_prep_value(value)
        return value if value is None else value_seal(value)


class GenotypeResult(models.Model):
    """A member's genotype for one catalogue SNP, materialised from their current upload.

    ``genotype`` is normalised as the parser writes it ("AG", "A" for a haploid call, "--"
    for a no-call) and empty when the file does not contain the SNP. It is encrypted in the
    database (``SealedGenotypeField``).

    Stored in clear, on purpose: the row's user, upload, SNP and update time. The worker
    writes one row per catalogue SNP for every member with a processed upload, whether or not
    their file holds it, so these say only "this member has a current upload", which the
    upload row says already; they stay in clear so that a member's results are found by an
    index (user, snp) and deleted with their account by a plain query.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="genotype_results"
    )
    upload = models.ForeignKey(GenomeUpload, on_delete=models.CASCADE, related_name="results")
    snp = models.ForeignKey(Snp, on_delete=models.CASCADE, related_name="results")
    genotype = SealedGenotypeField(blank=True, validators=[MaxLengthValidator(4)])
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "snp"], name="genotype_result_one_per_snp"),
        ]

    def __str__(self) -> str:
        # Deliberately without the genotype: str() ends up in logs and admin pages.
        return f"Result for {self.snp.rsid}"


class GeneticDataAuditLog(models.Model):
    """Who touched whose genetic data, when. Rows outlive the data they describe."""

    class Action(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded a file"
        VIEWED_STATUS = "viewed_status", "Viewed an upload's status"
        VIEWED_RESULTS = "viewed_results", "Viewed results"
        EXPORTED = "exported", "Exported data"
        DELETED = "deleted", "Deleted all genetic data"
        PROCESSED = "processed", "File processed"
        FAILED = "failed", "File could not be processed"
        # An rsid looked up in the member's own stored genome. Neither the rsid nor the
        # answer is written down: the call is genetic data, and which variants a member asks
        # about hints at their health worries; the row says only that the genome was read.
        LOOKED_UP = "looked_up", "Looked up a variant in their file"
        # The worker read a stored genome again to add a newly catalogued SNP's result.
        BACKFILLED = "backfilled", "Stored genome read for a new variant"
        # A member's printable summary of an article, shared by a link (articles.sharing):
        # made, revoked, and opened by whoever holds the link (no actor: not signed in).
        SHARE_CREATED = "share_created", "Created a share link"
        SHARE_REVOKED = "share_revoked", "Revoked a share link"
        SHARE_VIEWED = "share_viewed", "Shared summary opened"
        # The member picked another of their finished uploads: its stored genome was read to
        # recompute every result (genotypes.services.current).
        CHOSE_CURRENT = "chose_current", "Chose the file in use"
        # The weekly new-results email counted the member's results (it shows none of them).
        COUNTED_FOR_DIGEST = "counted_for_digest", "Results counted for the weekly email"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_user_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    upload_id = models.UUIDField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created:%Y-%m-%d %H:%M})"
