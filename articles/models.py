"""Articles: the editorial content model.

Rendered HTML is stored beside the Markdown it comes from (`Section.body_html`), written by
`articles.services.rendering.article_render` once per save. Pages never render Markdown.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

SLUG_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Topic(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=SLUG_REGEX), name="topic_slug_format"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    credentials = models.CharField(
        max_length=200,
        blank=True,
        help_text="Qualifications and expertise, shown beside the name, e.g. "
        '"PhD in human genetics; 12 years in pharmacogenomics".',
    )
    bio = models.TextField(blank=True)
    photo = models.FileField(upload_to="authors/", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=SLUG_REGEX), name="author_slug_format"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:author", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self, *, now=None) -> "ArticleQuerySet":
        """Published and due: a future `published_at` keeps an article hidden until then."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=now or timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the address, /articles/your-slug/. Made from the title "
        "when left empty.",
    )
    description = models.CharField(
        "meta description",
        max_length=300,
        help_text="One or two sentences for search results, social cards and article lists.",
    )
    key_takeaways = models.JSONField(
        default=list, blank=True, help_text="A list of short sentences."
    )
    overview_image = models.FileField(upload_to="articles/", blank=True)
    overview_image_alt = models.CharField(max_length=400, blank=True)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="articles")
    reviewed_by = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_articles",
        help_text="Who checked the article's facts and references; shown as "
        '"Reviewed by" under the author.',
    )
    reviewed_on = models.DateField(
        null=True, blank=True, help_text="The day the review was done; shown with the reviewer."
    )
    topics = models.ManyToManyField(Topic, related_name="articles", blank=True)
    related = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A future time schedules the article: it appears on its own at that moment.",
    )
    featured = models.BooleanField(default=False, help_text="Featured articles lead the home page.")
    rsids_not_reported = models.CharField(
        "rsids not reported",
        max_length=500,
        blank=True,
        help_text="rsids the text names that the genotype report leaves out on purpose, "
        "separated by spaces (e.g. variants no consumer chip reads).",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # The last substantive editorial change (an ArticleChange): the "Updated" date readers see.
    revised_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Written by services.article_render, read by pages; never edited by hand.
    public_text = models.TextField(blank=True, editable=False)
    # PostgreSQL only (title, description and public_text, weighted A/B/C), GIN-indexed by
    # migration 0002; stays empty on SQLite, where search falls back to substring matching.
    search_vector = SearchVectorField(null=True, editable=False)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # The words a visitor is shown: headings, and the text of sections open to everyone.
    public_word_count = models.PositiveIntegerField(default=0, editable=False)
    render_problems = models.JSONField(default=list, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"], name="article_status_pub_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=SLUG_REGEX), name="article_slug_format"),
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_on__isnull=True) | Q(reviewed_by__isnull=False),
                name="article_review_date_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @property
    def card_image_url(self) -> str:
        """The picture on the article's cards: its overview image, else one drawn for it."""
        name = "articles:overview_image" if self.overview_image else "articles:card_image"
        return reverse(name, kwargs={"slug": self.slug})

    @property
    def editorial_updated(self):
        """The date readers are shown as "Updated": the last substantive change an editor
        marked, else the publication date (a save that changes nothing of substance, or a
        re-render, never moves it)."""
        return self.revised_at or self.published_at or self.created

    @property
    def reading_minutes(self) -> int:
        """For members, who are shown every section."""
        return max(1, round(self.word_count / 220))

    @property
    def public_reading_minutes(self) -> int:
        """For everyone else: members-only text is not theirs to read (nor to measure)."""
        return max(1, round(self.public_word_count / 220))


