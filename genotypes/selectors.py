"""Reads of genotype data. Every function here answers only for the given user.

Owner-only: a selector that takes an id returns the object only to its owner (or to a
holder of the explicit ``genotypes.view_genetic_data`` permission who signed in with a second
factor, as the admin demands) and raises ``Http404`` otherwise, so another member, or staff
without both, cannot tell it exists.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl
from django.http import Http404
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from genotypes import samples
from genotypes.genome_store import GenomeBlobError, genome_from_blob
from genotypes.matching import Match, Status, match_genotype
from genotypes.models import (
    EvidenceLevel,
    GeneticDataAuditLog,
    GenomeUpload,
    GenotypeResult,
    PopulationFrequency,
    Snp,
    SnpInterpretation,
)
from genotypes.parsers import absent_means_reference
from genotypes.samples import DEMO_CALLS

GENETIC_DATA_PERMISSION = "genotypes.view_genetic_data"

_NOTES = {
    Status.NOT_ON_CHIP: "Not on your chip",
    Status.NO_CALL: "No call",
    Status.OTHER_CHROMOSOME: "Your file places this variant elsewhere",
    Status.AMBIGUOUS_STRAND: (
        "This is an A/T or C/G variant: the letters read the same on both DNA strands, so we "
        "cannot confirm which strand your file used and do not interpret it."
    ),
}


# The member-facing words for each state a row can be in besides a labelled finding. The
# label legend (templates/genotypes/includes/label_legend.html) explains each one.
STATE_LABELS = {
    Status.NOT_ON_CHIP: "Not on your chip",
    Status.NO_CALL: "No call",
    Status.OTHER_CHROMOSOME: "Elsewhere in your file",
    Status.AMBIGUOUS_STRAND: "Strand unclear",
}


@dataclass(frozen=True)
class Citation:
    """One numbered citation of a finding's source. Outside an article the number is 0 and
    ``href`` is the source itself; an article numbers them (articles.citations)."""

    identifier: str
    url: str
    number: int = 0
    href: str = ""


@dataclass(frozen=True)
class GenotypeFinding:
    """What one genotype of a SNP means (the catalogue's text, or an article's own)."""

    genotype: str
    label: str
    text: str
    evidence: str = ""
    evidence_note: str = ""
    frequency: float | None = None
    is_yours: bool = False
    source_links: tuple[tuple[str, str], ...] = ()
    citations: tuple[Citation, ...] = ()

    @property
    def label_display(self) -> str:
        return SnpInterpretation.Label(self.label).label if self.label else ""

    @property
    def evidence_display(self) -> str:
        return EvidenceLevel(self.evidence).label if self.evidence else ""

    @property
    def frequency_percent(self) -> str:
        if self.frequency is None:
            return ""
        percent = self.frequency * 100
        return f"{percent:.0f}%" if percent >= 1 or percent == 0 else "under 1%"


@dataclass(frozen=True)
class AlleleFrequency:
    allele: str
    allele_note: str
    measure: str
    frequency: float
    is_yours: bool

    @property
    def percent(self) -> str:
        return f"{self.frequency * 100:.0f}%"


@dataclass(frozen=True)
class PopulationSummary:
    """How common each allele is in one population (a global one where we have it)."""

    population: str
    alleles: tuple[AlleleFrequency, ...]
    source: str
    release: str
    other_populations: int = 0


@dataclass(frozen=True)
class GenotypeRow:
    snp: Snp
    status: str  # a matching.Status value, or "no_upload"
    genotype: str = ""
    label: str = ""
    interpretation: str = ""
    note: str = ""
    evidence: str = ""
    evidence_note: str = ""
    source_links: tuple[tuple[str, str], ...] = ()
    raw_call: str = ""  # the call as the member's file wrote it
    flipped: bool = False  # shown on the catalogue's strand, the file read the other one
    findings: tuple[GenotypeFinding, ...] = ()  # every genotype's finding, the member's marked
    population: PopulationSummary | None = None
    citations: tuple[Citation, ...] = ()

    @property
    def gene(self) -> str:
        return self.snp.gene

    @property
    def rsid(self) -> str:
        return self.snp.rsid

    @property
    def genotype_display(self) -> str:
        if self.status in (Status.MATCH, Status.AMBIGUOUS_STRAND):
            return self.genotype
        return _NOTES.get(self.status, "")

    @property
    def label_display(self) -> str:
        return SnpInterpretation.Label(self.label).label if self.label else ""

    @property
    def state_display(self) -> str:
        """The words for a row without a labelled genotype ("Not on your chip", ...)."""
        return STATE_LABELS.get(self.status, "")

    @property
    def label_key(self) -> str:
        """One key of the label scheme: a finding's label, or the row's state."""
        if self.status in STATE_LABELS:
            return self.status
        return self.label

    @property
    def label_key_display(self) -> str:
        return self.state_display or self.label_display

    @property
    def evidence_display(self) -> str:
        return EvidenceLevel(self.evidence).label if self.evidence else ""

    @property
    def yours(self) -> GenotypeFinding | None:
        return next((f for f in self.findings if f.is_yours), None)


@dataclass(frozen=True)
class GenotypeReport:
    state: str  # "no_upload" | "processing" | "ready"
    rows: list[GenotypeRow] = field(default_factory=list)
    upload_url: str = ""
    status_url: str = ""
    absent_may_be_reference: bool = False
    sample: bool = False  # filled from the made-up sample genome (an editor's preview)


def session_used_second_factor(*, request) -> bool:
    """Whether the signed-in user has a TOTP authenticator and passed allauth's second-factor
    step (TOTP or a recovery code) in this session."""
    from allauth.account.authentication import get_authentication_records
    from allauth.mfa.models import Authenticator

    user = request.user
    if not user.is_authenticated:
        return False
    if not any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    ):
        return False
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def can_view_genetic_data_of(*, viewer, owner_id: int, second_factor: bool = False) -> bool:
    """The owner always; anyone else only with the genetic-data permission and a session that
    used a second factor (``session_used_second_factor``), the same rule as the admin's."""
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.pk == owner_id:
        return True
    return second_factor and viewer.has_perm(GENETIC_DATA_PERMISSION)


