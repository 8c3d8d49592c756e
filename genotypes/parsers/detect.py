"""Text decoding and format detection for raw-DNA files.

``decode_text`` turns whatever encoding and line ends the member's editor produced into UTF-8
with ``\\n`` (or ``\\r\\n``, which the table reader handles natively). ``detect_format`` reads
only the head of the text and returns a ``Layout``: which vendor wrote it, how its columns are
separated and named, where the data starts, and which build the header claims.
"""

from __future__ import annotations

import enum
import re
import zlib
from dataclasses import dataclass

from genotypes.parsers.errors import GenomeFormatError

UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 256 * 1024


class GenomeFormat(enum.StrEnum):
    """Formats we read; ``label`` is the readable name shown to members and in ``--json``."""

    TWENTYTHREEANDME = "23andme"
    ANCESTRY = "ancestry"
    FTDNA = "ftdna"
    FAMFINDER = "famfinder"
    MYHERITAGE = "myheritage"
    LIVINGDNA = "livingdna"
    VCF = "vcf"
    GVCF = "gvcf"
    TEXT_23ANDME_STYLE = "23andme-style"
    GENERIC = "generic"
    CIRCLEDNA = "circledna"
    ILLUMINA = "illumina"
    ILLUMINA_TOP = "illumina-top"
    MAPMYGENOME = "mapmygenome"

    @property
    def label(self) -> str:
        return _LABELS[self]


# The label stored with an upload read on Illumina's TOP strand: its calls are oriented
# against the catalogue's alleles when they are matched (genotypes.services.parsing).
TOP_STRAND_LABEL = "Illumina GenomeStudio (TOP strand)"

_LABELS = {
    GenomeFormat.TWENTYTHREEANDME: "23andMe",
    GenomeFormat.ANCESTRY: "AncestryDNA",
    GenomeFormat.FTDNA: "FamilyTreeDNA",
    GenomeFormat.FAMFINDER: "FamilyTreeDNA",
    GenomeFormat.MYHERITAGE: "MyHeritage",
    GenomeFormat.LIVINGDNA: "LivingDNA",
    GenomeFormat.VCF: "VCF",
    GenomeFormat.GVCF: "gVCF",
    GenomeFormat.TEXT_23ANDME_STYLE: "23andMe-style text",
    GenomeFormat.GENERIC: "generic table",
    GenomeFormat.CIRCLEDNA: "CircleDNA",
    GenomeFormat.ILLUMINA: "Illumina GenomeStudio report",
    GenomeFormat.ILLUMINA_TOP: TOP_STRAND_LABEL,
    GenomeFormat.MAPMYGENOME: "Mapmygenome",
}

# Column roles a header can name, with the spellings vendors have used.
_ROLE_ALIASES = {
    "rsid": "rsid",
    "name": "rsid",
    "snp": "rsid",
    "snpid": "rsid",
    "snp_id": "rsid",
    "snp name": "rsid",
    "marker": "rsid",
    "markername": "rsid",
    "id": "rsid",
    "chromosome": "chromosome",
    "chr": "chromosome",
    "chrom": "chromosome",
    "position": "position",
    "pos": "position",
    "base pair position": "position",
    "genotype": "genotype",
    "result": "genotype",
    "call": "genotype",
    "gt": "genotype",
    "allele1": "allele1",
    "allele 1": "allele1",
    "allele2": "allele2",
    "allele 2": "allele2",
    "allele_1": "allele1",
    "allele_2": "allele2",
}
_REQUIRED = {"rsid", "chromosome", "position"}


@dataclass(frozen=True)
class Layout:
    format: GenomeFormat
    separator: str  # "\t", ",", ";" or " " (runs of spaces/tabs)
    columns: tuple[str, ...]  # roles in file order
    body_start: int  # byte offset of the first data line in the decoded text
    stated_build: int | None
    header_text: str  # the comment/header lines, for the build and for diagnostics
    sample_count: int = 1  # VCF only


def decode_text(data: bytes) -> bytes:
    """UTF-8 bytes with ``\\n`` or ``\\r\\n`` line ends, whatever the input encoding."""
    if data.startswith(UTF8_BOM):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(data[:512]):
        data = _decode_utf16(data)
    if b"\r" in data and not _crlf_throughout(data):
        # CRLF throughout is read natively; CR-only or mixed line ends are rewritten.
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


