"""The brief fits: every slide of the zh and en PDF and PPTX, text measured against its box and each other.

PDF: the words pdftotext (poppler) finds, with their boxes, lie on the slide and never overlap.
PPTX: every text frame's lines, measured with the brief font's metrics (fontTools), fit the frame; frames
lie on the slide and do not overlap. Both: numbers are never split across lines. And the UI and the CLI
draw the same chart (the Streamlit process's default plotly template no longer leaks into exports).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import combinations

import plotly.io as pio
import pytest
from pptx import Presentation
from pptx.util import Emu

from dashboard.core.scenario import Scenario
from dashboard.exports import brief, content, fit, images, layout

HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
CHANGES = {"beds_new_per_year": 1500, "pay_coefficient": 1.0}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _scenario() -> Scenario:
    return Scenario.from_values(CHANGES)[0]


@pytest.fixture(scope="module", params=["zh", "en"])
def made(request):
    lang = request.param
    b = brief.build_brief(_scenario(), lang)  # with chart images where a browser is installed
    return lang, b, brief.brief_bytes(_scenario(), "pdf", brief=b), brief.brief_bytes(_scenario(), "pptx", brief=b)


def _words(pdf: bytes, tmp_path) -> list[list[tuple[str, float, float, float, float]]]:
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages: list[list[tuple[str, float, float, float, float]]] = []
    for line in out.splitlines():
        if line.strip().startswith("<page"):
            pages.append([])
            size = re.search(r'width="([\d.]+)" height="([\d.]+)"', line)
            pages[-1].append(("__page__", 0, 0, float(size.group(1)), float(size.group(2))))
        m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            pages[-1].append((m.group(5), *(float(m.group(i)) for i in range(1, 5))))
    return pages


@pytest.mark.skipif(not HAVE_PDFTOTEXT, reason="pdftotext (poppler-utils) not installed")
def test_pdf_words_stay_on_the_slide_and_never_overlap(made, tmp_path):
    lang, b, pdf, _ = made
    pages = _words(pdf, tmp_path)
    assert len(pages) == len(b.slides)
    for n, words in enumerate(pages, 1):
        (_, _, _, page_w, page_h), words = words[0], words[1:]
        assert len(words) > 30
        for text, x0, y0, x1, y1 in words:
            assert x0 >= 0 and y0 >= 0 and x1 <= page_w + 0.5 and y1 <= page_h + 0.5, (lang, n, text)
        for a, c in combinations(words, 2):
            ix = min(a[3], c[3]) - max(a[1], c[1])
            iy = min(a[4], c[4]) - max(a[2], c[2])
            # pdftotext's boxes span the font's whole ascent-to-descent (1.45 em for Noto Sans CJK) while lines
            # are 1.28 em apart: lines touch in those boxes, glyphs (≤ 1.1 em) do not. Overlap = more than that.
            h = min(a[4] - a[2], c[4] - c[2])
            assert not (ix > 0.6 and iy > 0.2 * h), f"{lang} slide {n}: {a[0]!r} overlaps {c[0]!r}"


def test_planned_blocks_fit_their_boxes_and_do_not_overlap(made):
    lang, b, _, _ = made
    for slide in b.slides:
        plan = layout.slide_plan(slide, b)
        for name, (x, y, w, h) in plan.boxes.items():
            assert x >= 0.3 and y >= 0.12 and x + w <= fit.SLIDE_W - 0.3 + 1e-6 and y + h <= fit.SLIDE_H, (
                lang, slide.page, name)
        for (na, a), (nb, c) in combinations(plan.boxes.items(), 2):
            assert not fit.overlaps(a, c), f"{lang} {slide.page}: {na} overlaps {nb}"
        for block in (plan.title, plan.caption, plan.summary, plan.params, plan.footer, plan.heading):
            assert all(fit.text_width(line, block.size) <= block.w + 1e-6 for line in block.lines)
        assert not plan.summary.truncated and not plan.title.truncated, (lang, slide.page)
        assert plan.table.size >= 8, (lang, slide.page, plan.table.size)
        for row in plan.table.cells:
            for lines, cw in zip(row, plan.table.col_w, strict=True):
                assert all(fit.text_width(line, plan.table.size) <= cw - 2 * plan.table.pad + 1e-6 for line in lines)
        assert plan.chart[2] >= 5.0, (lang, slide.page, "chart squeezed")


def test_numbers_never_break_across_lines(made):
    lang, b, _, _ = made
    for slide in b.slides:
        plan = layout.slide_plan(slide, b)
        rows = layout.metric_rows(slide, lang, layout.slide_text_blocks(slide, lang)["show_baseline"],
                                  max_figures=plan.figures)
        for row, planned in zip(rows, plan.table.cells, strict=True):
            for text, lines in zip(row, planned, strict=True):
                for number in NUMBER.findall(text):
                    assert any(number in line for line in lines), (lang, slide.page, number, lines)
        for number in NUMBER.findall(slide.summary):
            assert any(number in line for line in plan.summary.lines), (lang, slide.page, number)


def test_pptx_text_fits_its_frames_measured_with_the_font(made):
    lang, _, _, pptx = made
    import io

    prs = Presentation(io.BytesIO(pptx))
    emu = 914400
    for n, slide in enumerate(prs.slides, 1):
        frames = []
        for shape in slide.shapes:
            box = (shape.left / emu, shape.top / emu, shape.width / emu, shape.height / emu)
            assert box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= prs.slide_width / emu + 1e-3 \
                and box[1] + box[3] <= prs.slide_height / emu + 1e-3, (lang, n, shape.name)
            if shape.has_text_frame and shape.text_frame.text.strip():
                frames.append(box)
                paras = shape.text_frame.paragraphs
                size = max(r.font.size.pt for p in paras for r in p.runs)
                assert len(paras) * fit.line_height(size) <= box[3] + 0.01, (lang, n, shape.text_frame.text[:40])
                for p in paras:
                    assert fit.text_width("".join(r.text for r in p.runs), size) <= box[2] + 0.01, (lang, n, p.text)
            if shape.has_table:
                frames.append(box)
                for r, row in enumerate(shape.table.rows):
                    for c, cell in enumerate(row.cells):
                        width = shape.table.columns[c].width / emu - 2 * cell.margin_left / emu
                        for p in cell.text_frame.paragraphs:
                            if p.runs:
                                assert fit.text_width(p.text, p.runs[0].font.size.pt) <= width + 0.01, (lang, n, r, p.text)
        for a, c in combinations(frames, 2):
            assert not fit.overlaps(a, c), (lang, n, a, c)
    assert Emu(prs.slide_width).inches == pytest.approx(13.333, abs=0.01)


def test_wrap_keeps_numbers_and_units_whole():
    text = "沙市区缺口2,184张，相当于需求的33.2%；" * 6
    for width in (1.0, 1.7, 2.9):
        lines = fit.wrap(text, width, 12)
        assert all("2,18" not in ln or "2,184张" in ln for ln in lines)
        assert all(fit.text_width(ln, 12) <= width + 1e-9 for ln in lines)
        assert "".join(lines) == text
    en = "Construction subsidy a year to close the gap by 2026 (illustrative), 1,886 beds/yr"
    lines = fit.wrap(en, 1.5, 11)
    assert "1,886" in " ".join(lines) and all(fit.text_width(ln, 11) <= 1.5 + 1e-9 for ln in lines)


def test_long_text_shrinks_then_is_cut_within_its_box():
    long = "A very long English label that keeps going " * 40
    block = fit.fit_block(long, 0.45, 1.0, 5.0, 0.6, 14, 8)
    assert block.size == 8 and block.truncated and block.lines[-1].endswith(fit.ELLIPSIS)
    assert block.h <= 0.6 + 1e-9 and all(fit.text_width(ln, 8) <= 5.0 + 1e-9 for ln in block.lines)
    short = fit.fit_block("短句", 0.45, 1.0, 5.0, 0.6, 14, 8)
    assert short.size == 14 and not short.truncated


def test_ui_and_cli_export_the_same_chart(monkeypatch):
    """The Streamlit process sets plotly's default template to "streamlit" (no axis automargin): the cause of
    clipped axes in the UI's brief. Exports name their template, so both processes draw the same figure."""
    cli = {p: images.export_figure(content.main_figure(p, _scenario(), "zh")).to_json() for p in ("beds", "pay")}
    from streamlit.elements.lib.streamlit_plotly_theme import configure_streamlit_plotly_theme

    configure_streamlit_plotly_theme()
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    ui = {p: images.export_figure(content.main_figure(p, _scenario(), "zh")).to_json() for p in ("beds", "pay")}
    assert ui == cli
    assert content.main_figure("pay", _scenario(), "zh").to_json() != cli["pay"]  # without it they differ


def test_extra_lines_get_room_above_the_settings():
    """Room for a range line and top drivers (another change adds them): the body gives up the height."""
    args = ("Care beds", "Hearing brief · Adjusted scenario", "A summary sentence.", [["Indicator", "Value"],
            ["Beds", "4,515 beds"]], "Headline figures", "Scenario settings: none", ["Data years: 2020"],
            "Reopen: ", "https://dash.example.org/beds", "  Generated 2026-12-04")
    plain = fit.plan_slide(*args)
    extra = fit.plan_slide(*args, extra=["Range 28%-39% (low-high)", "Top drivers: bed-use share, occupancy"])
    assert extra.extra is not None and len(extra.extra.lines) == 2
    assert extra.chart[1] + extra.chart[3] <= extra.extra.y and extra.extra.bottom <= extra.params.y
    assert plain.extra is None and "extra" not in plain.boxes
    for (na, a), (nb, c) in combinations(extra.boxes.items(), 2):
        assert not fit.overlaps(a, c), (na, nb)
