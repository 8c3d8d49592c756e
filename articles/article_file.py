"""The editor-facing article file format (see articles/demo/README.md). Pure: text in, data out.

`article_file_parse` reads the whole file and raises one `ArticleFileError` listing every problem
with its line number, so an editor fixes a file in one pass.
"""

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field

import yaml

from .article_file_findings import ParsedFinding, findings_parse
from .blocks import BLOCK_KINDS, TextPart, body_parts_parse
from .rendering import CITATION_RE, citation_numbers, slug_for

FRONT_MATTER_KEYS = {
    "title",
    "slug",
    "description",
    "key_takeaways",
    "overview_image",
    "overview_image_alt",
    "author",
    "topics",
    "status",
    "published_at",
    "featured",
    "related",
    "rsids_not_reported",
    "references",
    "findings",
}
REFERENCE_KEYS = {"number", "authors", "title", "journal", "year", "doi", "pmid", "url"}
SECTION_ATTRIBUTES = {"access", "kind", "snps", "teaser", "id"}
ACCESS_VALUES = ("public", "members")
KIND_VALUES = ("standard", "genotype_report", "lifehacks")
STATUS_VALUES = ("draft", "published")
MEMBERS_BY_DEFAULT = {"genotype_report", "lifehacks"}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RSID_RE = re.compile(r"^rs[0-9]+$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^[0-9]{1,9}$")
URL_RE = re.compile(r"^https?://\S+$")
HEADING_RE = re.compile(r"^##(?!#)\s*(?P<heading>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")

MAX_TITLE = 200
MAX_DESCRIPTION = 300
MAX_HEADING = 200
MAX_TEASER = 300


@dataclass
class ParsedSection:
    heading: str
    body: str
    access: str
    kind: str
    snps: list[str]
    teaser: str
    anchor: str
    line: int
    body_line: int = 0  # the file line of the (stripped) body's first line


@dataclass
class ParsedReference:
    number: int
    authors: str
    title: str
    journal: str
    year: int
    doi: str
    pmid: str
    url: str
    line: int


@dataclass
class ParsedArticle:
    title: str
    slug: str
    description: str
    author: str
    key_takeaways: list[str] = field(default_factory=list)
    overview_image: str = ""
    overview_image_alt: str = ""
    topics: list[str] = field(default_factory=list)
    status: str = "draft"
    published_at: dt.datetime | None = None
    featured: bool = False
    related: list[str] = field(default_factory=list)
    rsids_not_reported: list[str] = field(default_factory=list)
    references: list[ParsedReference] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)
    findings: list[ParsedFinding] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


