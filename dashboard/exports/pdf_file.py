"""The hearing brief as a 16:9 PDF (fpdf2, a CJK font). No Streamlit.

Configuration (environment): DASHBOARD_CJK_FONT, a .ttf/.otf/.ttc font with Chinese glyphs for the PDF
(default: Noto Sans CJK SC).
"""

from __future__ import annotations

import io
import os
import subprocess
from functools import cache
from pathlib import Path

from dashboard.core.text import t
from dashboard.exports.content import Brief, BriefError, Slide
from dashboard.exports.images import SLIDE_CHART_PX
from dashboard.exports.layout import (
    ACCENT,
    CHART_BOX_IN,
    INK,
    MUTED,
    TABLE_BOX_IN,
    TABLE_WIDTHS,
    metric_rows,
    scenario_caption,
    slide_text_blocks,
    table_font_size,
    today,
)

# ---- PDF

@cache
def cjk_font() -> tuple[str, int]:
    """(path, face index) of a font with Simplified Chinese glyphs for the PDF (Noto Sans CJK SC by default)."""
    override = os.environ.get("DASHBOARD_CJK_FONT")
    candidates: list[str] = [override] if override else []
    try:
        for pattern in ("Noto Sans CJK SC:style=Regular", "Source Han Sans SC", "sans-serif:lang=zh-cn"):
            out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    candidates += ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"]
    for path in candidates:
        if path and Path(path).is_file():
            index = _face_index(path)
            if index is not None:
                return path, index
    raise BriefError("no font with Chinese glyphs found for the PDF brief: install fonts-noto-cjk "
                     "(make setup does) or set DASHBOARD_CJK_FONT to a .ttf/.otf/.ttc file")


def _face_index(path: str) -> int | None:
    """The face of a font file (collection or single) that covers Chinese; SC preferred."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.lower().endswith((".ttc", ".otc")):
            faces = TTCollection(path, lazy=True).fonts
        else:
            faces = [TTFont(path, lazy=True)]
        best = None
        for i, face in enumerate(faces):
            cmap = face.getBestCmap() or {}
            if ord("荆") not in cmap:
                continue
            name = str(face["name"].getDebugName(1) or "")
            if "SC" in name.split() and "Mono" not in name:
                return i
            best = i if best is None else best
        return best
    except Exception:  # unreadable font file: try the next candidate
        return None


_MM_W, _MM_H = 338.667, 190.5  # 13.333 × 7.5 in


def pdf_bytes(brief: Brief) -> bytes:
    """A 16:9 PDF with the same layout as the PPTX; text embedded with a CJK font (pdftotext reads it)."""
    from fpdf import FPDF

    # One face only: embedding a second CJK face (bold) triples the time fpdf2 spends subsetting;
    # emphasis comes from size and colour.
    regular, ri = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format=(_MM_H, _MM_W))
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{t('common.app_title', brief.lang)} · {t('hearing.brief_title', brief.lang)}")
    pdf.set_author(t("common.app_title", brief.lang))
    pdf.set_creator("dashboard.exports.brief")
    pdf.add_font("cjk", "", regular, collection_font_number=ri)
    for slide in brief.slides:
        _pdf_slide(pdf, slide, brief)
    return bytes(pdf.output())


def _pdf_slide(pdf, slide: Slide, brief: Brief) -> None:
    from fpdf.enums import WrapMode

    lang = brief.lang
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    blocks = slide_text_blocks(slide, lang)
    inch = 25.4
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, _MM_W, 0.12 * inch, style="F")

    pdf.set_text_color(*INK)
    pdf.set_font("cjk", "", 28)
    pdf.set_xy(0.45 * inch, 0.3 * inch)
    pdf.cell(9.2 * inch, 0.5 * inch, slide.title)
    pdf.set_font("cjk", "", 12)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(9.6 * inch, 0.33 * inch)
    pdf.cell(3.3 * inch, 0.4 * inch, f"{t('hearing.brief_title', lang)} · {scenario_caption(brief)}", align="R")

    pdf.set_text_color(*INK)
    pdf.set_font("cjk", "", 15)
    pdf.set_xy(0.45 * inch, 0.95 * inch)
    pdf.multi_cell(12.4 * inch, 7.2, slide.summary, wrapmode=wrap)

    x, y, w, h = (v * inch for v in CHART_BOX_IN)
    if slide.image:
        pdf.image(io.BytesIO(slide.image), x=x, y=y, w=w, h=w * SLIDE_CHART_PX[1] / SLIDE_CHART_PX[0])
    else:
        pdf.set_fill_color(0xF3, 0xF5, 0xF7)
        pdf.set_draw_color(0xC8, 0xCE, 0xD6)
        pdf.rect(x, y, w, h, style="DF")
        pdf.set_text_color(*MUTED)
        pdf.set_font("cjk", "", 14)
        pdf.set_xy(x + 8, y + h / 2 - 10)
        pdf.multi_cell(w - 16, 7, slide.chart_note or t("hearing.no_chart", lang, reason="—"), align="C", wrapmode=wrap)

    rows = metric_rows(slide, lang, blocks["show_baseline"])
    size = table_font_size(rows)
    left, top, width = (v * inch for v in TABLE_BOX_IN)
    pdf.set_text_color(*ACCENT)
    pdf.set_font("cjk", "", 13)
    pdf.set_xy(left, top - 1)
    pdf.cell(width, 7, t("hearing.headline", lang))
    widths = TABLE_WIDTHS[len(rows[0])]
    pdf.set_xy(left, top + 0.32 * inch)
    pdf.set_font("cjk", "", size)
    pdf.set_text_color(*INK)
    line_h = size * 0.5
    pdf.set_fill_color(0xF3, 0xF5, 0xF7)
    with pdf.table(width=width, col_widths=widths, align="LEFT", line_height=line_h, first_row_as_headings=True,
                   headings_style=_pdf_heading_style(), cell_fill_color=(0xF3, 0xF5, 0xF7), cell_fill_mode="ROWS",
                   borders_layout="NONE", text_align=("LEFT",) + ("RIGHT",) * (len(widths) - 1),
                   wrapmode=wrap, padding=0.8) as table:
        for row in rows:
            r = table.row()
            for text in row:
                r.cell(text)

    pdf.set_text_color(*INK)
    pdf.set_font("cjk", "", 10)
    pdf.set_xy(0.45 * inch, 6.1 * inch)
    pdf.multi_cell(12.4 * inch, 4.6, t("hearing.params", lang) + "  " + "; ".join(blocks["params"]), wrapmode=wrap)

    pdf.set_text_color(*MUTED)
    pdf.set_font("cjk", "", 9)
    pdf.set_xy(0.45 * inch, 6.52 * inch)
    for line in blocks["footer"]:
        pdf.set_x(0.45 * inch)
        pdf.multi_cell(12.4 * inch, 4.2, line, wrapmode=wrap, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(0.45 * inch)
    pdf.write(4.2, f"{t('hearing.link', lang)}: ")
    pdf.set_text_color(*ACCENT)
    pdf.write(4.2, slide.link, link=slide.link)
    pdf.set_text_color(*MUTED)
    pdf.write(4.2, "   " + t("hearing.generated", lang, date=today()))


def _pdf_heading_style():
    from fpdf.fonts import FontFace

    return FontFace(family="cjk", color=(0xFF, 0xFF, 0xFF), fill_color=ACCENT)
