"""The condition language of genotype-conditioned blocks: parsing, refusals with reasons,
checks against the catalogue's alleles, three-valued evaluation and the words members read."""

from types import SimpleNamespace

import pytest

from genotypes.conditions import (
    GENOTYPE,
    NO_CALL,
    NOT_ON_CHIP,
    UNKNOWN,
    Call,
    ConditionError,
    call_from_match,
    condition_evaluate,
    condition_in_words,
    condition_parse,
    condition_problems,
    condition_reason,
    snp_genotypes,
)
from genotypes.matching import Status

GENES = {"rs1799971": "OPRM1", "rs4680": "COMT"}
CATALOGUE = {
    "rs1799971": SimpleNamespace(ref="A", alt="G"),
    "rs4680": SimpleNamespace(ref="G", alt="A"),
    "rs1800497": SimpleNamespace(ref="", alt=""),  # alleles not confirmed yet
    "rs10000": SimpleNamespace(ref="A", alt="T"),  # palindromic
}


def calls_for(oprm1: str, comt: str = "AG") -> dict[str, Call]:
    def call(value: str) -> Call:
        return {
            "no-call": Call(NO_CALL),
            "not on chip": Call(NOT_ON_CHIP),
            "?": Call(UNKNOWN),
        }.get(value, Call(GENOTYPE, value))

    return {"rs1799971": call(oprm1), "rs4680": call(comt)}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # AA / AG / GG / no-call / not on chip at rs1799971
        ("rs1799971 carries G", [False, True, True, False, False]),
        ("rs1799971 is AA", [True, False, False, False, False]),
        ("rs1799971 is GA", [False, True, False, False, False]),  # GA == AG
        ("rs1799971 is one of AG GG", [False, True, True, False, False]),
        ("rs1799971 is no-call", [False, False, False, True, False]),
        ("RS1799971 IS NOT ON CHIP", [False, False, False, False, True]),
        ("not rs1799971 carries G", [True, False, False, True, True]),
        ("rs1799971 carries G and not rs4680 is AA", [False, True, True, False, False]),
        ("rs1799971 is AA or rs4680 is AG", [True, True, True, True, True]),
        (
            "(rs1799971 is no-call or rs1799971 is not on chip) and rs4680 carries A",
            [False, False, False, True, True],
        ),
    ],
)
def test_conditions_for_aa_ag_gg_no_call_and_not_on_chip_members(condition, expected):
    parsed = condition_parse(condition)
    members = ["AA", "AG", "GG", "no-call", "not on chip"]
    assert [condition_evaluate(parsed, calls=calls_for(m)) is True for m in members] == expected


def test_an_unreadable_genotype_is_unknown_and_never_shows_a_block():
    calls = calls_for("?")
    assert condition_evaluate(condition_parse("rs1799971 carries G"), calls=calls) is None
    assert condition_evaluate(condition_parse("not rs1799971 carries G"), calls=calls) is None
    # ... unless the other side settles it
    either = condition_parse("rs1799971 carries G or rs4680 is AG")
    assert condition_evaluate(either, calls=calls) is True
    both = condition_parse("rs1799971 carries G and rs4680 is AA")
    assert condition_evaluate(both, calls=calls) is False


def test_match_statuses_become_calls():
    assert call_from_match(status=Status.MATCH, genotype="GA") == Call(GENOTYPE, "AG")
    assert call_from_match(status=Status.NO_CALL, genotype="") == Call(NO_CALL)
    assert call_from_match(status=Status.NOT_ON_CHIP, genotype="") == Call(NOT_ON_CHIP)
    assert call_from_match(status=Status.AMBIGUOUS_STRAND, genotype="AT").kind == UNKNOWN
    assert call_from_match(status=Status.OTHER_CHROMOSOME, genotype="").kind == UNKNOWN


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("rs1799971 is AG or GG", "write 'rs1799971 is one of AG GG'"),
        ("", "the condition is empty"),
        ("rs1799971", "should follow"),
        ("rs1799971 has G", "expected 'is' or 'carries'"),
        ("rs1799971 carries GG", "takes one allele letter"),
        ("rs1799971 is AX", "'AX' is not a genotype"),
        ("rs1799971 is not AA", "only 'on chip' may follow"),
        ("OPRM1 carries G", "expected an rsid"),
        ("(rs1799971 carries G", "never closed"),
        ("rs1799971 carries G rs4680 is AA", "join conditions with 'and' or 'or'"),
        ("rs1799971 is one of", "needs genotypes"),
    ],
)
def test_a_malformed_condition_is_refused_with_the_reason(text, reason):
    with pytest.raises(ConditionError) as error:
        condition_parse(text)
    assert reason in str(error.value)


