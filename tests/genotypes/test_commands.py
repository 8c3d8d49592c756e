"""Management commands: parse_genome for support, and the SNP catalogue loaders."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from genotypes.models import Snp, SnpInterpretation
from genotypes.samples import generate_genome

ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    return subprocess.run([sys.executable, "manage.py", "parse_genome", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_parse_genome_json_prints_the_documented_keys(tmp_path):
    path = tmp_path / "genome.txt.gz"
    path.write_bytes(generate_genome("23andme", n_snps=2_000, seed=1, compression="gzip",
                                     include={"rs4680": "AG", "rs1799971": "--"}))
    result = _run(str(path), "--rsid", "rs4680", "rs1799971", "--rsid", "rs999999999", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"format", "build", "snp_count", "no_call_count", "genotypes"}
    assert data["format"] == "23andMe" and data["build"] == 37
    assert data["genotypes"] == {"rs4680": "AG", "rs1799971": "--", "rs999999999": None}
    assert data["snp_count"] > 1_900 and data["no_call_count"] >= 1


def test_parse_genome_text_output(tmp_path):
    path = tmp_path / "ancestry.zip"
    path.write_bytes(generate_genome("ancestry", n_snps=1_000, compression="zip",
                                     include={"rs4680": "AA"}))
    result = _run(str(path), "--rsid", "rs4680")
    assert result.returncode == 0
    assert "Format:    AncestryDNA" in result.stdout and "rs4680: AA" in result.stdout


@pytest.mark.parametrize("content", [b"%PDF-1.4\n", b"", b"<html><body>Not found</body></html>"])
def test_parse_genome_bad_file_prints_one_sentence_and_exits_2(tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = _run(str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and lines[0].endswith(".")


def test_parse_genome_missing_file_exits_2(tmp_path):
    result = _run(str(tmp_path / "nope.txt"))
    assert result.returncode == 2 and result.stderr.strip() == "The file does not exist."


@pytest.mark.django_db
def test_load_demo_snps_is_idempotent_and_keeps_akr1c4_unverified():
    call_command("load_demo_snps")
    call_command("load_demo_snps")
    assert Snp.objects.count() == 8
    assert SnpInterpretation.objects.count() == 21
    akr = Snp.objects.get(rsid="rs3829125")
    assert not akr.verified and "UNVERIFIED" in akr.notes
    assert not akr.interpretations.exists()
    oprm1 = Snp.objects.get(rsid="rs1799971")
    assert oprm1.verified and oprm1.position_grch38 == 154039662
    labels = dict(oprm1.interpretations.values_list("genotype", "label"))
    assert labels == {"AA": "typical", "AG": "notable", "GG": "notable"}


SHARED_CSV = ROOT.parent / "shared" / "content" / "ldn-snps.csv"


@pytest.mark.django_db
@pytest.mark.skipif(not SHARED_CSV.exists(), reason="the shared content folder is not beside the repo")
def test_import_snps_reads_the_shared_research_table():
    call_command("import_snps", str(SHARED_CSV))
    multi = Snp.objects.get(rsid="rs2032582")
    assert multi.alt == "C,T"
    assert set(multi.interpretations.values_list("genotype", flat=True)) == {
        "CC", "AC", "AA", "CT", "AT", "TT"}
    assert Snp.objects.get(rsid="rs4986791").interpretations.filter(label="uncertain").count() == 3
