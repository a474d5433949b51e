"""Figure styling for readers (dashboard/core/figure_style.py): room for the legend, 万 axes, projector sizes."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.core import figure_style


def _bars(names: list[str]) -> go.Figure:
    fig = go.Figure([go.Bar(x=["沙市区", "荆州区"], y=[12_000, 30_000], name=n) for n in names])
    fig.update_layout(legend=dict(orientation="h"), xaxis_title="区", margin=dict(b=40))
    return fig


def test_bottom_margin_holds_tick_labels_title_and_every_legend_row_at_presentation_size():
    names = ["现有床位供给", "按需测算的需求", "按规划新增后的供给", "缺口"]
    fig = figure_style.styled(_bars(names), "zh", present=True)
    size = figure_style.PRESENT_MIN_PX
    rows = figure_style._legend_rows(fig, fig.layout.legend.font.size, 640)
    assert rows >= 2  # four Chinese names at 20 px do not fit one 640-px row
    assert fig.layout.margin.b >= 20 * 1.6 + (size + 2) * 1.4 + rows * size * 1.5
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0


def test_margin_grows_with_the_font():
    screen = figure_style.styled(_bars(["甲", "乙"]), "zh")
    present = figure_style.styled(_bars(["甲", "乙"]), "zh", present=True)
    assert present.layout.margin.b > screen.layout.margin.b


def test_a_figure_without_a_horizontal_legend_keeps_its_margin():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    fig.update_layout(margin=dict(b=33))
    assert figure_style.styled(fig, "en").layout.margin.b == 33


def test_chinese_value_axis_is_written_in_wan():
    fig = figure_style.styled(_bars(["甲"]), "zh")
    assert any("万" in str(text) for text in fig.layout.yaxis.ticktext)


def test_numpy_data_gets_wan_ticks_too():
    """Plotly 6 stores numpy arrays as base64 typed arrays; the axis still reads them (beds projection)."""
    import numpy as np

    fig = go.Figure(go.Scatter(x=np.arange(2020, 2036), y=np.linspace(4_500.0, 20_000.0, 16)))
    ticks = figure_style.styled(fig, "zh").layout.yaxis.ticktext
    assert ticks and "2万" in ticks


def test_the_briefs_charts_have_wan_axes():
    """The brief draws through exports.content.page_builders, which styles every chart (issue 16)."""
    from dashboard.core.scenario import Scenario
    from dashboard.exports import content

    figs = content.page_figures("beds", Scenario.default(), "zh")
    for name in ("beds_supply_demand", "beds_projection"):
        assert any("万" in str(t) for t in (figs[name].layout.yaxis.ticktext or ())), name
