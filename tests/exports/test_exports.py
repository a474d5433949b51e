"""The hearing brief (PPTX/PDF), table downloads and chart images: same numbers as results.scenario_results."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Emu

from dashboard import registry
from dashboard.analyses.overview import model as overview
from dashboard.core import ranges
from dashboard.core.metrics import Metric
from dashboard.core.results import scenario_results
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.exports import brief, content, images, layout, pptx_file, tables
from dashboard.exports.tables import csv_bytes

REPO = Path(__file__).resolve().parents[2]
CHANGES = {"beds_new_per_year": 1500, "new_centres": 8, "pay_coefficient": 1.0}
HAVE_CHROMIUM = images.browser_path() is not None
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None


def scenario() -> Scenario:
    known = {k: v for k, v in CHANGES.items() if k in {p.key for p in _params()}}
    return Scenario.from_values(known)[0]


def _params():
    from dashboard.core.scenario import all_params

    return all_params()


def expected_metrics(sc: Scenario, lang: str = "zh") -> dict[str, list[Metric]]:
    """page -> the Metrics the brief must print: results.scenario_results for model pages, KPIs for the overview."""
    out = {"overview": [m for _, group in overview.kpis() for m in group]}
    for page, res in scenario_results(sc, lang=lang)["pages"].items():
        out[page] = [Metric(**{**m, "source_ids": tuple(m["source_ids"])}) for m in res["metrics"]]
    return out


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=600)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def unwrap(frame) -> str:
    """A frame's text with the brief's planned line breaks undone (a space between two Latin words/numbers)."""
    out = ""
    for p in frame.paragraphs:
        line = p.text
        if out and line and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


def slide_texts(slide) -> tuple[str, list[str]]:
    """All text of a slide, and the text of every table cell (lines the layout broke joined again)."""
    parts, cells = [], []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(unwrap(shape.text_frame))
        if shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    cells.append(unwrap(cell.text_frame))
    return "\n".join(parts + cells), cells


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "s.json"
    path.write_text(scenario().to_json("听证方案"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_pptx(scenario_file) -> tuple[Path, subprocess.CompletedProcess]:
    out = scenario_file.parent / "brief.pptx"
    res = run_cli("export", "--scenario", str(scenario_file), "--format", "pptx", "-o", str(out))
    return out, res


@pytest.fixture(scope="module")
def cli_pdf(scenario_file) -> tuple[Path, subprocess.CompletedProcess]:
    out = scenario_file.parent / "brief.pdf"
    res = run_cli("export", "--scenario", str(scenario_file), "--format", "pdf", "-o", str(out))
    return out, res


# ---------------------------------------------------------------- PPTX


def test_cli_writes_a_pptx_with_one_16x9_slide_per_page(cli_pptx):
    out, res = cli_pptx
    assert res.returncode == 0, res.stderr
    assert f"wrote {out}" in res.stdout
    prs = Presentation(str(out))
    assert prs.slide_width * 9 == prs.slide_height * 16
    pages = content.available_pages()
    assert pages[0] == "overview" and set(pages) >= {"overview"}
    assert len(prs.slides) == len(pages)
    for page, slide in zip(pages, prs.slides, strict=True):
        text, _ = slide_texts(slide)
        assert t(f"nav.{page}", "zh") in text


def test_pptx_numbers_equal_scenario_results_formatted(cli_pptx):
    out, _ = cli_pptx
    prs = Presentation(str(out))
    sc = scenario()
    expected = expected_metrics(sc)
    baseline = expected_metrics(sc.baseline())
    for page, slide in zip(content.available_pages(), prs.slides, strict=True):
        text, cells = slide_texts(slide)
        for metric in expected[page][:layout.SLIDE_MAX_FIGURES]:  # the rest: "N more figures in the tables"
            assert metric.label("zh") in cells, (page, metric.key)
            assert metric.formatted("zh") in cells, (page, metric.key, metric.formatted("zh"))
        # baseline shown next to the scenario wherever a figure differs
        base = {m.key: m for m in baseline[page]}
        changed = [m for m in expected[page][:layout.SLIDE_MAX_FIGURES] if base[m.key].formatted("zh") != m.formatted("zh")]
        for metric in changed:
            assert base[metric.key].formatted("zh") in cells
            assert t("hearing.col_baseline", "zh") in cells
        # the summary sentence of the page
        if page != "overview":
            summary = scenario_results(sc, pages=[page])["pages"][page]["summary"]
            drivers = ranges.driver_sentence(page, sc, "zh").strip()  # on its own lines below the summary
            assert summary.replace(drivers, "").replace("  ", " ").strip() in text
            assert drivers in text


def test_pptx_states_parameters_sources_years_and_link(cli_pptx):
    out, _ = cli_pptx
    prs = Presentation(str(out))
    sc = scenario()
    for page, slide in zip(content.available_pages(), prs.slides, strict=True):
        text, _ = slide_texts(slide)
        assert t("hearing.years", "zh") in text and "2020" in text
        assert t("common.kind_report", "zh") in text
        links = [r.hyperlink.address for s in slide.shapes if s.has_text_frame
                 for p in s.text_frame.paragraphs for r in p.runs if r.hyperlink.address]
        assert len(links) == 1
        url = urlsplit(links[0])
        assert f"{url.scheme}://{url.netloc}" == content.DEFAULT_BASE_URL
        assert url.path == "/" + registry.page(page).url_path
        reopened, notices = Scenario.from_query_params({k: v[-1] for k, v in parse_qs(url.query).items()})
        assert notices == [] and reopened.model_values() == sc.model_values()
        for key in sc.model_values():
            param = next(p for p in _params() if p.key == key)
            if param.page == page:
                assert param.label("zh") in text  # the changed setting, with its default
                assert "默认" in text


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
def test_pptx_has_a_chart_image_on_every_slide(cli_pptx):
    out, res = cli_pptx
    prs = Presentation(str(out))
    for slide in prs.slides:
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        assert pictures[0].image.size[0] >= 2000  # drawn at 2x for a sharp projector image
        assert Emu(pictures[0].width).inches > 5  # narrower when a long table needs the room (exports/fit.py)
    assert "图表未导出" not in res.stderr


def test_cjk_runs_name_an_east_asian_font(cli_pptx):
    out, _ = cli_pptx
    from pptx.oxml.ns import qn

    slide = Presentation(str(out)).slides[0]
    faces = {ea.get("typeface") for ea in slide._element.iter(qn("a:ea"))}
    assert faces == {"Noto Sans CJK SC"}


# ---------------------------------------------------------------- PDF


@pytest.mark.skipif(not HAVE_PDFTOTEXT, reason="pdftotext (poppler-utils) not installed")
def test_pdf_text_has_the_headline_figures_in_chinese(cli_pdf):
    out, res = cli_pdf
    assert res.returncode == 0, res.stderr
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    pages = content.available_pages()
    assert re.search(rf"Pages:\s+{len(pages)}\b", info)
    assert "960 x 540 pts" in info  # 13.333 x 7.5 in, 16:9
    text = subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True).stdout
    flat = compact(text)
    sc = scenario()
    for page, metrics in expected_metrics(sc).items():
        assert compact(t(f"nav.{page}", "zh")) in flat
        for metric in metrics[:layout.SLIDE_MAX_FIGURES]:  # the rest: "N more figures in the tables"
            assert compact(metric.formatted("zh")) in flat, (page, metric.key, metric.formatted("zh"))
            assert compact(metric.label("zh")) in flat, (page, metric.key)
    assert "213人" in flat and "全科医生" in flat and "社区卫生服务覆盖" in flat
    assert "重新打开此视图" in flat and "localhost:8501" in flat


def test_pdf_embeds_a_cjk_font(cli_pdf):
    out, _ = cli_pdf
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts not installed")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts.replace(" ", "") or "Noto" in fonts
    assert " yes " in fonts  # embedded (subset)


# ---------------------------------------------------------------- no renderer: text-only brief


def test_text_only_brief_when_no_browser(tmp_path, scenario_file):
    out = tmp_path / "brief.pptx"
    res = run_cli("export", "--scenario", str(scenario_file), "--format", "pptx", "-o", str(out),
                  env={"BROWSER_PATH": str(tmp_path / "no-such-chromium")})
    assert res.returncode == 0, res.stderr
    assert "Chrome/Chromium" in res.stderr  # a clear message, not a traceback
    assert "Traceback" not in res.stderr
    prs = Presentation(str(out))
    assert len(prs.slides) == len(content.available_pages())
    for slide in prs.slides:
        assert not [s for s in slide.shapes if s.shape_type == 13]
        text, cells = slide_texts(slide)
        assert "图表未导出" in text
    # the numbers are all still there
    expected = expected_metrics(scenario())
    for page, slide in zip(content.available_pages(), prs.slides, strict=True):
        _, cells = slide_texts(slide)
        assert all(m.formatted("zh") in cells for m in expected[page][:layout.SLIDE_MAX_FIGURES])


def test_text_only_brief_when_rendering_fails(monkeypatch, tmp_path):
    def broken(figs, opts):
        raise images.RendererUnavailable("browser crashed")

    monkeypatch.setattr(images, "_run_kaleido", broken)
    monkeypatch.setattr(images, "_IMAGE_CACHE", type(images._IMAGE_CACHE)())
    monkeypatch.setattr(images, "browser_path", lambda: "/usr/bin/true")
    made = brief.write_brief(Scenario.default(), "pdf", tmp_path / "b.pdf", pages=["overview"])
    assert not made.has_images
    assert made.notes and "browser crashed" in made.notes[0]
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


def test_images_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("DASHBOARD_CHART_IMAGES", "0")
    assert images.renderer_problem("en") == t("hearing.images_off", "en")
    with pytest.raises(images.RendererUnavailable):
        images.render_images([])


def test_english_brief_and_base_url(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_BASE_URL", "https://dash.example.org/gov/")
    made = brief.build_brief(scenario(), "en", pages=["overview", "pay"] if "pay" in content.available_pages()
                               else ["overview"], images=False)
    data = pptx_file.pptx_bytes(made)
    prs = Presentation(io.BytesIO(data))
    text, cells = slide_texts(prs.slides[0])
    assert "Overview" in text and "General practitioners" in cells and "213 people" in cells
    assert made.slides[0].link.startswith("https://dash.example.org/gov/?")
    assert "lang=en" in made.slides[0].link


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="pptx"):
        brief.write_brief(Scenario.default(), "docx", tmp_path / "b.docx")
    res = run_cli("export", "--format", "docx", "-o", str(tmp_path / "x"))
    assert res.returncode != 0 and "Traceback" not in res.stderr


# ---------------------------------------------------------------- tables and chart images


@pytest.mark.parametrize("page", registry.keys(in_brief=True))
def test_every_table_downloads_as_csv_and_xlsx(page):
    if page not in content.available_pages():
        pytest.skip(f"{page} model not present")
    frames = tables.page_tables(page, scenario())
    assert f"{page}_headline" in frames
    for name, frame in frames.items():
        assert isinstance(frame, pd.DataFrame) and len(frame.columns), name
        data = csv_bytes(frame)
        assert data.startswith(b"\xef\xbb\xbf")
    from dashboard.exports.tables import xlsx_bytes

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frames)))
    assert len(book.sheetnames) == len(frames)


def test_headline_table_matches_formatted_metrics():
    sc = scenario()
    for page in content.available_pages():
        frame = tables.page_tables(page, sc)[f"{page}_headline"]
        shown = list(frame[t("hearing.col_scenario", "zh")])
        assert shown == [m.formatted("zh") for m in expected_metrics(sc)[page]]


def test_formula_cells_are_neutralised_in_downloads():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "ok"]})
    text = csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text


def test_details_tables_are_found():
    details = {"rows": [{"a": 1}, {"a": 2}], "cols": {"x": [1, 2], "y": [3, 4]}, "scalar": 3,
               "nested": {"inner": [{"b": 1}]}, "ragged": {"x": [1], "y": [1, 2]}}
    found = tables.details_tables(details)
    assert set(found) == {"rows", "cols", "nested.inner"}


def test_scenario_comparison_table():
    named = [("基准", Scenario.default()), ("方案", scenario())]
    frame = tables.scenario_headline_table(named, "zh")
    assert list(frame[t("hearing.col_name", "zh")]) == ["基准", "方案"]
    expected = expected_metrics(scenario())
    for page in content.available_pages():
        for m in expected.get(page, []) if page != "overview" else []:
            assert m.formatted("zh") in set(frame[m.label("zh")]) or m.label("zh") in frame.columns


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
def test_chart_images_are_high_resolution_png_and_svg():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["沙市区", "荆州区"], y=[4515, 2527]))
    png = images.figure_image(fig, "png")
    assert png_size(png) == (images.DOWNLOAD_CHART_PX[0] * images.DOWNLOAD_CHART_SCALE,
                             images.DOWNLOAD_CHART_PX[1] * images.DOWNLOAD_CHART_SCALE)
    svg = images.figure_image(fig, "svg")
    assert b"<svg" in svg[:500] and "沙市区".encode() in svg
    # cached: the same figure is not drawn twice
    assert images.figure_image(fig, "png") is png


def test_every_page_names_its_charts():
    for page in content.available_pages():
        names = content.figure_names(page)
        assert names, page
        assert all(n.startswith(page) for n in names)


def test_view_link_round_trips():
    sc = scenario()
    link = content.view_link(sc, "beds", lang="en", base="http://h:1")
    url = urlsplit(link)
    assert url.path == "/beds"
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    back, notices = Scenario.from_query_params(query)
    assert notices == [] and back.model_values() == sc.model_values() and back.get("lang") == "en"
    assert content.view_link(Scenario.default(), "overview", base="http://h:1") == "http://h:1/"


def test_scenario_json_from_the_cli_round_trips(scenario_file):
    doc = json.loads(scenario_file.read_text(encoding="utf-8"))
    assert doc["name"] == "听证方案"
    assert Scenario.from_json(scenario_file.read_text(encoding="utf-8"))[0] == scenario()
