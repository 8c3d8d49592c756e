"""Citation numbering in articles, in one place. Pure: no ORM.

The article's text: references are shown numbered in the order the text first cites them
(`citation_order`, sections in page order, members' sections included so the numbers are the
same for everyone); editors cite them by their own `Reference.number`. Each place a reference
is cited gets an id (`CitationMarks`) so the reference list can link back to it
(`citation_backlinks`, from the sections the reader is shown only).

The findings in an article's genotype reports: a finding's source (a DOI, PMID or PMC id,
genotypes.SnpInterpretation.sources) that is also one of the article's references is cited by
that reference's (shown) number and links to it in the reference list. Any other source gets
the next number after the article's last reference, in
order of first use across the page's reports, and is listed under "Sources for your results"
below the report that first cites it. Which sources a member's report cites depends on their
genotypes, so the numbered list is built per request and is part of the member's own page only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genotypes.selectors import Citation, GenotypeReport, GenotypeRow

RESULT_SOURCE_ANCHOR = "result-source-{number}"
REFERENCE_ANCHOR = "ref-{number}"
CITE_ID = "cite-{number}-{use}"
CITE_ID_PATTERN = r"cite-([0-9]+)-[0-9]+"
CITE_ID_RE = re.compile(rf'\bid="({CITE_ID_PATTERN})"')


def citation_order(*, cited: Iterable[int], reference_numbers: Iterable[int]) -> dict[int, int]:
    """The editor's reference number -> the number readers see: cited references in the order
    of first use (``cited``, in page order, repeats allowed), then the uncited ones in the
    editor's order."""
    known = set(reference_numbers)
    order = list(dict.fromkeys(number for number in cited if number in known))
    order += sorted(known - set(order))
    return {number: shown for shown, number in enumerate(order, start=1)}


class CitationMarks:
    """Numbers and ids for the citations in an article's text, shared by all its sections
    while one render runs: the same reference always shows the same number, and each place
    it is cited gets its own id (``cite-3-2``: the second citation of reference 3)."""

    def __init__(self, shown: dict[int, int]) -> None:
        self.shown = shown
        self.uses: dict[int, int] = {}

    def number(self, number: int) -> int:
        return self.shown.get(number, number)

    def mark(self, number: int) -> tuple[int, str]:
        """(number shown, id of this place) for one citation of the editor's ``number``."""
        shown = self.number(number)
        use = self.uses[shown] = self.uses.get(shown, 0) + 1
        return shown, CITE_ID.format(number=shown, use=use)


@dataclass(frozen=True)
class ReferenceEntry:
    """A reference in the list under an article, with links back to where the text cites it."""

    reference: object  # articles.models.Reference
    backlinks: tuple[str, ...]


def references_with_backlinks(*, references: Iterable, fragments: Iterable[str]):
    """``references`` (in the order shown) each with the ids of the places citing it in the
    HTML ``fragments`` the reader is shown."""
    links = citation_backlinks(fragments)
    return [
        ReferenceEntry(reference=ref, backlinks=tuple(links.get(ref.shown_number, ())))
        for ref in references
    ]


def citation_backlinks(fragments: Iterable[str]) -> dict[int, list[str]]:
    """Shown reference number -> the ids of the places citing it, in page order, found in the
    rendered HTML ``fragments`` (only what the reader is shown: a back link never points into a
    section they cannot read)."""
    links: dict[int, list[str]] = {}
    for fragment in fragments:
        for match in CITE_ID_RE.finditer(fragment):
            links.setdefault(int(match.group(2)), []).append(match.group(1))
    return links


@dataclass(frozen=True)
class ResultSource:
    """A source cited by a finding that the article's reference list lacks."""

    number: int
    identifier: str
    url: str

    @property
    def anchor(self) -> str:
        return RESULT_SOURCE_ANCHOR.format(number=self.number)


def source_key(identifier: str) -> str:
    """The form in which a finding's source and a reference's DOI or PMID compare equal:
    ``doi:10.1001/x`` (DOIs are case-insensitive) or ``pmid:123``."""
    kind, _, value = identifier.strip().partition(":")
    if not value:  # a PMC id has no prefix
        return identifier.strip().lower()
    return f"{kind.lower()}:{value.strip().lower()}"


def reference_keys(references: Iterable[tuple[int, str, str]]) -> dict[str, int]:
    """``(number, doi, pmid)`` of each of the article's references (the number readers see,
    ``Reference.shown_number``) -> {source key: number}."""
    keys: dict[str, int] = {}
    for number, doi, pmid in references:
        if doi:
            keys.setdefault(source_key(f"doi:{doi}"), number)
        if pmid:
            keys.setdefault(source_key(f"PMID:{pmid}"), number)
    return keys


class _Numbering:
    def __init__(self, references: dict[str, int], last_reference: int) -> None:
        self.references = references
        self.next_number = last_reference + 1
        self.extra: dict[str, ResultSource] = {}

    def cite(self, citation: Citation) -> tuple[Citation, ResultSource | None]:
        key = source_key(citation.identifier)
        if key in self.references:
            number = self.references[key]
            href = "#" + REFERENCE_ANCHOR.format(number=number)
            return dataclasses.replace(citation, number=number, href=href), None
        new = None
        if key not in self.extra:
            new = self.extra[key] = ResultSource(
                number=self.next_number, identifier=citation.identifier, url=citation.url
            )
            self.next_number += 1
        source = self.extra[key]
        return dataclasses.replace(citation, number=source.number, href=f"#{source.anchor}"), new


def _row_numbered(row: GenotypeRow, numbering: _Numbering, new: list[ResultSource]):
    def cite_all(citations):
        """Numbered in order of first use; shown in ascending order, each number once."""
        numbered: dict[int, Citation] = {}
        for citation in citations:
            cited, first_use = numbering.cite(citation)
            numbered.setdefault(cited.number, cited)
            if first_use is not None:
                new.append(first_use)
        return tuple(numbered[number] for number in sorted(numbered))

    own = cite_all(row.citations)  # the member's own finding is cited first
    findings = tuple(
        dataclasses.replace(finding, citations=cite_all(finding.citations))
        for finding in row.findings
    )
    return dataclasses.replace(row, citations=own, findings=findings)


def reports_cited(
    *, reports: dict[str, GenotypeReport], references: Iterable[tuple[int, str, str]]
) -> tuple[dict[str, GenotypeReport], dict[str, list[ResultSource]]]:
    """Number every finding's citations across ``reports`` (anchor -> report, in page order).

    Returns the reports with numbered citations and, per anchor, the sources first cited in
    that report that the reference list lacks (numbered after its last reference).
    """
    references = list(references)
    numbering = _Numbering(
        reference_keys(references), max((number for number, _, _ in references), default=0)
    )
    cited: dict[str, GenotypeReport] = {}
    sources: dict[str, list[ResultSource]] = {}
    for anchor, report in reports.items():
        new: list[ResultSource] = []
        rows = [_row_numbered(row, numbering, new) for row in report.rows]
        cited[anchor] = dataclasses.replace(report, rows=rows)
        sources[anchor] = new
    return cited, sources