def genome_upload_get_for(*, user, upload_id, second_factor: bool = False) -> GenomeUpload:
    """The upload, if ``user`` may see it; Http404 otherwise (whether or not it exists)."""
    upload = GenomeUpload.objects.filter(pk=upload_id).first()
    if upload is None or not can_view_genetic_data_of(
        viewer=user, owner_id=upload.user_id, second_factor=second_factor
    ):
        raise Http404("No such upload.")
    return upload


def genome_uploads_of(*, user) -> list[GenomeUpload]:
    if not user.is_authenticated:
        return []
    return list(GenomeUpload.objects.filter(user=user).order_by("-created"))


def _citations(source_links) -> tuple[Citation, ...]:
    return tuple(Citation(identifier=i, url=u, href=u) for i, u in source_links)


def _findings(
    snp: Snp,
    interpretations: dict[str, SnpInterpretation],
    overrides: Mapping[tuple[int, str], str],
    yours: str,
) -> tuple[GenotypeFinding, ...]:
    """Every genotype of ``snp`` we have something to say about, in genotype order; an
    article's own text (``overrides``) replaces the catalogue's."""
    genotypes = sorted(set(interpretations) | {g for s, g in overrides if s == snp.pk})
    findings = []
    for genotype in genotypes:
        interpretation = interpretations.get(genotype)
        links = tuple(interpretation.source_links) if interpretation else ()
        findings.append(
            GenotypeFinding(
                genotype=genotype,
                label=interpretation.label if interpretation else "",
                text=overrides.get((snp.pk, genotype))
                or (interpretation.text if interpretation else ""),
                evidence=interpretation.evidence if interpretation else "",
                evidence_note=interpretation.evidence_note if interpretation else "",
                frequency=interpretation.frequency if interpretation else None,
                is_yours=genotype == yours,
                source_links=links,
                citations=_citations(links),
            )
        )
    return tuple(findings)


