"""Figures for the property-management page: pure functions of `dashboard.analyses.property.model.details(...)`.

The map draws offline on plain lon/lat axes (`dashboard.core.charts`): sub-districts shaded by the
share of compounds with property management, compounds as points coloured by status, and the old
compounds the scenario brings a firm to ringed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import plotly.graph_objects as go

from dashboard.analyses.property.model import SHASHI
from dashboard.core import charts, figsvg
from dashboard.core.charts import NO_CHECK, PALETTE, figure
from dashboard.core.ranges_chart import tornado_figure
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang, t
from dashboard.data import db

STATUS_COLOURS = {"managed": PALETTE[0], "owners_committee": PALETTE[2], "old_unmanaged": PALETTE[3],
                  "unmanaged": "#9E9E9E"}
SERVED = PALETTE[6]
DISTRICT_COLOURS = [PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4]]

# Sources of the slide's map beyond its figures': the real district outlines.
FIGURE_SOURCES = ("cnmaps_boundaries", "demo_layer")



def _tr(key: str, lang: str, **fmt: object) -> str:
    return t(f"property.{key}", lang, **fmt)


def _name(row: dict, lang: str) -> str:
    return by_lang(lang, row["name_zh"], row["name_en"])


def map_figure(res: dict[str, Any], subdistricts: gpd.GeoDataFrame, districts: gpd.GeoDataFrame,
               lang: str = "zh", height: int = 620) -> go.Figure:
    """Sub-districts shaded by managed share; compounds by status; compounds the scenario serves ringed."""
    subs = {r["subdistrict_code"]: r for r in res["by_subdistrict"]}
    shapes = subdistricts[subdistricts["code"].isin(list(subs))]
    traces: list[go.BaseTraceType] = []
    if not shapes.empty:
        rows = [subs[c] for c in shapes["code"]]
        hover = [_tr("map_hover_sub", lang, name=r["subdistrict_name"], share=f"{r['managed_share_pct']:.0f}",
                     oc=f"{r['owners_committee_share_pct']:.0f}", n=r["compounds"], old=r["old_unmanaged_compounds"])
                 for r in rows]
        traces += charts.filled_traces(shapes, [r["managed_share_pct"] for r in rows], hover, 0.0, 100.0,
                                       colorscale="Blues")
        traces.append(charts.colorbar_trace(0.0, 100.0, _tr("map_colorbar", lang), colorscale="Blues"))
    central = districts[districts["code"].isin({r["district_code"] for r in res["by_district"]})]
    if not central.empty:
        traces.append(charts.outline_trace(central, _tr("legend_district", lang), color="#333", width=1.5))
    p = res["points"]
    n = len(p["compound_id"])
    for status in ("unmanaged", "managed", "owners_committee", "old_unmanaged"):
        idx = [i for i in range(n) if p["status"][i] == status]
        if not idx:
            continue
        hover = [_tr("map_hover_compound", lang, name=p["name"][i], sub=p["subdistrict_name"][i],
                     hh=f"{int(p['households'][i]):,}",
                     year="—" if p["build_year"][i] is None else f"{int(p['build_year'][i])}",
                     status=_tr(f"status_{status}", lang),
                     enclosure=_tr(f"enclosure_{p['enclosure'][i]}", lang) if isinstance(p["enclosure"][i], str) else "—")
                 for i in idx]
        traces.append(charts.points_trace([p["lon"][i] for i in idx], [p["lat"][i] for i in idx],
                                          _tr(f"status_{status}", lang), STATUS_COLOURS[status],
                                          size=6 if status != "unmanaged" else 5, hover=hover, opacity=0.85))
    served = [i for i in range(n) if p["viable"][i]]
    if served:
        traces.append(go.Scatter(
            x=[p["lon"][i] for i in served], y=[p["lat"][i] for i in served], mode="markers",
            name=_tr("legend_served", lang), hoverinfo="skip", meta=figsvg.SCENARIO_META,  # the layer a step changes
            marker=dict(symbol="circle-open", size=9, color=SERVED, line=dict(width=1.5, color=SERVED)), **NO_CHECK))
    # frame the compounds (the built-up area), not the whole districts with their farmland
    if n:
        lon, lat = p["lon"], p["lat"]
        bounds = [min(lon), min(lat), max(lon), max(lat)]
    else:
        bounds = central.total_bounds if not central.empty else shapes.total_bounds
    return charts.map_figure(traces, bounds, height=height,
                             legend=dict(orientation="h", yanchor="bottom", y=-0.08, x=0))


def shares_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Managed share and owners'-committee share by district, against the report's 39.8% and 14.5%."""
    rows = res["by_district"]
    names = [_name(r, lang) for r in rows]
    traces = [
        go.Bar(x=names, y=[r["managed_share_pct"] for r in rows], name=_tr("series_managed_share", lang),
               marker=dict(color=PALETTE[0]), text=[f"{r['managed_share_pct']:.1f}%" for r in rows],
               textposition="outside", **NO_CHECK),
        go.Bar(x=names, y=[r["owners_committee_share_pct"] for r in rows], name=_tr("series_oc_share", lang),
               marker=dict(color=PALETTE[2]), text=[f"{r['owners_committee_share_pct']:.1f}%" for r in rows],
               textposition="outside", **NO_CHECK),
    ]
    fig = res["report"]["figures"]
    shapes, notes = [], []
    if fig.get("managed_share") is not None:
        y = fig["managed_share"]
        shapes.append(dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y",
                           line=dict(color=PALETTE[0], dash="dash", width=2)))
        notes.append(dict(x=1, xref="x domain", xanchor="right", y=y, yref="y", yanchor="bottom", showarrow=False,
                          text=_tr("chart_report_managed", lang, value=f"{y:.1f}"), font=dict(color=PALETTE[0])))
    if fig.get("oc_share_shashi") is not None:
        y = fig["oc_share_shashi"]
        shashi = next((i for i, r in enumerate(rows) if r["district_code"] == SHASHI), None)
        if shashi is not None:
            notes.append(dict(x=names[shashi], xref="x", y=y, yref="y", ax=60, ay=-40, showarrow=True,
                              arrowcolor=PALETTE[2], text=_tr("chart_report_oc", lang, value=f"{y:.1f}"),
                              font=dict(color=PALETTE[2])))
    return figure(traces, height=height, barmode="group", shapes=shapes, annotations=notes,
                  yaxis=dict(title=dict(text=_tr("axis_share", lang)), range=[0, 100], gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def rollout_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Budget cost per programme year, stacked by district, with the managed share reached (right axis)."""
    years = res["years"]
    x = [str(r["calendar_year"]) for r in years]
    traces: list[go.BaseTraceType] = []
    for i, d in enumerate(res["by_district"]):
        values = [r.get(f"cost_yuan_{d['district_code']}", 0.0) / 1e6 for r in years]
        if not any(values):
            continue
        traces.append(go.Bar(x=x, y=values, name=_name(d, lang), marker=dict(color=DISTRICT_COLOURS[i % 4]),
                             hovertemplate="%{y:.2f}<extra>%{fullData.name}</extra>", **NO_CHECK))
    traces.append(go.Scatter(x=x, y=[r["managed_share_pct"] for r in years], yaxis="y2", mode="lines+markers+text",
                             name=_tr("series_managed_after", lang), line=dict(color="#000", dash="dot"),
                             text=[f"{r['managed_share_pct']:.1f}%" for r in years], textposition="top center",
                             **NO_CHECK))
    return figure(traces, height=height, barmode="stack",
                  yaxis=dict(title=dict(text=_tr("axis_cost", lang)), rangemode="tozero", gridcolor="#eee"),
                  yaxis2=dict(title=dict(text=_tr("axis_managed", lang)), overlaying="y", side="right",
                              range=[0, 100], tickmode="linear", tick0=0, dtick=20, showgrid=False),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def priority_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Households served against yearly cost, compounds added in priority order (most households per yuan first)."""
    rows = res["priority"]
    cost, hh = [0.0], [0]
    for r in rows:
        cost.append(cost[-1] + r["annual_cost_yuan"] / 1e6)
        hh.append(hh[-1] + int(r["households"]))
    hover = [""] + [_tr("priority_hover", lang, name=r["name"], hh=f"{int(r['households']):,}",
                        subsidy=f"{r['subsidy_yuan']:.1f}", rank=i + 1) for i, r in enumerate(rows)]
    trace = go.Scatter(x=cost, y=hh, mode="lines+markers", line=dict(color=PALETTE[0], shape="linear"),
                       marker=dict(size=4), text=hover, hoverinfo="text", name=_tr("series_priority", lang),
                       showlegend=False, **NO_CHECK)
    return figure([trace], height=height,
                  xaxis=dict(title=dict(text=_tr("axis_cost_cumulative", lang)), rangemode="tozero", gridcolor="#eee"),
                  yaxis=dict(title=dict(text=_tr("axis_households_served", lang)), rangemode="tozero",
                             gridcolor="#eee", tickformat=","))


def owners_committee_figure(res: dict[str, Any], lang: str = "zh", height: int = 340) -> go.Figure:
    """Owners'-committee share by district today and the target, with the committees needed per year."""
    names = {d["district_code"]: _name(d, lang) for d in res["by_district"]}
    rows = [r for r in res["owners_committees"] if r["district_code"] != "all"]
    x = [names.get(r["district_code"], r["district_code"]) for r in rows]
    traces = [go.Bar(x=x, y=[r["share_pct"] for r in rows], name=_tr("series_oc_now", lang),
                     marker=dict(color=PALETTE[2]),
                     text=[_tr("oc_bar_text", lang, share=f"{r['share_pct']:.1f}", per_year=f"{r['needed_per_year']:.0f}")
                           for r in rows], textposition="outside", **NO_CHECK)]
    target = rows[0]["target_pct"] if rows else 0.0
    shapes = [dict(type="line", x0=0, x1=1, xref="x domain", y0=target, y1=target, yref="y",
                   line=dict(color="#000", dash="dash", width=2))]
    notes = [dict(x=0, xref="x domain", xanchor="left", y=target, yref="y", yanchor="bottom", showarrow=False,
                  text=_tr("chart_oc_target", lang, value=f"{target:.0f}", year=rows[0]["target_year"] if rows else ""))]
    return figure(traces, height=height, shapes=shapes, annotations=notes,
                  yaxis=dict(title=dict(text=_tr("axis_share", lang)), range=[0, 105], gridcolor="#eee"))


def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""
    from dashboard.analyses.property import model
    from dashboard.data import geo

    def res() -> dict:
        return model.details(scenario, overlay)

    return {
        "property_map": lambda: map_figure(res(), geo.layer("subdistricts", overlay), geo.layer("districts", overlay),
                                           lang),
        "property_shares": lambda: shares_figure(res(), lang),
        "property_rollout": lambda: rollout_figure(res(), lang),
        "property_priority": lambda: priority_figure(res(), lang),
        "property_owners_committees": lambda: owners_committee_figure(res(), lang),
        "property_drivers": lambda: tornado_figure("property", scenario, lang, overlay),
    }
