"""Chart image downloads (PNG/SVG) as a member gets them: titles and file names in the reader's language,
the tornado's ticks in its title's unit, a footer (sources, date, scenario) inside the image and clear of
legends and annotations (measured on the SVG the browser draws)."""

from __future__ import annotations

import re

import pytest

from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.exports import content, images, provenance
from dashboard.exports.layout import scenario_words
from tests.e2e.test_screens import english_words

HAVE_CHROMIUM = images.browser_path() is not None and images.renderer_problem() is None
W, H = images.DOWNLOAD_CHART_PX
FIGURES = [(page, name) for page in content.available_pages() for name in content.figure_names(page)]
DRIVERS = [(page, name) for page, name in FIGURES if name == f"{page}_drivers"]


def _source_title_words() -> set[str]:
    """Latin words inside the data sources' own titles (data/sources.csv cites them as published)."""
    titles = " ".join(str(r.get("title") or "") for r in content.sources_table().values())
    return set(english_words(titles))


# ---------------------------------------------------------------- titles and file names


@pytest.mark.parametrize(("page", "name"), FIGURES)
def test_every_chart_has_a_title_and_file_name_in_chinese_without_its_key(page, name):
    title = provenance.chart_title(page, name, "zh")
    file = provenance.chart_file_name(page, name, "zh", "png")
    assert name not in title and name not in file
    assert not english_words(title), title
    assert not english_words(file.removesuffix(".png")), file
    assert provenance.chart_title(page, name, "en") != title


def test_the_reviewers_file_names_are_gone():
    assert provenance.chart_file_name("beds", "beds_supply_demand", "zh", "png").startswith(
        "养老床位供需-养老床位供给与需求-")
    assert provenance.chart_title("property", "property_shares", "zh") == "有物业管理、有业委会的小区占比"
    assert provenance.chart_title("pay", "pay_drivers", "zh") == "主要数字对各项假设的敏感性"


# ---------------------------------------------------------------- the tornado's unit


_NUMBER = re.compile(r"^-?[\d,]+(?:\.\d+)?")


def _split(text: str) -> tuple[float, str]:
    """'2,043万元' -> (2043.0, '万元'); '20.4 million yuan' -> (20.4, 'million yuan')."""
    m = _NUMBER.match(text.strip())
    assert m, text
    return float(m.group().replace(",", "")), text.strip()[m.end():].strip()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("page", "name"), DRIVERS)
def test_tornado_ticks_are_written_in_the_titles_unit(page, name, lang):
    fig = content.page_figure(page, name, Scenario.default(), lang)
    title = fig.layout.xaxis.title.text
    shown = title[title.rindex("(") + 1: title.rindex(")")]
    centre, unit = _split(shown)
    ticks = [_split(s) for s in fig.layout.xaxis.ticktext]
    assert len(ticks) >= 2, title
    assert {u for _, u in ticks} == {unit}, (title, fig.layout.xaxis.ticktext)
    # the figure in the title lies among the ticks: same scale (the old axis read 20 … 34 under 2,043万元)
    values = [v for v, _ in ticks]
    assert min(values) <= centre <= max(values), (title, fig.layout.xaxis.ticktext)


def test_pay_tornado_known_answer():
    zh = content.page_figure("pay", "pay_drivers", Scenario.default(), "zh").layout.xaxis
    assert zh.title.text.endswith("万元)")
    assert all(s.endswith("万元") for s in zh.ticktext) and "2,000万元" in zh.ticktext
    en = content.page_figure("pay", "pay_drivers", Scenario.default(), "en").layout.xaxis
    assert all(s.endswith("million yuan") for s in en.ticktext) and "20 million yuan" in en.ticktext


# ---------------------------------------------------------------- the scenario line


def test_scenario_line_uses_the_briefs_words():
    default = provenance.scenario_line("pay", Scenario.default(), "zh")
    assert default == f"{t('hearing.cover_scenario', 'zh')}: {scenario_words(Scenario.default(), 'zh')}"
    assert "默认情景" in default and "{" not in default  # the brief's caption with its counts filled in
    assert re.search(r"共 \d+ 项参数，其中假设 \d+ 项", default)
    changed = Scenario.from_values({"pay_coefficient": 1.0})[0]
    line = provenance.scenario_line("pay", changed, "zh")
    assert scenario_words(changed, "zh") == t("hearing.brief_scenario_changed", "zh") in line
    assert "(默认" in line and line != default


# ---------------------------------------------------------------- the drawn SVG


