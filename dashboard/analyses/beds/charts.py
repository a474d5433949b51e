"""Figures for the care-beds page: pure functions of `dashboard.analyses.beds.model.details(...)`, no Streamlit.

Taking the JSON-ready details (not the model's objects) lets the exported brief draw the same
figures from the same numbers the command line prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.core.charts import (
    NO_CHECK,
    PALETTE,
    figure,
    map_figure,
    outline_trace,
    points_trace,
)
from dashboard.core.ranges_chart import tornado_figure
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang, lang_column, t
from dashboard.data import db

FACILITY_TYPES = ("urban_public", "urban_private", "home_care_centre", "rural")
TYPE_COLORS = {"urban_public": PALETTE[0], "urban_private": PALETTE[1], "home_care_centre": PALETTE[2],
               "rural": PALETTE[5]}
TYPE_SYMBOLS = {"urban_public": "circle", "urban_private": "square", "home_care_centre": "diamond",
                "rural": "triangle-up"}
GAP_FILL = "rgba(213, 94, 0, 0.22)"  # PALETTE[3] (vermillion), translucent
NOT_CLOSED_TEXT_PREFIX = ">"


def _name(row: dict[str, Any], lang: str) -> str:
    return by_lang(lang, row["name_zh"], row["name_en"])


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def supply_demand_figure(details: dict[str, Any], lang: str = "zh", levels: tuple[str, ...] = ("district",),
                         height: int = 440) -> go.Figure:
    """Beds by facility type (stacked) against demand (a bar mark with its figure), one group per area."""
    rows = [r for r in details["areas"] if r["level"] in levels]
    names = [_name(r, lang) for r in rows]
    traces: list[go.BaseTraceType] = []
    for ftype in FACILITY_TYPES:
        values = [r[f"beds_{ftype}"] for r in rows]
        traces.append(go.Bar(x=names, y=values, name=t(f"beds.type_{ftype}", lang),
                             marker=dict(color=TYPE_COLORS[ftype]),
                             hovertemplate="%{x}<br>" + t(f"beds.type_{ftype}", lang) + ": %{y:,.0f}<extra></extra>",
                             **NO_CHECK))
    demand = [r["demand"] for r in rows]
    supply = [r["supply"] for r in rows]
    labels = [f"{t('beds.chart_demand', lang)} {_fmt(d)}" + (f" · {s / d:.0%}" if d else "")
              for d, s in zip(demand, supply, strict=True)]
    traces.append(go.Scatter(x=names, y=demand, mode="markers+text", name=t("beds.chart_demand", lang), text=labels,
                             textposition="top center", marker=dict(symbol="line-ew-open", size=70, color="#111",
                                                                    line=dict(width=4, color="#111")),
                             hovertemplate="%{x}<br>" + t("beds.chart_demand", lang) + ": %{y:,.0f}<extra></extra>",
                             **NO_CHECK))
    top = max([*demand, *supply, 1.0])
    return figure(traces, t("beds.chart_supply_title", lang), height, barmode="stack",
                  yaxis=dict(title=dict(text=t("beds.chart_beds_axis", lang)), range=[0, top * 1.3], gridcolor="#EEE",
                             tickformat=","))


def projection_figure(details: dict[str, Any], lang: str = "zh", height: int = 460) -> go.Figure:
    """Demand and supply of the chosen area by year; the shortfall shaded, the closing and target years marked."""
    proj = pd.DataFrame(details["projection"])
    area = next(r for r in details["areas"] if r["area_code"] == details["area"])
    years = proj["year"].to_numpy()
    demand = proj["demand"].to_numpy(dtype=float)
    supply = proj["supply"].to_numpy(dtype=float)
    target = int(details["target_year"])
    required = float(details["required_per_year"])
    # Shade only the shortfall: fill from supply up to max(demand, supply).
    traces: list[go.BaseTraceType] = [
        go.Scatter(x=years, y=supply, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip",
                   **NO_CHECK),
        go.Scatter(x=years, y=np.maximum(demand, supply), mode="lines", line=dict(width=0), fill="tonexty",
                   fillcolor=GAP_FILL, name=t("beds.proj_gap", lang), hoverinfo="skip", **NO_CHECK),
        go.Scatter(x=years, y=demand, mode="lines+markers", name=t("beds.proj_demand", lang),
                   line=dict(color=PALETTE[3], width=3), marker=dict(size=5),
                   customdata=np.column_stack([demand - supply]),
                   hovertemplate="%{x}: %{y:,.0f}<br>" + t("beds.proj_gap", lang)
                   + " %{customdata[0]:,.0f}<extra></extra>", **NO_CHECK),
    ]
    rate = _fmt(float(details["new_per_year"]))
    traces.append(go.Scatter(x=years, y=supply, mode="lines+markers", name=t("beds.proj_supply", lang, rate=rate),
                             line=dict(color=PALETTE[0], width=3), marker=dict(size=5),
                             hovertemplate="%{x}: %{y:,.0f}<extra></extra>", **NO_CHECK))
    if required > 0:
        upto = proj["year"] <= target
        traces.append(go.Scatter(x=years[upto], y=proj.loc[upto, "supply_at_required_rate"], mode="lines",
                                 name=t("beds.proj_required", lang, rate=_fmt(required), target=target),
                                 line=dict(color=PALETTE[2], width=2, dash="dash"),
                                 hovertemplate="%{x}: %{y:,.0f}<extra></extra>", **NO_CHECK))

    def vline(x: int, **line: object) -> dict:  # what fig.add_vline makes, without its update pass
        return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)

    shapes, notes = [], []
    closing = details["closing_year"]
    if isinstance(closing, int):
        shapes.append(vline(closing, color=PALETTE[2], width=2))
        notes.append(dict(x=closing, y=1.0, yref="paper", text=t("beds.proj_closes", lang, year=closing),
                          showarrow=False, yanchor="bottom", font=dict(color=PALETTE[2], size=14)))
    else:
        notes.append(dict(x=int(years[-1]), y=1.0, yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                          text=t("beds.proj_not_closed", lang, end=int(years[-1])),
                          font=dict(color=PALETTE[3], size=14)))
    shapes.append(vline(target, color="#777", width=1, dash="dot"))
    notes.append(dict(x=target, y=0.0, yref="paper", text=t("beds.proj_target", lang, year=target),
                      showarrow=False, yanchor="bottom", xanchor="left", font=dict(color="#555", size=12)))
    # every year after the data year is a projection: a light band, labelled, says so
    data_year = int(years[0])
    shapes.append(dict(type="rect", xref="x", x0=data_year + 0.5, x1=int(years[-1]) + 0.5, yref="y domain", y0=0,
                       y1=1, fillcolor="rgba(0, 0, 0, 0.035)", line=dict(width=0), layer="below"))
    notes.append(dict(x=data_year + 0.5, y=1.0, yref="paper", xanchor="left", yanchor="top", showarrow=False,
                      text=t("beds.proj_projected", lang, year=data_year), font=dict(color="#555", size=12)))
    return figure(traces, t("beds.chart_projection_title", lang, name=_name(area, lang)), height,
                  shapes=shapes, annotations=notes, hovermode="x unified", margin=dict(t=60),
                  xaxis=dict(tickformat="d", gridcolor="#EEE"),
                  yaxis=dict(title=dict(text=t("beds.chart_beds_axis", lang)), rangemode="tozero", gridcolor="#EEE",
                             tickformat=","))


def coverage_figure(details: dict[str, Any], lang: str = "zh", height: int = 320) -> go.Figure:
    """Urban communities with and without a home-care centre, by district (horizontal stacked bars)."""
    rows = [r for r in details["home_care_coverage"] if r["level"] == "district" and r["communities"]]
    names = [_name(r, lang) for r in rows]
    traces = [
        go.Bar(y=names, x=[r["with_centre"] for r in rows], orientation="h", name=t("beds.coverage_with", lang),
               marker=dict(color=PALETTE[2]), text=[_fmt(r["with_centre"]) for r in rows], textposition="inside",
               **NO_CHECK),
        go.Bar(y=names, x=[r["without_centre"] for r in rows], orientation="h", name=t("beds.coverage_without", lang),
               marker=dict(color="#BBBBBB"), text=[_fmt(r["without_centre"]) for r in rows], textposition="inside",
               **NO_CHECK),
    ]
    return figure(traces, t("beds.coverage_title", lang), height, barmode="stack", yaxis=dict(autorange="reversed"))


def _marker_size(beds: pd.Series) -> list[float]:
    return [6.0 + 2.2 * math.sqrt(max(float(b), 0.0)) ** 0.85 for b in beds]


def care_map_figure(districts: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame, facilities: pd.DataFrame,
                    communities: pd.DataFrame, lang: str = "zh", height: int = 620) -> go.Figure:
    """Offline map: care facilities by type (size = beds) and communities without a home-care centre."""
    from dashboard.core import mapframe

    bounds = districts.total_bounds
    traces: list[go.BaseTraceType] = list(mapframe.water_traces(bounds, lang))
    if not subdistricts.empty:
        traces.append(outline_trace(subdistricts, t("beds.map_subdistricts", lang), color="#B0BEC5", width=0.8))
    traces.append(outline_trace(districts, t("beds.map_districts", lang), color="#333", width=2))
    missing = communities[(communities["kind"] == "community") & ~communities["has_home_care_centre"].astype(bool)]
    missing = missing.dropna(subset=["lon", "lat"])
    if not missing.empty:
        hover = [f"{n}<br>{t('beds.map_without_centre', lang)}<br>60+: {a:,.0f}"
                 for n, a in zip(missing["name"], missing["aged_60_plus"], strict=True)]
        traces.append(points_trace(missing["lon"], missing["lat"], t("beds.map_without_centre", lang), "#111",
                                   symbol="x-thin-open", size=11, hover=hover, line_color="#111"))
    for ftype in FACILITY_TYPES:
        part = facilities[facilities["facility_type"] == ftype]
        if part.empty:
            continue
        hover = [f"{n}<br>{t(f'beds.type_{ftype}', lang)}<br>{t('beds.map_hover_beds', lang, beds=b, nursing=nb)}"
                 for n, b, nb in zip(part["name"], part["beds"], part["nursing_beds"], strict=True)]
        traces.append(points_trace(part["lon"], part["lat"], t(f"beds.type_{ftype}", lang), TYPE_COLORS[ftype],
                                   symbol=TYPE_SYMBOLS[ftype], size=_marker_size(part["beds"]), hover=hover,
                                   opacity=0.85))
    traces += mapframe.scale_bar(bounds, lang)
    name_col = lang_column(lang, districts)
    subs = subdistricts[subdistricts.geometry.notna()] if not subdistricts.empty else subdistricts
    candidates = (mapframe.polygon_labels(districts, list(districts[name_col]), 16, 0)
                  + mapframe.river_labels(bounds, lang, 13, 1)
                  + (mapframe.polygon_labels(subs, [str(n).removesuffix("街道") for n in subs["name"]], 10, 3)
                     if not subs.empty else []))
    placed = mapframe.place_labels(candidates, bounds, height - 110)
    names = mapframe.label_annotations(placed, {0: ("#111", "bold"), 1: (mapframe.RIVER_LABEL, "bold"),
                                                3: ("#37474F", "normal")}, boxed=(3,))
    return map_figure(traces, bounds, height=height, title=t("beds.map_title", lang),
                      annotations=names + mapframe.north_arrow(lang))


def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""
    from dashboard.analyses.beds import model as beds
    from dashboard.data import geo

    def details() -> dict:
        return beds.details(scenario, overlay)

    return {
        "beds_supply_demand": lambda: supply_demand_figure(details(), lang),
        "beds_projection": lambda: projection_figure(details(), lang),
        "beds_home_care": lambda: coverage_figure(details(), lang),
        "beds_map": lambda: care_map_figure(
            geo.central_city_districts(), geo.layer("subdistricts", overlay), beds.facility_points(overlay),
            beds.community_points(overlay), lang),
        # drivers of the page's main figure within the assumptions' plausible bands (core/ranges.py)
        "beds_drivers": lambda: tornado_figure("beds", scenario, lang, overlay),
    }
