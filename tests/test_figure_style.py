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
