"""The catalogue's public names and summaries, and genes, arrive through the import commands.

import_snps reads the optional ``common_name`` and ``summary`` columns; import_genes (and
load_demo_snps, when genotypes/demo/genes.csv exists) reads ``symbol,name,summary``.
"""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from genotypes.models import Gene, Snp

pytestmark = pytest.mark.django_db

COLUMNS = (
    "rsid,gene,chrom,pos_grch37,pos_grch38,ref,alt,effect_allele,genotype,finding,evidence,"
    "source_doi"
)


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


def _row(genotype, common_name="", summary=""):
    return [
        "rs1799971", "OPRM1", "6", "154360797", "154039662", "A", "G", "G", genotype,
        f"Finding for {genotype}.", "unverified", "", common_name, summary,
    ]  # fmt: skip


def test_import_snps_keeps_common_names_and_the_first_summary(tmp_path):
    path = _write(
        tmp_path / "snps.csv",
        COLUMNS + ",common_name,summary",
        [
            _row("AA", "", ""),
            _row("AG", "A118G;c.118A>G ; Asn40Asp ; A118G", "Swaps asparagine for aspartate."),
            _row("GG", "ignored", "A later summary, ignored."),
        ],
    )
    call_command("import_snps", str(path), stdout=StringIO())
    snp = Snp.objects.get(rsid="rs1799971")
    assert snp.common_names == "A118G ; c.118A>G ; Asn40Asp"
    assert snp.common_name_list == ["A118G", "c.118A>G", "Asn40Asp"]
    assert snp.summary == "Swaps asparagine for aspartate."


def test_a_file_without_the_optional_columns_leaves_them_as_they_are(tmp_path):
    Snp.objects.create(rsid="rs1799971", gene="OPRM1", common_names="A118G", summary="Kept.")
    path = _write(tmp_path / "snps.csv", COLUMNS, [_row("AA")[:-2]])
    call_command("import_snps", str(path), stdout=StringIO())
    snp = Snp.objects.get(rsid="rs1799971")
    assert (snp.common_names, snp.summary) == ("A118G", "Kept.")


def test_import_genes_creates_and_updates_genes_and_lists_bad_rows(tmp_path):
    path = _write(
        tmp_path / "genes.csv",
        "symbol,name,summary",
        [
            ["COMT", "catechol-O-methyltransferase", "Breaks down dopamine."],
            ["HLA-DRB1", "major histocompatibility complex, class II, DR beta 1", ""],
            ["not a symbol!", "x", "y"],
        ],
    )
    out = StringIO()
    call_command("import_genes", str(path), stdout=out)
    assert "Imported 2 genes." in out.getvalue()
    assert "Skipped line 4 (not a symbol!): not a symbol." in out.getvalue()
    assert Gene.objects.get(symbol="COMT").summary == "Breaks down dopamine."
    _write(path, "symbol,name,summary", [["COMT", "catechol-O-methyltransferase", "Changed."]])
    call_command("import_genes", str(path), stdout=StringIO())
    assert Gene.objects.get(symbol="COMT").summary == "Changed." and Gene.objects.count() == 2


def test_import_genes_refuses_a_file_without_a_symbol_column(tmp_path):
    path = _write(tmp_path / "genes.csv", "gene,name", [["COMT", "x"]])
    with pytest.raises(CommandError, match="lacks the column: symbol"):
        call_command("import_genes", str(path), stdout=StringIO())


def test_load_demo_snps_loads_the_demo_genes_for_every_catalogue_gene():
    out = StringIO()
    call_command("load_demo_snps", stdout=out)
    genes = set(Gene.objects.values_list("symbol", flat=True))
    catalogue = set(Snp.objects.exclude(gene="").values_list("gene", flat=True))
    assert catalogue <= genes, catalogue - genes
    assert f"{len(genes)} genes." in out.getvalue()
    assert all(Gene.objects.values_list("summary", flat=True))