def _box(group: str) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of an annotation or legend group: its translate plus its background rect."""
    move = re.search(r'class="(?:cursor-pointer|legend)"[^>]*transform="translate\(([-\d.e]+),\s*([-\d.e]+)\)"', group)
    rect = re.search(r'<rect class="bg"[^>]*?width="([\d.]+)" height="([\d.]+)"', group)
    if not (move and rect):
        return None
    x, y = float(move.group(1)), float(move.group(2))
    return x, y, x + float(rect.group(1)), y + float(rect.group(2))


def _text(fragment: str) -> str:
    return " ".join(re.findall(r">([^<>]+)<", fragment))


def _layout_boxes(svg: str) -> dict:
    """Footer, other annotations, legends and the x-axis title's baseline, read from plotly's SVG."""
    annotations = re.findall(r'<g class="annotation".*?</text></g></g></g>', svg, re.S)
    sources = t("hearing.sources", "zh")
    footer = [a for a in annotations if sources in _text(a)]
    others = [_box(a) for a in annotations if sources not in _text(a)]
    legends = [_box(m) for m in re.findall(r'<g class="legend".*?<rect class="bg"[^>]*/>', svg, re.S)]
    xtitle = [float(y) for y in re.findall(r'<text class="xtitle"[^>]*?\by="([\d.]+)"', svg)]
    # the title's text box: plotly writes its top (y) and its font size; one line is 1.2 em high
    gtitle = [float(y) + 1.2 * float(size) for y, size in
              re.findall(r'<text class="gtitle"[^>]*?\by="([\d.]+)"[^>]*?font-size: ([\d.]+)px', svg)]
    return {"footer": footer, "others": [b for b in others if b], "legends": [b for b in legends if b],
            "xtitle": xtitle, "gtitle": gtitle}


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def zh_svgs() -> dict[tuple[str, str], str]:
    figs = [provenance.labelled_figure(page, name, Scenario.default(), "zh") for page, name in FIGURES]
    return {key: svg.decode() for key, svg in zip(FIGURES, images.render_images(figs, "svg"), strict=True)}


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
@pytest.mark.parametrize(("page", "name"), FIGURES)
def test_zh_svg_has_no_english_and_says_its_scenario(zh_svgs, page, name):
    text = _text(zh_svgs[(page, name)])
    left = set(english_words(text)) - _source_title_words()
    assert not left, f"{name}: English words in the Chinese image: {sorted(left)}"
    assert provenance.scenario_line(page, Scenario.default(), "zh") in text, name


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
@pytest.mark.parametrize(("page", "name"), FIGURES)
def test_footer_inside_the_image_and_clear_of_legends_and_annotations(zh_svgs, page, name):
    boxes = _layout_boxes(zh_svgs[(page, name)])
    assert len(boxes["footer"]) == 1, name
    footer = _box(boxes["footer"][0])
    assert footer is not None
    assert footer[0] >= 0 and footer[2] <= W and footer[1] >= 0 and footer[3] <= H, (name, footer)
    for legend in boxes["legends"]:
        assert not _overlap(footer, legend), (name, "legend", legend, footer)
    for other in boxes["others"]:
        assert not _overlap(footer, other), (name, "annotation", other, footer)
    for baseline in boxes["xtitle"]:
        assert baseline <= footer[1], (name, "x-axis title", baseline, footer)


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
@pytest.mark.parametrize(("page", "name"), FIGURES)
def test_legend_below_the_title(zh_svgs, page, name):
    """A legend above the plot was placed in paper units and landed on the title (grids_sizes: legend top
    at 9.6 px, title 9 to 33 px)."""
    boxes = _layout_boxes(zh_svgs[(page, name)])
    assert len(boxes["gtitle"]) == 1, name
    for legend in boxes["legends"]:
        assert legend[1] >= boxes["gtitle"][0], (name, legend, boxes["gtitle"])


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chrome/Chromium for plotly's static export")
def test_the_footer_check_catches_the_old_layout():
    """The reviewer's property_shares: a legend at the top over a source line just under the title."""
    import plotly.graph_objects as go

    fig = go.Figure([go.Bar(x=["a"], y=[1], name="有物业管理(%)"), go.Bar(x=["a"], y=[2], name="有业委会(%)")],
                    layout=dict(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0)))
    fig.add_annotation(text=f"{t('hearing.sources', 'zh')}: 调研报告 · 2026-12-04", xref="paper", yref="paper",
                       x=0, y=1, xanchor="left", yanchor="bottom", yshift=2, showarrow=False)
    svg = images.render_images([fig], "svg")[0].decode()
    boxes = _layout_boxes(svg)
    assert any(_overlap(_box(boxes["footer"][0]), legend) for legend in boxes["legends"])
