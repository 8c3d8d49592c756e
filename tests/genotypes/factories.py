import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from genotypes.models import Snp, SnpInterpretation
from genotypes.samples import generate_genome, sample_chromosome_for
from genotypes.services import parsing, uploads


class SnpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snp
        django_get_or_create = ("rsid",)

    rsid = factory.Sequence(lambda n: f"rs{900000 + n}")
    gene = "GENE"
    # Where the generated genome files put the rsid: a catalogue SNP on another chromosome
    # than the member's file is (rightly) not matched.
    chromosome = factory.LazyAttribute(lambda o: sample_chromosome_for(o.rsid))
    ref = "A"
    alt = "G"


class SnpInterpretationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SnpInterpretation

    snp = factory.SubFactory(SnpFactory)
    genotype = "AA"
    label = SnpInterpretation.Label.TYPICAL
    text = factory.LazyAttribute(lambda o: f"What {o.genotype} means.")


def demo_catalogue() -> dict[str, Snp]:
    """The LDN demo catalogue, as load_demo_snps loads it."""
    from django.core.management import call_command

    call_command("load_demo_snps", stdout=open("/dev/null", "w"))
    return {snp.rsid: snp for snp in Snp.objects.all()}


def genome_file(name: str = "genome.txt", **kwargs) -> SimpleUploadedFile:
    kwargs.setdefault("n_snps", 3_000)
    return SimpleUploadedFile(name, generate_genome(**kwargs), content_type="text/plain")


def upload_for(user, *, keep_raw: bool = False, **kwargs):
    return uploads.genome_upload_create(
        user=user, file=genome_file(**kwargs), consent=True, keep_raw=keep_raw
    )


def processed_upload_for(user, **kwargs):
    """An upload of a generated genome (``genome_file``'s arguments), read as the worker reads
    it, in this process: the member has a stored genome and results."""
    upload = upload_for(user, **kwargs)
    parsing.genome_upload_process(upload_id=upload.pk, task_id="t")
    upload.refresh_from_db()
    assert upload.status == "done", upload.failure_reason
    return upload