_LONE_CR_OR_LF = re.compile(rb"\r(?!\n)|(?<!\r)\n")


def _crlf_throughout(data: bytes) -> bool:
    """True when every line ends in CRLF (see ``crlf_throughout``)."""
    return crlf_throughout(data.count(b"\r"), data.count(b"\n"), data[:_EDGE], data[-_EDGE:])


_EDGE = 64 * 1024


def crlf_throughout(carriage_returns: int, line_feeds: int, head: bytes, tail: bytes) -> bool:
    """True when every line ends in CRLF, judged from counts and the text's two ends.

    Counting single bytes is several times faster than counting the two-byte CRLF: equal
    numbers of CR and LF mean CRLF throughout unless lone CRs and bare LFs balance exactly,
    which the start and end of the file (``head`` and ``tail``, up to 64 KiB each) are also
    checked for. (A file mixing them only in its middle, in equal numbers, would be refused
    as damaged rather than misread.) A streamed reader passes its running counts.
    """
    if carriage_returns != line_feeds:
        return False
    head, tail = head[:_EDGE], tail[-_EDGE:]
    head = head[: head.rfind(b"\n") + 1]  # whole lines only, so no CRLF is cut in two
    tail = tail[tail.find(b"\n") + 1 :]
    return not (_LONE_CR_OR_LF.search(head) or _LONE_CR_OR_LF.search(tail))


def _looks_like_utf16(head: bytes) -> bool:
    if len(head) < 8:
        return False
    even_zeros = head[0::2].count(0)
    odd_zeros = head[1::2].count(0)
    half = len(head) // 2
    return even_zeros > half * 0.8 or odd_zeros > half * 0.8


