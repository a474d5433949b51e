"""Figures for the reader in front of them: the language's number axes, phones, and a projector.

Applied to every figure the app shows (`ui.widgets.plotly_chart`) and the brief draws, after the
analysis's builder: builders stay about content, this module about legibility. Pure (no Streamlit).

- `localize_axes`: numeric axes in the language's convention (core.numbers): 1万/1.5万 in Chinese,
  never plotly's 5k/10k; grouped digits below that.
- `for_screen`: the legend never over the plot (below it, in the figure's own margin), a modebar
  that never covers content (the app turns it off: downloads are in the page's downloads).
- `for_presentation`: every chart text at least `PRESENT_MIN_PX` pixels (axis, legend, labels,
  annotations, colour bars) for the back of a hearing room, at a height that fits one screen.
"""

from __future__ import annotations

import base64
import copy
import math
import unicodedata
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboard.core import numbers

PRESENT_MIN_PX = 20  # chart text on a 1920×1080 projector (issue 16)
SCREEN_MIN_PX = 12  # chart text on any screen
CHART_CONFIG: dict[str, Any] = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def _axis_names(layout: dict, prefix: str) -> list[str]:
    return [k for k in layout if k == prefix or (k.startswith(prefix) and k[len(prefix):].isdigit())]


def _trace_axis(trace: dict, letter: str) -> str:
    ref = trace.get(f"{letter}axis") or letter
    return f"{letter}axis" + ref[1:]


def _decoded(values: Any) -> Any:
    """Plotly 6 writes numpy arrays as typed arrays ({"dtype": "f8", "bdata": base64}); read them back."""
    if isinstance(values, dict) and "bdata" in values and "dtype" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).ravel().tolist()
    return values


def _numbers(values: Any) -> list[float]:
    values = _decoded(values)
    out = []
    for v in values if values is not None else ():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if math.isfinite(v):
            out.append(float(v))
    return out


def _value_ranges(fig: dict) -> dict[str, tuple[float, float]]:
    """axis name -> (min, max) of the numeric values drawn on it (stacked bars summed)."""
    ranges: dict[str, list[float]] = {}
    stacked = fig.get("layout", {}).get("barmode") in ("stack", "relative")
    sums: dict[tuple[str, Any], float] = {}
    for trace in fig.get("data", []):
        kind = trace.get("type", "scatter")
        if kind not in ("bar", "scatter", "box", "histogram"):
            continue
        horizontal = trace.get("orientation") == "h"
        letter = "x" if horizontal else "y"
        axis = _trace_axis(trace, letter)
        raw = _decoded(trace.get(letter))
        vals = _numbers(raw if isinstance(raw, list | tuple) else list(raw) if raw is not None else [])
        if not vals:
            continue
        ranges.setdefault(axis, []).extend(vals)
        if stacked and kind == "bar":
            keys = _decoded(trace.get("y" if horizontal else "x")) or list(range(len(vals)))
            for key, v in zip(keys, vals, strict=False):
                if v > 0:
                    sums[(axis, str(key))] = sums.get((axis, str(key)), 0.0) + v
    for (axis, _), total in sums.items():
        ranges[axis].append(total)
    return {axis: (min(v + [0.0]), max(v)) for axis, v in ranges.items()}


def _axes_hidden(fig: go.Figure) -> bool:
    """Whether every axis the traces use is hidden (a map): nothing to localize. Reads plotly's own property
    dicts: `to_plotly_json` would copy a map's ~100,000 coordinates only to find that out."""
    layout, data = getattr(fig, "_layout", None), getattr(fig, "_data", None)
    if layout is None or data is None:
        return False
    used = {"xaxis", "yaxis"} | {_trace_axis(t, letter) for t in data for letter in "xy"}
    return all((layout.get(axis) or {}).get("visible") is False for axis in used)


def localize_axes(fig: go.Figure, lang: str) -> go.Figure:
    """Numeric value axes in the language's convention; returns `fig` changed in place."""
    if _axes_hidden(fig):
        return fig
    d = fig.to_plotly_json()
    layout = d.get("layout", {})
    for axis, (lo, hi) in _value_ranges(d).items():
        spec = layout.get(axis, {}) or {}
        if spec.get("type") in ("category", "date", "log") or spec.get("tickvals") is not None \
                or spec.get("visible") is False or spec.get("showticklabels") is False:
            continue
        ticks = numbers.axis_ticks_for(lo, hi, lang)
        if ticks:
            fig.update_layout({axis: dict(tickmode="array", tickvals=ticks[0], ticktext=ticks[1])})
        else:
            fig.update_layout({axis: dict(exponentformat="none", separatethousands=True)})
    return fig


def for_screen(fig: go.Figure) -> go.Figure:
    """The legend below the plot area, in its own margin (it never covers bars or labels)."""
    legend = fig.layout.legend
    if legend.orientation == "h" and (legend.y is None or legend.y < 0.5):
        fig.update_layout(legend=dict(yref="container", y=0, yanchor="bottom", x=0, xanchor="left"))
    return fig


def _at_least(size: Any, floor: float) -> float:
    return max(float(size), floor) if isinstance(size, int | float) else floor


