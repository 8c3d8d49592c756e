"""A member with a processed file, articles on topics with genotype reports, and a SNP
added to the catalogue after the member's file was read: what the highlights, My genetics and
the digest start from."""

from __future__ import annotations

from genotypes.models import GenomeUpload, SnpInterpretation
from genotypes.services import backfill
from tests.genotypes.factories import (
    SnpFactory,
    SnpInterpretationFactory,
    processed_upload_for,
)

from .factories import ArticleFactory, SectionFactory, TopicFactory

# The member's calls: OPRM1 AG is notable, COMT GG typical, ABCB1 rs2032582 AC notable.
CALLS = {"rs1799971": "AG", "rs4680": "GG", "rs2032582": "AC"}
# A variant the catalogue learns of later; the member's file has it. Its findings' words must
# never reach an email.
LATER_RSID = "rs900777"
LATER_GENE = "LATERGENE"
LATER_FINDING = "Carriers of this later variant clear the drug unusually fast."


def processed_upload(member, *, include=None) -> GenomeUpload:
    return processed_upload_for(member, include=CALLS if include is None else include, n_snps=300)


def report_article(title, slug, snps, *, topics=(), anchor="your-genotypes", **kwargs):
    """A published article whose genotype report (at ``anchor``) discusses ``snps``."""
    article = ArticleFactory(title=title, slug=slug, **kwargs)
    for name in topics:
        article.topics.add(TopicFactory(name=name, slug=name.lower().replace(" ", "-")))
    section = SectionFactory(
        article=article,
        order=1,
        heading="Your genotypes",
        anchor=anchor,
        kind="genotype_report",
        access="members",
    )
    for order, snp in enumerate(snps):
        section.section_snps.create(snp=snp, order=order)
    return article


def later_snp_added(*, label=SnpInterpretation.Label.NOTABLE):
    """A catalogue SNP added after members' files were read, filled in by the backfill."""
    snp = SnpFactory(rsid=LATER_RSID, gene=LATER_GENE, ref="A", alt="G")
    SnpInterpretationFactory(snp=snp, genotype="AG", label=label, text=LATER_FINDING)
    SnpInterpretationFactory(snp=snp, genotype="AA", text="The usual genotype.")
    uploads = GenomeUpload.objects.filter(is_current=True).values_list("pk", flat=True)
    backfill.genotype_results_backfill_chunk(snp_id=snp.pk, upload_ids=[str(pk) for pk in uploads])
    return snp
