"""Importing articles from Markdown files with front matter, and the demo content."""

from dataclasses import dataclass
from pathlib import Path

import reversion
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from articles import receivers
from articles.article_file import (
    ArticleFileError,
    ParsedArticle,
    article_file_parse,
    catalogue_parse,
)
from articles.blocks import (
    ArticleParts,
    article_problems,
    body_parts_parse,
    part_rsids,
    section_body_problems,
)
from articles.models import (
    Article,
    ArticleFinding,
    Author,
    Reference,
    Section,
    Topic,
    finding_genotype_problem,
)
from articles.services.rendering import article_render, block_catalogue, section_snps_set
from genotypes.models import Snp

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
# The first bytes of the raster formats an editor may publish (SVG is recognised by its text:
# the site serves uploaded images sandboxed, so an SVG can never run script).
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
NOT_A_BUNDLE_IMAGE = "must be an image file in the article's folder (PNG, JPEG, GIF, WebP or SVG)"


def _bundle_image(folder: Path, name: str) -> Path | None:
    """The image file ``name`` inside ``folder`` (the article's), or None.

    Every file an article names is published at a public URL: it must resolve inside the
    folder (no "..", absolute path or symlink leading out of it) and be an image by content.
    """
    folder = folder.resolve()
    try:
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    with path.open("rb") as handle:
        head = handle.read(1024)
    if head.startswith(IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return path
    if path.suffix.lower() == ".svg" and b"<svg" in head.lower():
        return path
    return None


@dataclass(frozen=True)
class ArticleImportResult:
    article: Article
    created: bool
    unresolved_related: list[str]
    skipped_snps: list[str]


def _catalogue(path: Path, required: tuple[str, ...]) -> dict[str, dict]:
    if not path.exists():
        return {}
    return catalogue_parse(path.read_text(encoding="utf-8"), required=required)


def _check_against_database(
    parsed: ParsedArticle, *, authors: dict, topics: dict, skip_missing_snps: bool
) -> list[tuple[int, str]]:
    errors = []
    line = parsed.lines
    if parsed.author not in authors and not Author.objects.filter(slug=parsed.author).exists():
        errors.append(
            (
                line.get("author", 0),
                f"author '{parsed.author}' is neither in authors.yaml nor on the site",
            )
        )
    known_topics = set(
        Topic.objects.filter(slug__in=parsed.topics).values_list("slug", flat=True)
    ) | set(topics)
    for slug in parsed.topics:
        if slug not in known_topics:
            errors.append(
                (line.get("topics", 0), f"topic '{slug}' is neither in topics.yaml nor on the site")
            )
    wanted = {rsid for section in parsed.sections for rsid in section.snps}
    known = set(Snp.objects.filter(rsid__in=wanted).values_list("rsid", flat=True))
    for section in parsed.sections:
        for rsid in section.snps:
            if rsid not in known and not skip_missing_snps:
                errors.append(
                    (section.line, f"{rsid} is not in the SNP catalogue; add it in the admin first")
                )
    catalogue = Snp.objects.in_bulk([f.rsid for f in parsed.findings], field_name="rsid")
    for finding in parsed.findings:
        snp = catalogue.get(finding.rsid)
        if snp is None:
            if not skip_missing_snps:
                errors.append(
                    (finding.line, f"{finding.rsid} is not in the SNP catalogue; add it first")
                )
            continue
        problem = finding_genotype_problem(genotype=finding.genotype, snp=snp)
        if problem:
            errors.append((finding.line, problem))
    if parsed.status == Article.Status.PUBLISHED:
        errors += _block_errors(parsed, skip_missing_snps=skip_missing_snps)
    return errors


def _block_errors(parsed: ParsedArticle, *, skip_missing_snps: bool) -> list[tuple[int, str]]:
    """Genotype blocks that name an rsid or a genotype the catalogue lacks: a published
    article is refused with the file line and reason (a draft imports and lists them)."""
    catalogue = block_catalogue(
        rsids=[r for s in parsed.sections for r in part_rsids(body_parts_parse(s.body)[0])]
    )
    numbers = {reference.number for reference in parsed.references}
    errors = []
    for section in parsed.sections:
        for line, reason in section_body_problems(
            body=section.body,
            kind=section.kind,
            reference_numbers=numbers,
            catalogue=catalogue,
            first_line=section.body_line,
        ):
            if skip_missing_snps and reason.endswith("is not in the SNP catalogue"):
                continue  # the demo: loads before or after the catalogue, like 'snps'
            errors.append((line, f"cannot publish: {reason}"))
    whole = ArticleParts(
        key_takeaways=parsed.key_takeaways,
        topic_count=len(parsed.topics),
        bodies=[section.body for section in parsed.sections],
        reference_dois={reference.number: reference.doi for reference in parsed.references},
        report_rsids={
            rsid.lower()
            for section in parsed.sections
            if section.kind == Section.Kind.GENOTYPE_REPORT
            for rsid in section.snps
        },
        rsids_not_reported=set(parsed.rsids_not_reported),
    )
    errors += [(1, f"cannot publish: {reason}") for reason in article_problems(whole)]
    return errors


def article_import(
    *, path: Path, dry_run: bool = False, skip_missing_snps: bool = False
) -> ArticleImportResult | None:
    """Create or update (by slug) the article in a Markdown file. Raises ArticleFileError.

    Authors and topics come from `authors.yaml` / `topics.yaml` next to the file when present.
    Nothing is written unless the whole file is valid. With dry_run, nothing is written at all.
    With skip_missing_snps, rsids not yet in the SNP catalogue are left out (and reported in
    the result) instead of failing the import; re-import once the catalogue has them.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArticleFileError([(0, "the file is not UTF-8 text")]) from None
    parsed = article_file_parse(text)
    authors = _catalogue(path.parent / "authors.yaml", ("name",))
    topics = _catalogue(path.parent / "topics.yaml", ("name",))
    errors = _check_against_database(
        parsed, authors=authors, topics=topics, skip_missing_snps=skip_missing_snps
    )
    image_path = None
    if parsed.overview_image:
        image_path = _bundle_image(path.parent, parsed.overview_image)
        if image_path is None:
            errors.append(
                (
                    parsed.lines.get("overview_image", 0),
                    f"image file '{parsed.overview_image}' {NOT_A_BUNDLE_IMAGE}",
                )
            )
    for slug, entry in authors.items():
        if entry.get("photo") and _bundle_image(path.parent, entry["photo"]) is None:
            errors.append(
                (0, f"authors.yaml: photo '{entry['photo']}' of '{slug}' {NOT_A_BUNDLE_IMAGE}")
            )
    if errors:
        raise ArticleFileError(errors)
    if dry_run:
        return None
    catalogue = set(
        Snp.objects.filter(
            rsid__in=[rsid for section in parsed.sections for rsid in section.snps]
        ).values_list("rsid", flat=True)
    )
    skipped = [
        rsid for section in parsed.sections for rsid in section.snps if rsid not in catalogue
    ]
    # Kept as a revision like an admin save (articles/revisions.py), named after the file.
    with transaction.atomic(), reversion.create_revision():
        reversion.set_comment(f"Imported from {path.name}")
        author = _author_upsert(
            slug=parsed.author, entry=authors.get(parsed.author), base=path.parent
        )
        topic_objects = [_topic_upsert(slug=slug, entry=topics.get(slug)) for slug in parsed.topics]
        article = Article.objects.select_for_update().filter(slug=parsed.slug).first()
        created = article is None
        if created:
            article = Article(slug=parsed.slug)
        article.title = parsed.title
        article.description = parsed.description
        article.key_takeaways = parsed.key_takeaways
        article.rsids_not_reported = " ".join(parsed.rsids_not_reported)
        article.overview_image_alt = parsed.overview_image_alt
        article.author = author
        article.status = parsed.status
        article.featured = parsed.featured
        article.published_at = parsed.published_at or (
            article.published_at or timezone.now()
            if parsed.status == Article.Status.PUBLISHED
            else None
        )
        if image_path is not None:
            content = image_path.read_bytes()
            current = b""
            if article.overview_image:
                try:
                    with article.overview_image.open("rb") as handle:
                        current = handle.read()
                except OSError:
                    current = b""
            if current != content:
                article.overview_image.save(
                    Path(parsed.overview_image).name, ContentFile(content), save=False
                )
        elif article.overview_image:
            article.overview_image = ""
        article.full_clean(exclude=["overview_image"])
        article.save()
        article.topics.set(topic_objects)
        article.sections.all().delete()
        article.references.all().delete()
        references = [
            Reference(
                article=article,
                number=ref.number,
                authors=ref.authors,
                title=ref.title,
                journal=ref.journal,
                year=ref.year,
                doi=ref.doi,
                pmid=ref.pmid,
                url=ref.url,
            )
            for ref in parsed.references
        ]
        for reference in references:
            reference.full_clean(validate_unique=False, validate_constraints=False)
        Reference.objects.bulk_create(references)
        for order, parsed_section in enumerate(parsed.sections, start=1):
            section = Section(
                article=article,
                order=order,
                heading=parsed_section.heading,
                anchor=parsed_section.anchor,
                body=parsed_section.body,
                access=parsed_section.access,
                kind=parsed_section.kind,
                teaser=parsed_section.teaser,
            )
            section.full_clean(validate_unique=False, validate_constraints=False)
            section.save()
            rsids = [rsid for rsid in parsed_section.snps if rsid in catalogue]
            if rsids:
                section_snps_set(section=section, rsids=rsids)
        _findings_replace(article=article, findings=parsed.findings)
        related = list(Article.objects.filter(slug__in=parsed.related))
        article.related.set(related)
        article_render(article=article)
        reversion.add_to_revision(article)
    found = {other.slug for other in related}
    unresolved = [slug for slug in parsed.related if slug not in found]
    return ArticleImportResult(
        article=article, created=created, unresolved_related=unresolved, skipped_snps=skipped
    )


def _findings_replace(*, article: Article, findings: list) -> None:
    """The article's own finding texts become exactly the file's (SNPs the catalogue lacks are
    left out, as in genotype report sections)."""
    article.findings.all().delete()
    catalogue = Snp.objects.in_bulk([f.rsid for f in findings], field_name="rsid")
    rows = [
        ArticleFinding(article=article, snp=catalogue[f.rsid], genotype=f.genotype, text=f.text)
        for f in findings
        if f.rsid in catalogue
    ]
    for row in rows:
        row.full_clean(validate_unique=False, validate_constraints=False)
    ArticleFinding.objects.bulk_create(rows)


def _author_upsert(*, slug: str, entry: dict | None, base: Path) -> Author:
    author = Author.objects.filter(slug=slug).first()
    if entry is None:
        return author  # exists, checked before
    if author is None:
        author = Author(slug=slug)
    author.name = entry["name"]
    author.bio = entry.get("bio", "")
    author.credentials = entry.get("credentials", "")
    photo = _bundle_image(base, entry["photo"]) if entry.get("photo") else None
    if photo is not None and not author.photo:
        author.photo.save(Path(entry["photo"]).name, ContentFile(photo.read_bytes()), save=False)
    author.full_clean(exclude=["photo"])
    author.save()
    return author


def _topic_upsert(*, slug: str, entry: dict | None) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if entry is None:
        return topic
    if topic is None:
        topic = Topic(slug=slug)
    topic.name = entry["name"]
    topic.description = entry.get("description", "")
    topic.full_clean()
    topic.save()
    return topic


def articles_import(
    *, paths: list[Path], skip_missing_snps: bool = False
) -> list[ArticleImportResult]:
    """Import several files; `related` links between them resolve whatever their order."""
    results = [article_import(path=path, skip_missing_snps=skip_missing_snps) for path in paths]
    pending = [result for result in results if result.unresolved_related]
    final = []
    for result in results:
        if result in pending:
            article = result.article
            parsed_related = (
                list(article.related.values_list("slug", flat=True)) + result.unresolved_related
            )
            related = list(Article.objects.filter(slug__in=parsed_related).exclude(pk=article.pk))
            article.related.set(related)
            found = {other.slug for other in related}
            result = ArticleImportResult(
                article=article,
                created=result.created,
                unresolved_related=[
                    slug for slug in result.unresolved_related if slug not in found
                ],
                skipped_snps=result.skipped_snps,
            )
        final.append(result)
    if pending:
        receivers.articles_changed()
    return final


def demo_articles_load() -> list[ArticleImportResult]:
    """Import every demo article in articles/demo/ (idempotent: re-imports update by slug).

    SNPs missing from the catalogue are skipped, not fatal, so the demo loads in any order
    relative to the genotypes catalogue; running it again after the catalogue attaches them.
    """
    paths = sorted(path for path in DEMO_DIR.glob("*.md") if path.name != "README.md")
    return articles_import(paths=paths, skip_missing_snps=True)
