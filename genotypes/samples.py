"""Realistic consumer raw-DNA files, made up deterministically from a seed.

Used by the tests, the benchmarks in ``bench/`` and the local demo ("try it with a sample
file"). Every supported layout is covered (see ``SampleFormat``); headers, chromosome order,
no-calls, indels, haploid X/Y/MT calls, line endings and compression follow what the vendors
ship. Callers can pin exact genotypes for given rsids (``include={"rs4680": "AG"}``) so that a
test or the browser journey can assert the values it will later see on the site.

Pure Python, no Django: ``python -m genotypes.samples --format 23andme --snps 640000 out.txt``.
"""

from __future__ import annotations

import argparse
import enum
import gzip
import io
import random
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from genotypes.parsers.markers import BUILD_MARKERS, KNOWN_POSITIONS


class SampleFormat(enum.StrEnum):
    TWENTYTHREEANDME = "23andme"
    TWENTYTHREEANDME_SPLIT = "23andme-split"
    ANCESTRY = "ancestry"
    FTDNA = "ftdna"
    FAMFINDER = "famfinder"
    MYHERITAGE = "myheritage"
    MYHERITAGE_EXTRA_QUOTED = "myheritage-extra-quoted"
    LIVINGDNA = "livingdna"
    VCF = "vcf"
    WGS_TEXT = "wgs-text"


# Approximate GRCh37 chromosome lengths, used to spread positions realistically.
CHROMOSOME_LENGTHS: dict[str, int] = {
    "1": 249_250_621,
    "2": 243_199_373,
    "3": 198_022_430,
    "4": 191_154_276,
    "5": 180_915_260,
    "6": 171_115_067,
    "7": 159_138_663,
    "8": 146_364_022,
    "9": 141_213_431,
    "10": 135_534_747,
    "11": 135_006_516,
    "12": 133_851_895,
    "13": 115_169_878,
    "14": 107_349_540,
    "15": 102_531_392,
    "16": 90_354_753,
    "17": 81_195_210,
    "18": 78_077_248,
    "19": 59_128_983,
    "20": 63_025_520,
    "21": 48_129_895,
    "22": 51_304_566,
    "X": 155_270_560,
    "Y": 59_373_566,
    "MT": 16_569,
}
CHROMOSOME_ORDER = list(CHROMOSOME_LENGTHS)
# Share of a chip's SNPs on X, Y and MT (roughly a 23andMe v5 chip).
_SEX_AND_MT_SHARE = {"X": 0.028, "Y": 0.0035, "MT": 0.0066}

# (ref, alt) pairs with transitions more common than transversions, as in real data.
_ALLELE_PAIRS = (
    [("A", "G")] * 4 + [("C", "T")] * 4 + [("A", "C"), ("G", "T"), ("A", "T"), ("C", "G")]
)


@dataclass(frozen=True)
class Row:
    rsid: str
    chromosome: str  # canonical: 1-22, X, Y, MT
    position: int
    genotype: str  # normalised: "AG", "A" (haploid), "DI", "--" (no-call)
    ref: str = ""
    alt: str = ""


def _random_genotype(rng: random.Random, haploid: bool) -> tuple[str, str, str]:
    ref, alt = rng.choice(_ALLELE_PAIRS)
    if rng.random() < 0.5:
        ref, alt = alt, ref
    draw = rng.random()
    if haploid:
        return (ref if draw < 0.75 else alt), ref, alt
    if draw < 0.6:
        pair = ref + ref
    elif draw < 0.9:
        pair = ref + alt
    else:
        pair = alt + alt
    return "".join(sorted(pair)), ref, alt


# Real chromosomes of rsids that the catalogue holds without confirmed positions (the demo
# catalogue's HLA, IL7R, IL2RA, AKR1C4 and TLR4 Thr399Ile SNPs; ANKK1, which the editor adds in
# the end-to-end journey): a generated file must put them where the catalogue does, or they
# are rightly not matched.
_KNOWN_CHROMOSOMES = {
    "rs1800497": "11",
    "rs3135388": "6",
    "rs4349859": "6",
    "rs116488202": "6",
    "rs6897932": "5",
    "rs2104286": "10",
    "rs3829125": "10",
    "rs17134592": "10",
    "rs4986791": "9",
}

