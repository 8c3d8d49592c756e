"""Property-based: the streaming VCF reader agrees with the whole-text reader.

Random small VCFs (SNVs, indels, several ALTs, symbolic alleles, no-calls, haploid and
phased calls, ids or none, any chunking of the gzip stream) must give the same calls, or the
same refusal, through ``parse_genome_stream`` as through ``parse_genome_bytes``; in a random
gVCF, reference blocks are never stored as calls and every catalogue site one covers gets a
reference call. Bounded: a few dozen records, 40 examples, no timing.
"""

from __future__ import annotations

import gzip

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genotypes.parsers import (
    CHROMOSOME_DTYPE,
    GENOTYPE_DTYPE,
    GenomeFormatError,
    parse_genome_bytes,
    parse_genome_stream,
)

HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
)
GVCF_HEADER = HEADER.replace(
    "##contig", '##ALT=<ID=NON_REF,Description="Any base other than the reference">\n##contig'
)
PROPERTIES = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

_record = st.tuples(
    st.sampled_from(["1", "2", "chrX", "MT", "chrUn_gl000220"]),
    st.integers(1, 5_000),
    st.one_of(st.just("."), st.integers(1, 60).map(lambda n: f"rs{n}")),
    st.sampled_from(["A", "C", "G", "T", "a", "AT"]),
    st.sampled_from(["G", "T", "C,G", "ATT", "<NON_REF>", "*", ".", "t"]),
    st.sampled_from(["0/0", "0/1", "1/1", "1|0", "./.", "1", "0", "1/2", ".", "2/2"]),
)


def _text(records, header: str = HEADER) -> bytes:
    lines = [
        f"{chrom}\t{pos}\t{rsid}\t{ref}\t{alt}\t50\tPASS\tDP=9\tGT:DP\t{gt}:9\n"
        for chrom, pos, rsid, ref, alt, gt in records
    ]
    return (header + "".join(lines)).encode()


def _chunked(data: bytes, size: int):
    return lambda: iter([data[i : i + size] for i in range(0, len(data), size)])


def _outcome(parse):
    try:
        genome = parse()
    except GenomeFormatError as error:
        return ("refused", error.code)
    rows = genome.frame.select(
        "rsid", pl.col("chromosome").cast(pl.String), "position", pl.col("genotype").cast(pl.String)
    ).rows()
    return ("read", sorted(rows, key=repr), genome.build, sorted(genome.warnings))


def _no_fallback():
    raise AssertionError("a plain VCF takes the streaming route")


@PROPERTIES
@given(records=st.lists(_record, min_size=1, max_size=40), size=st.integers(1, 300))
def test_the_streaming_reader_agrees_with_the_whole_text_reader(records, size):
    text = _text(records)
    whole = _outcome(lambda: parse_genome_bytes(text))
    streamed = _outcome(
        lambda: parse_genome_stream(_chunked(gzip.compress(text), size), fallback=_no_fallback)
    )
    assert streamed == whole


@PROPERTIES
@given(
    records=st.lists(_record, min_size=1, max_size=30),
    blocks=st.lists(st.tuples(st.integers(1, 5_000), st.integers(0, 400)), max_size=6),
    sites=st.lists(st.integers(1, 5_000), min_size=1, max_size=8, unique=True),
)
def test_gvcf_blocks_are_never_stored_and_give_reference_calls_for_covered_sites(
    records, blocks, sites
):
    block_lines = "".join(
        f"1\t{start}\t.\tA\t<NON_REF>\t.\t.\tEND={start + length}\tGT:DP\t0/0:9\n"
        for start, length in blocks
    )
    text = _text(records, header=GVCF_HEADER) + block_lines.encode()
    reference = pl.DataFrame(
        {
            "rsid": [f"rs{9000 + n}" for n in range(len(sites))],
            "chromosome": ["1"] * len(sites),
            "position": sites,
            "genotype": ["CC"] * len(sites),
        },
        schema={
            "rsid": pl.String,
            "chromosome": CHROMOSOME_DTYPE,
            "position": pl.UInt32,
            "genotype": GENOTYPE_DTYPE,
        },
    )
    stored: list[pl.DataFrame] = []
    try:
        parse_genome_stream(
            _chunked(text, 97),
            fallback=_no_fallback,
            sink=stored.append,
            reference_sites={37: reference},
        )
    except GenomeFormatError:
        return  # refused as a whole (all no-calls, damaged lines...): nothing to check
    calls = pl.concat(stored) if stored else reference.clear()
    covered = {
        site for site in sites for start, length in blocks if start <= site <= start + length
    }
    reference_calls = calls.filter(pl.col("rsid").str.starts_with("rs9"))
    assert set(reference_calls["position"].to_list()) == covered
    assert set(reference_calls["genotype"].cast(pl.String).to_list()) <= {"CC"}
    # A block's own record is not a call: no row comes from a <NON_REF> line.
    variant_positions = {pos for chrom, pos, *_ in records if chrom == "1"}
    block_only = {start for start, _ in blocks} - variant_positions - covered
    assert not block_only & set(calls.filter(pl.col("chromosome") == "1")["position"].to_list())
