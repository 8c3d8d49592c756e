"""Genotype-conditioned blocks in a section's Markdown: reading them and finding what is wrong.

Pure functions (no ORM, no request). The syntax (articles/demo/README.md, "Genotype-conditioned
blocks"):

    ::: if rs1799971 carries G "Optional title"
    Markdown shown only to members whose genotype meets the condition.
    :::

    ::: grid rs1799971 rs4680 "OPRM1 and COMT together"
    AA GG: text for members with AA at rs1799971 and GG at rs4680
    :::

The condition language itself lives in genotypes.conditions. Every problem is a
(line, reason) pair; lines count from ``first_line`` (1: the section body's first line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from genotypes.conditions import (
    RSID_RE,
    ConditionError,
    condition_parse,
    condition_problems,
    condition_rsids,
)
from genotypes.matching import is_palindromic, normalise, snp_alleles

from .rendering import CITATION_RE, citation_numbers

BLOCK_KINDS = ("lifehacks", "genotype_report")
_DIRECTIVE_RE = re.compile(r"^:::(.*)$")
_OPEN_RE = re.compile(r"^\s*(if|grid)\b\s*(.*)$", re.IGNORECASE)
_TITLE_RE = re.compile(r'^(?P<head>.*?)\s*"(?P<title>[^"]*)"\s*$')
_GRID_LINE_RE = re.compile(r"^\s*(?P<a>[A-Za-z]{2})\s+(?P<b>[A-Za-z]{2})\s*:\s*(?P<text>.*\S)\s*$")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
MAX_TITLE = 120


@dataclass
class TextPart:
    markdown: str
    line: int


@dataclass
class IfBlock:
    condition: str
    title: str
    markdown: str
    line: int
    valid: bool = True


@dataclass
class GridBlock:
    rsids: tuple[str, str]
    title: str
    line: int
    # (genotype at the first SNP, genotype at the second) -> (cell text, its line)
    cells: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)


Part = TextPart | IfBlock | GridBlock


def _title(rest: str, line: int, problems: list) -> tuple[str, str]:
    match = _TITLE_RE.match(rest)
    if not match:
        if '"' in rest:
            problems.append((line, 'a block title is written in double quotes: "Title"'))
        return rest.strip(), ""
    title = match.group("title").strip()
    if len(title) > MAX_TITLE:
        problems.append((line, f"the block title is longer than {MAX_TITLE} characters"))
    return match.group("head").strip(), title


def body_parts_parse(body: str, *, first_line: int = 1) -> tuple[list[Part], list[tuple]]:
    """Split a section body into Markdown text and blocks; and the syntax problems found."""
    parts: list[Part] = []
    problems: list[tuple[int, str]] = []
    text: list[str] = []
    text_line = first_line
    block: IfBlock | GridBlock | None = None
    block_lines: list[str] = []
    in_fence = False

    def flush_text(next_line: int) -> None:
        nonlocal text, text_line
        if "".join(text).strip():
            parts.append(TextPart("\n".join(text), text_line))
        text, text_line = [], next_line

    for index, raw in enumerate((body or "").splitlines()):
        line = first_line + index
        if _FENCE_RE.match(raw):
            in_fence = not in_fence
        directive = None if in_fence else _DIRECTIVE_RE.match(raw.rstrip())
        if directive is None:
            if block is None:
                text.append(raw)
            elif isinstance(block, GridBlock):
                _grid_line(block, raw, line, problems)
            else:
                block_lines.append(raw)
            continue
        rest = directive.group(1).strip()
        if not rest:  # a closing fence
            if block is None:
                problems.append((line, "':::' closes a block, but no block is open"))
                continue
            if isinstance(block, IfBlock):
                block.markdown = "\n".join(block_lines)
            parts.append(block)
            block, block_lines = None, []
            text_line = line + 1
            continue
        opening = _OPEN_RE.match(rest)
        if opening is None:
            problems.append(
                (line, f"unknown block '::: {rest}'; a block starts with '::: if' or '::: grid'")
            )
            continue
        if block is not None:
            problems.append(
                (
                    line,
                    f"blocks cannot be nested: close the block opened on line {block.line} first",
                )
            )
            continue
        flush_text(line + 1)
        head, title = _title(opening.group(2), line, problems)
        if opening.group(1).lower() == "if":
            block = IfBlock(condition=head, title=title, markdown="", line=line)
            try:
                condition_parse(head)
            except ConditionError as error:
                problems.append((line, f"cannot read the condition '{head}': {error}"))
                block.valid = False
        else:
            rsids = head.split()
            if len(rsids) != 2 or not all(RSID_RE.match(r) for r in rsids):
                problems.append((line, "a grid names two rsids: '::: grid rs1799971 rs4680'"))
                rsids = (rsids + ["", ""])[:2]
            elif rsids[0].lower() == rsids[1].lower():
                problems.append((line, "a grid combines two different SNPs"))
            block = GridBlock(rsids=(rsids[0].lower(), rsids[1].lower()), title=title, line=line)
    if block is not None:
        problems.append((block.line, "this block is never closed with a ':::' line"))
        if isinstance(block, IfBlock):
            block.markdown = "\n".join(block_lines)
        parts.append(block)
    else:
        flush_text(text_line)
    return parts, problems


def _grid_line(block: GridBlock, raw: str, line: int, problems: list) -> None:
    if not raw.strip():
        return
    match = _GRID_LINE_RE.match(raw)
    if match is None:
        problems.append(
            (line, "a grid line reads 'AA GG: text' (a genotype of each SNP, a colon, the text)")
        )
        return
    pair = (normalise(match.group("a")), normalise(match.group("b")))
    if not all(set(genotype) <= set("ACGT") for genotype in pair):
        problems.append((line, f"'{match.group('a')} {match.group('b')}' are not two genotypes"))
        return
    if pair in block.cells:
        problems.append(
            (
                line,
                f"the pair {pair[0]} {pair[1]} already has a cell on line {block.cells[pair][1]}",
            )
        )
        return
    block.cells[pair] = (match.group("text"), line)


def part_rsids(parts: list[Part]) -> list[str]:
    """Every rsid the blocks name, in order."""
    rsids: list[str] = []
    for part in parts:
        if isinstance(part, IfBlock) and part.valid:
            rsids += condition_rsids(condition_parse(part.condition))
        elif isinstance(part, GridBlock):
            rsids += [rsid for rsid in part.rsids if rsid]
    return list(dict.fromkeys(rsids))


def _grid_problems(block: GridBlock, catalogue: Mapping) -> list[tuple[int, str]]:
    problems = []
    for position, rsid in enumerate(block.rsids):
        if not rsid:
            continue
        snp = catalogue.get(rsid)
        if snp is None:
            problems.append((block.line, f"{rsid} is not in the SNP catalogue"))
            continue
        alleles = snp_alleles(snp.ref, snp.alt)
        if alleles and is_palindromic(alleles):
            problems.append(
                (
                    block.line,
                    f"{rsid} is an {' and '.join(sorted(alleles))} SNP whose genotypes cannot "
                    "be read reliably; it cannot be a grid axis",
                )
            )
            continue
        for pair, (_, line) in block.cells.items():
            if alleles and not set(pair[position]) <= alleles:
                problems.append(
                    (
                        line,
                        f"{rsid} has the alleles {' and '.join(sorted(alleles))}, so genotype "
                        f"{pair[position]} is impossible",
                    )
                )
    return problems


def _citations(body: str, *, first_line: int = 1):
    """(line, number) for every citation in a body (code left alone)."""
    in_fence = False
    for index, raw in enumerate((body or "").splitlines()):
        if _FENCE_RE.match(raw):
            in_fence = not in_fence
        if in_fence:
            continue
        for citation in re.finditer(CITATION_RE, raw):
            for number in citation_numbers(citation.group(1)) or []:  # None: not a citation
                yield first_line + index, number


def citations_missing(body: str, reference_numbers, *, first_line: int = 1) -> list[tuple]:
    """(line, number) for each citation of a number the reference list lacks (code left alone)."""
    return [
        (line, n)
        for line, n in _citations(body, first_line=first_line)
        if n not in reference_numbers
    ]


def section_body_problems(
    *,
    body: str,
    kind: str,
    reference_numbers,
    catalogue: Mapping,
    first_line: int = 1,
) -> list[tuple[int, str]]:
    """Everything that keeps a section from being published, each with its line and reason:
    citations that resolve to no reference, and blocks that cannot be read, sit in a section
    that is not members-only by kind, or name SNPs or genotypes the catalogue lacks."""
    parts, problems = body_parts_parse(body, first_line=first_line)
    problems += [
        (line, f"citation [ref:{number}] has no reference {number} in the list")
        for line, number in citations_missing(body, reference_numbers, first_line=first_line)
    ]
    for part in parts:
        if isinstance(part, TextPart):
            continue
        if kind not in BLOCK_KINDS:
            problems.append(
                (
                    part.line,
                    "genotype blocks belong in a Lifehacks or Genotype report section only",
                )
            )
        if isinstance(part, IfBlock) and part.valid:
            condition = condition_parse(part.condition)
            for reason in condition_problems(condition, catalogue=catalogue):
                problems.append((part.line, reason))
        elif isinstance(part, GridBlock):
            problems += _grid_problems(part, catalogue)
    return sorted(set(problems))


def problems_text(problems: list[tuple[int, str]], *, where: str = "") -> list[str]:
    prefix = f"{where}, " if where else ""
    return [f"{prefix}line {line}: {reason}" for line, reason in problems]


# What a published health article must have besides sound sections (articles/demo/README.md,
# "Publishing"): a reader gets the gist, can find related reading, and can check every claim.
_RSID_IN_TEXT_RE = re.compile(r"(?<![A-Za-z0-9_])rs[0-9]+(?![A-Za-z0-9_])", re.IGNORECASE)
DOI_RE = re.compile(r"^10\.[0-9]{4,9}/\S+$")


@dataclass
class ArticleParts:
    """An article as the publish check sees it, whatever holds it (admin forms, an article
    file, the database)."""

    key_takeaways: list[str]
    topic_count: int
    bodies: list[str]
    reference_dois: dict[int, str]  # number -> DOI ("" when none)
    report_rsids: set[str]  # the rsids its genotype report sections list
    rsids_not_reported: set[str]


def rsids_named(text: str) -> list[str]:
    """Every rsid a text names, lower case, in order of first mention."""
    return list(dict.fromkeys(m.group(0).lower() for m in _RSID_IN_TEXT_RE.finditer(text or "")))


def article_problems(parts: ArticleParts) -> list[str]:
    """What keeps a whole article from being published, in words (sections are checked one by
    one by ``section_body_problems``): key takeaways, a topic and references are required,
    every reference is cited and has a well-formed DOI when it has one, and every rsid the
    text names is in its genotype report or listed as not reported."""
    problems = []
    if not any(line.strip() for line in parts.key_takeaways):
        problems.append("it has no key takeaways (one short sentence per line)")
    if parts.topic_count < 1:
        problems.append("it has no topic")
    if not parts.reference_dois:
        problems.append("it has no references: a health article cites its sources")
    cited = {number for body in parts.bodies for _, number in _citations(body)}
    for number in sorted(set(parts.reference_dois) - cited):
        problems.append(f"reference {number} is never cited in the text")
    for number, doi in sorted(parts.reference_dois.items()):
        if doi and not DOI_RE.match(doi):
            problems.append(f"reference {number} has the DOI '{doi}', which is not 10.NNNN/suffix")
    accounted = {r.lower() for r in parts.report_rsids | parts.rsids_not_reported}
    named = rsids_named("\n".join(parts.bodies))
    for rsid in named:
        if rsid not in accounted:
            problems.append(
                f"{rsid} is named in the text but is neither in a genotype report nor listed "
                "under rsids not reported"
            )
    return problems
