"""Map labels that do not collide: greedy placement by priority with box-overlap checks in pixels. Pure.

Each label has an anchor (map units, e.g. lon/lat), a text, a font size and a priority (lower is
placed first). A label is tried at its anchor, then at a few offsets around it (above, below,
right, left); the first position whose text box overlaps no box already placed (nor any given
obstacle) wins; a label with no free position is dropped, so the more important ones always stay.
Boxes are measured in pixels through a per-axis scale (pixels per map unit), since overlap is a
matter of what the reader sees, not of distances on the ground.

Text width is estimated, not measured (no font metrics offline): a CJK glyph is one em wide,
other characters 0.6 em; the height is 1.25 em. Estimates err on the wide side, so the labels
that are kept do not touch on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Offsets tried after the anchor itself, in units of the label's own box (width, height): above,
# below, right, left, then the four diagonals. The anchor comes first so most labels sit where the
# reader expects them; none moves further than one box from its anchor.
OFFSETS: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 1.0), (0.0, -1.0), (0.75, 0.0), (-0.75, 0.0),
                                            (0.6, 0.9), (-0.6, 0.9), (0.6, -0.9), (-0.6, -0.9))
LATIN_EM = 0.6
LINE_EM = 1.25


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    size: float  # font size, px
    priority: float = 0.0  # lower first
    movable: bool = True  # False: only the anchor itself is tried


@dataclass(frozen=True)
class Placed:
    label: Label
    x: float  # where the label's centre goes, map units
    y: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels (y up)


def text_size(text: str, size: float) -> tuple[float, float]:
    """Estimated (width, height) in pixels of `text` (lines split at "\n") at font size `size`."""
    lines = text.split("\n")
    width = max(sum(size if ord(ch) >= 0x2E80 else LATIN_EM * size for ch in line) for line in lines)
    return width, LINE_EM * size * len(lines)


def overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap with positive area (touching edges do not)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place(labels: Sequence[Label], px_per_x: float, px_per_y: float, gap: float = 2.0,
          obstacles: Sequence[Sequence[float]] = (), offsets: Sequence[tuple[float, float]] = OFFSETS
          ) -> list[Placed]:
    """The labels that fit, in placement order (by priority, then input order), each at its first free position.

    `px_per_x`/`px_per_y`: pixels per map unit along each axis (for lon/lat maps, px_per_x is
    px_per_y × cos(latitude)). `gap`: extra pixels kept free around every box. `obstacles`: pixel
    boxes (x0, y0, x1, y1, in the same pixel frame: map units × scale) no label may cover.
    """
    if px_per_x <= 0 or px_per_y <= 0:
        raise ValueError(f"pixel scale must be positive, got {px_per_x}, {px_per_y}")
    taken: list[tuple[float, float, float, float]] = [tuple(o) for o in obstacles]  # type: ignore[misc]
    out: list[Placed] = []
    order = sorted(range(len(labels)), key=lambda i: (labels[i].priority, i))
    for i in order:
        label = labels[i]
        if not label.text.strip():
            continue
        w, h = text_size(label.text, label.size)
        cx, cy = label.x * px_per_x, label.y * px_per_y
        for ox, oy in (offsets if label.movable else offsets[:1]):
            x, y = cx + ox * w, cy + oy * h
            box = (x - w / 2 - gap, y - h / 2 - gap, x + w / 2 + gap, y + h / 2 + gap)
            if not any(overlaps(box, other) for other in taken):
                taken.append(box)
                out.append(Placed(label, x / px_per_x, y / px_per_y, box))
                break
    return out
