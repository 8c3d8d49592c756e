"""Match a member's genotype to a catalogue SNP's alleles and interpretations.

Pure functions (no ORM). Consumer files report the plus strand, and so does our catalogue;
papers often use the gene's coding strand, and some files (older chips, hand conversions)
report the opposite strand. So:

* a genotype whose alleles belong to the SNP's plus-strand alleles matches directly;
* one whose *complement* does (a file on the opposite strand) matches after flipping, for a
  SNP that is not palindromic;
* an A/T or C/G SNP (palindromic) cannot be oriented from the letters alone: it is flagged,
  never guessed;
* a haploid call (male X/Y, MT) "A" is read as "AA" for matching;
* a no-call and "not in your file" are kept distinct from any genotype;
* an rsid that the member's file places on another chromosome than the catalogue does is not
  matched (the file's variant is not ours): it is stored as ``ELSEWHERE`` and shown as such;
* an Illumina report on the TOP strand is turned to the plus strand with ``top_to_plus``
  when its results are written; a call it cannot turn is stored as ``UNORIENTED``.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPLEMENT = str.maketrans("ACGT", "TGCA")
NO_CALL = "--"
# Stored instead of a genotype when the file puts the rsid on another chromosome than ours.
ELSEWHERE = "><"
# Stored instead of a TOP-strand call (Illumina reports) that cannot be turned to the plus
# strand, because the catalogue does not know the SNP's alleles: shown as "strand unclear".
UNORIENTED = "~~"


class Status:
    MATCH = "match"
    NOT_ON_CHIP = "not_on_chip"
    NO_CALL = "no_call"
    AMBIGUOUS_STRAND = "ambiguous_strand"
    OTHER_CHROMOSOME = "other_chromosome"


@dataclass(frozen=True)
class Match:
    status: str
    genotype: str  # as shown to the member ("" when there is none)
    key: str = ""  # the interpretation genotype it matched, when it did
    flipped: bool = False


def snp_alleles(ref: str, alt: str) -> set[str]:
    alleles = {ref.strip().upper()} | {a.strip().upper() for a in alt.split(",")}
    return {a for a in alleles if len(a) == 1 and a in "ACGT"}


def is_palindromic(alleles: set[str]) -> bool:
    return alleles in ({"A", "T"}, {"C", "G"})


def normalise(genotype: str) -> str:
    return "".join(sorted(genotype.upper()))


def match_genotype(*, genotype: str | None, ref: str, alt: str) -> Match:
    """Classify the member's ``genotype`` (None/"" when absent from the file) for one SNP."""
    if not genotype:
        return Match(Status.NOT_ON_CHIP, "")
    if genotype == NO_CALL:
        return Match(Status.NO_CALL, "")
    if genotype == ELSEWHERE:
        return Match(Status.OTHER_CHROMOSOME, "")
    if genotype == UNORIENTED:
        return Match(Status.AMBIGUOUS_STRAND, "")
    called = genotype * 2 if len(genotype) == 1 and genotype in "ACGT" else genotype
    called = normalise(called)
    alleles = snp_alleles(ref, alt)
    if not alleles or not set(called) <= set("ACGT"):
        # Unknown catalogue alleles (unverified SNP) or an indel: compare letters as they are.
        return Match(Status.MATCH, called, key=called)
    if is_palindromic(alleles):
        return Match(Status.AMBIGUOUS_STRAND, called)
    if set(called) <= alleles:
        return Match(Status.MATCH, called, key=called)
    flipped = normalise(called.translate(COMPLEMENT))
    if set(flipped) <= alleles:
        return Match(Status.MATCH, flipped, key=flipped, flipped=True)
    return Match(Status.MATCH, called, key="")


def top_to_plus(*, genotype: str, ref: str, alt: str) -> str:
    """A call from Illumina's TOP strand on the plus strand, judged by the SNP's alleles.

    The TOP strand is the plus strand or its complement, so a call whose letters belong to
    the SNP's plus-strand alleles stays, and one whose complement does is flipped. A
    palindromic SNP (A/T, C/G) keeps its letters: ``match_genotype`` flags it as strand
    unclear. Unknown alleles give ``UNORIENTED``; no-calls, markers and indels pass through.
    """
    if genotype in (NO_CALL, ELSEWHERE, "") or not set(genotype) <= set("ACGT"):
        return genotype
    alleles = snp_alleles(ref, alt)
    if not alleles:
        return UNORIENTED
    if is_palindromic(alleles) or set(genotype) <= alleles:
        return genotype
    flipped = normalise(genotype.translate(COMPLEMENT))
    return flipped if set(flipped) <= alleles else genotype