# The demo member's genotypes for the demo catalogue (genotypes/demo/ldn-snps.csv): a mix of
# common and less common results so the reports show typical and notable findings, a
# combination for the OPRM1 x COMT grid and lifehack blocks on both sides of a condition.
# Made up, plus strand. The AKR1C4 and rs116488202 letters are placeholders: their alleles
# are unconfirmed, so the site shows them without an interpretation.
DEMO_CALLS: dict[str, str] = {
    "rs1799971": "AG",
    "rs4680": "AA",
    "rs1045642": "AG",
    "rs2032582": "AC",
    "rs4986790": "AA",
    "rs4986791": "CC",
    "rs3829125": "CG",
    "rs17134592": "CC",
    "rs3135388": "AG",
    "rs6897932": "CT",
    "rs2104286": "AA",
    "rs4349859": "GG",
    "rs116488202": "CC",
}


# The sample report on the home page: made-up genotypes from DEMO_CALLS with made-up texts
# describing what a member reads in each place. The catalogue's own findings are members' text,
# so a sample never shows them. (rsid, gene, genotype, label, evidence, the other genotypes).
SAMPLE_REPORT = [
    (
        rsid,
        gene,
        DEMO_CALLS[rsid],
        label,
        evidence,
        tuple(sorted({"AA", "AG", "GG"} - {DEMO_CALLS[rsid]})),
    )
    for rsid, gene, label, evidence in (
        ("rs1799971", "OPRM1", "notable", "moderate"),
        ("rs4680", "COMT", "typical", "limited"),
        ("rs1045642", "ABCB1", "typical", "moderate"),
    )
]
SAMPLE_FINDING_TEXT = (
    "Sample text. Here a member reads what studies found for people with the {genotype} "
    "genotype of {gene}: how many people were studied, what changed for them, and what it may "
    "mean for a medicine or a condition the article discusses."
)


def _position_for(rsid: str, build: int) -> tuple[str, int]:
    if rsid in KNOWN_POSITIONS:
        chromosome, positions = KNOWN_POSITIONS[rsid]
        return chromosome, positions.get(build) or positions[37]
    digits = int("".join(ch for ch in rsid if ch.isdigit()) or "1")
    chromosome = _KNOWN_CHROMOSOMES.get(rsid, str(digits % 22 + 1))
    return chromosome, 1_000 + digits % 200_000_000


def sample_chromosome_for(rsid: str) -> str:
    """The chromosome the generated files put ``rsid`` on (its real one when known), so
    that a test catalogue can agree with them."""
    return _position_for(rsid, 37)[0]