def _decode_utf16(data: bytes) -> bytes:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = (
            "utf-16-le" if data[1::2][:256].count(0) > data[0::2][:256].count(0) else "utf-16-be"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise GenomeFormatError(
            "The file looks like UTF-16 text but is damaged. Please download it again.",
            code="bad_encoding",
        ) from exc
    return text.lstrip("\ufeff").encode("utf-8")


_BUILD_PATTERNS = [
    (re.compile(r"grch38|hg38|build\s*38|b38\b|assembly build 38|reference=build38"), 38),
    (re.compile(r"grch37|hg19|build\s*37|b37\b|reference=build37|hs37d5"), 37),
    (re.compile(r"ncbi\s*36|ncbi36|hg18|build\s*36|b36\b"), 36),
]
_CONTIG_CHR1 = re.compile(r"##contig=<id=(?:chr)?1,\s*length=(\d+)")
_CHR1_BUILD = {247_249_719: 36, 249_250_621: 37, 248_956_422: 38}


def stated_build(header_text: str) -> int | None:
    """The genome build a header claims, if it says."""
    lower = header_text.lower()
    contig = _CONTIG_CHR1.search(lower)
    if contig and int(contig.group(1)) in _CHR1_BUILD:
        return _CHR1_BUILD[int(contig.group(1))]
    for pattern, build in _BUILD_PATTERNS:
        if pattern.search(lower):
            return build
    return None


_HTML_START = ("<!doctype", "<html", "<?xml", "<head", "<body", "<!--")
_EMAIL_HEADERS = (
    "from:",
    "received:",
    "return-path:",
    "mime-version:",
    "delivered-to:",
    "subject:",
    "message-id:",
    "content-type:",
    "to:",
)


def _split_fields(line: str, separator: str) -> list[str]:
    if separator == " ":
        return line.split()
    return [field.strip().strip('"').strip() for field in line.split(separator)]


def _guess_separator(line: str) -> str:
    if "," in line:
        return ","
    if ";" in line and "\t" not in line:
        return ";"  # a table re-saved by a spreadsheet set to a European locale
    if "\t" in line and not re.search(r"\t\t| ", line.strip()):
        return "\t"
    return " "


# Illumina GenomeStudio column names, as exported ("Allele1 - Plus") or as R rewrites them
# ("Allele1...Plus", Mapmygenome), once punctuation runs are reduced to one space.
_ILLUMINA_ALLELE = re.compile(r"^allele([12]) (top|plus|forward|ab|design)$")
_ILLUMINA_ROLES = {"rsid": "rsid", "chr": "chromosome", "chromosome": "chromosome"}
_ILLUMINA_ROLES["position"] = "position"


def _illumina_names(line: str) -> tuple[str, list[str]] | None:
    """(separator, normalised names) when ``line`` is an Illumina-style column header."""
    stripped = line.lstrip("#").strip().replace('"', "")
    separator = "\t" if "\t" in stripped else "," if "," in stripped else None
    if separator is None:
        return None
    names = [re.sub(r"[\s._-]+", " ", n.lower()).strip() for n in stripped.split(separator)]
    if not any(_ILLUMINA_ALLELE.match(n) for n in names):
        return None
    return separator, names


def _illumina_roles(names: list[str]) -> tuple[tuple[str, ...], bool]:
    """Roles of an Illumina-style header and whether they are on the TOP strand.

    The Plus-strand alleles are read when the file has them; failing that the TOP-strand
    ones, which are oriented SNP by SNP against the catalogue's alleles when matched (a
    TOP call is on the plus strand or its complement). Only AB, Design or Forward columns
    cannot be oriented from the file alone, so such a report is refused. The id, chromosome
    and position are read; every other column is skipped.
    """
    strands = {m.group(2) for n in names if (m := _ILLUMINA_ALLELE.match(n))}
    if "plus" in strands:
        strand = "plus"
    elif "top" in strands:
        strand = "top"
    else:
        shown = " and ".join(sorted(s.upper() if s == "ab" else s.title() for s in strands))
        plural = "s" if len(strands) > 1 else ""
        raise GenomeFormatError(
            "This is an Illumina GenomeStudio report whose alleles are given only on the "
            f"{shown} strand{plural}, which cannot be compared letter for letter with our "
            "plus-strand variants. Please export the report again with the 'Allele1 - Plus' and "
            "'Allele2 - Plus' (or 'Allele1 - Top' and 'Allele2 - Top') columns, or ask your "
            "provider for a 23andMe-style text file or a VCF.",
            code="strand_not_plus",
        )
    id_column = "rsid" if "rsid" in names else "snp name"
    roles = []
    for index, name in enumerate(names):
        allele = _ILLUMINA_ALLELE.match(name)
        if allele and allele.group(2) == strand:
            roles.append(f"allele{allele.group(1)}")
        elif name == id_column:
            roles.append("rsid")
        elif name in _ILLUMINA_ROLES and name != "rsid":
            roles.append(_ILLUMINA_ROLES[name])
        else:
            roles.append(f"skip{index}")
    roles_tuple = tuple(roles)
    _check_roles(roles_tuple)
    return roles_tuple, strand == "top"


def _roles_from_header(line: str) -> tuple[str, tuple[str, ...], bool] | None:
    """(separator, roles, TOP strand) when ``line`` names columns, else None."""
    stripped = line.lstrip("#").strip().replace('"', "")
    if not stripped:
        return None
    illumina = _illumina_names(stripped)
    if illumina is not None:
        roles, top = _illumina_roles(illumina[1])
        return illumina[0], roles, top
    separator = _guess_separator(stripped)
    names = [n.strip().lower() for n in _split_fields(stripped, separator) if n.strip()]
    if len(names) < 3:
        return None
    known = [_ROLE_ALIASES.get(n) for n in names]
    if sum(1 for k in known if k) < 3 or not {"rsid", "chromosome"} <= set(filter(None, known)):
        return None
    unknown = [n for n, k in zip(names, known, strict=True) if k is None]
    if unknown:
        raise GenomeFormatError(
            "The file has columns we do not know how to read ("
            + ", ".join(unknown[:5])
            + "). We expect rsid, chromosome, position and genotype (or allele1 and allele2).",
            code="unknown_columns",
        )
    roles = tuple(k for k in known if k)
    _check_roles(roles)
    return separator, roles, False


def _check_roles(roles: tuple[str, ...]) -> None:
    has_genotype = "genotype" in roles or {"allele1", "allele2"} <= set(roles)
    if not _REQUIRED <= set(roles) or not has_genotype or len(set(roles)) != len(roles):
        raise GenomeFormatError(
            "The file's column header does not name the columns a raw DNA file needs (rsid, "
            "chromosome, position and genotype).",
            code="unknown_columns",
        )


_ID = re.compile(r"^(rs|i|vg|kgp)\d+$", re.IGNORECASE)


def _roles_from_data(line: str) -> tuple[str, tuple[str, ...]] | None:
    """Infer the layout from a data line when the column header is missing."""
    separator = _guess_separator(line)
    fields = _split_fields(line, separator)
    for width in (4, 5):
        if (
            len(fields) >= 2 * width
            and len(fields) % width == 0
            and all(_ID.match(fields[i]) for i in range(0, len(fields), width))
        ):
            raise GenomeFormatError(
                "The file's line breaks seem to have been replaced by tabs or spaces, so its "
                "records run together. Please upload the file exactly as downloaded.",
                code="no_line_breaks",
            )
    if len(fields) not in (4, 5) or not _ID.match(fields[0]) or not fields[2].isdigit():
        return None
    if len(fields) == 4:
        return separator, ("rsid", "chromosome", "position", "genotype"), False
    return separator, ("rsid", "chromosome", "position", "allele1", "allele2"), False


def _vendor(first_line: str) -> GenomeFormat | None:
    lower = first_line.lower()
    if "myheritage" in lower:
        return GenomeFormat.MYHERITAGE
    if "ancestrydna" in lower or "ancestry.com" in lower:
        return GenomeFormat.ANCESTRY
    if "famfinder" in lower:
        return GenomeFormat.FAMFINDER
    if "living dna" in lower or "livingdna" in lower:
        return GenomeFormat.LIVINGDNA
    if "23andme" in lower:
        return GenomeFormat.TWENTYTHREEANDME
    if "circledna" in lower or "circle dna" in lower:
        return GenomeFormat.CIRCLEDNA
    return None


def detect_format(text: bytes) -> Layout:
    """Recognise the vendor and layout from the decoded text (only its head is read)."""
    head_bytes = text[:HEAD_BYTES]
    if b"\x00" in head_bytes:
        raise GenomeFormatError(
            "This file contains binary data, not the text of a raw DNA file.", code="binary"
        )
    head = head_bytes.decode("utf-8", errors="replace")
    lines = head.split("\n")
    if len(text) > HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the head may be cut
    offset = 0
    index = 0
    # Skip blank lines before anything else.
    while index < len(lines) and not lines[index].strip():
        offset += len(lines[index]) + 1
        index += 1
    if index == len(lines):
        raise GenomeFormatError("The file is empty.", code="empty")
    first = lines[index].strip()
    first_lower = first.lower()
    if first_lower.startswith(_HTML_START) or "<html" in head.lower()[:2048]:
        raise GenomeFormatError(
            "This is a web page (HTML), not a raw DNA file. It is often what a browser saves "
            "when a download link has expired; please download your raw data again.",
            code="html",
        )
    if sum(1 for line in lines[index : index + 30] if line.lower().startswith(_EMAIL_HEADERS)) >= 2:
        raise GenomeFormatError(
            "This is an email message, not a raw DNA file. Please download the file the "
            "email links to and upload that.",
            code="email",
        )
    if first_lower.startswith("##fileformat=vcf"):
        return _detect_vcf(lines, index, offset)
    if first_lower.startswith("[header]"):
        return _detect_final_report(lines, index, offset)

    vendor = _vendor(first)
    comments: list[str] = []
    while index < len(lines) and (
        lines[index].lstrip().startswith("#") or not lines[index].strip()
    ):
        comments.append(lines[index])
        offset += len(lines[index]) + 1
        index += 1
    header_text = "\n".join(comments)
    found = None
    if comments:
        last_comment = next((c for c in reversed(comments) if c.strip("#").strip()), "")
        found = _roles_from_header(last_comment.rstrip("\r"))
    if index < len(lines):
        candidate = lines[index].rstrip("\r")
        uncommented = _roles_from_header(candidate)
        if uncommented:
            found = uncommented
            header_text += "\n" + candidate
            offset += len(lines[index]) + 1
            index += 1
    data_lines = [
        line.rstrip("\r")
        for line in lines[index : index + 50]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if found is None and data_lines:
        found = _roles_from_data(data_lines[0])
    if found is None:
        if not data_lines and vendor:
            raise GenomeFormatError(
                f"The file has the header of a {vendor.label} file but no genotype lines.",
                code="no_data",
            )
        if not data_lines and comments:
            raise GenomeFormatError(
                "The file has only comment lines and no genotype data.", code="no_data"
            )
        raise GenomeFormatError(
            "We could not recognise this file as raw DNA data from 23andMe, AncestryDNA, "
            "MyHeritage, FamilyTreeDNA, LivingDNA or a VCF. Please upload the raw data file "
            "exactly as your DNA service gave it, or a table with the columns rsid, "
            "chromosome, position and genotype.",
            code="unrecognised",
        )
    separator, roles, top = found
    if data_lines:
        if separator not in (",", ";") and not _splits_as(data_lines[0], separator, roles):
            separator = _guess_separator(data_lines[0])
        fields = _split_fields(data_lines[0], separator)
        if len(fields) > 3 * len(roles):
            raise GenomeFormatError(
                "The file's line breaks seem to have been replaced by tabs or spaces, so its "
                "records run together. Please upload the file exactly as downloaded.",
                code="no_line_breaks",
            )
        if len(fields) != len(roles) and not (len(fields) == len(roles) - 1 and "allele2" in roles):
            raise GenomeFormatError(
                f"The file's data lines have {len(fields)} columns but its header names "
                f"{len(roles)}, so the columns cannot be told apart.",
                code="unknown_columns",
            )
    if vendor is None and "markername" in header_text.lower():
        vendor = GenomeFormat.CIRCLEDNA  # "# MARKERNAME CHROM POS GT"
    if vendor is None and any(role.startswith("skip") for role in roles):
        # Illumina columns without a final report's [Header]: Mapmygenome writes them with
        # the dots R puts in column names (SNP.Name, Allele1...Plus).
        mapmygenome = "mapmygenome" in header_text.lower() or "..." in header_text
        vendor = GenomeFormat.MAPMYGENOME if mapmygenome else GenomeFormat.ILLUMINA
    if top:
        vendor = GenomeFormat.ILLUMINA_TOP
    if vendor is None:
        if separator == "," and _ftdna_header(header_text):
            vendor = GenomeFormat.FAMFINDER if "allele1" in roles else GenomeFormat.FTDNA
        elif separator in (",", ";"):
            vendor = GenomeFormat.GENERIC
        else:
            vendor = GenomeFormat.TEXT_23ANDME_STYLE
    return Layout(vendor, separator, roles, offset, stated_build(header_text), header_text)


_SAMPLE_COUNT = re.compile(r"^num samples[\t ,]+(\d+)", re.IGNORECASE | re.MULTILINE)


def _detect_final_report(lines: list[str], index: int, offset: int) -> Layout:
    """An Illumina GenomeStudio final report: ``[Header]`` lines, then ``[Data]`` and a
    column header naming, among others, ``Allele1 - Plus`` and ``Allele2 - Plus``."""
    cut_off = GenomeFormatError(
        "This looks like an Illumina GenomeStudio final report, but its [Data] section and "
        "column header are missing (the file may be cut off). Please export the full report "
        "again, or ask your provider for a 23andMe-style text file or a VCF.",
        code="final_report_no_data",
    )
    header: list[str] = []
    while index < len(lines) and lines[index].strip().lower() != "[data]":
        header.append(lines[index].rstrip("\r"))
        offset += len(lines[index]) + 1
        index += 1
    if index + 1 >= len(lines):
        raise cut_off
    offset += len(lines[index]) + 1
    index += 1
    samples = _SAMPLE_COUNT.search("\n".join(header))
    if samples and int(samples.group(1)) > 1:
        raise GenomeFormatError(
            f"This Illumina GenomeStudio final report holds {samples.group(1)} samples. "
            "Please export a report for one person only.",
            code="final_report_samples",
        )
    column_line = lines[index].rstrip("\r")
    illumina = _illumina_names(column_line)
    if illumina is None:
        raise GenomeFormatError(
            "This is an Illumina GenomeStudio final report, but its [Data] columns are not "
            "the ones we read (SNP Name, Chr, Position, Allele1 - Plus and Allele2 - Plus). "
            "Please export it again with those columns, or ask your provider for a "
            "23andMe-style text file or a VCF.",
            code="unknown_columns",
        )
    separator, names = illumina
    roles, top = _illumina_roles(names)
    offset += len(lines[index]) + 1
    header_text = "\n".join([*header, column_line])
    return Layout(
        GenomeFormat.ILLUMINA_TOP if top else GenomeFormat.ILLUMINA,
        separator,
        roles,
        offset,
        stated_build(header_text),
        header_text,
    )


def _splits_as(line: str, separator: str, roles: tuple[str, ...]) -> bool:
    """True when ``line`` splits on the header's ``separator`` into the header's columns
    (so that a comma or semicolon inside a field, as in ``rs6,rs9``, is not taken for one)."""
    if separator not in ("\t", " "):
        return False
    width = len(_split_fields(line, separator))
    return width == len(roles) or (width == len(roles) - 1 and "allele2" in roles)


def _ftdna_header(header_text: str) -> bool:
    """FamilyTreeDNA writes ``RSID,CHROMOSOME,POSITION,RESULT`` in capitals; famfinder says
    so in its comments. Any other comma table is labelled generic, not FamilyTreeDNA."""
    lines = [line.strip().replace('"', "") for line in header_text.split("\n") if line.strip()]
    last = lines[-1] if lines else ""
    return last.startswith("RSID,") or "famfinder" in header_text.lower()


_VCF_COLUMNS = ["#chrom", "pos", "id", "ref", "alt", "qual", "filter", "info", "format"]


def _detect_vcf(lines: list[str], index: int, offset: int) -> Layout:
    header: list[str] = []
    while index < len(lines) and lines[index].startswith("##"):
        header.append(lines[index])
        offset += len(lines[index]) + 1
        index += 1
    if index >= len(lines) or not lines[index].upper().startswith("#CHROM"):
        raise GenomeFormatError(
            "This VCF file has no #CHROM column header line, so its columns cannot be read.",
            code="vcf_no_header",
        )
    columns = lines[index].rstrip("\r").split("\t")
    if [c.lower() for c in columns[:8]] != _VCF_COLUMNS[:8]:
        raise GenomeFormatError(
            "This VCF file's column header is not the standard one (#CHROM POS ID REF ALT "
            "QUAL FILTER INFO ...).",
            code="vcf_bad_header",
        )
    if len(columns) < 10:
        raise GenomeFormatError(
            "This VCF file has no sample column, so it holds no genotypes (it lists variants "
            "only). Please upload the VCF made from your own sequencing data.",
            code="vcf_no_sample",
        )
    if columns[8].lower() != "format":
        raise GenomeFormatError(
            "This VCF file has no FORMAT column, so it holds no genotypes.", code="vcf_no_sample"
        )
    offset += len(lines[index]) + 1
    header.append(lines[index])
    header_text = "\n".join(header)
    # GATK and DeepVariant gVCFs declare their reference-block allele (or band their blocks).
    lower = header_text.lower()
    gvcf = "##alt=<id=non_ref" in lower or "##alt=<id=*," in lower or "##gvcfblock" in lower
    return Layout(
        GenomeFormat.GVCF if gvcf else GenomeFormat.VCF,
        "\t",
        ("chromosome", "position", "rsid", "ref", "alt"),
        offset,
        stated_build(header_text),
        header_text,
        sample_count=len(columns) - 9,
    )


def looks_like_genome(head: bytes) -> bool:
    """True when ``head`` (the start of a file, possibly compressed) could be a genome file."""
    if head.startswith(b"\x1f\x8b"):
        return True
    try:
        detect_format(decode_text(head))
    except GenomeFormatError as error:
        return error.code in {"unknown_columns", "no_line_breaks", "vcf_no_sample", "no_data"}
    return True


def looks_like_vcf(head: bytes) -> bool:
    """True when ``head`` (the start of a file, plain or gzip) is the start of a VCF."""
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    return head.lstrip().lower().startswith(b"##fileformat=vcf")
