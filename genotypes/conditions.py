"""The condition language of genotype-conditioned text: parse, check, evaluate, put in words.

Pure functions (no ORM, no request) that know genotypes and nothing about articles:

    rs1799971 is AG                 exactly this genotype (AG == GA)
    rs1799971 is one of AG GG       any of these genotypes
    rs1799971 carries G             at least one G
    rs1799971 is no-call            the file has the SNP but no call
    rs1799971 is not on chip        the file lacks the SNP
    ... and ... / ... or ... / not ... / ( ... )

Keywords are case-insensitive; genotypes are two letters on the plus strand, as the catalogue
stores the alleles. Evaluation is three-valued: a genotype we cannot read reliably (an A/T or
C/G SNP, a call placed on another chromosome) is *unknown*, and a block is shown only when its
condition is certainly true.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from genotypes.matching import Status, is_palindromic, normalise, snp_alleles

RSID_RE = re.compile(r"^rs[0-9]+$", re.IGNORECASE)
GENOTYPE_RE = re.compile(r"^[ACGT]{2}$", re.IGNORECASE)
ALLELE_RE = re.compile(r"^[ACGT]$", re.IGNORECASE)
_TOKEN_RE = re.compile(r"\(|\)|[^\s()]+")
MAX_CONDITION = 500


class ConditionError(ValueError):
    """A condition that cannot be read; ``str()`` is the reason, for the editor."""


# --- What a member's file says at one SNP -----------------------------------------------------

GENOTYPE, NO_CALL, NOT_ON_CHIP, UNKNOWN = "genotype", "no_call", "not_on_chip", "unknown"


@dataclass(frozen=True)
class Call:
    kind: str  # GENOTYPE | NO_CALL | NOT_ON_CHIP | UNKNOWN
    genotype: str = ""  # plus strand, letters sorted, when kind is GENOTYPE


def call_from_match(*, status: str, genotype: str) -> Call:
    """A matching.Status (and the genotype it matched) as a Call."""
    if status == Status.MATCH and genotype:
        return Call(GENOTYPE, normalise(genotype))
    if status == Status.NO_CALL:
        return Call(NO_CALL)
    if status == Status.NOT_ON_CHIP:
        return Call(NOT_ON_CHIP)
    return Call(UNKNOWN)


# --- The parsed condition ----------------------------------------------------------------------


@dataclass(frozen=True)
class Is:
    rsid: str
    genotypes: tuple[str, ...]  # normalised (letters sorted)


@dataclass(frozen=True)
class Carries:
    rsid: str
    allele: str


@dataclass(frozen=True)
class IsNoCall:
    rsid: str


@dataclass(frozen=True)
class IsNotOnChip:
    rsid: str


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True)
class Or:
    left: Condition
    right: Condition


Atom = Is | Carries | IsNoCall | IsNotOnChip
Condition = Atom | Not | And | Or


def condition_rsids(condition: Condition) -> list[str]:
    """The rsids a condition names, in order of first mention."""
    if isinstance(condition, Not):
        return condition_rsids(condition.operand)
    if isinstance(condition, And | Or):
        return list(
            dict.fromkeys(condition_rsids(condition.left) + condition_rsids(condition.right))
        )
    return [condition.rsid]


# --- Parsing ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.tokens = _TOKEN_RE.findall(text)
        self.position = 0
        self.last_rsid = "rsNNN"

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self, expected: str) -> str:
        token = self.peek()
        if token is None:
            raise ConditionError(f"the condition ends where {expected} should follow")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.lower() == word:
            self.position += 1
            return True
        return False

    def parse(self) -> Condition:
        if not self.tokens:
            raise ConditionError("the condition is empty; write e.g. 'rs1799971 carries G'")
        condition = self.or_expression()
        token = self.peek()
        if token is not None:
            raise ConditionError(
                f"'{token}' is not expected here; join conditions with 'and' or 'or'"
            )
        return condition

    def or_expression(self) -> Condition:
        condition = self.and_expression()
        while self.keyword("or"):
            self._refuse_bare_genotype("or")
            condition = Or(condition, self.and_expression())
        return condition

    def and_expression(self) -> Condition:
        condition = self.not_expression()
        while self.keyword("and"):
            self._refuse_bare_genotype("and")
            condition = And(condition, self.not_expression())
        return condition

    def not_expression(self) -> Condition:
        if self.keyword("not"):
            return Not(self.not_expression())
        if self.peek() == "(":
            self.position += 1
            condition = self.or_expression()
            if self.peek() != ")":
                raise ConditionError("a '(' is never closed with ')'")
            self.position += 1
            return condition
        return self.atom()

    def _refuse_bare_genotype(self, word: str) -> None:
        token = self.peek()
        if token is not None and GENOTYPE_RE.match(token):
            raise ConditionError(
                f"'{word} {token}' names a genotype without its rsid; to allow several "
                f"genotypes write '{self.last_rsid} is one of AG {token.upper()}'"
            )

    def atom(self) -> Condition:
        rsid = self.next("an rsid")
        if rsid in ("(", ")") or not RSID_RE.match(rsid):
            raise ConditionError(f"expected an rsid (like rs1799971), found '{rsid}'")
        rsid = self.last_rsid = rsid.lower()
        verb = self.next(f"'is' or 'carries' after {rsid}").lower()
        if verb == "carries":
            allele = self.next(f"an allele after '{rsid} carries'")
            if not ALLELE_RE.match(allele):
                raise ConditionError(
                    f"'{rsid} carries' takes one allele letter (A, C, G or T), not '{allele}'"
                )
            return Carries(rsid, allele.upper())
        if verb != "is":
            raise ConditionError(f"expected 'is' or 'carries' after {rsid}, found '{verb}'")
        what = self.next(f"a genotype after '{rsid} is'")
        lowered = what.lower()
        if lowered == "no-call":
            return IsNoCall(rsid)
        if lowered == "not":
            if self.keyword("on") and self.keyword("chip"):
                return IsNotOnChip(rsid)
            raise ConditionError(
                f"after '{rsid} is not' only 'on chip' may follow; to negate write "
                f"'not {rsid} is AG'"
            )
        if lowered == "one":
            if not self.keyword("of"):
                raise ConditionError(f"write '{rsid} is one of AG GG'")
            genotypes = []
            while (token := self.peek()) is not None and GENOTYPE_RE.match(token):
                genotypes.append(normalise(token))
                self.position += 1
            if not genotypes:
                raise ConditionError(f"'{rsid} is one of' needs genotypes, like 'AG GG'")
            return Is(rsid, tuple(dict.fromkeys(genotypes)))
        if not GENOTYPE_RE.match(what):
            raise ConditionError(
                f"'{what}' is not a genotype: write two allele letters (like AG), "
                "'no-call' or 'not on chip'"
            )
        return Is(rsid, (normalise(what),))


def condition_parse(text: str) -> Condition:
    """Parse a condition; raises ConditionError saying what is wrong."""
    if len(text) > MAX_CONDITION:
        raise ConditionError(f"the condition is longer than {MAX_CONDITION} characters")
    return _Parser(text).parse()


# --- Checking against the catalogue -----------------------------------------------------------


def _alleles_text(alleles: set[str]) -> str:
    return " and ".join(sorted(alleles))


def condition_problems(condition: Condition, *, catalogue: Mapping) -> list[str]:
    """Why the condition cannot be used with this catalogue (empty when it can).

    ``catalogue`` maps rsid to an object with ``ref`` and ``alt`` (a catalogue Snp). A SNP
    whose alleles the catalogue does not know yet accepts any genotype.
    """
    problems: list[str] = []
    for atom in _atoms(condition):
        snp = catalogue.get(atom.rsid)
        if snp is None:
            problems.append(f"{atom.rsid} is not in the SNP catalogue")
            continue
        if not isinstance(atom, Is | Carries):
            continue
        alleles = snp_alleles(snp.ref, snp.alt)
        if not alleles:
            continue
        if is_palindromic(alleles):
            problems.append(
                f"{atom.rsid} is an {_alleles_text(alleles)} SNP: the letters read the same on "
                "both strands, so members' genotypes cannot be read reliably; use 'is no-call' "
                "or 'is not on chip' only"
            )
            continue
        if isinstance(atom, Carries):
            if atom.allele not in alleles:
                problems.append(
                    f"{atom.rsid} has the alleles {_alleles_text(alleles)}, so no one carries "
                    f"{atom.allele}"
                )
        else:
            for genotype in atom.genotypes:
                if not set(genotype) <= alleles:
                    problems.append(
                        f"{atom.rsid} has the alleles {_alleles_text(alleles)}, so genotype "
                        f"{genotype} is impossible"
                    )
    return list(dict.fromkeys(problems))


def _atoms(condition: Condition) -> list[Atom]:
    if isinstance(condition, Not):
        return _atoms(condition.operand)
    if isinstance(condition, And | Or):
        return _atoms(condition.left) + _atoms(condition.right)
    return [condition]


def snp_genotypes(*, ref: str, alt: str) -> list[str]:
    """Every genotype possible for these alleles, reference homozygote first; [] if unknown."""
    order = [ref.strip().upper()] + [a.strip().upper() for a in alt.split(",")]
    alleles = [a for a in dict.fromkeys(order) if a in snp_alleles(ref, alt)]
    return [
        normalise(first + second)
        for index, first in enumerate(alleles)
        for second in alleles[index:]
    ]


# --- Evaluation (three-valued: True, False or None for unknown) ------------------------------


def condition_evaluate(condition: Condition, *, calls: Mapping[str, Call]) -> bool | None:
    """True, False, or None when the member's file cannot settle it."""
    if isinstance(condition, Not):
        value = condition_evaluate(condition.operand, calls=calls)
        return None if value is None else not value
    if isinstance(condition, And):
        left = condition_evaluate(condition.left, calls=calls)
        right = condition_evaluate(condition.right, calls=calls)
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if isinstance(condition, Or):
        left = condition_evaluate(condition.left, calls=calls)
        right = condition_evaluate(condition.right, calls=calls)
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    call = calls.get(condition.rsid, Call(UNKNOWN))
    if isinstance(condition, IsNoCall):
        return None if call.kind == UNKNOWN else call.kind == NO_CALL
    if isinstance(condition, IsNotOnChip):
        return None if call.kind == UNKNOWN else call.kind == NOT_ON_CHIP
    if call.kind == UNKNOWN:
        return None
    if call.kind != GENOTYPE:
        return False
    if isinstance(condition, Carries):
        return condition.allele in call.genotype
    return call.genotype in condition.genotypes