class ArticleFileError(Exception):
    """A file that cannot be imported; `errors` lists (line, message), line 0 = whole file."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = sorted(errors)
        super().__init__("\n".join(f"line {line}: {message}" for line, message in self.errors))


def _key_lines(node, offset: int) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        key.value: value.start_mark.line + offset
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


def _as_text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _parse_datetime(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line number of the body's first line)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleFileError(
            [(1, "the file must start with a '---' line opening the front matter")]
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise ArticleFileError([(1, "the front matter is never closed by a second '---' line")])


def _string_list(value, *, name: str, line: int, errors: list, slugs: bool = False) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, (str, int)) for item in value):
        errors.append((line, f"'{name}' must be a list of {'slugs' if slugs else 'texts'}"))
        return []
    items = [_as_text(item) for item in value]
    if slugs:
        for item in items:
            if not SLUG_RE.match(item):
                errors.append((line, f"'{name}' entry '{item}' is not a slug (a-z, 0-9, hyphens)"))
    return items


def _parse_references(node, value, errors: list) -> list[ParsedReference]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append((node.start_mark.line + 2 if node else 0, "'references' must be a list"))
        return []
    references = []
    seen: dict[int, int] = {}
    item_nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
    for item, item_node in zip(value, item_nodes, strict=False):
        line = item_node.start_mark.line + 2 if item_node is not None else 0
        if not isinstance(item, dict):
            errors.append(
                (line, "each reference must be a mapping with number, authors, title, year")
            )
            continue
        key_lines = _key_lines(item_node, 2)
        for key in sorted(set(item) - REFERENCE_KEYS):
            errors.append((key_lines.get(key, line), f"unknown reference key '{key}'"))
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append(
                (key_lines.get("number", line), "reference 'number' must be a whole number from 1")
            )
            continue
        if number in seen:
            errors.append(
                (
                    key_lines.get("number", line),
                    f"reference number {number} is already used on line {seen[number]}",
                )
            )
            continue
        seen[number] = line
        for required in ("authors", "title"):
            if not _as_text(item.get(required)):
                errors.append((line, f"reference {number} needs '{required}'"))
        year = item.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1600 <= year <= 2200:
            errors.append(
                (key_lines.get("year", line), f"reference {number} needs a four-digit 'year'")
            )
            year = 0
        doi = _as_text(item.get("doi"))
        if doi.lower().startswith(("https://doi.org/", "http://doi.org/", "doi:")):
            doi = doi.split("doi.org/", 1)[-1].removeprefix("doi:").strip()
        if doi and not DOI_RE.match(doi):
            errors.append(
                (
                    key_lines.get("doi", line),
                    f"reference {number}: '{doi}' is not a DOI (10.xxxx/...)",
                )
            )
        pmid = _as_text(item.get("pmid"))
        if pmid and not PMID_RE.match(pmid):
            errors.append(
                (key_lines.get("pmid", line), f"reference {number}: 'pmid' must be digits only")
            )
        url = _as_text(item.get("url"))
        if url and not URL_RE.match(url):
            errors.append(
                (
                    key_lines.get("url", line),
                    f"reference {number}: 'url' must start with http:// or https://",
                )
            )
        references.append(
            ParsedReference(
                number=number,
                authors=_as_text(item.get("authors")),
                title=_as_text(item.get("title")),
                journal=_as_text(item.get("journal")),
                year=year,
                doi=doi,
                pmid=pmid,
                url=url,
                line=line,
            )
        )
    return references


def _parse_heading_attributes(raw: str, *, line: int, errors: list) -> dict[str, str]:
    try:
        tokens = shlex.split(raw)
    except ValueError as exc:
        errors.append((line, f"cannot read the attribute block: {exc}"))
        return {}
    attributes: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            errors.append((line, f"attribute '{token}' must look like key=value"))
        elif key not in SECTION_ATTRIBUTES:
            errors.append(
                (
                    line,
                    f"unknown section attribute '{key}' "
                    f"(known: {', '.join(sorted(SECTION_ATTRIBUTES))})",
                )
            )
        elif key in attributes:
            errors.append((line, f"attribute '{key}' is given twice"))
        else:
            attributes[key] = value
    return attributes


def _parse_body(
    body: str, *, first_line: int, reference_numbers: set[int], errors: list
) -> list[ParsedSection]:
    sections: list[ParsedSection] = []
    current: dict | None = None
    in_fence = False
    anchors: dict[str, int] = {}
    for index, raw_line in enumerate(body.splitlines()):
        line = first_line + index
        if FENCE_RE.match(raw_line):
            in_fence = not in_fence
        heading_match = None if in_fence else HEADING_RE.match(raw_line)
        if heading_match and raw_line.startswith("## "):
            current = {"match": heading_match, "line": line, "body": []}
            sections.append(current)  # type: ignore[arg-type]
            continue
        if current is None:
            if raw_line.strip():
                errors.append(
                    (
                        line,
                        "text before the first '## ' heading; "
                        "every section starts with '## Heading'",
                    )
                )
            continue
        current["body"].append(raw_line)
        if not in_fence:
            for citation in re.finditer(CITATION_RE, raw_line):
                numbers = citation_numbers(citation.group(1))
                if numbers is None:
                    errors.append((line, f"cannot read the citation '{citation.group(0)}'"))
                    continue
                for number in numbers:
                    if number not in reference_numbers:
                        errors.append(
                            (
                                line,
                                f"citation [ref:{number}] has no reference {number} "
                                "in the front matter",
                            )
                        )
    if in_fence:
        errors.append((first_line + len(body.splitlines()) - 1, "a ``` code block is never closed"))

    parsed: list[ParsedSection] = []
    for raw in sections:
        match, line = raw["match"], raw["line"]
        heading = match.group("heading").strip()
        attributes = _parse_heading_attributes(match.group("attrs") or "", line=line, errors=errors)
        if not heading:
            errors.append((line, "a section heading is empty"))
        elif len(heading) > MAX_HEADING:
            errors.append((line, f"the heading is longer than {MAX_HEADING} characters"))
        kind = attributes.get("kind", "standard")
        if kind not in KIND_VALUES:
            errors.append((line, f"kind '{kind}' must be one of {', '.join(KIND_VALUES)}"))
            kind = "standard"
        access = attributes.get("access", "members" if kind in MEMBERS_BY_DEFAULT else "public")
        if access not in ACCESS_VALUES:
            errors.append((line, f"access '{access}' must be one of {', '.join(ACCESS_VALUES)}"))
            access = "public"
        snps = attributes.get("snps", "").split()
        if snps and kind != "genotype_report":
            errors.append((line, "'snps' only belongs on a section with kind=genotype_report"))
        for rsid in snps:
            if not RSID_RE.match(rsid):
                errors.append((line, f"'{rsid}' is not an rsid (rs followed by digits)"))
        if len(set(snps)) != len(snps):
            errors.append((line, "an rsid is listed twice in 'snps'"))
        teaser = attributes.get("teaser", "").strip()
        if len(teaser) > MAX_TEASER:
            errors.append((line, f"the teaser is longer than {MAX_TEASER} characters"))
        anchor = attributes.get("id") or slug_for(heading)
        if not SLUG_RE.match(anchor):
            errors.append((line, f"id '{anchor}' is not a slug (a-z, 0-9, hyphens)"))
        if anchor in anchors:
            errors.append(
                (
                    line,
                    f"section id '{anchor}' is already used by the heading on line "
                    f"{anchors[anchor]}; add id=... to one of them",
                )
            )
        anchors[anchor] = line
        leading_blank = next(
            (index for index, text in enumerate(raw["body"]) if text), len(raw["body"])
        )
        body_line = line + 1 + leading_blank
        body_text = "\n".join(raw["body"]).strip("\n")
        parts, block_problems = body_parts_parse(body_text, first_line=body_line)
        errors.extend(block_problems)
        if kind not in BLOCK_KINDS:
            errors.extend(
                (
                    part.line,
                    "genotype blocks belong in a section with kind=lifehacks or "
                    "kind=genotype_report only",
                )
                for part in parts
                if not isinstance(part, TextPart)
            )
        parsed.append(
            ParsedSection(
                heading=heading,
                body=body_text,
                body_line=body_line,
                access=access,
                kind=kind,
                snps=snps,
                teaser=teaser,
                anchor=anchor,
                line=line,
            )
        )
    if not parsed:
        errors.append((first_line, "the body has no sections; start one with a '## Heading' line"))
    return parsed


def article_file_parse(text: str) -> ParsedArticle:
    """Parse and validate an article file. Raises ArticleFileError with every problem found."""
    text = text.lstrip("\ufeff")
    front_text, body, body_first_line = _split_front_matter(text)
    errors: list[tuple[int, str]] = []
    try:
        root = yaml.compose(front_text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise ArticleFileError(
            [(line, f"the front matter is not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    if not isinstance(data, dict):
        raise ArticleFileError([(2, "the front matter must be a set of 'key: value' lines")])
    lines = _key_lines(root, 2)
    for key in sorted(set(data) - FRONT_MATTER_KEYS):
        errors.append((lines.get(key, 1), f"unknown front matter key '{key}'"))

    title = _as_text(data.get("title"))
    if not title:
        errors.append((lines.get("title", 1), "'title' is required"))
    elif len(title) > MAX_TITLE:
        errors.append((lines["title"], f"'title' is longer than {MAX_TITLE} characters"))
    slug = _as_text(data.get("slug")) or slug_for(title, fallback="")
    if title and not SLUG_RE.match(slug):
        errors.append(
            (
                lines.get("slug", lines.get("title", 1)),
                f"slug '{slug}' must use a-z, 0-9 and hyphens only",
            )
        )
    description = " ".join(_as_text(data.get("description")).split())
    if not description:
        errors.append((lines.get("description", 1), "'description' is required"))
    elif len(description) > MAX_DESCRIPTION:
        errors.append(
            (lines["description"], f"'description' is longer than {MAX_DESCRIPTION} characters")
        )
    author = _as_text(data.get("author"))
    if not author:
        errors.append((lines.get("author", 1), "'author' is required (a slug from authors.yaml)"))
    elif not SLUG_RE.match(author):
        errors.append((lines["author"], f"author '{author}' is not a slug"))
    status = _as_text(data.get("status")) or "draft"
    if status not in STATUS_VALUES:
        errors.append((lines.get("status", 1), f"status '{status}' must be draft or published"))
    published_at = None
    if data.get("published_at") not in (None, ""):
        try:
            published_at = _parse_datetime(data["published_at"])
        except ValueError:
            errors.append(
                (
                    lines["published_at"],
                    "'published_at' must be a date-time like 2026-11-02T08:00:00Z",
                )
            )
    featured = data.get("featured", False)
    if not isinstance(featured, bool):
        errors.append((lines.get("featured", 1), "'featured' must be true or false"))
        featured = False
    overview_image = _as_text(data.get("overview_image"))
    overview_image_alt = _as_text(data.get("overview_image_alt"))
    if overview_image and not overview_image_alt:
        errors.append(
            (
                lines.get("overview_image", 1),
                "'overview_image_alt' is required with 'overview_image'",
            )
        )
    if overview_image and (
        "/" in overview_image or "\\" in overview_image or overview_image.startswith(".")
    ):
        errors.append(
            (
                lines["overview_image"],
                "'overview_image' must be a file name next to the article file",
            )
        )

    key_takeaways = _string_list(
        data.get("key_takeaways"),
        name="key_takeaways",
        line=lines.get("key_takeaways", 1),
        errors=errors,
    )
    topics = _string_list(
        data.get("topics"), name="topics", line=lines.get("topics", 1), errors=errors, slugs=True
    )
    related = _string_list(
        data.get("related"), name="related", line=lines.get("related", 1), errors=errors, slugs=True
    )
    if slug and slug in related:
        errors.append((lines["related"], "an article cannot be related to itself"))
    not_reported_line = lines.get("rsids_not_reported", 1)
    rsids_not_reported = [
        rsid.lower()
        for rsid in _string_list(
            data.get("rsids_not_reported"),
            name="rsids_not_reported",
            line=not_reported_line,
            errors=errors,
        )
    ]
    for rsid in rsids_not_reported:
        if not RSID_RE.match(rsid):
            errors.append(
                (not_reported_line, f"'rsids_not_reported' entry '{rsid}' is not an rsid")
            )

    value_nodes = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            value_nodes[getattr(key_node, "value", None)] = value_node
    references = _parse_references(value_nodes.get("references"), data.get("references"), errors)
    findings = findings_parse(value_nodes.get("findings"), data.get("findings"), errors)
    sections = _parse_body(
        body,
        first_line=body_first_line,
        reference_numbers={reference.number for reference in references},
        errors=errors,
    )
    if errors:
        raise ArticleFileError(errors)
    return ParsedArticle(
        title=title,
        slug=slug,
        description=description,
        author=author,
        key_takeaways=key_takeaways,
        overview_image=overview_image,
        overview_image_alt=overview_image_alt,
        topics=topics,
        status=status,
        published_at=published_at,
        featured=featured,
        related=related,
        rsids_not_reported=rsids_not_reported,
        references=references,
        sections=sections,
        findings=findings,
        lines=lines,
    )


def catalogue_parse(text: str, *, required: tuple[str, ...]) -> dict[str, dict]:
    """authors.yaml / topics.yaml: {slug: {field: value}}."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ArticleFileError([(mark.line + 1 if mark else 1, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ArticleFileError([(1, "must map slugs to entries")])
    errors = []
    for slug, entry in data.items():
        if not isinstance(entry, dict) or not SLUG_RE.match(str(slug)):
            errors.append((0, f"entry '{slug}' must be a slug mapping to fields"))
            continue
        for name in required:
            if not _as_text(entry.get(name)):
                errors.append((0, f"entry '{slug}' needs '{name}'"))
    if errors:
        raise ArticleFileError(errors)
    return {
        str(slug): {key: _as_text(value) for key, value in entry.items()}
        for slug, entry in data.items()
    }
