"""A deterministic whole-genome single-sample VCF, generated column-wise with polars.

Shaped like a 30x provider's variants file (Nebula, Dante): a GRCh38 header with contigs,
GATK-style INFO and FORMAT fields, about 84 % SNVs with rsids, 10 % without an id, 5 %
indels, 1 % multi-allelic sites, 0/1 twice as often as 1/1, the odd no-call. With
``gvcf=True`` a ``<NON_REF>`` reference block (``END=``) follows every variant, as in a
GATK gVCF.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import polars as pl

CONTIGS_38 = {
    "chr1": 248_956_422,
    "chr2": 242_193_529,
    "chr3": 198_295_559,
    "chr4": 190_214_555,
    "chr5": 181_538_259,
    "chr6": 170_805_979,
    "chr7": 159_345_973,
    "chr8": 145_138_636,
    "chr9": 138_394_717,
    "chr10": 133_797_422,
    "chr11": 135_086_622,
    "chr12": 133_275_309,
    "chr13": 114_364_328,
    "chr14": 107_043_718,
    "chr15": 101_991_189,
    "chr16": 90_338_345,
    "chr17": 83_257_441,
    "chr18": 80_373_285,
    "chr19": 58_617_616,
    "chr20": 64_444_167,
    "chr21": 46_709_983,
    "chr22": 50_818_468,
    "chrX": 156_040_895,
}


def header(*, gvcf: bool) -> bytes:
    lines = ["##fileformat=VCFv4.2"]
    if gvcf:
        lines.append('##ALT=<ID=NON_REF,Description="Any base other than the reference">')
        lines.append("##GVCFBlock0-20=minGQ=0(inclusive),maxGQ=20(exclusive)")
        lines.append('##INFO=<ID=END,Number=1,Type=Integer,Description="End of the block">')
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        '##INFO=<ID=MQ,Number=1,Type=Float,Description="Mapping quality">',
    ]
    lines += [f"##contig=<ID={name},length={length}>" for name, length in CONTIGS_38.items()]
    lines.append("##reference=GRCh38")
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1")
    return ("\n".join(lines) + "\n").encode()


def records(n: int, *, seed: int = 16, gvcf: bool = False) -> pl.DataFrame:
    """``n`` variant records (plus as many reference blocks with ``gvcf``), in file order."""
    total = sum(CONTIGS_38.values())
    i = pl.int_range(0, n, eager=True, dtype=pl.Int64)
    frame = pl.DataFrame({"i": i})
    # A cheap deterministic hash of the row number drives every random choice.
    h = ((pl.col("i") + seed) * 2654435761 % 4294967296).cast(pl.Int64)
    bases = ["A", "C", "G", "T"]
    names = list(CONTIGS_38)
    bounds = []
    acc = 0
    for length in CONTIGS_38.values():
        acc += length
        bounds.append(acc * n // total)
    chrom_index = pl.lit(0, pl.Int64)
    for bound in bounds[:-1]:
        chrom_index = chrom_index + (pl.col("i") >= bound).cast(pl.Int64)
    starts = [0] + bounds[:-1]
    frame = frame.with_columns(h=h, c=chrom_index).with_columns(
        start=pl.col("c").replace_strict(dict(enumerate(starts)), return_dtype=pl.Int64),
        length=pl.col("c").replace_strict(
            dict(enumerate(CONTIGS_38.values())), return_dtype=pl.Int64
        ),
        count=pl.col("c").replace_strict(
            {k: bounds[k] - starts[k] for k in range(len(bounds))}, return_dtype=pl.Int64
        ),
    )
    step = pl.col("length") // (pl.col("count") + 1)
    pos = 10_000 + (pl.col("i") - pl.col("start")) * step + pl.col("h") % (step // 2 + 1)
    kind = pl.col("h") % 100  # 0-83 SNV with id, 84-93 SNV without, 94-98 indel, 99 multi
    ref = pl.lit(pl.Series(bases)).get(pl.col("h") // 7 % 4)
    alt = pl.lit(pl.Series(bases)).get((pl.col("h") // 7 + 1 + pl.col("h") // 31 % 3) % 4)
    gt_pick = pl.col("h") // 101 % 300
    frame = frame.select(
        chrom=pl.lit(pl.Series(names)).get(pl.col("c")),
        pos=pos,
        id=pl.when(kind < 84)
        .then(pl.format("rs{}", 1_000_000 + pl.col("i") * 3 + pl.col("h") % 3))
        .when(kind < 94)
        .then(pl.lit("."))
        .otherwise(pl.format("rs{}", 900_000_000 + pl.col("i"))),
        ref=ref,
        alt=pl.when(kind < 94)
        .then(alt)
        .when(kind < 99)
        .then(pl.concat_str([ref, pl.lit("TG")]))
        .otherwise(pl.concat_str([alt, pl.lit(","), ref, pl.lit("T")])),
        qual=pl.format("{}.{}", 30 + pl.col("h") % 900, pl.col("h") % 10),
        filter=pl.lit("PASS"),
        info=pl.format("DP={};MQ=60.00", 15 + pl.col("h") % 30),
        format=pl.lit("GT:AD:DP:GQ:PL"),
        sample=pl.format(
            "{}:{},{}:{}:99:{},0,{}",
            pl.when(gt_pick == 0)
            .then(pl.lit("./."))
            .when(gt_pick < 200)
            .then(pl.lit("0/1"))
            .otherwise(pl.lit("1/1")),
            pl.col("h") % 20,
            pl.col("h") % 17,
            15 + pl.col("h") % 30,
            200 + pl.col("h") % 400,
            300 + pl.col("h") % 500,
        ),
    )
    if gvcf:
        blocks = frame.select(
            "chrom",
            pos=pl.col("pos") + 1,
            id=pl.lit("."),
            ref=pl.lit("N"),
            alt=pl.lit("<NON_REF>"),
            qual=pl.lit("."),
            filter=pl.lit("."),
            info=pl.format("END={}", pl.col("pos").shift(-1).over("chrom").fill_null(0) - 1),
            format=pl.lit("GT:DP:GQ:MIN_DP:PL"),
            sample=pl.lit("0/0:30:60:25:0,60,900"),
        ).filter(pl.col("info") != "END=-1")
        frame = (
            pl.concat([frame.with_row_index("o"), blocks.with_row_index("o")])
            .sort("o", maintain_order=True)
            .drop("o")
        )
    return frame


def write_vcf_gz(path: Path, n: int, *, seed: int = 16, gvcf: bool = False) -> Path:
    """Write a bgzipped (BGZF, as real providers ship) VCF of ``n`` variant records."""
    plain = path.with_suffix("")
    with open(plain, "wb") as handle:
        handle.write(header(gvcf=gvcf))
        records(n, seed=seed, gvcf=gvcf).write_csv(
            handle, separator="\t", include_header=False, quote_style="never"
        )
    if shutil.which("bgzip"):
        subprocess.run(["bgzip", "-f", "-@", "2", str(plain)], check=True)
        Path(str(plain) + ".gz").rename(path)
    else:
        with open(plain, "rb") as source, gzip.open(path, "wb", compresslevel=6) as target:
            shutil.copyfileobj(source, target, 1 << 20)
        plain.unlink()
    return path