def for_presentation(fig: go.Figure, height: int | None = None, floor: float = PRESENT_MIN_PX) -> go.Figure:
    """A copy of `fig` with every text at least `floor` px (titles larger), for a projector."""
    fig = copy.deepcopy(fig)
    lay = fig.layout
    base = _at_least(lay.font.size, floor + 2)
    fig.update_layout(font=dict(size=base), legend=dict(font=dict(size=_at_least(lay.legend.font.size, floor))),
                      hoverlabel=dict(font=dict(size=floor)),
                      uniformtext=dict(minsize=floor, mode="hide"))  # bar labels that would shrink are hidden
    if lay.title and lay.title.text:
        fig.update_layout(title=dict(font=dict(size=_at_least(lay.title.font.size, floor + 6))))
    if height:
        fig.update_layout(height=height)
    # every axis, also those the builder left to defaults (the app's plotly theme would make them 12 px)
    names = set(_axis_names(lay.to_plotly_json(), "xaxis") + _axis_names(lay.to_plotly_json(), "yaxis"))
    for name in sorted(names | {"xaxis", "yaxis"}):
        ax = lay[name]
        fig.update_layout({name: dict(tickfont=dict(size=_at_least(ax.tickfont.size, floor)),
                                      title=dict(font=dict(size=_at_least(ax.title.font.size, floor))))})
    for ann in lay.annotations or ():
        ann.font.size = _at_least(ann.font.size, floor)
    for trace in fig.data:
        if hasattr(trace, "textfont") and (getattr(trace, "text", None) is not None or "text" in (getattr(trace, "mode", "") or "")):
            size = trace.textfont.size
            if isinstance(size, tuple | list):
                trace.textfont.size = [_at_least(s, floor) for s in size]
            else:
                trace.textfont.size = _at_least(size, floor)
        marker = getattr(trace, "marker", None)
        if marker is not None and getattr(marker, "colorbar", None) is not None and marker.showscale:
            marker.colorbar.tickfont.size = _at_least(marker.colorbar.tickfont.size, floor)
            marker.colorbar.title.font.size = _at_least(marker.colorbar.title.font.size, floor)
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None and getattr(trace, "showscale", True) is not False and trace.type in ("heatmap", "choropleth"):
            colorbar.tickfont.size = _at_least(colorbar.tickfont.size, floor)
            colorbar.title.font.size = _at_least(colorbar.title.font.size, floor)
    return fig


def _text_px(text: str, size: float) -> float:
    """Rough width of `text` at `size` px: a CJK character is about one em, a Latin one about 0.6 em."""
    return sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in str(text))


def _legend_rows(fig: go.Figure, size: float, width: float) -> int:
    names = [tr.name for tr in fig.data if tr.name and tr.showlegend is not False]
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        entry = _text_px(name, size) + 40 + size  # symbol, gap and padding
        if used and used + entry > width:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def make_room_for_legend(fig: go.Figure, width: float | None = None) -> go.Figure:
    """A bottom margin that holds the x tick labels, the x title and every legend row at their font sizes.

    The legend sits at the container's bottom (`for_screen`); plotly does not push the margin for it, so
    without this a 20-px legend in presentation mode covers the axis labels. Rows are counted at `width`
    (the figure's width, else a narrow 640 px: more rows than a wide screen needs, never fewer).
    """
    lay = fig.layout
    legend = lay.legend
    if legend.orientation != "h" or legend.yref != "container" or lay.showlegend is False:
        return fig
    base = float(lay.font.size or 12)
    legend_size = float(legend.font.size or base)
    rows = _legend_rows(fig, legend_size, float(width or lay.width or 640))
    if not rows:
        return fig
    xaxis = lay.xaxis
    tick = float(xaxis.tickfont.size or base) if xaxis.showticklabels is not False else 0.0
    title = float(xaxis.title.font.size or base) * 1.4 if xaxis.title and xaxis.title.text else 0.0
    needed = tick * 1.6 + title + rows * legend_size * 1.5 + 16
    current = lay.margin.b if lay.margin.b is not None else 80
    if needed > current:
        fig.update_layout(margin=dict(b=math.ceil(needed)))
    return fig


def styled(fig: go.Figure, language: str, present: bool = False, present_height: int | None = None) -> go.Figure:
    """The figure as a reader sees it: the language's axes, legend below, large text on a projector."""
    fig = for_screen(localize_axes(fig, language))
    if present:
        fig = for_presentation(fig, present_height)
    return make_room_for_legend(fig)


# ---------------------------------------------------------------- the footer of an exported image

FOOTER_PX = 13  # source, date and scenario lines under a downloaded chart
_FOOTER_PAD = 10