def generate_rows(
    *,
    n_snps: int = 2_000,
    seed: int = 0,
    build: int = 37,
    male: bool = False,
    include: Mapping[str, str] | None = None,
    no_call_rate: float = 0.012,
    indel_rate: float = 0.004,
    internal_id_rate: float = 0.03,
    chromosomes: list[str] | None = None,
) -> list[Row]:
    """Rows in chip order (chromosome 1..22, X, Y, MT; positions ascending).

    ``include`` maps rsid to a normalised genotype; those rsids are placed at their real
    position when known (build markers, the demo catalogue) and carry exactly that genotype.
    The build markers are always present so that the build can be detected.
    """
    rng = random.Random(seed)
    include = dict(include or {})
    chromosomes = chromosomes or CHROMOSOME_ORDER
    weights = {}
    autosomal_total = sum(CHROMOSOME_LENGTHS[c] for c in chromosomes if c not in _SEX_AND_MT_SHARE)
    autosomal_share = 1 - sum(_SEX_AND_MT_SHARE[c] for c in chromosomes if c in _SEX_AND_MT_SHARE)
    for chromosome in chromosomes:
        if chromosome in _SEX_AND_MT_SHARE:
            weights[chromosome] = _SEX_AND_MT_SHARE[chromosome]
        else:
            weights[chromosome] = autosomal_share * CHROMOSOME_LENGTHS[chromosome] / autosomal_total

    fixed: dict[str, list[Row]] = {c: [] for c in chromosomes}
    used: set[str] = set()
    for rsid, (chromosome, positions) in BUILD_MARKERS.items():
        if chromosome in fixed and rsid not in include:
            haploid = chromosome == "MT" or (male and chromosome in ("X", "Y"))
            genotype, ref, alt = _random_genotype(rng, haploid=haploid)
            fixed[chromosome].append(Row(rsid, chromosome, positions[build], genotype, ref, alt))
            used.add(rsid)
    for rsid, genotype in include.items():
        chromosome, position = _position_for(rsid, build)
        fixed.setdefault(chromosome, []).append(Row(rsid, chromosome, position, genotype))
        used.add(rsid)
    fixed_positions = {(r.chromosome, r.position) for rows in fixed.values() for r in rows}

    rows: list[Row] = []
    remaining = max(n_snps - len(used), 0)
    randrange = rng.randrange
    rand = rng.random
    for chromosome in chromosomes:
        count = round(remaining * weights[chromosome])
        length = CHROMOSOME_LENGTHS[chromosome]
        positions = sorted(randrange(1, length) for _ in range(count))
        haploid = chromosome == "MT" or (male and chromosome in ("X", "Y"))
        absent = chromosome == "Y" and not male
        generated: list[Row] = []
        for position in positions:
            if (chromosome, position) in fixed_positions:
                continue
            if rand() < internal_id_rate:
                rsid = f"i{randrange(3_000_000, 8_000_000)}"
            else:
                rsid = f"rs{randrange(1_000, 1_200_000_000)}"
            if rsid in used:
                continue
            used.add(rsid)
            if absent or rand() < no_call_rate:
                generated.append(Row(rsid, chromosome, position, "--"))
            elif rand() < indel_rate:
                if haploid:
                    genotype = rng.choice(("I", "D"))
                else:
                    genotype = rng.choice(("II", "DD", "DI"))
                generated.append(Row(rsid, chromosome, position, genotype))
            else:
                genotype, ref, alt = _random_genotype(rng, haploid)
                generated.append(Row(rsid, chromosome, position, genotype, ref, alt))
        generated.extend(fixed.get(chromosome, []))
        generated.sort(key=lambda r: r.position)
        rows.extend(generated)
    return rows


def _alleles(genotype: str, *, two: bool, no_call: str) -> tuple[str, str]:
    if genotype == "--":
        return no_call, no_call
    if len(genotype) == 1:
        return (genotype, genotype) if two else (genotype, "")
    return genotype[0], genotype[1]


_BUILD_TEXT = {36: "NCBI Build 36 (hg18)", 37: "GRCh37 (hg19)", 38: "GRCh38 (hg38)"}


def _render_23andme(rows: list[Row], *, build: int, split: bool, vendor: str) -> list[str]:
    if vendor == "23andMe":
        lines = [
            "# This data file generated by 23andMe at: Thu Nov 26 10:00:00 2026",
            "#",
            "# This file contains raw genotype data, including data that is not used in 23andMe",
            "# reports. This data has undergone a general quality review however only a subset",
            "# of markers have been individually validated for accuracy. As such, this data is",
            "# suitable only for research, educational, and informational use and not for",
            "# medical or other use.",
            "#",
            "# Below is a text version of your data.  Fields are TAB-separated",
            "# Each line corresponds to a single SNP.  For each SNP, we provide its identifier",
            "# (an rsid or an internal id), its location on the reference human genome, and the",
            "# genotype call oriented with respect to the plus strand on the human reference",
            f"# sequence.  We are using reference human assembly build {build} "
            f"({_BUILD_TEXT[build]}).",
            "# Note that it is possible that data downloaded at different times may be different",
            "# due to ongoing improvements in our ability to call genotypes. "
            "More information about",
            "# these changes can be found at the help pages of the 23andMe website.",
            "#",
        ]
    elif vendor == "LivingDNA":
        lines = [
            "# Living DNA customer genotype data download file version: 1.0.1",
            "# This file contains raw genotype data, including data that is not used in Living DNA",
            "# reports. Genotype calls are on the forward strand.",
            "# Human Genome Reference Build 37 (GRCh37.p13)",
            "#",
        ]
    else:  # a whole-genome tool writing 23andMe-style text; it always claims build 37
        lines = [
            "# This data file was generated from whole-genome sequencing data",
            "# by a conversion tool, in the 23andMe raw data layout.",
            "# We are using reference human assembly build 37 "
            "(also known as Annotation Release 104).",
            "#",
        ]
    if split:
        lines.append("# rsid\tchromosome\tposition\tallele1\tallele2")
        for r in rows:
            a1, a2 = _alleles(r.genotype, two=False, no_call="-")
            lines.append(f"{r.rsid}\t{r.chromosome}\t{r.position}\t{a1}\t{a2 or a1}")
    else:
        lines.append("# rsid\tchromosome\tposition\tgenotype")
        lines.extend(f"{r.rsid}\t{r.chromosome}\t{r.position}\t{r.genotype}" for r in rows)
    return lines


