"""The hearing brief as a 16:9 PPTX (python-pptx). No Streamlit."""

from __future__ import annotations

import io

from dashboard.core.text import t
from dashboard.exports.content import Brief, Slide
from dashboard.exports.fit import LINE, fit_block
from dashboard.exports.layout import ACCENT, INK, MUTED, slide_plan, slide_text_blocks

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
    from pptx.util import Inches

    lang = brief.lang
    blocks = slide_text_blocks(slide, lang)
    s = prs.slides.add_slide(prs.slide_layouts[6])
    bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, prs.slide_width, Inches(0.12))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(*ACCENT)
    bar.line.fill.background()

    plan = slide_plan(slide, brief)
    _pptx_block(s, plan.title, INK)  # regular weight: the plan measured the regular face
    _pptx_block(s, plan.caption, MUTED)
    _pptx_block(s, plan.summary, INK)

    # chart (left)
    chart_box = tuple(Inches(v) for v in plan.chart)
    if slide.image:
        s.shapes.add_picture(io.BytesIO(slide.image), chart_box[0], chart_box[1], width=chart_box[2],
                             height=chart_box[3])
    else:
        box = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, *chart_box)
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xF3, 0xF5, 0xF7)
        box.line.color.rgb = RGBColor(0xC8, 0xCE, 0xD6)
        note = fit_block(slide.chart_note or t("hearing.no_chart", lang, reason="—"), plan.chart[0] + 0.2,
                         plan.chart[1] + 0.3, plan.chart[2] - 0.4, plan.chart[3] - 0.6, 14, 8)
        _pptx_block(s, note, MUTED)

    # headline figures (right), each cell's lines as the plan broke them
    _pptx_block(s, plan.heading, ACCENT)
    tp = plan.table
    shape = s.shapes.add_table(len(tp.cells), len(tp.col_w), Inches(tp.x), Inches(tp.y), Inches(sum(tp.col_w)),
                               Inches(tp.h))
    table = shape.table
    for i, w in enumerate(tp.col_w):
        table.columns[i].width = Inches(w)
    for r, (cells, rh) in enumerate(zip(tp.cells, tp.row_h, strict=True)):
        table.rows[r].height = Inches(rh)
        for c, lines in enumerate(cells):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(tp.pad)
            cell.margin_top = cell.margin_bottom = Inches(tp.pad * 0.6)
            _pptx_lines(cell.text_frame, lines, tp.size, align="left" if c == 0 else "right",
                        color=(0xFF, 0xFF, 0xFF) if r == 0 else INK)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(*ACCENT) if r == 0 else (
                RGBColor(0xF3, 0xF5, 0xF7) if r % 2 else RGBColor(0xFF, 0xFF, 0xFF))

    if plan.extra is not None:
        _pptx_block(s, plan.extra, INK)
    _pptx_block(s, plan.params, INK)
    _pptx_block(s, plan.footer, MUTED)
    lb = plan.link_block
    if len(lb.lines) == 1:
        box = _pptx_box(s, lb)
        para = box.text_frame.paragraphs[0]
        _pptx_run(para, plan.link_prefix, lb.size, color=MUTED)
        run = _pptx_run(para, plan.link, lb.size, color=ACCENT)
        run.hyperlink.address = slide.link
        _pptx_run(para, plan.link_suffix, lb.size, color=MUTED)
    else:
        box = _pptx_block(s, lb, ACCENT)
        for p in box.text_frame.paragraphs:
            for run in p.runs:
                run.hyperlink.address = slide.link

    notes = s.notes_slide.notes_text_frame
    full_sources = [f"{sid} · {kind} · {title}" for sid, kind, title in slide.sources]
    notes.text = "\n".join([slide.summary, *blocks["params"], *blocks["footer"], *full_sources, slide.link])


def _pptx_box(slide, block):
    """A text box exactly the block's size, no insets, no wrapping of its own (the plan broke the lines)."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(block.x), Inches(block.y), Inches(block.w), Inches(max(block.h, 0.05)))
    tf = box.text_frame
    tf.word_wrap = False
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    return box


def _pptx_block(slide, block, color: tuple[int, int, int], bold: bool = False):
    box = _pptx_box(slide, block)
    _pptx_lines(box.text_frame, block.lines, block.size, bold, color)
    return box


def _pptx_lines(tf, lines: list[str], size: float, bold: bool = False, color: tuple[int, int, int] = INK,
                align: str = "left") -> None:
    """One paragraph per planned line, at the plan's line spacing."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt

    tf.clear()
    tf.word_wrap = False
    for i, line in enumerate(lines or [""]):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}[align]
        para.line_spacing = Pt(size * LINE)
        para.space_before = para.space_after = Pt(0)
        _pptx_run(para, line, size, bold, color)


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