def wrap_text(text: str, size: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` px at `size` px (by `_text_px`, which errs wide).

    Breaks after a space or a punctuation mark (；，、·) where one is near, else inside a run of CJK text."""
    lines: list[str] = []
    line = ""
    for ch in str(text):
        if _text_px(line + ch, size) > width and line:
            cut = max((i for i, c in enumerate(line) if c.isspace() or unicodedata.category(c)[0] == "P"),
                      default=-1)
            if cut >= len(line) // 2:  # a break near the end: keep words whole
                lines.append(line[: cut + 1].rstrip())
                line = line[cut + 1:].lstrip()
            else:
                lines.append(line)
                line = ""
        line += ch
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _left_margin(fig: go.Figure) -> float:
    """The left margin the y axis needs (tick labels and title at their sizes), estimated on the wide side."""
    lay = fig.layout
    base = float(lay.font.size or 12)
    yaxis = lay.yaxis
    if not any(getattr(tr, "yaxis", None) is not None or tr.type in ("bar", "scatter", "heatmap", "box")
               for tr in fig.data) or yaxis.visible is False:
        return float(lay.margin.l if lay.margin.l is not None else 80)
    tick = float(yaxis.tickfont.size or base)
    labels: list[str] = [str(v) for v in (yaxis.ticktext or ())]
    for tr in fig.data:
        if (tr.type in ("bar", "box") and getattr(tr, "orientation", None) == "h") or tr.type == "heatmap":
            labels += [str(v) for v in (_decoded(tr.y) or ())]
    if yaxis.categoryarray:
        labels += [str(v) for v in yaxis.categoryarray]
    widest = max((_text_px(s, tick) for s in labels), default=_text_px("00,000", tick))
    title = float(yaxis.title.font.size or base) * 1.6 if yaxis.title and yaxis.title.text else 0.0
    return max(float(lay.margin.l or 0), widest + title + 16)


def add_footer(fig: go.Figure, lines: list[str], width: int, height: int) -> go.Figure:
    """`lines` (source, date, scenario) under the chart, wrapped to the image's width, below the legend.

    Layout arithmetic, in pixels of a `width`×`height` image: the left margin is set to what the y axis
    needs (so plotly's automargin has nothing to add and the plot's left edge is known); the footer's
    lines are wrapped to the image width less padding; the bottom margin grows by the footer's height,
    and a legend at the bottom of the container moves up above the footer. Returns `fig` changed."""
    lay = fig.layout
    left = _left_margin(fig)
    right = float(lay.margin.r if lay.margin.r is not None else 80)
    wrapped = [w for line in lines for w in wrap_text(line, FOOTER_PX, width - 2 * _FOOTER_PAD - 24)]
    footer_h = len(wrapped) * FOOTER_PX * 1.35 + _FOOTER_PAD * 2
    base = float(lay.font.size or 12)
    xaxis = lay.xaxis
    tick = float(xaxis.tickfont.size or base) * 1.8 if xaxis.showticklabels is not False else 0.0
    xtitle = float(xaxis.title.font.size or base) * 1.6 if xaxis.title and xaxis.title.text else 0.0
    legend = lay.legend
    legend_h = 0.0
    at_bottom = legend.orientation == "h" and legend.yref == "container" and lay.showlegend is not False \
        and (legend.y is None or legend.y < 0.5)
    if at_bottom:
        size = float(legend.font.size or base)
        legend_h = _legend_rows(fig, size, width - left - right) * size * 1.5 + 8
        fig.update_layout(legend=dict(y=(footer_h + 4) / height, yanchor="bottom"))
    bottom = max(float(lay.margin.b or 0) if not at_bottom else 0.0, tick + xtitle + legend_h + 12) + footer_h
    fig.update_layout(margin=dict(l=math.ceil(left), b=math.ceil(bottom)))
    fig.add_annotation(text="<br>".join(wrapped), xref="paper", yref="paper", x=0, y=0, xanchor="left",
                       yanchor="bottom", xshift=-math.ceil(left) + _FOOTER_PAD, yshift=-math.ceil(bottom) + _FOOTER_PAD,
                       showarrow=False, align="left", font=dict(size=FOOTER_PX, color="#55606E"),
                       name="footer")
    return fig


def place_top_legend(fig: go.Figure, width: int, height: int, title_px: float = 44) -> go.Figure:
    """A legend drawn above the plot (paper y ≥ 1) moved under the title row, in pixels of the image.

    In paper units the legend's place depends on the plot's height; with a title at the top of the
    container it landed on the title (grids_sizes, y=1.08). Here it starts `title_px` below the top and
    the top margin holds the title row and every legend row. Returns `fig` changed."""
    lay = fig.layout
    legend = lay.legend
    top = title_px
    if lay.showlegend is not False and legend.orientation == "h" and legend.yref != "container" \
            and legend.y is not None and legend.y >= 1:
        size = float(legend.font.size or lay.font.size or 12)
        rows = _legend_rows(fig, size, width - 40)
        fig.update_layout(legend=dict(yref="container", y=1 - title_px / height, yanchor="top"))
        top += rows * size * 1.5 + 12
        # notes the builder set just above the plot (a band's label) sit under the legend
        top += max((float(a.font.size or size) * 1.5 for a in lay.annotations or ()
                    if a.yref == "paper" and a.y is not None and a.y >= 1), default=0.0)
    current = float(lay.margin.t if lay.margin.t is not None else 100)
    fig.update_layout(margin=dict(t=math.ceil(max(current, top + 16))))
    return fig