def _row(
    snp: Snp,
    raw: str,
    match: Match,
    interpretations: dict[str, SnpInterpretation],
    overrides: Mapping[tuple[int, str], str],
    population: PopulationSummary | None,
) -> GenotypeRow:
    """One report row from the member's raw call (``raw``, as stored) and its match."""
    findings = _findings(snp, interpretations, overrides, match.key)
    yours = next((f for f in findings if f.is_yours), None)
    note = _NOTES.get(match.status, "") if match.status != Status.MATCH else ""
    if match.status == Status.OTHER_CHROMOSOME:
        note = (
            "Your file lists this rsid on another chromosome than our catalogue does, so it may "
            "name a different variant; we do not match it."
        )
    elif match.flipped:
        note = (
            f"Your file says {raw}; we show {match.genotype} because your file reads the other "
            "DNA strand from the one our catalogue uses. Both name the same genotype."
        )
    elif match.status == Status.AMBIGUOUS_STRAND:
        note = (
            f"Your file says {raw}. This is an A/T or C/G variant: the letters read the same on "
            "both DNA strands, so we cannot tell which strand your file used and do not "
            "interpret it."
        )
    elif match.status == Status.MATCH and yours is None:
        note = "We have no interpretation for this genotype yet."
    return GenotypeRow(
        snp=snp,
        status=match.status,
        genotype=match.genotype,
        label=yours.label if yours else "",
        interpretation=yours.text if yours else "",
        note=note,
        evidence=yours.evidence if yours else "",
        evidence_note=yours.evidence_note if yours else "",
        source_links=yours.source_links if yours else (),
        raw_call=raw if match.status in (Status.MATCH, Status.AMBIGUOUS_STRAND) else "",
        flipped=match.flipped,
        findings=findings,
        population=population,
        citations=yours.citations if yours else (),
    )


def _population_summaries(
    snp_ids: list[int], genotypes: dict[int, str]
) -> dict[int, PopulationSummary]:
    """Per SNP, its allele frequencies in one population (global or pooled where we have it):
    one query for all of them."""
    by_snp: dict[int, list[PopulationFrequency]] = {}
    for entry in PopulationFrequency.objects.filter(snp_id__in=snp_ids).order_by(
        "population", "allele", "measure"
    ):
        by_snp.setdefault(entry.snp_id, []).append(entry)
    summaries = {}
    for snp_id, entries in by_snp.items():
        populations = sorted({e.population for e in entries}, key=str.casefold)
        chosen = _default_population(populations)
        rows = [e for e in entries if e.population == chosen]
        genotype = genotypes.get(snp_id, "")
        summaries[snp_id] = PopulationSummary(
            population=chosen,
            alleles=tuple(
                AlleleFrequency(
                    allele=e.allele,
                    allele_note=e.allele_note,
                    measure=e.measure,
                    frequency=e.frequency,
                    is_yours=bool(genotype) and e.allele in genotype,
                )
                for e in rows
            ),
            source=rows[0].source,
            release=rows[0].release,
            other_populations=len(populations) - 1,
        )
    return summaries


def genotype_report_for(
    *, user, snps: list[Snp], overrides: Mapping[tuple[int, str], str] | None = None
) -> GenotypeReport:
    """The member's genotype for each of ``snps``, in order, in at most four queries.

    ``state`` is "ready" when the member has a processed upload (rows then say match /
    not_on_chip / no_call / ambiguous_strand / other_chromosome, and carry every genotype's
    finding and the allele frequencies), "processing" while their first upload is being read,
    and "no_upload" otherwise (rows then carry status "no_upload").

    ``overrides`` maps (SNP id, genotype) to a text that replaces the catalogue's finding,
    e.g. an article's own wording (articles.ArticleFinding).
    """
    overrides = overrides or {}
    upload_url = reverse("genotypes:upload")
    uploads = (
        list(
            GenomeUpload.objects.filter(user=user)
            .exclude(status=GenomeUpload.Status.FAILED)
            .only("pk", "status", "is_current", "format")
            .order_by("-created")[:5]
        )
        if user.is_authenticated
        else []
    )
    current = next((u for u in uploads if u.is_current), None)
    if current is None:
        pending = next((u for u in uploads if not u.is_finished), None)
        state = "processing" if pending else "no_upload"
        status_url = reverse("genotypes:upload_status", args=[pending.pk]) if pending else ""
        return GenotypeReport(
            state=state,
            upload_url=upload_url,
            status_url=status_url,
            rows=[GenotypeRow(snp=s, status="no_upload") for s in snps],
        )
    results = {
        r.snp_id: r
        for r in GenotypeResult.objects.filter(user=user, snp_id__in=[s.pk for s in snps])
    }
    raw = {snp.pk: results[snp.pk].genotype if snp.pk in results else "" for snp in snps}
    return _report_from_calls(snps, raw, overrides, file_format=current.format)


