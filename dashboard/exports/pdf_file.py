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
from dashboard.exports.fit import fit_block, line_height, text_width
from dashboard.exports.layout import ACCENT, INK, MUTED, slide_plan

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
    pdf.c_margin = 0  # text starts where the plan measured it (dashboard/exports/fit.py)
    pdf.set_title(f"{t('common.app_title', brief.lang)} · {t('hearing.brief_title', brief.lang)}")
    pdf.set_author(t("common.app_title", brief.lang))
    pdf.set_creator("dashboard.exports.pdf_file")
    pdf.add_font("cjk", "", regular, collection_font_number=ri)
    for slide in brief.slides:
        _pdf_slide(pdf, slide, brief)
    return bytes(pdf.output())


def _pdf_slide(pdf, slide: Slide, brief: Brief) -> None:
    """Draw one slide from its fitted plan (layout.slide_plan): every line placed where the plan measured it."""
    lang = brief.lang
    plan = slide_plan(slide, brief)
    inch = 25.4
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, _MM_W, 0.12 * inch, style="F")

    _pdf_block(pdf, plan.title, INK)
    _pdf_block(pdf, plan.caption, MUTED)
    _pdf_block(pdf, plan.summary, INK)

    x, y, w, h = (v * inch for v in plan.chart)
    if slide.image:
        pdf.image(io.BytesIO(slide.image), x=x, y=y, w=w, h=h)
    else:
        pdf.set_fill_color(0xF3, 0xF5, 0xF7)
        pdf.set_draw_color(0xC8, 0xCE, 0xD6)
        pdf.rect(x, y, w, h, style="DF")
        note = fit_block(slide.chart_note or t("hearing.no_chart", lang, reason="—"), plan.chart[0] + 0.2,
                         plan.chart[1] + 0.3, plan.chart[2] - 0.4, plan.chart[3] - 0.6, 14, 8)
        _pdf_block(pdf, note, MUTED)

    _pdf_block(pdf, plan.heading, ACCENT)
    tp = plan.table
    pdf.set_font("cjk", "", tp.size)
    top = tp.y
    for r, (cells, rh) in enumerate(zip(tp.cells, tp.row_h, strict=True)):
        if r == 0 or r % 2:
            pdf.set_fill_color(*(ACCENT if r == 0 else (0xF3, 0xF5, 0xF7)))
            pdf.rect(tp.x * inch, top * inch, sum(tp.col_w) * inch, rh * inch, style="F")
        pdf.set_text_color(*((0xFF, 0xFF, 0xFF) if r == 0 else INK))
        left = tp.x
        for c, (lines, cw) in enumerate(zip(cells, tp.col_w, strict=True)):
            for i, line in enumerate(lines):
                pdf.set_xy((left + tp.pad) * inch, (top + tp.pad * 0.6 + i * line_height(tp.size)) * inch)
                pdf.cell((cw - 2 * tp.pad) * inch, line_height(tp.size) * inch, line, align="L" if c == 0 else "R")
            left += cw
        top += rh

    if plan.extra is not None:
        _pdf_block(pdf, plan.extra, INK)
    _pdf_block(pdf, plan.params, INK)
    _pdf_block(pdf, plan.footer, MUTED)
    lb = plan.link_block
    pdf.set_font("cjk", "", lb.size)
    if len(lb.lines) == 1:  # prefix, the link (a hyperlink), the date
        pdf.set_xy(lb.x * inch, lb.y * inch)
        for text, colour, link in ((plan.link_prefix, MUTED, ""), (plan.link, ACCENT, plan.link),
                                   (plan.link_suffix, MUTED, "")):
            pdf.set_text_color(*colour)
            pdf.cell(text_width(text, lb.size) * inch, lb.lh * inch, text, link=link)
    else:
        _pdf_block(pdf, lb, ACCENT)
        pdf.link(lb.x * inch, lb.y * inch, lb.w * inch, lb.h * inch, plan.link)


def _pdf_block(pdf, block, colour) -> None:
    inch = 25.4
    pdf.set_font("cjk", "", block.size)
    pdf.set_text_color(*colour)
    for i, line in enumerate(block.lines):
        pdf.set_xy(block.x * inch, (block.y + i * block.lh) * inch)
        pdf.cell(block.w * inch, block.lh * inch, line)
