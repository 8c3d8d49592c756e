"""Markdown to safe HTML for article sections. Pure functions: no ORM, no request.

Services call `section_body_render` once when a section is saved; pages only ever print the
stored result. Every piece of HTML leaving this module has passed through nh3.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from xml.etree import ElementTree

import markdown
import nh3
from django.utils.text import slugify
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from articles.citations import CITE_ID_PATTERN, CitationMarks

CITATION_RE = r"\[ref:\s*([0-9][0-9,\-\s]*)\]"
_MAX_CITATION_RANGE = 50

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "ol": {"start"},
    "sup": {"class"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Tags whose content goes too, not just the tag: nothing inside them is reader text.
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "template", "noscript"}


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class RenderedSection:
    html: str
    text: str
    subheadings: list[TocEntry] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    missing_citations: list[int] = field(default_factory=list)


def slug_for(value: str, *, fallback: str = "section") -> str:
    """An ASCII slug for any text: 'Über Schlaf' -> 'uber-schlaf'."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return slugify(ascii_text) or fallback


def citation_numbers(spec: str) -> list[int] | None:
    """'3' -> [3]; '3,5' -> [3, 5]; '2-4' -> [2, 3, 4]. None when the spec is malformed."""
    numbers: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            return None
        if "-" in part:
            start_text, _, end_text = part.partition("-")
            if not start_text.strip().isdigit() or not end_text.strip().isdigit():
                return None
            start, end = int(start_text), int(end_text)
            if start > end or end - start > _MAX_CITATION_RANGE:
                return None
            numbers.extend(range(start, end + 1))
        elif part.isdigit():
            numbers.append(int(part))
        else:
            return None
    return numbers


class _CitationProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: markdown.Markdown, state: "_RenderState"):
        super().__init__(pattern, md)
        self.state = state

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API name)
        numbers = citation_numbers(m.group(1))
        if numbers is None:
            return None, None, None
        known = self.state.reference_numbers
        for number in numbers:
            if number in known:
                if number not in self.state.cited:
                    self.state.cited.append(number)
            elif number not in self.state.missing:
                self.state.missing.append(number)
        if not any(number in known for number in numbers):
            return m.group(0), m.start(0), m.end(0)
        marks = self.state.marks
        # Shown in the numbers readers see, ascending: [ref:4,1] may read [1, 3].
        numbers = sorted(dict.fromkeys(numbers), key=lambda n: (n not in known, marks.number(n)))
        sup = ElementTree.Element("sup")
        sup.set("class", "cite")
        sup.text = "["
        last = None
        for index, number in enumerate(numbers):
            if index:
                separator = ", "
                if last is None:
                    sup.text += separator
                else:
                    last.tail = (last.tail or "") + separator
            if number in known:
                shown, cite_id = marks.mark(number)
                link = ElementTree.SubElement(sup, "a")
                link.set("href", f"#ref-{shown}")
                link.set("id", cite_id)
                link.text = str(shown)
                last = link
            else:
                if last is None:
                    sup.text += str(number)
                else:
                    last.tail = (last.tail or "") + str(number)
        if last is None:
            sup.text += "]"
        else:
            last.tail = (last.tail or "") + "]"
        return sup, m.start(0), m.end(0)


class _HeadingProcessor(Treeprocessor):
    """Keeps the page to one h1 and one level of section h2: body headings start at h3.

    Also gives each heading an id prefixed with its section's anchor, unique in the article.
    """

    def __init__(self, md: markdown.Markdown, state: "_RenderState"):
        super().__init__(md)
        self.state = state

    def run(self, root):
        for element in root.iter():
            if element.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                level = max(3, int(element.tag[1]))
                element.tag = f"h{level}"
                title = "".join(element.itertext()).strip()
                base = f"{self.state.anchor_prefix}-{slug_for(title, fallback='part')}"
                anchor = base
                counter = 2
                while anchor in self.state.anchors:
                    anchor = f"{base}-{counter}"
                    counter += 1
                self.state.anchors.add(anchor)
                element.set("id", anchor)
                self.state.subheadings.append(TocEntry(level=level, anchor=anchor, title=title))


@dataclass
class _RenderState:
    reference_numbers: frozenset[int]
    anchor_prefix: str
    marks: CitationMarks
    anchors: set[str] = field(default_factory=set)
    cited: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    subheadings: list[TocEntry] = field(default_factory=list)


class _ArticleExtension(Extension):
    def __init__(self, state: _RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        # Priority above links (160) so "[ref:3]" is never read as a reference-style link.
        md.inlinePatterns.register(_CitationProcessor(CITATION_RE, md, self.state), "citation", 175)
        md.treeprocessors.register(_HeadingProcessor(md, self.state), "article_headings", 5)


def _attribute_allowed(tag: str, attribute: str, value: str) -> str | None:
    """An ``id`` on a link is only ever a citation's own (articles.citations.CITE_ID)."""
    if tag == "a" and attribute == "id" and not re.fullmatch(CITE_ID_PATTERN, value):
        return None
    return value


def html_sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_attribute_allowed,
    )


def html_to_text(fragment: str) -> str:
    """Reader-visible text of an HTML fragment, whitespace collapsed."""
    text = nh3.clean(
        re.sub(r"<(/?)(p|li|h[1-6]|tr|td|th|br|blockquote|pre)\b", r" <\1\2", fragment),
        tags=set(),
        clean_content_tags=CLEAN_CONTENT_TAGS,
    )
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _wrap_tables(safe_html: str) -> str:
    # Sanitised output only contains bare <table> tags, so this cannot be fooled by input.
    return safe_html.replace(
        "<table>", '<div class="table-scroll" role="region" aria-label="Table" tabindex="0"><table>'
    ).replace("</table>", "</table></div>")


def section_body_render(
    *,
    body: str,
    reference_numbers: set[int] | frozenset[int],
    anchor_prefix: str,
    taken_anchors: set[str] | None = None,
    citation_marks: CitationMarks | None = None,
) -> RenderedSection:
    """Render one section body. `taken_anchors` is updated with the ids this section uses;
    `citation_marks` (shared by the article's sections) numbers the citations as readers see
    them (articles.citations); without it they keep the editor's numbers."""
    state = _RenderState(
        reference_numbers=frozenset(reference_numbers),
        anchor_prefix=anchor_prefix,
        marks=citation_marks or CitationMarks({}),
        anchors=taken_anchors if taken_anchors is not None else set(),
    )
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", _ArticleExtension(state)],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    raw_html = md.convert(body or "")
    safe_html = _wrap_tables(html_sanitise(raw_html))
    return RenderedSection(
        html=safe_html,
        text=html_to_text(safe_html),
        subheadings=state.subheadings,
        cited=state.cited,
        missing_citations=sorted(state.missing),
    )