class ArticleChange(models.Model):
    """A substantive change an editor marked at save time, listed under "What changed"."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="changes")
    date = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500)
    members_only = models.BooleanField(
        default=False,
        help_text="The note is about members-only sections: visitors do not see it.",
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="article_change_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.article}: {self.note}"


class Section(models.Model):
    class Access(models.TextChoices):
        PUBLIC = "public", "Everyone"
        MEMBERS = "members", "Members only"

    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard"
        GENOTYPE_REPORT = "genotype_report", "Genotype report"
        LIFEHACKS = "lifehacks", "Lifehacks"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=200)
    anchor = models.SlugField(
        max_length=200,
        blank=True,
        help_text="The #anchor of this section. Made from the heading when left empty.",
    )
    body = models.TextField("body (Markdown)", blank=True)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.PUBLIC)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STANDARD)
    teaser = models.CharField(
        max_length=300,
        blank=True,
        help_text="For members-only sections: the one line visitors read instead of the text.",
    )
    snps = models.ManyToManyField(
        "genotypes.Snp", through="SectionSnp", related_name="sections", blank=True
    )

    body_html = models.TextField(blank=True, editable=False)
    body_text = models.TextField(blank=True, editable=False)
    # Genotype-conditioned blocks (articles/blocks.py), rendered; body_html holds a marker where
    # each goes, and the page fills in the ones the reading member's genotypes meet.
    blocks = models.JSONField(default=list, blank=True, editable=False)
    subheadings = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "order"], name="section_unique_order"),
            models.UniqueConstraint(
                fields=["article", "anchor"], condition=~Q(anchor=""), name="section_unique_anchor"
            ),
            # Genotype reports and lifehacks are what membership pays for: never public.
            models.CheckConstraint(
                condition=Q(kind="standard") | Q(access="members"),
                name="section_member_kinds_gated",
            ),
            models.CheckConstraint(condition=~Q(heading=""), name="section_heading_not_empty"),
        ]

    def __str__(self) -> str:
        return self.heading


class SectionSnp(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="section_snps")
    snp = models.ForeignKey("genotypes.Snp", on_delete=models.PROTECT, related_name="section_links")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "SNP in section"
        verbose_name_plural = "SNPs in section"
        constraints = [
            models.UniqueConstraint(fields=["section", "snp"], name="section_snp_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.section} · {self.snp}"


class Reference(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveIntegerField(help_text="Cite it in the text as [ref:number].")
    authors = models.CharField(max_length=500)
    title = models.CharField(max_length=500)
    journal = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField()
    doi = models.CharField("DOI", max_length=200, blank=True, help_text="Like 10.1002/ana.22006")
    pmid = models.CharField("PubMed id", max_length=12, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    # Its number on the page: references are numbered in the order the text first cites them
    # (articles.citations), written by services.article_render; `number` is the editor's key.
    display_number = models.PositiveIntegerField(null=True, editable=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="reference_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="reference_number_positive"),
            models.CheckConstraint(
                condition=Q(pmid="") | Q(pmid__regex=r"^[0-9]+$"), name="reference_pmid_digits"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__regex=r"^10\.[0-9]{4,9}/"), name="reference_doi_format"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1600) & Q(year__lte=2200), name="reference_year_range"
            ),
            # Printed as a link: never a javascript: or data: URL, whatever wrote the row.
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="reference_url_http",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.authors} ({self.year})"

    @property
    def shown_number(self) -> int:
        """The number readers see (the editor's own until the article is rendered)."""
        return self.display_number or self.number

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class ArticleFinding(models.Model):
    """An article's own wording of what one genotype of a SNP means. In that article it
    replaces the catalogue's general text (genotypes.SnpInterpretation); the label, evidence
    level and sources stay the catalogue's."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="findings")
    snp = models.ForeignKey(
        "genotypes.Snp", on_delete=models.PROTECT, related_name="article_findings"
    )
    genotype = models.CharField(
        max_length=2, help_text="Two letters on the plus strand, in any order, e.g. AG."
    )
    text = models.TextField(help_text="Shown in this article instead of the catalogue's text.")

    class Meta:
        ordering = ["snp", "genotype"]
        verbose_name = "article-specific finding"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "snp", "genotype"], name="article_finding_unique_genotype"
            ),
            models.CheckConstraint(
                condition=Q(genotype__regex=r"^[ACGT]{2}$"), name="article_finding_genotype_letters"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="article_finding_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.snp.rsid} {self.genotype} in {self.article}"

    def clean(self) -> None:
        from genotypes.matching import normalise

        super().clean()
        self.genotype = normalise((self.genotype or "").strip())
        snp = self.snp if self.snp_id else None
        problem = finding_genotype_problem(genotype=self.genotype, snp=snp)
        if problem:
            raise ValidationError({"genotype": problem})


def finding_genotype_problem(*, genotype: str, snp) -> str:
    """Why ``genotype`` (normalised) cannot be a genotype of ``snp``, or "" when it can."""
    from genotypes.matching import snp_alleles

    if not re.fullmatch(r"[ACGT]{2}", genotype):
        return f"'{genotype}' is not a genotype: write two letters from A, C, G and T, e.g. AG."
    if snp is None:
        return ""
    alleles = snp_alleles(snp.ref, snp.alt)
    if alleles and not set(genotype) <= alleles:
        return (
            f"{genotype} is impossible for {snp.rsid}, whose alleles are "
            f"{' and '.join(sorted(alleles))} on the plus strand."
        )
    return ""


class SummaryShareLink(models.Model):
    """A member's link to their printable summary of one article, for a doctor, say.

    Only a hash of the token is stored: the link is shown once, when made, and the row alone
    cannot open it. It stops working at ``expires_at`` (1-14 days after it was made), when the
    member revokes it, deletes their genetic data or account, or stops being a member.
    """

    MAX_DAYS = 14

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="summary_share_links"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="share_link_token_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"Share link {self.pk} to {self.article_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class GeneticsVisit(models.Model):
    """What a member's results looked like when they last looked, for "new since your last
    visit" on My genetics.

    A visit is a run of views of that page with less than ``articles.services.visits.
    VISIT_GAP`` between them. ``known_*`` is what the latest view showed; ``baseline_*`` is what
    the previous visit had shown by its end, so a result is new for the whole of the visit that
    first shows it. The ids say only which catalogue SNPs have a result row (one per catalogue
    SNP for anyone with a processed file, whatever it holds) and which published articles
    discuss them: no genotype, no call.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="genetics_visit"
    )
    visit_started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    known_snp_ids = models.JSONField(default=list)
    known_article_ids = models.JSONField(default=list)
    baseline_snp_ids = models.JSONField(default=list)
    baseline_article_ids = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Visit of user {self.user_id} ({self.last_seen_at:%Y-%m-%d %H:%M})"
