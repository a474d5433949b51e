"""Slide geometry that fits: text measured with the brief font's own metrics, wrapped and shrunk into its box.

Both brief formats draw from one `SlidePlan` (positions in inches, font sizes in points, text already
broken into lines), so the PDF and the PPTX look the same and every box is checked before drawing:

- text is measured with the advance widths of the CJK font the PDF embeds (fontTools), the same numbers
  fpdf2 uses, so a line that fits here fits on the page;
- lines break only between tokens: a number with its grouping, decimals and attached unit characters
  (`2,184张`, `33.2%`, `1,886`) is one token and never splits; Latin words split only at spaces;
- a block that does not fit at its preferred size shrinks, down to a floor; at the floor it is cut to
  its lines with an ellipsis (the full text is in the PPTX speaker notes / the dashboard);
- the chart keeps its aspect ratio inside what the text leaves; the figures table gets its column widths
  and a font size at which every row fits above the settings line.

Pure (no Streamlit, no drawing library); tests/exports/test_fit.py checks the plans and the PDF's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches
MARGIN_X = 0.45
CONTENT_W = SLIDE_W - 2 * MARGIN_X
LINE = 1.28  # line height as a multiple of the font size
ELLIPSIS = "…"

# a number (grouping, decimals, sign, %, CJK unit characters right after it) | a Latin word with its
# trailing punctuation | a run of spaces | any other single character (CJK text breaks anywhere)
_TOKEN = re.compile(
    r"[(（“‘\"]?[+\-−]?[0-9][0-9,.]*(?:[%‰]|[万亿千百十张人元岁年项个所家名倍床户]+|/[A-Za-z]+)?[)）,.;:，。；：、]?"
    r"|[(（“‘\"]?[A-Za-z](?:[A-Za-z0-9'’/\-_.:?=&#%~@]|,(?=\d))*[,.;:)]?"
    r"|[(（“‘《\"][^\s][，。；：、）)》”’！？]*"  # an opening bracket never ends a line
    r"|[^\s][，。；：、）)》”’！？]+"  # closing punctuation never starts one
    r"| +"
    r"|.",
)


@cache
def _metrics() -> tuple[dict[int, int], float]:
    """codepoint -> advance width in font units, and units per em, of the brief's CJK font."""
    from fontTools.ttLib import TTCollection, TTFont

    from dashboard.exports.pdf_file import cjk_font

    path, index = cjk_font()
    face = TTCollection(path, lazy=True).fonts[index] if path.lower().endswith((".ttc", ".otc")) else TTFont(
        path, lazy=True)
    cmap = face.getBestCmap() or {}
    hmtx = face["hmtx"].metrics
    widths = {cp: hmtx[name][0] for cp, name in cmap.items() if name in hmtx}
    return widths, float(face["head"].unitsPerEm)


def text_width(text: str, size: float) -> float:
    """Width in inches of `text` set in the brief font at `size` points."""
    widths, upem = _metrics()
    default = upem  # a glyph the font lacks: count it as an em
    return sum(widths.get(ord(ch), default) for ch in text) / upem * size / 72.0


