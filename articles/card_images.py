"""The picture drawn for an article that has no overview image: a small SVG made from its slug
(colours and a double helix whose turns differ per article). Pure: no ORM, no request.

It is decorative (cards show it with empty alt text beside the title), so it carries no text.
"""

import hashlib
import math
from html import escape

# Pairs of (background, strands) with enough contrast between them; picked per article.
PALETTES = (
    ("#1f5f5b", "#bfe3dd"),
    ("#2b4c7e", "#c9d9f2"),
    ("#6b3f7a", "#e5d2ee"),
    ("#7a4a12", "#f3dcb8"),
    ("#24543a", "#cce8d5"),
    ("#7a2f3b", "#f2cfd5"),
)
WIDTH, HEIGHT = 320, 180


def _strand(*, phase: float, turns: float, amplitude: float) -> str:
    points = []
    for step in range(65):
        x = WIDTH * step / 64
        y = HEIGHT / 2 + amplitude * math.sin(phase + turns * 2 * math.pi * step / 64)
        points.append(f"{x:.1f},{y:.1f}")
    return "M" + " L".join(points)


def card_svg(*, slug: str) -> str:
    """The same picture for the same slug, every time."""
    digest = hashlib.sha256(slug.encode()).digest()
    background, ink = PALETTES[digest[0] % len(PALETTES)]
    turns = 1.5 + digest[1] / 255 * 1.5
    phase = digest[2] / 255 * 2 * math.pi
    amplitude = 38 + digest[3] / 255 * 22
    rungs = []
    for step in range(4, 64, 4):
        x = WIDTH * step / 64
        angle = phase + turns * 2 * math.pi * step / 64
        y1 = HEIGHT / 2 + amplitude * math.sin(angle)
        y2 = HEIGHT / 2 + amplitude * math.sin(angle + math.pi)
        rungs.append(f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}"/>')
    circles = "".join(
        f'<circle cx="{digest[4 + i] / 255 * WIDTH:.0f}" '
        f'cy="{digest[9 + i] / 255 * HEIGHT:.0f}" r="{18 + digest[14 + i] % 40}"/>'
        for i in range(5)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" aria-hidden="true">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{escape(background)}"/>'
        f'<g fill="{escape(ink)}" opacity="0.12">{circles}</g>'
        f'<g stroke="{escape(ink)}" stroke-width="3" opacity="0.55">{"".join(rungs)}</g>'
        f'<g fill="none" stroke="{escape(ink)}" stroke-width="6" stroke-linecap="round">'
        f'<path d="{_strand(phase=phase, turns=turns, amplitude=amplitude)}"/>'
        f'<path d="{_strand(phase=phase + math.pi, turns=turns, amplitude=amplitude)}"/>'
        "</g></svg>"
    )
