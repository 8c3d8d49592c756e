"""Re-encrypt every stored genome under the first key of GENOME_ENCRYPTION_KEYS.

Key rotation: put the new key first in GENOME_ENCRYPTION_KEYS (keep the old one after it),
deploy, run this command, then remove the old key.
"""

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from genotypes.genome_store import blob_rotate
from genotypes.models import GenomeUpload


class Command(BaseCommand):
    help = "Re-encrypt stored genomes with the newest GENOME_ENCRYPTION_KEYS key."

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