def line_height(size: float) -> float:
    return size * LINE / 72.0


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` broken into lines no wider than `width` inches (explicit newlines kept); numbers never split."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in tokens(para):
            if text_width(line + tok, size) <= width:
                line += tok
                continue
            if line.strip():
                out.append(line.rstrip())
            line = "" if tok.isspace() else tok
            while text_width(line, size) > width and len(line) > 1:  # a single token wider than the box
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size) > width:
                    cut -= 1
                out.append(line[:cut])
                line = line[cut:]
        out.append(line.rstrip())
    return out


@dataclass
class Block:
    """Text set in a box: lines at `size` points, from (x, y) inches, each `lh` inches high."""

    x: float
    y: float
    w: float
    size: float
    lines: list[str]
    truncated: bool = False

    @property
    def lh(self) -> float:
        return line_height(self.size)

    @property
    def h(self) -> float:
        return self.lh * len(self.lines)

    @property
    def bottom(self) -> float:
        return self.y + self.h


def fit_block(text: str, x: float, y: float, w: float, max_h: float, size: float, floor: float) -> Block:
    """The largest size in [floor, size] (half-point steps) at which `text` fits `w` × `max_h`; else cut."""
    s = size
    while True:
        lines = wrap(text, w, s)
        if line_height(s) * len(lines) <= max_h + 1e-9:
            return Block(x, y, w, s, lines)
        if s - 0.5 < floor:
            break
        s -= 0.5
    keep = max(1, int((max_h + 1e-9) // line_height(s)))
    lines = lines[:keep]
    last = lines[-1]
    while last and text_width(last + ELLIPSIS, s) > w:
        last = last[:-1]
    lines[-1] = last.rstrip() + ELLIPSIS
    return Block(x, y, w, s, lines, truncated=True)


@dataclass
class TablePlan:
    x: float
    y: float
    col_w: list[float]
    size: float
    pad: float
    cells: list[list[list[str]]]  # row -> column -> lines
    row_h: list[float]

    @property
    def h(self) -> float:
        return sum(self.row_h)

    @property
    def bottom(self) -> float:
        return self.y + self.h


def fit_table(rows: list[list[str]], x: float, y: float, w: float, max_h: float, size: float = 14,
              floor: float = 7) -> TablePlan:
    """Column widths and the largest font size at which every row (wrapped per cell) fits `max_h`."""
    pad = 0.05
    s = size
    while True:
        col_w = _column_widths(rows, w, s, pad)
        cells = [[wrap(text, cw - 2 * pad, s) for text, cw in zip(row, col_w, strict=True)] for row in rows]
        row_h = [max(len(c) for c in row) * line_height(s) + 2 * pad * 0.6 for row in cells]
        if sum(row_h) <= max_h + 1e-9 or s - 0.5 < floor:
            return TablePlan(x, y, col_w, s, pad, cells, row_h)
        s -= 0.5


def _column_widths(rows: list[list[str]], w: float, size: float, pad: float) -> list[float]:
    """Value columns as wide as their widest cell (numbers stay on one line), the label column the rest."""
    n = len(rows[0])
    if n == 1:
        return [w]
    need = [max(text_width(r[c], size) for r in rows) + 2 * pad + 0.02 for c in range(1, n)]
    label_min = min(w * 0.34, max(text_width(r[0], size) for r in rows) + 2 * pad)
    room = w - label_min
    if sum(need) > room:  # scale value columns down; their cells then wrap at token boundaries
        need = [v * room / sum(need) for v in need]
    return [w - sum(need), *need]


@dataclass
class SlidePlan:
    title: Block
    caption: Block
    summary: Block
    chart: tuple[float, float, float, float]  # x, y, w, h (inches)
    heading: Block
    table: TablePlan
    params: Block
    footer: Block
    extra: Block | None
    link_prefix: str
    link: str
    link_suffix: str
    link_block: Block
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    figures: int = 0  # how many figures the table shows (layout.slide_plan sets it)


CHART_ASPECT = 1100 / 660  # images.SLIDE_CHART_PX
TABLE_X_STEPS = (7.7, 7.3, 6.9, 6.5, 6.1, 5.7)  # where the figures table may start (the chart keeps >= 5 in)
TABLE_MIN_PT = 9.0
TABLE_FLOOR_PT = 8.0


def plan_slide(title: str, caption: str, summary: str, rows: list[list[str]], heading: str, params: str,
               footer: list[str], link_prefix: str, link: str, link_suffix: str,
               extra: list[str] | None = None) -> SlidePlan:
    """Where everything on one slide goes, top-down for the header and bottom-up for the footer.

    `extra`: lines set above the settings line (room for e.g. a range and the top drivers of a figure),
    fitted into at most 0.5 in; the chart and table give up the height they take."""
    cap = fit_block(caption, 9.0, 0.34, SLIDE_W - MARGIN_X - 9.0, line_height(12) * 1.01, 12, 8)
    cap_lines = [ln for ln in cap.lines]
    cap = Block(SLIDE_W - MARGIN_X - max(text_width(ln, cap.size) for ln in cap_lines), 0.34,
                max(text_width(ln, cap.size) for ln in cap_lines), cap.size, cap_lines, cap.truncated)
    title_b = fit_block(title, MARGIN_X, 0.26, cap.x - MARGIN_X - 0.2, line_height(28) * 1.01, 28, 16)
    summary_b = fit_block(summary, MARGIN_X, 0.9, CONTENT_W, 1.0, 15, 10)

    # bottom-up: link line, footer lines, settings
    link_size = 9.0
    link_text = link_prefix + link + link_suffix
    while text_width(link_text, link_size) > CONTENT_W and link_size > 6:
        link_size -= 0.5
    link_b = fit_block(link_text, MARGIN_X, 0, CONTENT_W, line_height(link_size) * 2.01, link_size, link_size)
    link_b.y = SLIDE_H - 0.1 - link_b.h
    foot = fit_block("\n".join(footer), MARGIN_X, 0, CONTENT_W, 1.05, 9, 6.5)
    foot.y = link_b.y - foot.h
    par = fit_block(params, MARGIN_X, 0, CONTENT_W, 0.45, 10.5, 7.5)
    par.y = foot.y - 0.06 - par.h
    extra_b = None
    if extra:
        extra_b = fit_block("\n".join(extra), MARGIN_X, 0, CONTENT_W, 0.5, 10.5, 7.5)
        extra_b.y = par.y - 0.04 - extra_b.h
        par_top = extra_b.y
    else:
        par_top = par.y

    body_top = summary_b.bottom + 0.15
    body_bottom = par_top - 0.1
    # the table takes room from the chart when its text would otherwise fall below TABLE_MIN_PT; where no
    # step reaches it, the first step at which it is still legible (TABLE_FLOOR_PT), else the last step
    tried = []
    for table_x in TABLE_X_STEPS:
        heading_b = fit_block(heading, table_x, body_top, SLIDE_W - MARGIN_X - table_x, line_height(13) * 1.01, 13, 9)
        table_top = heading_b.bottom + 0.06
        table = fit_table(rows, table_x, table_top, SLIDE_W - MARGIN_X - table_x, body_bottom - table_top)
        tried.append((table_x, heading_b, table))
        if table.size >= TABLE_MIN_PT:
            break
    else:
        table_x, heading_b, table = next((c for c in tried if c[2].size >= TABLE_FLOOR_PT), tried[-1])
    avail_h = body_bottom - body_top
    cw = min(table_x - 0.25 - MARGIN_X, avail_h * CHART_ASPECT)
    chart = (MARGIN_X, body_top, cw, cw / CHART_ASPECT)
    plan = SlidePlan(title_b, cap, summary_b, chart, heading_b, table, par, foot, extra_b, link_prefix, link,
                     link_suffix, link_b)
    plan.boxes = {
        "title": (title_b.x, title_b.y, title_b.w, title_b.h), "caption": (cap.x, cap.y, cap.w, cap.h),
        "summary": (summary_b.x, summary_b.y, summary_b.w, summary_b.h), "chart": chart,
        "heading": (heading_b.x, heading_b.y, heading_b.w, heading_b.h),
        "table": (table.x, table.y, sum(table.col_w), table.h),
        "params": (par.x, par.y, par.w, par.h), "footer": (foot.x, foot.y, foot.w, foot.h),
        "link": (link_b.x, link_b.y, link_b.w, link_b.h),
    }
    if extra_b is not None:
        plan.boxes["extra"] = (extra_b.x, extra_b.y, extra_b.w, extra_b.h)
    return plan


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float], tol: float = 0.005) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax + aw > bx + tol and bx + bw > ax + tol and ay + ah > by + tol and by + bh > ay + tol
