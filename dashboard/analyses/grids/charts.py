"""Figures for the grids-and-workload page: pure functions of `dashboard.analyses.grids.model.details(...)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from dashboard.core.charts import NO_CHECK, PALETTE, figure
from dashboard.core.numbers import format_money
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang, t
from dashboard.data import db

DISTRICT_COLOURS = [PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4]]
BAND = "rgba(0, 158, 115, 0.15)"


def _tr(key: str, lang: str, **fmt: object) -> str:
    return t(f"grids.{key}", lang, **fmt)


def _name(row: dict, lang: str) -> str:
    return by_lang(lang, row["name_zh"], row["name_en"])


def _band(res: dict[str, Any], axis: str, lang: str) -> tuple[list[dict], list[dict]]:
    """The external norm as a shaded band (x or y axis) with its label."""
    a = res["assumptions"]
    lo, hi = a["norm_low"], a["norm_high"]
    if axis == "x":
        rect = dict(type="rect", x0=lo, x1=hi, xref="x", y0=0, y1=1, yref="y domain", fillcolor=BAND, line=dict(width=0),
                    layer="below")
        note = dict(x=(lo + hi) / 2, xref="x", y=1, yref="y domain", yanchor="bottom", showarrow=False,
                    text=_tr("chart_norm", lang, lo=lo, hi=hi), font=dict(color=PALETTE[2]))
    else:
        rect = dict(type="rect", y0=lo, y1=hi, yref="y", x0=0, x1=1, xref="x domain", fillcolor=BAND, line=dict(width=0),
                    layer="below")
        note = dict(y=hi, yref="y", x=1, xref="x domain", xanchor="right", yanchor="bottom", showarrow=False,
                    text=_tr("chart_norm", lang, lo=lo, hi=hi), font=dict(color=PALETTE[2]))
    return [rect], [note]


def sizes_figure(res: dict[str, Any], lang: str = "zh", height: int = 420) -> go.Figure:
    """Histogram of households per grid by district, against the external norm band and the target size."""
    sizes = res["grid_sizes"]
    traces = []
    for i, d in enumerate(res["by_district"]):
        values = [h for h, c in zip(sizes["households"], sizes["district_code"], strict=True) if c == d["district_code"]]
        traces.append(go.Histogram(x=values, name=_name(d, lang), xbins=dict(start=0, size=50),
                                   marker=dict(color=DISTRICT_COLOURS[i % 4]), opacity=0.85,
                                   hovertemplate=_tr("hist_hover", lang) + "<extra>%{fullData.name}</extra>",
                                   **NO_CHECK))
    shapes, notes = _band(res, "x", lang)
    target = res["assumptions"]["target_households"]
    shapes.append(dict(type="line", x0=target, x1=target, xref="x", y0=0, y1=1, yref="y domain",
                       line=dict(color="#000", dash="dash", width=2)))
    notes.append(dict(x=target, xref="x", y=0.85, yref="y domain", xanchor="left", showarrow=False,
                      text=_tr("chart_target", lang, value=target)))
    return figure(traces, height=height, barmode="stack", shapes=shapes, annotations=notes,
                  xaxis=dict(title=dict(text=_tr("axis_households_per_grid", lang)), rangemode="tozero"),
                  yaxis=dict(title=dict(text=_tr("axis_grids", lang)), gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0))


def communities_figure(res: dict[str, Any], lang: str = "zh", height: int = 420) -> go.Figure:
    """Households per grid worker in each community (sorted), against the norm band; no worker drawn at the top."""
    rows = [r for r in res["by_community"] if r["households"]]
    rows.sort(key=lambda r: (r["households_per_worker"] is None, r["households_per_worker"] or 0))
    top = max([r["households_per_worker"] or 0 for r in rows] + [res["assumptions"]["norm_high"]]) * 1.05
    colour = {d["district_code"]: DISTRICT_COLOURS[i % 4] for i, d in enumerate(res["by_district"])}
    traces: list[go.BaseTraceType] = [go.Bar(
        x=list(range(len(rows))), y=[r["households_per_worker"] or top for r in rows],
        marker=dict(color=[colour.get(r["district_code"], "#999") for r in rows]), showlegend=False,
        text=[_tr("community_hover", lang, name=r["committee_name"], grids=r["grids"], hh=f"{r['households']:,.0f}",
                  workers=f"{r['workers']:,.0f}",
                  per="—" if r["households_per_worker"] is None else f"{r['households_per_worker']:,.0f}")
              for r in rows],
        hoverinfo="text", textposition="none", **NO_CHECK)]
    for d in res["by_district"]:  # legend entries: one swatch per district
        traces.append(go.Scatter(x=[None], y=[None], mode="markers", name=_name(d, lang),
                                 marker=dict(symbol="square", size=12, color=colour[d["district_code"]]), **NO_CHECK))
    shapes, notes = _band(res, "y", lang)
    notes[0].update(x=0, xanchor="left")
    return figure(traces, height=height, bargap=0.15, shapes=shapes, annotations=notes,
                  xaxis=dict(title=dict(text=_tr("axis_communities", lang)), showticklabels=False),
                  yaxis=dict(title=dict(text=_tr("axis_households_per_worker", lang)), rangemode="tozero",
                             gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def redivision_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Grid workers today and needed after re-dividing, by district, with the extra yearly pay."""
    rows = res["by_district"]
    x = [_name(r, lang) for r in rows]
    traces = [
        go.Bar(x=x, y=[r["workers"] for r in rows], name=_tr("series_workers_today", lang), marker=dict(color=PALETTE[5]),
               text=[f"{r['workers']:,}" for r in rows], textposition="outside", **NO_CHECK),
        go.Bar(x=x, y=[r["workers_needed"] for r in rows], name=_tr("series_workers_needed", lang),
               marker=dict(color=PALETTE[0]),
               text=[_tr("redivision_text", lang, n=f"{r['workers_needed']:,}", extra=f"{r['extra_workers']:,}",
                         cost=format_money(r["extra_cost_yuan"], lang)) for r in rows],
               textposition="outside", **NO_CHECK),
    ]
    return figure(traces, height=height, barmode="group",
                  yaxis=dict(title=dict(text=_tr("axis_workers", lang)), rangemode="tozero", gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def tasks_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Tasks carried (130+) against the lawful list (18 + 65) and what is left after the access system."""
    wl = res["workload"]
    lawful_x, actual_x, after_x = _tr("tasks_lawful", lang), _tr("tasks_actual", lang), _tr("tasks_after", lang)
    traces: list[go.BaseTraceType] = []
    if wl.get("lawful_own") is not None:
        for key, value, color in (("tasks_own", wl["lawful_own"], PALETTE[0]),
                                  ("tasks_assist", wl["lawful_assist"], PALETTE[5])):
            traces.append(go.Bar(x=[lawful_x, after_x], y=[value, value], name=_tr(key, lang), marker=dict(color=color),
                                 text=[f"{value:.0f}", f"{value:.0f}"], textposition="inside", **NO_CHECK))
    if wl.get("tasks") is not None:
        left = (wl["tasks_after"] or 0) - wl["lawful_total"]
        traces.append(go.Bar(x=[actual_x], y=[wl["tasks"]], name=_tr("tasks_carried", lang), marker=dict(color=PALETTE[3]),
                             text=[_tr("tasks_carried_text", lang, n=f"{wl['tasks']:.0f}")], textposition="inside",
                             **NO_CHECK))
        traces.append(go.Bar(x=[after_x], y=[left], name=_tr("tasks_left", lang), marker=dict(color="#E7A07A"),
                             text=[f"{left:.0f}" if left >= 1 else ""], textposition="inside", **NO_CHECK))
    shapes, notes = [], []
    if wl.get("lawful_total"):
        y = wl["lawful_total"]
        shapes.append(dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y",
                           line=dict(color="#000", dash="dash", width=1.5)))
        notes.append(dict(x=1, xref="x domain", xanchor="right", y=y, yref="y", yanchor="bottom", showarrow=False,
                          text=_tr("tasks_line", lang, n=f"{y:.0f}")))
    return figure(traces, height=height, barmode="stack", shapes=shapes, annotations=notes,
                  xaxis=dict(categoryorder="array", categoryarray=[lawful_x, actual_x, after_x]),
                  yaxis=dict(title=dict(text=_tr("axis_tasks", lang)), rangemode="tozero", gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=-0.3))


def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""
    from dashboard.analyses.grids import model

    def res() -> dict:
        return model.details(scenario, overlay)

    return {
        "grids_sizes": lambda: sizes_figure(res(), lang),
        "grids_communities": lambda: communities_figure(res(), lang),
        "grids_redivision": lambda: redivision_figure(res(), lang),
        "grids_tasks": lambda: tasks_figure(res(), lang),
    }
