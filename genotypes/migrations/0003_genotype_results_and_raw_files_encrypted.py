"""Encrypt what was stored in clear: members' genotype results, and raw files kept or waiting.

Results: the column becomes a SealedGenotypeField and every existing value is sealed (raw
SQL, so the plain values are read as they are). Raw files: each one still in clear is sealed
in place (written beside, then swapped), and the genome folders are made owner-only.
Reversible: going back opens the results again (raw files stay sealed; the worker reads both).
"""

import os
import tempfile

import django.core.validators
from django.db import migrations

import genotypes.models

_TABLE = "genotypes_genotyperesult"


def _rows(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, genotype FROM {_TABLE}")
        return cursor.fetchall()


def _rewrite(schema_editor, change) -> None:
    rows = _rows(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_TABLE} SET genotype = %s WHERE id = %s",
            [(change(value or ""), pk) for pk, value in rows],
        )


def results_seal(apps, schema_editor):
    from genotypes.genome_store import value_seal

    _rewrite(schema_editor, value_seal)


def results_unseal(apps, schema_editor):
    from genotypes.genome_store import value_unseal

    _rewrite(schema_editor, value_unseal)


def raw_files_seal(apps, schema_editor):
    from django.conf import settings
    from django.core.files.base import File
    from django.core.files.storage import FileSystemStorage

    from genotypes.genome_store import SEALED_MAGIC, SealedWriter, is_sealed

    GenomeUpload = apps.get_model("genotypes", "GenomeUpload")
    storage = GenomeUpload._meta.get_field("raw_file").storage
    for upload in GenomeUpload.objects.exclude(raw_file="").only("pk", "raw_file"):
        name = upload.raw_file.name
        try:
            with storage.open(name, "rb") as handle:
                if is_sealed(handle.read(len(SEALED_MAGIC))):
                    continue
                handle.seek(0)
                with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
                    writer = SealedWriter(spool)
                    while chunk := handle.read(1024 * 1024):
                        writer.write(chunk)
                    writer.close()
                    spool.seek(0)
                    sealed_name = storage.save(name + ".sealed", File(spool, "upload"))
        except FileNotFoundError:
            continue
        storage.delete(name)
        GenomeUpload.objects.filter(pk=upload.pk).update(raw_file=sealed_name)
    if isinstance(storage, FileSystemStorage):
        root = os.path.join(storage.location, "genomes")
        for folder, _, files in os.walk(root):
            os.chmod(folder, 0o700)
            for file in files:
                os.chmod(os.path.join(folder, file), 0o600)


class Migration(migrations.Migration):
    dependencies = [
        ("genotypes", "0002_uploads_results_audit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="genotyperesult",
            name="genotype",
            field=genotypes.models.SealedGenotypeField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(4)]
            ),
        ),
        migrations.RunPython(results_seal, results_unseal),
        migrations.RunPython(raw_files_seal, migrations.RunPython.noop),
    ]