def genotype_report_sample(
    *, snps: list[Snp], overrides: Mapping[tuple[int, str], str] | None = None
) -> GenotypeReport:
    """The report as a member whose file is the downloadable sample genome would read it
    (``samples.DEMO_CALLS``, made up), marked ``sample``: for editors' previews, which may
    show the catalogue's findings (members' text). No member's data is read."""
    raw = {snp.pk: DEMO_CALLS.get(snp.rsid, "") for snp in snps}
    report = _report_from_calls(snps, raw, overrides or {}, file_format="23andme")
    return dataclasses.replace(report, sample=True)


def genotype_report_public_example() -> GenotypeReport:
    """A made-up report (genotypes.samples.SAMPLE_REPORT): what a member's report looks like,
    for pages anyone may read. Its texts are placeholders written for it, never the
    catalogue's findings (members' text), and it reads no one's data."""
    rows = []
    for rsid, gene, genotype, label, evidence, others in samples.SAMPLE_REPORT:
        findings = tuple(
            GenotypeFinding(
                genotype=option,
                label=label if option == genotype else "",
                text=samples.SAMPLE_FINDING_TEXT.format(genotype=option, gene=gene),
                is_yours=option == genotype,
            )
            for option in sorted((genotype, *others))
        )
        rows.append(
            GenotypeRow(
                snp=Snp(rsid=rsid, gene=gene),
                status=Status.MATCH,
                genotype=genotype,
                label=label,
                interpretation=samples.SAMPLE_FINDING_TEXT.format(genotype=genotype, gene=gene),
                evidence=evidence,
                findings=findings,
            )
        )
    return GenotypeReport(state="ready", rows=rows, sample=True)


def _report_from_calls(
    snps: list[Snp], raw: dict[int, str], overrides, *, file_format: str
) -> GenotypeReport:
    """A ready report from raw calls by SNP id ("" when the file has none), in three queries."""
    snp_ids = [s.pk for s in snps]
    interpretations: dict[int, dict[str, SnpInterpretation]] = {}
    for interpretation in SnpInterpretation.objects.filter(snp_id__in=snp_ids):
        interpretations.setdefault(interpretation.snp_id, {})[interpretation.genotype] = (
            interpretation
        )
    matches = {
        snp.pk: match_genotype(genotype=raw[snp.pk], ref=snp.ref, alt=snp.alt) for snp in snps
    }
    shown = {
        pk: match.genotype if match.status == Status.MATCH else "" for pk, match in matches.items()
    }
    populations = _population_summaries(snp_ids, shown)
    rows = [
        _row(
            snp,
            raw[snp.pk],
            matches[snp.pk],
            interpretations.get(snp.pk, {}),
            overrides,
            populations.get(snp.pk),
        )
        for snp in snps
    ]
    return GenotypeReport(
        state="ready",
        rows=rows,
        upload_url=reverse("genotypes:upload"),
        absent_may_be_reference=absent_means_reference(file_format),
    )


def snp_catalogue() -> list[Snp]:
    return list(Snp.objects.order_by("gene", "rsid"))


@dataclass(frozen=True)
class FrequencyBar:
    genotype: str
    frequency: float
    label: str
    is_yours: bool
    x: float
    width: float
    y: float


# What each level of the evidence scale means, for the public page that explains it.
EVIDENCE_SCALE: dict[str, str] = {
    EvidenceLevel.STRONG: (
        "Several independent studies agree: a meta-analysis of replicated studies, or a large "
        "genome-wide study confirmed in other samples. The effect can still be small."
    ),
    EvidenceLevel.MODERATE: (
        "One well-designed study of adequate size, or several studies that do not all agree. "
        "Likely to hold, but the size of the effect is uncertain."
    ),
    EvidenceLevel.LIMITED: (
        "A single small study, or results from one group not yet repeated elsewhere. Treat it "
        "as a lead, not a conclusion."
    ),
    EvidenceLevel.PRELIMINARY: (
        "Laboratory, animal or case-report work only: it suggests a mechanism, not an effect "
        "in people."
    ),
    EvidenceLevel.UNVERIFIED: (
        "We have not yet checked this finding against a source we could read and cite (a DOI "
        "or PubMed id), or the source did not support a grade. We show it so you know it "
        "exists, not as something to act on."
    ),
}