# --- In words -------------------------------------------------------------------------------


def _snp_name(rsid: str, genes: Mapping[str, str]) -> str:
    gene = genes.get(rsid, "")
    return f"{rsid} ({gene})" if gene else rsid


def _either(genotypes: tuple[str, ...]) -> str:
    if len(genotypes) == 1:
        return genotypes[0]
    return ", ".join(genotypes[:-1]) + " or " + genotypes[-1]


def _atom_words(atom: Atom, genes: Mapping[str, str], *, negated: bool) -> str:
    snp = _snp_name(atom.rsid, genes)
    if isinstance(atom, Carries):
        return f"{'do not carry' if negated else 'carry'} {atom.allele} at {snp}"
    if isinstance(atom, IsNoCall):
        return f"have {'a' if negated else 'no'} call at {snp} in their DNA file"
    if isinstance(atom, IsNotOnChip):
        return f"took a DNA test that {'included' if negated else 'did not include'} {snp}"
    return f"{'do not have' if negated else 'have'} {_either(atom.genotypes)} at {snp}"


def _words(condition: Condition, genes: Mapping[str, str], *, negated: bool = False) -> str:
    if isinstance(condition, Not):
        return _words(condition.operand, genes, negated=not negated)
    if isinstance(condition, And | Or):
        # De Morgan keeps "not" on the atoms, where it reads naturally.
        joiner = " and " if isinstance(condition, And) != negated else " or "
        parts = []
        for side in (condition.left, condition.right):
            text = _words(side, genes, negated=negated)
            nested = isinstance(side, And | Or) and (isinstance(side, And) != negated) != (
                joiner == " and "
            )
            parts.append(f"({text})" if nested else text)
        return joiner.join(parts)
    return _atom_words(condition, genes, negated=negated)


