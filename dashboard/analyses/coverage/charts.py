"""Figures and tables of the clinic-coverage page: results -> plotly figures / frames. Pure, no Streamlit.

The map draws offline (plain lon/lat axes, `dashboard.core.charts` helpers): sub-districts shaded by the
share of residents within reach, new areas outlined and labelled, centres and stations as distinct
markers (filled = owned premises, open = rented), compounds out of reach highlighted, suggested
sites as numbered stars.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analyses.coverage.model import CoverageResult
from dashboard.core import charts
from dashboard.core.ranges_chart import tornado_figure
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.data import db

COVERED = "#56B4E9"
NEWLY_COVERED = "#009E73"
UNCOVERED = "#D55E00"
CENTRE = "#0072B2"
STATION = "#CC79A7"
NOT_COUNTED = "#9E9E9E"
SITE = "#F0E442"
NO_DATA = "#EEEEEE"


def _tr(key: str, lang: str, **fmt: object) -> str:
    return t(f"coverage.{key}", lang, **fmt)


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def _subdistrict_fills(result: CoverageResult, shapes: gpd.GeoDataFrame, lang: str) -> list[go.BaseTraceType]:
    table = result.by_subdistrict.set_index("subdistrict_code")
    shapes = shapes[shapes["code"].isin(table.index)]
    if shapes.empty:
        return []
    rows = table.loc[shapes["code"]]
    has_people = (rows["residents"] > 0).to_numpy()
    traces: list[go.BaseTraceType] = []
    if (~has_people).any():  # nobody counted lives there: grey, not "0 % within reach"
        empty = shapes[~has_people]
        for geom, name in zip(empty.geometry, rows.loc[~has_people, "subdistrict_name"], strict=True):
            x, y = charts.polygon_xy(geom)
            traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=NO_DATA,
                                     line=dict(color="white", width=0.8), hoveron="fills", hoverinfo="text",
                                     text=_tr("map.hover_no_residents", lang, name=name), showlegend=False, **charts.NO_CHECK))
    shapes, rows = shapes[has_people], rows[has_people]
    values = [float(v) for v in rows["covered_share_pct"]]
    hover = [
        _tr("map.hover_subdistrict", lang, name=name, share=_fmt_pct(share), after=_fmt_pct(after),
            residents=f"{res:,}", uncovered=f"{unc:,}", centres=int(pc))
        for name, share, after, res, unc, pc in zip(
            rows["subdistrict_name"], rows["covered_share_pct"], rows["covered_share_after_pct"],
            rows["residents"], rows["uncovered_residents"], rows["public_centres"], strict=True)
    ]
    return traces + charts.filled_traces(shapes, values, hover, 0.0, 100.0, colorscale=charts.SEQUENTIAL)


def _facility_traces(result: CoverageResult, lang: str) -> list[go.Scatter]:
    f = result.inputs.facilities.assign(counted=result.facility_counted)
    traces = []
    for kind, color, symbol, size in (("centre", CENTRE, "diamond", 15), ("station", STATION, "circle", 10)):
        for premises in ("owned", "rented"):
            part = f[(f["kind"] == kind) & (f["premises"] == premises)]
            if part.empty:
                continue
            colours = [color if c else NOT_COUNTED for c in part["counted"]]
            hover = [
                _tr("map.hover_facility", lang, name=r.name, kind=_tr(f"kind.{r.kind}", lang),
                    ownership=_tr(f"ownership.{r.ownership}", lang), premises=_tr(f"premises.{r.premises}", lang),
                    gps=int(r.gps), standard=_tr("yes" if r.meets_standard else "no", lang),
                    counted=_tr("yes" if r.counted else "no", lang))
                for r in part.itertuples(index=False)
            ]
            open_ = premises == "rented"
            traces.append(go.Scatter(
                x=part["lon"], y=part["lat"], mode="markers", text=hover, hoverinfo="text",
                name=_tr(f"legend.{kind}_{premises}", lang),
                marker=dict(symbol=symbol + ("-open" if open_ else ""), size=size, color=colours,
                            line=dict(color=colours if open_ else "white", width=2.5 if open_ else 1)), **charts.NO_CHECK,
            ))
    return traces


def _compound_traces(result: CoverageResult, lang: str) -> list[go.Scatter]:
    d = result.inputs.demand
    if d.empty or "lon" not in d.columns:
        return []
    before, after = result.covered_before, result.covered_after
    nearest = result.nearest_m
    traces = []
    for key, mask, color, size in (
        ("covered", before, COVERED, 4),
        ("newly_covered", after & ~before, NEWLY_COVERED, 6),
        ("uncovered", ~after, UNCOVERED, 6),
    ):
        if not mask.any():
            continue
        part = d[mask]
        dist = nearest[mask]
        hover = [
            _tr("map.hover_compound", lang, name=n, residents=f"{int(r):,}",
                distance="—" if not math.isfinite(x) else f"{x:,.0f}")
            for n, r, x in zip(part["name"], part["residents"], dist, strict=True)
        ]
        traces.append(charts.points_trace(part["lon"], part["lat"], _tr(f"legend.{key}", lang), color, size=size,
                                          hover=hover, opacity=0.85 if key != "covered" else 0.55,
                                          line_color=color))
    return traces


def _site_trace(sites: pd.DataFrame, lang: str) -> go.Scatter | None:
    if sites.empty:
        return None
    hover = [
        _tr("map.hover_site", lang, rank=int(r.rank), name=r.name, subdistrict=r.subdistrict_name,
            gain=f"{int(r.marginal_residents):,}")
        for r in sites.itertuples(index=False)
    ]
    return go.Scatter(
        x=sites["lon"], y=sites["lat"], mode="markers+text", text=[str(int(r)) for r in sites["rank"]],
        textposition="middle center", textfont=dict(size=10, color="#000"), hovertext=hover, hoverinfo="text",
        name=_tr("legend.suggested", lang),
        marker=dict(symbol="star", size=24, color=SITE, line=dict(color="#000", width=1.2)), **charts.NO_CHECK,
    )


def coverage_map(result: CoverageResult, districts: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame,
                 new_areas: gpd.GeoDataFrame, lang: str = "zh", height: int = 640) -> go.Figure:
    """The coverage map: shaded sub-districts, new areas, facilities, compounds in/out of reach, suggested sites."""
    traces: list[go.BaseTraceType] = []
    traces += _subdistrict_fills(result, subdistricts, lang)
    traces.append(charts.colorbar_trace(0.0, 100.0, _tr("map.colorbar", lang)))
    if not districts.empty:
        traces.append(charts.outline_trace(districts, _tr("legend.district", lang), color="#333", width=2))
    if not new_areas.empty:
        traces.append(charts.outline_trace(new_areas, _tr("legend.new_area", lang), color=charts.PALETTE[3],
                                           width=2.5, dash="dash"))
        name_col = "name" if lang == "zh" or "name_en" not in new_areas else "name_en"
        traces.append(charts.label_trace(new_areas, list(new_areas[name_col]), size=13, color=charts.PALETTE[3]))
    traces += _compound_traces(result, lang)
    traces += _facility_traces(result, lang)
    site = _site_trace(result.sites, lang)
    if site is not None:
        traces.append(site)
    bounds = _focus_bounds(result, subdistricts, new_areas, districts)
    return charts.map_figure(traces, bounds, height=height,
                             legend=dict(orientation="h", yanchor="top", y=-0.02, font=dict(size=12)))


def _focus_bounds(result: CoverageResult, subdistricts: gpd.GeoDataFrame, new_areas: gpd.GeoDataFrame,
                  districts: gpd.GeoDataFrame) -> np.ndarray:
    """The urban part first: streets (街道) and new areas; the whole layer when there are none (zoom out to see towns)."""
    parts = []
    if not subdistricts.empty and "kind" in subdistricts:
        parts.append(subdistricts[subdistricts["kind"] == "street"])
    parts.append(new_areas)
    parts = [g for g in parts if not g.empty]
    if parts:
        b = np.array([g.total_bounds for g in parts])
        return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])
    for g in (subdistricts, districts):
        if not g.empty:
            return g.total_bounds
    return _points_bounds(result)


def _points_bounds(result: CoverageResult) -> np.ndarray:
    d = result.inputs.demand
    if d.empty or "lon" not in d.columns:
        return np.array([111.9, 30.2, 112.5, 30.5])
    return np.array([d["lon"].min(), d["lat"].min(), d["lon"].max(), d["lat"].max()])


def returns_chart(result: CoverageResult, lang: str = "zh", height: int = 360) -> go.Figure:
    """Residents each added centre brings within reach: the chosen sites (bars) and the greedy curve (line)."""
    sites = result.sites
    curve = list(result.suggestion.curve)
    traces: list[go.BaseTraceType] = []
    if len(curve):
        traces.append(go.Scatter(x=list(range(1, len(curve) + 1)), y=curve, mode="lines+markers",
                                 name=_tr("returns.curve", lang), line=dict(color="#777", dash="dot"),
                                 **charts.NO_CHECK))
    if not sites.empty:
        traces.append(go.Bar(x=sites["rank"], y=sites["marginal_residents"], name=_tr("returns.chosen", lang),
                             marker=dict(color=CENTRE), text=[f"{v:,}" for v in sites["marginal_residents"]],
                             textposition="outside",
                             hovertext=[f"{n} · {s}" for n, s in zip(sites["name"], sites["subdistrict_name"], strict=True)],
                             **charts.NO_CHECK))
    return charts.figure(traces, "", height, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                         margin=dict(t=40), xaxis=dict(title=dict(text=_tr("returns.x", lang)), dtick=1),
                         yaxis=dict(title=dict(text=_tr("returns.y", lang)), rangemode="tozero"))


SUBDISTRICT_COLUMNS = ["subdistrict_name", "district_name", "kind", "residents", "covered_share_pct",
                       "covered_share_after_pct", "uncovered_residents", "uncovered_points", "centres",
                       "public_centres", "standard_public_centres", "stations", "gps_counted", "residents_per_gp",
                       "new_sites", "subdistrict_code"]


def subdistrict_table(result: CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """One row per sub-district with localised column names, for the sortable table and the CSV download."""
    table = result.by_subdistrict[SUBDISTRICT_COLUMNS].copy()
    table["kind"] = table["kind"].map(lambda k: _tr(f"subkind.{k}", lang) if k in ("street", "town") else k)
    for col in ("covered_share_pct", "covered_share_after_pct"):
        table[col] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 1)
                      for v in table[col]]
    table["residents_per_gp"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(v))
                                 for v in table["residents_per_gp"]]
    table = table.sort_values("covered_share_pct", na_position="last").reset_index(drop=True)
    return table.rename(columns={c: _tr(f"col.{c}", lang) for c in SUBDISTRICT_COLUMNS})


def sites_table(sites: pd.DataFrame, lang: str = "zh", area_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Suggested (or planned) sites with localised column names; new areas by name when `area_names` is given."""
    cols = ["rank", "name", "subdistrict_name", "marginal_residents", "cumulative_share_pct", "new_area_id",
            "lon", "lat"]
    table = sites[cols].copy()
    table["cumulative_share_pct"] = [None if v is None else round(float(v), 1) for v in table["cumulative_share_pct"]]
    if area_names:
        table["new_area_id"] = table["new_area_id"].map(lambda a: area_names.get(a, a))
    return table.rename(columns={c: _tr(f"col.{c}", lang) for c in cols})


def area_names(result: CoverageResult, lang: str = "zh") -> dict[str, str]:
    """New-area id -> its name in the language."""
    areas = result.inputs.new_areas
    col = "name" if lang == "zh" else "name_en"
    return {a: (n or a) for a, n in zip(areas["area_id"], areas[col], strict=True)}


def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""
    from dashboard.analyses.coverage import model as coverage
    from dashboard.data import geo

    def result():
        return coverage.scenario_result(scenario, overlay)

    return {
        "coverage_map": lambda: coverage_map(
            result(), geo.central_city_districts(), geo.layer("subdistricts", overlay),
            geo.layer("new_areas", overlay), lang),
        "coverage_returns": lambda: returns_chart(result(), lang),
        # drivers of the page's main figure within the assumptions' plausible bands (core/ranges.py)
        "coverage_drivers": lambda: tornado_figure("coverage", scenario, lang, overlay),
    }
