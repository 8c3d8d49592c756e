"""The ``findings:`` front matter key of an article file: the article's own wording of what a
genotype means, replacing the catalogue's text in this article (articles.ArticleFinding). Pure:
the catalogue checks (the rsid exists, the genotype fits its alleles) happen on import."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

FINDING_KEYS = {"rsid", "genotype", "text"}
RSID_RE = re.compile(r"^rs[0-9]+$")
GENOTYPE_RE = re.compile(r"^[ACGT]{2}$")


@dataclass
class ParsedFinding:
    rsid: str
    genotype: str  # two letters in alphabetical order, e.g. AG
    text: str
    line: int


def findings_parse(node, value, errors: list) -> list[ParsedFinding]:
    """Each entry a mapping {rsid, genotype, text}; problems go to ``errors`` with their line."""
    if value is None:
        return []
    line = node.start_mark.line + 2 if node is not None else 0
    if not isinstance(value, list):
        errors.append((line, "'findings' must be a list of {rsid, genotype, text}"))
        return []
    item_nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
    findings: list[ParsedFinding] = []
    seen: dict[tuple[str, str], int] = {}
    for item, item_node in zip(value, item_nodes, strict=False):
        line = item_node.start_mark.line + 2 if item_node is not None else 0
        if not isinstance(item, dict):
            errors.append((line, "each finding must be a mapping with rsid, genotype and text"))
            continue
        for key in sorted(set(item) - FINDING_KEYS, key=str):
            errors.append((line, f"unknown finding key '{key}' (known: genotype, rsid, text)"))
        rsid = str(item.get("rsid") or "").strip()
        genotype = "".join(sorted(str(item.get("genotype") or "").strip().upper()))
        text = " ".join(str(item.get("text") or "").split())
        problems = []
        if not RSID_RE.match(rsid):
            problems.append(f"finding rsid '{rsid}' is not an rsid (rs followed by digits)")
        if not GENOTYPE_RE.match(genotype):
            problems.append(
                f"finding genotype '{item.get('genotype')}' must be two letters from A, C, G, T"
            )
        if not text:
            problems.append(f"the finding for {rsid} {genotype} needs a 'text'")
        if not problems and (rsid, genotype) in seen:
            problems.append(
                f"{rsid} {genotype} already has a finding on line {seen[(rsid, genotype)]}"
            )
        errors.extend((line, problem) for problem in problems)
        if not problems:
            seen[(rsid, genotype)] = line
            findings.append(ParsedFinding(rsid=rsid, genotype=genotype, text=text, line=line))
    return findings
