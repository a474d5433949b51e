"""The interactive HTML brief: one self-contained file, the brief's numbers, every chart's figure, all text escaped.

The browser side (charts drawn from file:// with the network blocked) is tests/e2e/test_html_brief.py.
"""

from __future__ import annotations

import html
import json
import re

import plotly.graph_objects as go
import pytest

from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.exports import brief, content, images
from dashboard.exports import html as exports_html
from tests.exports.test_exports import expected_metrics, run_cli, scenario, scenario_file  # noqa: F401 - fixture

HOSTILE = '</script><img src=x onerror="alert(1)">&amp;<b>'


def sections(doc: str) -> dict[str, str]:
    """page -> the HTML of its <section>."""
    parts = re.split(r'(?=<section class="slide" id="page-)', doc)
    return {re.match(r'<section class="slide" id="page-([a-z_]+)"', p).group(1): p
            for p in parts if p.startswith("<section")}


def embedded_figures(section: str) -> dict[str, dict]:
    """div id -> figure dict, from the <script type="application/json" data-chart=...> elements."""
    return {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', section, re.S)}


@pytest.fixture(scope="module")
def cli_html(scenario_file):  # noqa: F811
    out = scenario_file.parent / "brief.html"
    res = run_cli("export", "--scenario", str(scenario_file), "--format", "html", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert f"wrote {out}" in res.stdout
    return out.read_text(encoding="utf-8")


def test_one_self_contained_file(cli_html):
    from plotly.offline import get_plotlyjs

    doc = cli_html
    assert doc.startswith("<!DOCTYPE html>") and doc.rstrip().endswith("</html>")
    assert '<html lang="zh-CN">' in doc
    assert get_plotlyjs() in doc  # plotly.js inlined, once
    assert doc.count("Plotly.newPlot") == 1 + get_plotlyjs().count("Plotly.newPlot")
    # nothing is fetched: no external script, stylesheet, image, font or frame
    assert not re.search(r"<(script|img|iframe|link|source|video|audio)[^>]*\s(src|href)=", doc, re.I)
    assert "@import" not in doc and "url(http" not in doc
    assert "cdn.plot.ly" not in doc.replace(get_plotlyjs(), "")


def test_every_page_has_its_numbers_params_and_sources(cli_html):
    sc = scenario()
    secs = sections(cli_html)
    assert list(secs) == content.available_pages()
    for page, metrics in expected_metrics(sc).items():
        sec = secs[page]
        assert f"<h2>{html.escape(t(f'nav.{page}', 'zh'))}</h2>" in sec
        for m in metrics:
            assert f'<td class="num">{html.escape(m.formatted("zh"))}</td>' in sec, (page, m.key, m.formatted("zh"))
            assert html.escape(m.label("zh")) in sec
            if m.note("zh"):  # the report's qualifier and quoted passage
                assert f'<span class="note">{html.escape(m.note("zh"))}</span>' in sec
        rows, _ = content.param_rows(sc, page, "zh")
        for p in rows:
            line = t("hearing.param_line", "zh", label=p.label, value=p.value, default=p.default)
            assert f"<li>{html.escape(line)}</li>" in sec
        assert html.escape(t("hearing.sources", "zh")) in sec
        assert "<a href=\"" + html.escape(content.view_link(sc, page, lang="zh", present=False)) in sec


def test_source_kinds_and_illustrative_marks(cli_html):
    secs = sections(cli_html)
    slides = {s.page: s for s in content.build_slides(scenario(), "zh", with_figures=False)}
    kinds = {sid: row["kind"] for sid, row in content.sources_table().items()}
    for page, sec in secs.items():
        assert (html.escape(t("hearing.illustrative_note", "zh")) in sec) == slides[page].illustrative
        for m in slides[page].metrics:  # each figure names the kind of each of its sources
            for sid in m.source_ids:
                assert f'<span class="kind {kinds[sid]}">{html.escape(t(f"common.kind_{kinds[sid]}", "zh"))}</span>' in sec
    assert any(s.illustrative for s in slides.values())
    assert 'class="mark illustrative"' in cli_html


def test_every_chart_of_every_page_is_embedded_as_the_pages_figure(cli_html):
    sc = scenario()
    for page, sec in sections(cli_html).items():
        figs = embedded_figures(sec)
        names = content.figure_names(page)
        assert list(figs) == [f"chart-{page}-{n}" for n in names]
        for name in names:
            div = f'<div class="chart plotly-chart" id="chart-{page}-{name}" data-name="{name}"></div>'
            assert div in sec
        # the main chart is exactly the figure the page and the PPTX/PDF brief draw
        main = json.loads(images.export_figure(content.page_figure(page, names[0], sc, "zh")).to_json())
        assert figs[f"chart-{page}-{names[0]}"] == main


def test_english_brief():
    doc = exports_html.brief_html(scenario(), "en", pages=["beds"], tables=False)
    assert '<html lang="en">' in doc
    assert html.escape(t("hearing.brief_title", "en")) in doc
    assert list(sections(doc)) == ["beds"]


def test_all_text_is_escaped_and_figure_json_cannot_close_its_script(monkeypatch):
    real_build = content.build_slides

    def hostile_slides(*args, **kwargs):
        slides = real_build(*args, **kwargs)
        s = slides[0]
        s.title, s.summary = HOSTILE, HOSTILE
        s.sources = [("src<x>", HOSTILE, HOSTILE)]
        s.metrics = [Metric(**{**s.metrics[0].__dict__, "label_zh": HOSTILE, "note_zh": HOSTILE})]
        return slides

    monkeypatch.setattr(content, "build_slides", hostile_slides)
    monkeypatch.setattr(content, "page_builders", lambda page, sc, lang, ov: {
        "overview_map": lambda: go.Figure(go.Scatter(x=[1], y=[2], text=[HOSTILE]), layout={"title": {"text": HOSTILE}})})
    doc = exports_html.brief_html(Scenario.default(), "zh", pages=["overview"], tables=False)
    plotly_js = exports_html.plotly_js()
    rest = doc.replace(plotly_js, "")
    assert HOSTILE not in rest
    assert "<img" not in rest and "</script><img" not in rest
    assert html.escape(HOSTILE) in rest  # title, summary, label, note, source
    assert rest.count("<script") == rest.count("</script>") == 3  # plotly.js, one figure, the drawing code
    fig = embedded_figures(sections(doc)["overview"])["chart-overview-overview_map"]
    assert fig["layout"]["title"]["text"] == HOSTILE and fig["data"][0]["text"] == [HOSTILE]


def test_tables_are_cut_with_a_note(monkeypatch):
    import pandas as pd

    monkeypatch.setattr(exports_html, "MAX_TABLE_ROWS", 3)
    table = exports_html._frame_table(pd.DataFrame({"a": range(10), "b": [HOSTILE] * 10}), "en")
    assert table.count("<tr>") == 4
    assert t("hearing.html_rows_cut", "en", shown=3, total=10) in table
    assert HOSTILE not in table and html.escape(HOSTILE) in table


def test_the_footer_download_goes_through_brief_bytes(monkeypatch):
    calls = []
    monkeypatch.setattr(exports_html, "html_bytes", lambda *a, **k: calls.append((a, k)) or b"<!DOCTYPE html>")
    assert brief.brief_bytes(scenario(), "html", "en", base="http://x") == b"<!DOCTYPE html>"
    assert calls and calls[0][0][1] == "en"
