"""The hearing brief as a 16:9 PPTX (python-pptx). No Streamlit."""

from __future__ import annotations

import io

from dashboard.core.text import t
from dashboard.exports.content import Brief, Slide
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

# ---- PPTX

_PPTX_FONT = "Noto Sans CJK SC"


def pptx_bytes(brief: Brief) -> bytes:
    """A 16:9 PPTX, one slide per page; CJK runs name an East Asian typeface so viewers pick a CJK font."""
    from pptx import Presentation
    from pptx.util import Emu

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12_192_000), Emu(6_858_000)  # 13.333 × 7.5 in, exactly 16:9
    prs.core_properties.title = f"{t('common.app_title', brief.lang)} · {t('hearing.brief_title', brief.lang)}"
    prs.core_properties.author = t("common.app_title", brief.lang)
    for slide in brief.slides:
        _pptx_slide(prs, slide, brief)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _pptx_slide(prs, slide: Slide, brief: Brief) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    lang = brief.lang
    blocks = slide_text_blocks(slide, lang)
    s = prs.slides.add_slide(prs.slide_layouts[6])
    bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, prs.slide_width, Inches(0.12))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(*ACCENT)
    bar.line.fill.background()

    _pptx_text(s, Inches(0.45), Inches(0.25), Inches(9.2), Inches(0.6), slide.title, 28, bold=True)
    _pptx_text(s, Inches(9.6), Inches(0.3), Inches(3.3), Inches(0.5),
               f"{t('hearing.brief_title', lang)} · {scenario_caption(brief)}", 12, color=MUTED, align="right")
    _pptx_text(s, Inches(0.45), Inches(0.9), Inches(12.4), Inches(0.8), slide.summary, 15, color=INK)

    # chart (left)
    chart_box = (Inches(CHART_BOX_IN[0]), Inches(CHART_BOX_IN[1]), Inches(CHART_BOX_IN[2]), Inches(CHART_BOX_IN[3]))
    if slide.image:
        s.shapes.add_picture(io.BytesIO(slide.image), chart_box[0], chart_box[1], width=chart_box[2])
    else:
        box = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, *chart_box)
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xF3, 0xF5, 0xF7)
        box.line.color.rgb = RGBColor(0xC8, 0xCE, 0xD6)
        _pptx_fill(box.text_frame, slide.chart_note or t("hearing.no_chart", lang, reason="—"), 14, color=MUTED)

    # headline figures (right)
    rows = metric_rows(slide, lang, blocks["show_baseline"])
    n = len(rows)
    size = table_font_size(rows)
    row_h = Inches(0.36 if n <= 7 else 0.3 if n <= 10 else 0.24)
    left, top, width = (Inches(v) for v in TABLE_BOX_IN)
    _pptx_text(s, left, top - Inches(0.05), width, Inches(0.35), t("hearing.headline", lang), 13, bold=True,
               color=ACCENT)
    cols = len(rows[0])
    shape = s.shapes.add_table(n, cols, left, top + Inches(0.32), width, row_h * n)
    table = shape.table
    widths = TABLE_WIDTHS[cols]
    scale = TABLE_BOX_IN[2] / sum(widths)
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w * scale)
    for r, row in enumerate(rows):
        table.rows[r].height = row_h
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            _pptx_fill(cell.text_frame, text, size, bold=(r == 0 or c == 1), align="left" if c == 0 else "right",
                       color=(0xFF, 0xFF, 0xFF) if r == 0 else INK)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(*ACCENT) if r == 0 else (
                RGBColor(0xF3, 0xF5, 0xF7) if r % 2 else RGBColor(0xFF, 0xFF, 0xFF))

    # parameters (under the chart)
    params_top = Inches(6.08)
    _pptx_text(s, Inches(0.45), params_top, Inches(12.4), Inches(0.3),
               t("hearing.params", lang) + "  " + "; ".join(blocks["params"]), 10, color=INK)

    # footer: years, sources, link, date
    foot = s.shapes.add_textbox(Inches(0.45), Inches(6.5), Inches(12.4), Inches(0.95))
    tf = foot.text_frame
    tf.word_wrap = True
    first = True
    for line in blocks["footer"]:
        para = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        _pptx_run(para, line, 9, color=MUTED)
    para = tf.add_paragraph()
    _pptx_run(para, f"{t('hearing.link', lang)}: ", 9, color=MUTED)
    run = _pptx_run(para, slide.link, 9, color=ACCENT)
    run.hyperlink.address = slide.link
    _pptx_run(para, "   " + t("hearing.generated", lang, date=today()), 9, color=MUTED)
    for p in tf.paragraphs:
        p.space_after = Pt(1)

    notes = s.notes_slide.notes_text_frame
    full_sources = [f"{sid} · {kind} · {title}" for sid, kind, title in slide.sources]
    notes.text = "\n".join([slide.summary, *blocks["params"], *blocks["footer"], *full_sources, slide.link])


def _pptx_text(slide, left, top, width, height, text: str, size: float, bold: bool = False,
               color: tuple[int, int, int] = INK, align: str = "left"):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    _pptx_fill(box.text_frame, text, size, bold, color, align)
    return box


def _pptx_fill(tf, text: str, size: float, bold: bool = False, color: tuple[int, int, int] = INK,
               align: str = "left") -> None:
    from pptx.enum.text import PP_ALIGN

    tf.clear()  # one empty paragraph
    tf.word_wrap = True
    para = tf.paragraphs[0]
    para.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}[align]
    _pptx_run(para, text, size, bold, color)


def _pptx_run(para, text: str, size: float, bold: bool = False, color: tuple[int, int, int] = MUTED):
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run = para.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor(*color)
    run.font.name = _PPTX_FONT
    # python-pptx has no API for the East Asian typeface (a:ea), which PowerPoint uses for Chinese text:
    # set it on the run's XML. `_r` is python-pptx's documented-in-source oxml element; the version is
    # pinned below 2 in pyproject.toml and tests/exports/test_exports.py checks every run names the CJK face.
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", _PPTX_FONT)
    return run
