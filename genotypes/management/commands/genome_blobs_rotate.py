"""Re-encrypt every stored genome, sealed raw file and genotype result under the first key
of GENOME_ENCRYPTION_KEYS.

Key rotation: put the new key first in GENOME_ENCRYPTION_KEYS (keep the old one after it),
deploy, run this command, then remove the old key.
"""

import tempfile

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.management.base import BaseCommand
from django.db import transaction

from genotypes.genome_store import SEALED_MAGIC, blob_rotate, is_sealed, sealed_rotate
from genotypes.models import GenomeUpload, GenotypeResult


class Command(BaseCommand):
    help = "Re-encrypt stored genomes, raw files and results with the newest key."

    def handle(self, *args, **options):
        rotated = 0
        for upload in GenomeUpload.objects.exclude(genome_file="").iterator():
            storage = upload.genome_file.storage
            name = upload.genome_file.name
            with storage.open(name, "rb") as handle:
                blob = handle.read()
            # Written beside the old blob first, so a crash never leaves a row without one.
            saved = storage.save(name, ContentFile(blob_rotate(blob)))
            GenomeUpload.objects.filter(pk=upload.pk).update(genome_file=saved)
            if saved != name:
                storage.delete(name)
            rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} stored genomes.")
        raw = 0
        for upload in GenomeUpload.objects.exclude(raw_file="").iterator():
            storage = upload.raw_file.storage
            name = upload.raw_file.name
            with (
                storage.open(name, "rb") as handle,
                tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool,
            ):
                if not is_sealed(handle.read(len(SEALED_MAGIC))):
                    continue
                handle.seek(0)
                sealed_rotate(handle, spool)  # frame by frame: never whole in memory
                spool.seek(0)
                saved = storage.save(name, File(spool, "upload"))
            GenomeUpload.objects.filter(pk=upload.pk).update(raw_file=saved)
            if saved != name:
                storage.delete(name)
            raw += 1
        self.stdout.write(f"Re-encrypted {raw} raw files.")
        results = 0
        user_ids = GenotypeResult.objects.values_list("user_id", flat=True).distinct()
        for user_id in user_ids.iterator():
            with transaction.atomic():
                rows = list(GenotypeResult.objects.select_for_update().filter(user_id=user_id))
                # Read opened with any key, written sealed with the first one.
                GenotypeResult.objects.bulk_update(rows, ["genotype"], batch_size=500)
            results += len(rows)
        self.stdout.write(f"Re-encrypted {results} genotype results.")