_ANCESTRY_CHROMOSOMES = {"X": "23", "Y": "24", "XY": "25", "MT": "26"}


def _render_ancestry(rows: list[Row], *, build: int, rng: random.Random) -> list[str]:
    lines = [
        "#AncestryDNA raw data download",
        "#This file was generated by AncestryDNA at: 11/26/2026 10:00:00 UTC",
        "#Data was collected using AncestryDNA array version: V2.0",
        "#Data is formatted using AncestryDNA converter version: V1.0",
        "#Below is a text version of your DNA file from Ancestry.com DNA, LLC.  THIS",
        "#INFORMATION IS FOR YOUR PERSONAL USE AND IS INTENDED FOR GENEALOGICAL RESEARCH",
        "#ONLY.  IT IS NOT INTENDED FOR MEDICAL, DIAGNOSTIC, OR HEALTH PURPOSES.",
        "#",
        "#Genetic data is provided below as five TAB delimited columns.  Each line",
        "#corresponds to a SNP.  Column one provides the SNP identifier (rsID where",
        "#possible).  Columns two and three contain the chromosome and basepair position",
        f"#of the SNP using human reference build {build}.1 coordinates.  Columns four and five",
        "#contain the two alleles observed at this SNP (genotype).  The genotype is reported",
        "#on the forward (+) strand with respect to the human reference.",
        "rsid\tchromosome\tposition\tallele1\tallele2",
    ]
    for r in rows:
        if r.rsid.startswith("i"):
            continue
        # Ancestry writes two letters on X and MT, even for males.
        a1, a2 = _alleles(r.genotype, two=True, no_call="0")
        if a1 != a2 and rng.random() < 0.5:
            a1, a2 = a2, a1  # allele order is not alphabetical in these files
        chromosome = _ANCESTRY_CHROMOSOMES.get(r.chromosome, r.chromosome)
        lines.append(f"{r.rsid}\t{chromosome}\t{r.position}\t{a1}\t{a2}")
    return lines


def _render_ftdna(
    rows: list[Row], *, myheritage: bool, extra_quoted: bool, build: int
) -> list[str]:
    lines: list[str] = []
    if myheritage:
        lines += [
            "##fileformat=MyHeritage",
            "##format=MHv1.0",
            "##chip=GSA",
            "##timestamp=2026-11-26 10:00:00 UTC",
            f"##reference=build{build}",
            "# MyHeritage DNA raw data.",
            "# This file was generated by MyHeritage for your personal use.",
            "# Genotypes are reported on the forward strand of the reference.",
        ]
    lines.append("RSID,CHROMOSOME,POSITION,RESULT")
    for index, r in enumerate(rows):
        if r.rsid.startswith("i"):
            continue
        genotype = r.genotype if len(r.genotype) == 2 else r.genotype * 2
        if extra_quoted:
            lines.append(f'"{r.rsid}"",""{r.chromosome}"",""{r.position}"",""{genotype}"')
        else:
            lines.append(f'"{r.rsid}","{r.chromosome}","{r.position}","{genotype}"')
        if not myheritage and index == len(rows) // 2:
            lines.append("RSID,CHROMOSOME,POSITION,RESULT")  # FTDNA repeats its header
    return lines


