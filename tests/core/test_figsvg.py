"""The coverage map drawn as inline SVG from the brief's plotly figure (dashboard/core/figsvg.py)."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from dashboard.core import charts, figsvg
from dashboard.core.scenario import Scenario
from dashboard.exports import content


@pytest.fixture(scope="module")
def coverage_fig():
    return content.page_figure("coverage", "coverage_map", Scenario.default(), "zh")


def test_every_marker_and_shape_of_the_figure_is_drawn_with_its_hover_text(coverage_fig):
    svg = figsvg.map_svg(coverage_fig, "map")
    titles = figsvg.shapes_with_titles(svg)
    expected_markers = sum(
        sum(x is not None for x in tr.x) for tr in coverage_fig.data
        if "markers" in (tr.mode or "") and not (tr.marker and tr.marker.showscale))
    drawn_markers = figsvg.count(svg, "circle") + len(re.findall(r'<path d="M[^"]*Z" fill=', svg)) + figsvg.count(svg, "rect")
    assert drawn_markers >= expected_markers  # legend swatches and the colour bar add a few
    filled = [tr for tr in coverage_fig.data if tr.fill == "toself"]
    assert svg.count('class="fill"') == len(filled)
    # every hover text of a compound cell is a tooltip (plotly's <br> as a line break)
    cells = [tr for tr in coverage_fig.data if tr.mode == "markers" and tr.hoverinfo == "text" and tr.name]
    hover = str(cells[0].text[0]).split("<br>")[0]
    assert any(title.startswith(figsvg.svg_text(hover)) for title in titles)
    # the annotations inside the frame (sub-district and district names) are text
    names = [a.text for a in coverage_fig.layout.annotations if a.xref == "x"]
    assert sum(figsvg.svg_text(n) in svg for n in names) >= len(names) * 0.8


def test_legend_lists_the_traces_that_show_one(coverage_fig):
    svg = figsvg.map_svg(coverage_fig, "map")
    legend = svg.split('<g class="legend">', 1)[1]
    shown = [tr.name for tr in coverage_fig.data if tr.name and tr.showlegend is not False
             and not (tr.marker and tr.marker.showscale)]
    assert shown and all(figsvg.svg_text(name) in legend for name in shown)


def test_text_is_escaped_for_xml_and_markdown():
    fig = charts.map_figure([go.Scatter(x=[112.2], y=[30.3], mode="markers", name="a*b_c [x](y) $z$ :red[t]",
                                        text=["<script>alert(1)</script>&amp; `code`"], hoverinfo="text",
                                        **charts.NO_CHECK)], [112.1, 30.2, 112.3, 30.4])
    svg = figsvg.map_svg(fig, "a <b>")
    assert "<script" not in svg and "alert&#40;1&#41;" in svg
    for raw in ("*", "_c", "[x]", "$z$", ":red[", "`"):
        assert raw not in svg.split("<style>")[1].split("</style>")[1]
    assert "\n" not in svg  # one line: a blank line would end st.markdown's HTML


def test_unknown_trace_types_are_refused_not_drawn_wrong():
    fig = charts.map_figure([go.Bar(x=[1], y=[2])], [112.1, 30.2, 112.3, 30.4])
    with pytest.raises(ValueError, match="bar"):
        figsvg.map_svg(fig)


def test_frame_keeps_the_figure_proportions():
    """x is scaled by cos(mid-latitude) as in charts.map_figure; a narrow extent is widened, never cut."""
    fig = charts.map_figure([], [112.0, 30.0, 112.1, 30.4])
    width, height = figsvg.svg_size(figsvg.map_svg(fig))
    frame = figsvg._Frame(figsvg._raw(fig)[1])
    assert frame.width / frame.height == pytest.approx(figsvg.ASPECT)
    assert frame.x0 < 112.0 and frame.x1 > 112.1 and width >= frame.width and height >= frame.height


def test_open_markers_are_outlines_in_the_marker_colour():
    fig = charts.map_figure([go.Scatter(x=[112.2], y=[30.3], mode="markers", name="open",
                                        marker=dict(symbol="circle-open", color="#123456", size=10), **charts.NO_CHECK)],
                            [112.1, 30.2, 112.3, 30.4])
    svg = figsvg.map_svg(fig)
    assert re.search(r'<g fill="none" stroke="#123456"[^>]*><circle ', svg)  # the marker (paint on its group)
    assert re.search(r'<circle [^>]*fill="none" stroke="#123456"', svg)  # its legend swatch


def test_the_scenario_layer_is_drawn_apart_and_put_back_in_place():
    """Traces marked as the scenario's (`meta=SCENARIO_META`) go to a group of their own, above the others: a
    page replaces that group alone when a step changes only them; put back, the map is `map_svg`'s exactly."""
    import plotly.graph_objects as go

    from dashboard.core import charts

    def fig(reached: list[float]) -> go.Figure:
        base = go.Scatter(x=[112.1, 112.2], y=[30.3, 30.4], mode="markers", name="compounds",
                          hovertext=["a", "b"], marker=dict(color="#123456", size=6))
        layer = go.Scatter(x=reached, y=[30.35] * len(reached), mode="markers", name="reached", hoverinfo="skip",
                           meta=figsvg.SCENARIO_META, marker=dict(symbol="circle-open", size=9, color="#FFD700"))
        return charts.map_figure([base, layer], [112.0, 30.2, 112.3, 30.5], height=400)

    one, two = figsvg.map_svg_parts(fig([112.15])), figsvg.map_svg_parts(fig([112.15, 112.25]))
    assert one[0] == two[0]  # the map around the layer is the same markup: the browser keeps it
    assert one[1].count("<circle") == 1 and two[1].count("<circle") == 2
    assert "#FFD700" not in one[0].split("<g data-scenario")[0]  # the layer is not drawn with the rest
    full = figsvg.map_svg(fig([112.15, 112.25]))
    assert full == figsvg.with_scenario_layer(*two) and full.index("#123456") < full.index("#FFD700")
    assert "reached" in one[0]  # its legend entry stays with the map


def test_a_map_without_scenario_traces_has_no_layer_and_an_empty_layer_is_still_a_layer():
    """None: the page sends no layer element (coverage); "": the step cleared the layer (a subsidy of 0)."""
    import plotly.graph_objects as go

    from dashboard.core import charts

    base = go.Scatter(x=[112.1, 112.2], y=[30.3, 30.4], mode="markers", name="compounds", marker=dict(size=6))
    empty = go.Scatter(x=[], y=[], mode="markers", name="reached", meta=figsvg.SCENARIO_META)
    box = [112.0, 30.2, 112.3, 30.5]
    assert figsvg.map_svg_parts(charts.map_figure([base], box, height=400))[1] is None
    assert figsvg.map_svg_parts(charts.map_figure([base, empty], box, height=400))[1] == ""
    plain = figsvg.map_svg(charts.map_figure([base], box, height=400))
    assert plain == figsvg.with_scenario_layer(*figsvg.map_svg_parts(charts.map_figure([base], box, height=400)))
