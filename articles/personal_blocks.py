"""A member's genotype-conditioned blocks on an article page, chosen on the server.

The cached article body (one per access level) keeps a marker where each block goes
(services.rendering.BLOCK_MARKER); `blocks_fill` replaces the markers for one reader from their
genotype report (genotypes.selectors, owner-only). A block whose condition the member's file
does not meet is not sent at all; a member whose DNA we cannot read yet sees every block with
its condition in words. Only members ever reach this: for anyone else the sections holding
blocks are locked by the gate and carry no markers.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from genotypes.conditions import (
    GENOTYPE,
    NO_CALL,
    NOT_ON_CHIP,
    Call,
    ConditionError,
    call_from_match,
    condition_evaluate,
    condition_in_words,
    condition_parse,
    condition_reason,
    condition_rsids,
)
from genotypes.models import Snp
from genotypes.selectors import GenotypeReport

from .services.rendering import BLOCK_MARKER


def block_markers(sections) -> dict[str, dict]:
    """Marker -> stored block, for every block in the visible (unlocked) sections."""
    return {
        BLOCK_MARKER.format(anchor=section.anchor, index=index): block
        for section in sections
        if not section.locked
        for index, block in enumerate(section.blocks)
    }


def block_snps(blocks: dict[str, dict]) -> list[Snp]:
    """The catalogue SNPs the blocks name (the page asks for the member's genotype at each)."""
    rsids = block_rsids(blocks)
    return list(Snp.objects.filter(rsid__in=rsids)) if rsids else []


def block_rsids(blocks: dict[str, dict]) -> list[str]:
    rsids: list[str] = []
    for block in blocks.values():
        if block["kind"] == "grid":
            rsids += block["rsids"]
        elif block["condition"]:
            try:
                condition = condition_parse(block["condition"])
            except ConditionError:
                continue
            rsids += condition_rsids(condition)
    return list(dict.fromkeys(rsid for rsid in rsids if rsid))


def _calls(report: GenotypeReport | None) -> dict[str, Call] | None:
    """The member's calls by rsid, or None when we hold no processed DNA file for them."""
    if report is None or report.state != "ready":
        return None
    return {
        row.snp.rsid: call_from_match(status=row.status, genotype=row.genotype)
        for row in report.rows
    }


def _name(rsid: str, genes: dict[str, str]) -> str:
    return f"{genes[rsid]} {rsid}" if genes.get(rsid) else rsid


def _if_block(block: dict, calls, genes) -> str:
    if not block["condition"]:
        return ""
    condition = condition_parse(block["condition"])
    if calls is None:
        why = condition_in_words(condition, genes=genes)
    elif condition_evaluate(condition, calls=calls) is True:
        why = condition_reason(condition, calls=calls, genes=genes)
    else:
        return ""  # not sent
    return render_to_string(
        "articles/includes/genotype_block.html",
        {"title": block["title"], "why": why, "html": mark_safe(block["html"])},  # nh3 at save
    )


def _grid_placement(block: dict, calls, genes) -> tuple[tuple | None, str]:
    """The member's cell (a genotype pair) and the sentence saying where they are, or why not."""
    if calls is None:
        return None, "Once your DNA file is read, your own combination is highlighted."
    first, second = block["rsids"]
    pair = []
    for rsid in (first, second):
        call = calls.get(rsid, Call("unknown"))
        name = _name(rsid, genes)
        if call.kind == NO_CALL:
            return None, f"We cannot place you in this grid: your DNA file has no call at {name}."
        if call.kind == NOT_ON_CHIP:
            return None, f"We cannot place you in this grid: your DNA test did not include {name}."
        if call.kind != GENOTYPE:
            return None, (
                f"We cannot place you in this grid: your file's letters at {name} cannot be "
                "matched to the catalogue's alleles with confidence."
            )
        pair.append(call.genotype)
    return tuple(pair), (
        f"Your combination, highlighted below: {pair[0]} at {_name(first, genes)} and "
        f"{pair[1]} at {_name(second, genes)}."
    )


def _grid(block: dict, calls, genes) -> str:
    first, second = block["rsids"]
    yours, placement = _grid_placement(block, calls, genes)
    rows_genotypes, columns_genotypes = block["genotypes"]
    cells = [
        {
            "first": a,
            "second": b,
            "html": mark_safe(block["cells"].get(f"{a} {b}", "")),  # sanitised by nh3 at save
            "is_yours": yours == (a, b),
        }
        for a in rows_genotypes
        for b in columns_genotypes
    ]
    return render_to_string(
        "articles/includes/genotype_grid.html",
        {
            "title": block["title"],
            "first": _name(first, genes),
            "second": _name(second, genes),
            "placement": placement,
            "placed": yours is not None,
            "cells": cells,
        },
    )


def blocks_fill(
    main: str, *, blocks: dict[str, dict], report: GenotypeReport | None, genes: dict[str, str]
) -> str:
    """The article body with each block marker replaced by what this reader is shown."""
    calls = _calls(report)
    for marker, block in blocks.items():
        if block["kind"] == "grid":
            html = _grid(block, calls, genes)
        else:
            html = _if_block(block, calls, genes)
        main = main.replace(marker, html)
    return main