def _render_famfinder(rows: list[Row]) -> list[str]:
    lines = [
        "# This data file generated by FamilyTreeDNA famfinder at: 2013-05-01",
        "# Genotypes are given on the forward strand.",
        "# name,chromosome,position,allele1,allele2",
    ]
    for r in rows:
        if r.rsid.startswith("i"):
            continue
        a1, a2 = _alleles(r.genotype, two=True, no_call="-")
        lines.append(f"{r.rsid},{r.chromosome},{r.position},{a1},{a2}")
    return lines


_CONTIG_LENGTHS = {37: 249_250_621, 38: 248_956_422, 36: 247_249_719}
_VCF_REFERENCE = {36: "NCBI36", 37: "GRCh37", 38: "GRCh38"}


def _render_vcf(
    rows: list[Row], *, build: int, chr_prefix: bool, rng: random.Random, with_ids: bool
) -> list[str]:
    prefix = "chr" if chr_prefix else ""
    lines = [
        "##fileformat=VCFv4.2",
        "##source=genlife-sample-generator",
        f"##reference={_VCF_REFERENCE[build]}",
        f"##contig=<ID={prefix}1,length={_CONTIG_LENGTHS[build]}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1",
    ]
    for r in rows:
        if r.rsid.startswith("i"):
            continue
        chromosome = ("M" if chr_prefix else "MT") if r.chromosome == "MT" else r.chromosome
        rsid = r.rsid if with_ids else "."
        genotype = r.genotype
        if genotype == "--":
            ref = r.ref or "A"
            lines.append(
                f"{prefix}{chromosome}\t{r.position}\t{rsid}\t{ref}\t.\t.\t.\t.\tGT:DP\t./.:0"
            )
            continue
        if genotype[0] in "ID":
            ref, alt = "AT", "A"  # a one-base deletion: the longer allele is "I"
            letters = {"I": ref, "D": alt}
            alleles = [letters[a] for a in genotype]
        else:
            alleles = list(genotype)
            ref = r.ref if r.ref and (r.ref in genotype or r.alt in genotype) else genotype[0]
            alt = ""
        alt_alleles = []
        if not alt:
            for allele in alleles:
                if allele != ref and allele not in alt_alleles:
                    alt_alleles.append(allele)
            alt = ",".join(alt_alleles) or "."
        else:
            alt_alleles = [alt]
        index = {ref: "0", **{a: str(i + 1) for i, a in enumerate(alt_alleles)}}
        if len(alleles) == 1:
            gt = index[alleles[0]]
        else:
            codes = [index[a] for a in alleles]
            if rng.random() < 0.5:
                codes.reverse()
            gt = ("|" if rng.random() < 0.3 else "/").join(codes)
        lines.append(
            f"{prefix}{chromosome}\t{r.position}\t{rsid}\t{ref}\t{alt}\t50\tPASS\t.\tGT:DP\t{gt}:30"
        )
    return lines


LINE_ENDINGS = {"crlf": "\r\n", "lf": "\n", "cr": "\r"}
_DEFAULT_LINE_ENDING = {
    SampleFormat.TWENTYTHREEANDME: "crlf",
    SampleFormat.TWENTYTHREEANDME_SPLIT: "crlf",
    SampleFormat.MYHERITAGE: "crlf",
    SampleFormat.MYHERITAGE_EXTRA_QUOTED: "crlf",
}
_EXTENSIONS = {
    SampleFormat.FTDNA: "csv",
    SampleFormat.FAMFINDER: "csv",
    SampleFormat.MYHERITAGE: "csv",
    SampleFormat.MYHERITAGE_EXTRA_QUOTED: "csv",
    SampleFormat.VCF: "vcf",
}


def sample_filename(fmt: SampleFormat | str, compression: str = "none") -> str:
    fmt = SampleFormat(fmt)
    name = f"genome-{fmt.value}.{_EXTENSIONS.get(fmt, 'txt')}"
    return {"none": name, "gzip": name + ".gz", "zip": name.rsplit(".", 1)[0] + ".zip"}[compression]