def evidence_scale() -> list[dict]:
    """The evidence levels, strongest first, with what each means."""
    return [
        {"value": level.value, "label": level.label, "meaning": EVIDENCE_SCALE[level]}
        for level in EvidenceLevel
    ]


@dataclass(frozen=True)
class PopulationBar:
    allele: str
    allele_note: str
    measure: str
    frequency: float
    source: str
    release: str
    is_yours: bool
    width: float
    y: float

    @property
    def name(self) -> str:
        return f"{self.allele} carriers" if self.measure == "carrier" else self.allele


@dataclass(frozen=True)
class PopulationChart:
    populations: list[str]
    chosen: str
    bars: list[PopulationBar]

    @property
    def height(self) -> int:
        return 20 + 34 * len(self.bars)

    @property
    def sources(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((bar.source, bar.release) for bar in self.bars))


def _default_population(populations: list[str]) -> str:
    for prefix in ("ALL", "Global", "EUR"):
        for name in populations:
            if name.startswith(prefix):
                return name
    return populations[0]


def population_chart_for(*, snp: Snp, population: str, genotype: str) -> PopulationChart | None:
    """Allele frequencies of ``snp`` in the chosen population (a pooled or global one when
    ``population`` names none we have), each with its source and release; the alleles of
    ``genotype`` (the member's) are marked. None when we hold no frequencies for the SNP."""
    entries = list(
        PopulationFrequency.objects.filter(snp=snp).order_by("population", "allele", "measure")
    )
    if not entries:
        return None
    populations = sorted({e.population for e in entries}, key=str.casefold)
    chosen = population if population in populations else _default_population(populations)
    bars = [
        PopulationBar(
            allele=e.allele,
            allele_note=e.allele_note,
            measure=e.measure,
            frequency=e.frequency,
            source=e.source,
            release=e.release,
            is_yours=bool(genotype) and e.allele in genotype,
            width=max(round(e.frequency * 240, 1), 1.0),
            y=10 + index * 34,
        )
        for index, e in enumerate(x for x in entries if x.population == chosen)
    ]
    return PopulationChart(populations=populations, chosen=chosen, bars=bars)


# --- Looking up any rsid in the member's own file ----------------------------------------------

RSID_PATTERN = re.compile(r"^rs[0-9]{1,12}$")


@dataclass(frozen=True)
class RsidLookup:
    """What the member's current file says about one rsid.

    ``state``: "no_upload" (no processed file), "found" (``call`` as stored from the file:
    alleles in alphabetical order, "--" for a no-call), "not_in_file" or "unreadable" (the
    stored genome cannot be decrypted). ``snp`` is the catalogue entry, None when we have
    nothing to say about the variant yet.
    """

    rsid: str
    state: str
    snp: Snp | None = None
    call: str = ""
    chromosome: str = ""
    position: int | None = None
    upload_id: object = None

    @property
    def is_no_call(self) -> bool:
        return self.call == "--"


@sensitive_variables()
def genome_rsid_lookup_for(*, user, rsid: str) -> RsidLookup:
    """Look ``rsid`` up in ``user``'s own current stored genome. Owner-only: it reads the
    current upload of ``user`` and no one else's. ``rsid`` must match ``RSID_PATTERN``.

    Records without an rsid (VCFs) are matched by the catalogue position in the file's build
    when the catalogue knows the variant, as the backfill does.
    """
    if not RSID_PATTERN.fullmatch(rsid):
        raise ValueError("not an rsid")
    snp = Snp.objects.filter(rsid=rsid).first()
    current = (
        GenomeUpload.objects.filter(user=user, is_current=True)
        .exclude(genome_file="")
        .only("pk", "user_id", "build", "format", "genome_file")
        .first()
        if user.is_authenticated
        else None
    )
    if current is None or not can_view_genetic_data_of(viewer=user, owner_id=current.user_id):
        return RsidLookup(rsid=rsid, state="no_upload", snp=snp)
    position = None
    if snp is not None and snp.chromosome and current.build in (37, 38):
        position = snp.position_grch38 if current.build == 38 else snp.position_grch37
    try:
        with current.genome_file.open("rb") as handle:
            blob = handle.read()
        frame = genome_from_blob(
            blob,
            rsids=[rsid],
            positions=[(snp.chromosome, position)] if position else (),
        )
    except (FileNotFoundError, ValueError, GenomeBlobError):
        return RsidLookup(rsid=rsid, state="unreadable", snp=snp, upload_id=current.pk)
    rows = list(
        frame.select(
            "rsid",
            pl.col("chromosome").cast(pl.String),
            "position",
            pl.col("genotype").cast(pl.String),
        ).iter_rows()
    )
    hit = next((r for r in rows if r[0] == rsid), None) or next(iter(rows), None)
    if hit is None:
        return RsidLookup(rsid=rsid, state="not_in_file", snp=snp, upload_id=current.pk)
    return RsidLookup(
        rsid=rsid,
        state="found",
        snp=snp,
        call=hit[3] or "",
        chromosome=hit[1] or "",
        position=hit[2],
        upload_id=current.pk,
    )


