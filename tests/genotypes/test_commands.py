"""Management commands: parse_genome for support, and the SNP catalogue loaders."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from genotypes.models import Snp, SnpInterpretation
from genotypes.samples import generate_genome

ROOT = Path(__file__).resolve().parents[2]


def _run(*args) -> str:
    """parse_genome in process, as manage.py runs it; returns what it printed to stdout."""
    out = StringIO()
    call_command("parse_genome", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _refusal(*args) -> CommandError:
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("parse_genome", *args, stdout=out, stderr=StringIO())
    assert out.getvalue() == ""
    return refused.value


def test_parse_genome_json_prints_the_documented_keys(tmp_path):
    path = tmp_path / "genome.txt.gz"
    path.write_bytes(
        generate_genome(
            "23andme",
            n_snps=2_000,
            seed=1,
            compression="gzip",
            include={"rs4680": "AG", "rs1799971": "--"},
        )
    )
    data = json.loads(
        _run(str(path), "--rsid", "rs4680", "rs1799971", "--rsid", "rs999999999", "--json")
    )
    assert set(data) == {"format", "build", "snp_count", "no_call_count", "genotypes"}
    assert data["format"] == "23andMe" and data["build"] == 37
    assert data["genotypes"] == {"rs4680": "AG", "rs1799971": "--", "rs999999999": None}
    assert data["snp_count"] > 1_900 and data["no_call_count"] >= 1


def test_parse_genome_text_output(tmp_path):
    path = tmp_path / "ancestry.zip"
    path.write_bytes(
        generate_genome("ancestry", n_snps=1_000, compression="zip", include={"rs4680": "AA"})
    )
    output = _run(str(path), "--rsid", "rs4680")
    assert "Format:    AncestryDNA" in output and "rs4680: AA" in output


@pytest.mark.parametrize("content", [b"%PDF-1.4\n", b"", b"<html><body>Not found</body></html>"])
def test_parse_genome_bad_file_refuses_with_one_sentence_and_exit_code_2(tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    error = _refusal(str(path), "--json")
    assert error.returncode == 2
    lines = str(error).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in str(error) and lines[0].endswith(".")


def test_parse_genome_missing_file_exits_2(tmp_path):
    error = _refusal(str(tmp_path / "nope.txt"))
    assert error.returncode == 2 and str(error) == "The file does not exist."


def test_manage_py_parse_genome_exits_2_with_one_line_and_no_traceback(tmp_path):
    """The one run through manage.py: the refusal becomes exit status 2 and a single line."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"%PDF-1.4\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "parse_genome", str(path), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("CommandError: ") and lines[0].endswith(".")


@pytest.mark.django_db
def test_load_demo_snps_is_idempotent_and_keeps_akr1c4_unverified():
    call_command("load_demo_snps")
    call_command("load_demo_snps")
    assert Snp.objects.count() == 13
    assert SnpInterpretation.objects.count() == 33
    akr = Snp.objects.get(rsid="rs3829125")
    assert not akr.verified and "UNVERIFIED" in akr.notes
    assert not akr.interpretations.exists()
    oprm1 = Snp.objects.get(rsid="rs1799971")
    assert oprm1.verified and oprm1.position_grch38 == 154039662
    labels = dict(oprm1.interpretations.values_list("genotype", "label"))
    assert labels == {"AA": "typical", "AG": "notable", "GG": "notable"}


SHARED_CSV = ROOT.parent / "shared" / "content" / "ldn-snps.csv"


@pytest.mark.django_db
@pytest.mark.skipif(
    not SHARED_CSV.exists(), reason="the shared content folder is not beside the repo"
)
def test_import_snps_reads_the_shared_research_table():
    call_command("import_snps", str(SHARED_CSV))
    multi = Snp.objects.get(rsid="rs2032582")
    assert multi.alt == "C,T"
    assert set(multi.interpretations.values_list("genotype", flat=True)) == {
        "CC",
        "AC",
        "AA",
        "CT",
        "AT",
        "TT",
    }
    assert Snp.objects.get(rsid="rs4986791").interpretations.filter(label="uncertain").count() == 3