def condition_in_words(condition: Condition, *, genes: Mapping[str, str]) -> str:
    """'For people who carry G at rs1799971 (OPRM1)': for members whose DNA we cannot read."""
    return f"For people who {_words(condition, genes)}."


def _call_words(rsid: str, call: Call, genes: Mapping[str, str]) -> str:
    snp = _snp_name(rsid, genes)
    if call.kind == NO_CALL:
        return f"your DNA file has no call at {snp}"
    if call.kind == NOT_ON_CHIP:
        return f"your DNA test did not include {snp}"
    return f"your genotype at {snp} is {call.genotype}"


_COPIES = {1: "one", 2: "two copies of"}


def _reasons(condition: Condition, calls: Mapping[str, Call], genes: Mapping[str, str]) -> list:
    """The facts about the member's file that make a true condition true."""
    if isinstance(condition, And):
        return _reasons(condition.left, calls, genes) + _reasons(condition.right, calls, genes)
    if isinstance(condition, Or):
        side = (
            condition.left
            if condition_evaluate(condition.left, calls=calls) is True
            else condition.right
        )
        return _reasons(side, calls, genes)
    if isinstance(condition, Not):
        return [
            _call_words(rsid, calls[rsid], genes) for rsid in condition_rsids(condition.operand)
        ]
    call = calls[condition.rsid]
    if isinstance(condition, Carries):
        copies = _COPIES.get(call.genotype.count(condition.allele), "")
        return [f"you carry {copies} {condition.allele} at {_snp_name(condition.rsid, genes)}"]
    return [_call_words(condition.rsid, call, genes)]


def condition_reason(condition: Condition, *, calls: Mapping[str, Call], genes) -> str:
    """'Shown because you carry one G at rs1799971 (OPRM1).' Only for a condition that holds."""
    reasons = list(dict.fromkeys(_reasons(condition, calls, genes)))
    text = reasons[0] if len(reasons) == 1 else ", ".join(reasons[:-1]) + " and " + reasons[-1]
    return f"Shown because {text}."