# --- The member's own activity page: their audit rows in plain words -------------------------

_ACTIVITY_WORDS = {
    GeneticDataAuditLog.Action.UPLOADED: "A DNA file was uploaded.",
    GeneticDataAuditLog.Action.VIEWED_STATUS: "An upload's details (status and counts) were opened",
    GeneticDataAuditLog.Action.VIEWED_RESULTS: "Your genotypes were shown",
    GeneticDataAuditLog.Action.EXPORTED: "Your data was downloaded as a zip file.",
    GeneticDataAuditLog.Action.DELETED: "Genetic data was deleted",
    GeneticDataAuditLog.Action.PROCESSED: "Your file was read and your genome stored",
    GeneticDataAuditLog.Action.FAILED: "A file you uploaded could not be read.",
    GeneticDataAuditLog.Action.LOOKED_UP: "A variant was looked up in your stored genome.",
    GeneticDataAuditLog.Action.BACKFILLED: (
        "Your stored genome was read again for newly catalogued variants"
    ),
    GeneticDataAuditLog.Action.SHARE_CREATED: "A share link to a printable summary was made",
    GeneticDataAuditLog.Action.SHARE_REVOKED: "Share links were revoked",
    GeneticDataAuditLog.Action.SHARE_VIEWED: (
        "Someone holding your share link opened your printable summary"
    ),
    GeneticDataAuditLog.Action.CHOSE_CURRENT: (
        "Your results were worked out again from the file you chose to use"
    ),
    GeneticDataAuditLog.Action.COUNTED_FOR_DIGEST: (
        "Your results were counted for the weekly new-results email (it names none of them)."
    ),
}


@dataclass(frozen=True)
class ActivityEntry:
    """One access to a member's genetic data, as their activity page and export put it."""

    when: object  # an aware datetime
    action: str
    what: str
    who: str


def _activity_who(entry: GeneticDataAuditLog, owner_id: int) -> str:
    if entry.action == GeneticDataAuditLog.Action.SHARE_VIEWED:
        return "a holder of your share link"
    if entry.actor_id is None:  # reading an upload, backfills, digests: no person acted
        return "genlife (automatically)"
    if entry.actor_id == owner_id:
        return "you"
    # Support staff are named by their role only; the reason they gave is in ``what``.
    return "genlife support staff"


def _activity_what(entry: GeneticDataAuditLog) -> str:
    words = _ACTIVITY_WORDS.get(entry.action, entry.get_action_display())
    detail = entry.detail.strip()
    if not detail:
        return words if words.endswith(".") else words + "."
    Action = GeneticDataAuditLog.Action
    if entry.action == Action.VIEWED_RESULTS:  # the detail names the page: "My genetics"
        return f"{words} on {detail}."
    if entry.action in (Action.VIEWED_STATUS, Action.BACKFILLED):
        return f"{words} ({detail})."
    if entry.action == Action.FAILED:
        return words
    return f"{words.rstrip('.')}: {detail}."


def activity_entry_from(entry: GeneticDataAuditLog, *, owner_id: int) -> ActivityEntry:
    return ActivityEntry(
        when=entry.created,
        action=entry.action,
        what=_activity_what(entry),
        who=_activity_who(entry, owner_id),
    )


def genetic_data_activity_for(*, user):
    """Every access to ``user``'s own genetic data, newest first (a queryset: paginate it).

    Only ever the user's own rows: there is no argument naming anyone else.
    """
    if not user.is_authenticated:
        return GeneticDataAuditLog.objects.none()
    return GeneticDataAuditLog.objects.filter(subject_user_id=user.pk).order_by("-created", "-pk")