def test_catalogue_refuses_unknown_snps_and_impossible_genotypes():
    problems = condition_problems(
        condition_parse(
            "rs1799971 is CC or rs1799971 carries T or rs4680 is one of AG AT or rs999 is AA"
        ),
        catalogue=CATALOGUE,
    )
    assert problems == [
        "rs1799971 has the alleles A and G, so genotype CC is impossible",
        "rs1799971 has the alleles A and G, so no one carries T",
        "rs4680 has the alleles A and G, so genotype AT is impossible",
        "rs999 is not in the SNP catalogue",
    ]
    assert condition_problems(condition_parse("rs1800497 is CT"), catalogue=CATALOGUE) == []
    assert (
        "cannot be read reliably"
        in condition_problems(condition_parse("rs10000 is AT"), catalogue=CATALOGUE)[0]
    )
    assert condition_problems(condition_parse("rs10000 is no-call"), catalogue=CATALOGUE) == []


def test_conditions_in_words_for_members_without_dna():
    def words(text):
        return condition_in_words(condition_parse(text), genes=GENES)

    assert words("rs1799971 carries G") == "For people who carry G at rs1799971 (OPRM1)."
    assert words("rs1799971 carries G and not rs4680 is AA") == (
        "For people who carry G at rs1799971 (OPRM1) and do not have AA at rs4680 (COMT)."
    )
    assert words("not (rs1799971 is AA or rs4680 is no-call)") == (
        "For people who do not have AA at rs1799971 (OPRM1) and have a call at rs4680 (COMT) "
        "in their DNA file."
    )
    assert words("rs1799971 is AA and (rs4680 is one of AG AA or rs4680 is not on chip)") == (
        "For people who have AA at rs1799971 (OPRM1) and (have AG or AA at rs4680 (COMT) or "
        "took a DNA test that did not include rs4680 (COMT))."
    )


@pytest.mark.parametrize(
    ("condition", "oprm1", "comt", "reason"),
    [
        ("rs1799971 carries G", "AG", "AG", "you carry one G at rs1799971 (OPRM1)"),
        ("rs1799971 carries G", "GG", "AG", "you carry two copies of G at rs1799971 (OPRM1)"),
        ("rs1799971 is AA", "AA", "AG", "your genotype at rs1799971 (OPRM1) is AA"),
        ("rs1799971 is no-call", "no-call", "AG", "your DNA file has no call at rs1799971"),
        ("rs1799971 is not on chip", "not on chip", "AG", "your DNA test did not include"),
        (
            "rs1799971 is AA and not rs4680 is GG",
            "AA",
            "AG",
            "your genotype at rs1799971 (OPRM1) is AA and your genotype at rs4680 (COMT) is AG",
        ),
    ],
)
def test_each_shown_block_says_why(condition, oprm1, comt, reason):
    text = condition_reason(condition_parse(condition), calls=calls_for(oprm1, comt), genes=GENES)
    assert text.startswith("Shown because ") and reason in text


def test_every_genotype_a_snp_allows():
    assert snp_genotypes(ref="A", alt="G") == ["AA", "AG", "GG"]
    assert snp_genotypes(ref="G", alt="A") == ["GG", "AG", "AA"]
    assert snp_genotypes(ref="A", alt="C,T") == ["AA", "AC", "AT", "CC", "CT", "TT"]
    assert snp_genotypes(ref="unknown", alt="unknown") == []