def render_text(
    fmt: SampleFormat | str,
    rows: list[Row],
    *,
    build: int = 37,
    seed: int = 0,
    line_ending: str | None = None,
    chr_prefix: bool = False,
    vcf_ids: bool = True,
) -> bytes:
    """The file's text for ``rows`` in vendor layout ``fmt`` (uncompressed, UTF-8)."""
    fmt = SampleFormat(fmt)
    rng = random.Random(seed + 1)
    if fmt in (SampleFormat.TWENTYTHREEANDME, SampleFormat.TWENTYTHREEANDME_SPLIT):
        lines = _render_23andme(
            rows, build=build, split=fmt == SampleFormat.TWENTYTHREEANDME_SPLIT, vendor="23andMe"
        )
    elif fmt == SampleFormat.LIVINGDNA:
        lines = _render_23andme(rows, build=build, split=False, vendor="LivingDNA")
    elif fmt == SampleFormat.WGS_TEXT:
        lines = _render_23andme(rows, build=build, split=False, vendor="wgs")
    elif fmt == SampleFormat.ANCESTRY:
        lines = _render_ancestry(rows, build=build, rng=rng)
    elif fmt == SampleFormat.FTDNA:
        lines = _render_ftdna(rows, myheritage=False, extra_quoted=False, build=build)
    elif fmt == SampleFormat.MYHERITAGE:
        lines = _render_ftdna(rows, myheritage=True, extra_quoted=False, build=build)
    elif fmt == SampleFormat.MYHERITAGE_EXTRA_QUOTED:
        lines = _render_ftdna(rows, myheritage=True, extra_quoted=True, build=build)
    elif fmt == SampleFormat.FAMFINDER:
        lines = _render_famfinder(rows)
    else:
        lines = _render_vcf(rows, build=build, chr_prefix=chr_prefix, rng=rng, with_ids=vcf_ids)
    eol = LINE_ENDINGS[line_ending or _DEFAULT_LINE_ENDING.get(fmt, "lf")]
    return (eol.join(lines) + eol).encode("utf-8")


def compress(data: bytes, *, compression: str, member_name: str = "genome.txt") -> bytes:
    """Wrap ``data`` as a gzip or a zip with one member (``compression`` "none" returns it)."""
    if compression == "none":
        return data
    if compression == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(member_name, date_time=(2026, 11, 26, 10, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return buffer.getvalue()


def generate_genome(
    fmt: SampleFormat | str = SampleFormat.TWENTYTHREEANDME,
    *,
    n_snps: int = 2_000,
    seed: int = 0,
    build: int = 37,
    male: bool = False,
    include: Mapping[str, str] | None = None,
    compression: str = "none",
    line_ending: str | None = None,
    chr_prefix: bool = False,
    vcf_ids: bool = True,
    positions_build: int | None = None,
) -> bytes:
    """A complete raw-DNA file as bytes, ready to write or upload.

    ``positions_build`` lets the positions come from another build than the header claims
    (whole-genome tools writing 23andMe-style text do this).
    """
    fmt = SampleFormat(fmt)
    rows = generate_rows(
        n_snps=n_snps, seed=seed, build=positions_build or build, male=male, include=include
    )
    text = render_text(
        fmt,
        rows,
        build=build,
        seed=seed,
        line_ending=line_ending,
        chr_prefix=chr_prefix,
        vcf_ids=vcf_ids,
    )
    member = sample_filename(fmt)
    return compress(text, compression=compression, member_name=member)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a realistic made-up raw-DNA file.")
    parser.add_argument("output")
    parser.add_argument("--format", default="23andme", choices=[f.value for f in SampleFormat])
    parser.add_argument("--snps", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build", type=int, default=37, choices=(36, 37, 38))
    parser.add_argument("--male", action="store_true")
    parser.add_argument("--compression", default="none", choices=("none", "gzip", "zip"))
    parser.add_argument("--include", nargs="*", default=[], metavar="RSID=GENOTYPE")
    args = parser.parse_args(argv)
    include = dict(item.split("=", 1) for item in args.include)
    data = generate_genome(
        args.format,
        n_snps=args.snps,
        seed=args.seed,
        build=args.build,
        male=args.male,
        include=include,
        compression=args.compression,
    )
    with open(args.output, "wb") as handle:
        handle.write(data)


if __name__ == "__main__":
    main()
