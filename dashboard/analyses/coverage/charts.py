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
from dashboard.core import charts, mapframe
from dashboard.core.ranges_chart import tornado_figure
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.data import db

COVERED = "#56B4E9"
NEWLY_COVERED = "#009E73"
UNCOVERED = "#D55E00"
CENTRE = "#1B1B3A"  # near-black navy: stands out on every step of the Blues fill (white outline)
STATION = "#CC79A7"
NOT_COUNTED = "#9E9E9E"
SITE = "#F0E442"
NO_DATA = "#EEEEEE"

# Sources of the slide's map beyond its figures': the real rivers and lakes drawn for orientation.
FIGURE_SOURCES = ("wdb2_rivers", "natural_earth_lakes")



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
    for kind, color, symbol, size in (("centre", CENTRE, "diamond", 17), ("station", STATION, "circle", 11)):
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
            # owned: filled with a white outline; rented: white with a coloured outline. Either way a
            # white edge and a dark body, so the marker reads on the lightest and the darkest fill
            open_ = premises == "rented"
            traces.append(go.Scatter(
                x=part["lon"], y=part["lat"], mode="markers", text=hover, hoverinfo="text",
                name=_tr(f"legend.{kind}_{premises}", lang),
                marker=dict(symbol=symbol, size=size, color="white" if open_ else colours,
                            line=dict(color=colours if open_ else "white", width=3 if open_ else 1.5)), **charts.NO_CHECK,
            ))
    return traces


COMPOUND_CELL_M = 900.0  # compounds are drawn as one marker per cell and status (city zoom stays readable)


def _compound_traces(result: CoverageResult, lang: str) -> list[go.Scatter]:
    """Compounds aggregated per COMPOUND_CELL_M square and status (within reach / reached after new
    centres / out of reach): one marker per cell and status at those residents' centre, sized by
    residents; the hover gives the numbers and names the compounds (up to four)."""
    d = result.inputs.demand
    if d.empty or "lon" not in d.columns:
        return []
    before, after = np.asarray(result.covered_before, bool), np.asarray(result.covered_after, bool)
    groups = mapframe.grid_groups(d["lon"], d["lat"], COMPOUND_CELL_M)
    res = d["residents"].to_numpy(dtype=float)
    lon, lat = d["lon"].to_numpy(dtype=float), d["lat"].to_numpy(dtype=float)
    names = d["name"].astype(str).to_numpy()
    traces = []
    for key, mask, color in (("covered", before, COVERED), ("newly_covered", after & ~before, NEWLY_COVERED),
                             ("uncovered", ~after, UNCOVERED)):
        if not mask.any():
            continue
        # numpy, not a pandas groupby: this runs on every rerun of the page (measured 4 ms vs 60 ms)
        cells, inverse = np.unique(groups[mask], return_inverse=True)
        inverse = inverse.ravel()
        total = np.bincount(inverse, weights=res[mask], minlength=len(cells))
        x = np.bincount(inverse, weights=res[mask] * lon[mask], minlength=len(cells)) / total
        y = np.bincount(inverse, weights=res[mask] * lat[mask], minlength=len(cells)) / total
        order = np.argsort(inverse, kind="stable")
        members = np.split(names[mask][order], np.cumsum(np.bincount(inverse, minlength=len(cells)))[:-1])
        status = _tr(f"legend.{key}", lang)
        hover = [t("maps.hover_cell", lang, n=len(m), residents=f"{int(r):,}", status=status,
                   names="、".join(m[:4]) + ("…" if len(m) > 4 else ""))
                 for m, r in zip(members, total, strict=True)]
        size = [float(v) for v in np.clip(4.0 + 0.12 * np.sqrt(total), 4.0, 22.0)]
        traces.append(charts.points_trace(x.tolist(), y.tolist(), status, color, size=size, hover=hover,
                                          opacity=0.85 if key != "covered" else 0.7, line_color="white"))
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
    bounds = _focus_bounds(result, subdistricts, new_areas, districts)
    traces += mapframe.water_traces(bounds, lang)
    if not districts.empty:
        traces.append(charts.outline_trace(districts, _tr("legend.district", lang), color="#333", width=2))
    if not new_areas.empty:
        traces.append(charts.outline_trace(new_areas, _tr("legend.new_area", lang), color=charts.PALETTE[3],
                                           width=2.5, dash="dash"))
    traces += _compound_traces(result, lang)
    traces += _facility_traces(result, lang)
    site = _site_trace(result.sites, lang)
    if site is not None:
        traces.append(site)
    traces += mapframe.scale_bar(bounds, lang)
    # names as annotations over everything, sub-districts on a translucent white box (readable over markers)
    names = mapframe.label_annotations(_map_labels(bounds, districts, subdistricts, new_areas, lang, height),
                                       LABEL_STYLES, boxed=(3,))
    return charts.map_figure(traces, bounds, height=height, annotations=names + mapframe.north_arrow(lang),
                             legend=dict(orientation="h", yanchor="top", y=-0.02, font=dict(size=12)))


LABEL_STYLES = {0: ("#111", "bold"), 1: (mapframe.RIVER_LABEL, "bold"), 2: (charts.PALETTE[3], "bold"),
                3: ("#263238", "normal")}


def _map_labels(bounds, districts: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame, new_areas: gpd.GeoDataFrame,
                lang: str, height: int) -> list:
    """District, river, new-area and sub-district names that fit without overlapping (dashboard.core.maplabels).

    Sub-districts keep their Chinese names in both languages: the division list has no English or
    pinyin names (geodata/README.md), and 街道/镇 is dropped from street names to keep them short.
    """
    name_col = "name" if lang == "zh" or "name_en" not in districts else "name_en"
    area_col = "name" if lang == "zh" or "name_en" not in new_areas else "name_en"
    subs = subdistricts[subdistricts.geometry.notna()] if not subdistricts.empty else subdistricts
    sub_names = [str(n).removesuffix("街道") for n in subs["name"]] if not subs.empty else []
    candidates = (mapframe.polygon_labels(districts, list(districts[name_col]) if not districts.empty else [], 15, 0)
                  + mapframe.river_labels(bounds, lang, 13, 1)
                  + mapframe.polygon_labels(new_areas, list(new_areas[area_col]) if not new_areas.empty else [],
                                            12, 2)
                  + (mapframe.polygon_labels(subs, sub_names, 11, 3) if not subs.empty else []))
    return mapframe.place_labels(candidates, bounds, height - 130)


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
    """Residents each added centre brings within reach (or, with the served objective, newly serves within
    capacity): the chosen sites (bars) and the greedy curve (line)."""
    sites = result.sites
    curve = list(result.suggestion.curve)
    served = "_served" if result.settings.site_objective == "served" else ""
    traces: list[go.BaseTraceType] = []
    if len(curve):
        traces.append(go.Scatter(x=list(range(1, len(curve) + 1)), y=curve, mode="lines+markers",
                                 name=_tr(f"returns.curve{served}", lang), line=dict(color="#777", dash="dot"),
                                 **charts.NO_CHECK))
    if not sites.empty:
        traces.append(go.Bar(x=sites["rank"], y=sites["marginal_residents"], name=_tr(f"returns.chosen{served}", lang),
                             marker=dict(color=CENTRE), text=[f"{v:,}" for v in sites["marginal_residents"]],
                             textposition="outside",
                             hovertext=[f"{n} · {s}" for n, s in zip(sites["name"], sites["subdistrict_name"], strict=True)],
                             **charts.NO_CHECK))
    return charts.figure(traces, "", height, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                         margin=dict(t=40), xaxis=dict(title=dict(text=_tr("returns.x", lang)), dtick=1),
                         yaxis=dict(title=dict(text=_tr(f"returns.y{served}", lang)), rangemode="tozero"))


SUBDISTRICT_COLUMNS = ["subdistrict_name", "district_name", "kind", "residents", "covered_share_pct",
                       "covered_share_after_pct", "served_share_pct", "beyond_capacity_residents",
                       "access_gps_per_10k", "uncovered_residents", "uncovered_points", "centres",
                       "public_centres", "standard_public_centres", "stations", "gps_counted", "residents_per_gp",
                       "new_sites", "subdistrict_code"]


def subdistrict_table(result: CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """One row per sub-district with localised column names, for the sortable table and the CSV download."""
    table = result.by_subdistrict[SUBDISTRICT_COLUMNS].copy()
    table["kind"] = table["kind"].map(lambda k: _tr(f"subkind.{k}", lang) if k in ("street", "town") else k)
    for col, digits in (("covered_share_pct", 1), ("covered_share_after_pct", 1), ("served_share_pct", 1),
                        ("access_gps_per_10k", 2)):
        table[col] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), digits)
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
FACILITY_COLUMNS = ["facility_name", "facility_kind", "subdistrict_name", "gps", "capacity_residents",
                    "first_choice_residents", "load_pct", "excess_residents", "served_residents",
                    "within_reach_residents", "gps_per_10k_in_reach"]


def facility_load_table(result: CoverageResult, lang: str = "zh", over_only: bool = False) -> pd.DataFrame:
    """Counted facilities with capacity, first-choice demand, load and served residents (most over capacity first)."""
    load = result.facility_load
    if load is None:
        load = pd.DataFrame(columns=["name", "kind", "over_capacity", *FACILITY_COLUMNS[2:]])
    if over_only:
        load = load[load["over_capacity"].astype(bool)]
    table = load.rename(columns={"name": "facility_name", "kind": "facility_kind"})[FACILITY_COLUMNS].copy()
    table["facility_kind"] = table["facility_kind"].map(lambda k: _tr(f"kind.{k}", lang) if k in ("centre", "station") else k)
    table["load_pct"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 1)
                         for v in table["load_pct"]]
    table["gps_per_10k_in_reach"] = [round(float(v), 2) for v in table["gps_per_10k_in_reach"]]
    return table.reset_index(drop=True).rename(columns={c: _tr(f"col.{c}", lang) for c in FACILITY_COLUMNS})


COMPOUND_COLUMNS = ["compound_id", "compound_name", "subdistrict_name", "residents", "walk_m", "within_reach",
                    "served_residents", "access_gps_per_10k"]


def compound_access_table(result: CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """One row per demand point: walk to the nearest counted facility, reach, served residents, 2SFCA score."""
    d = result.inputs.demand
    names = dict(zip(result.inputs.subdistricts["subdistrict_code"], result.inputs.subdistricts["subdistrict_name"],
                     strict=True))
    access = result.access
    n = len(d)
    walk = access.walk_nearest_m if access is not None else np.full(n, np.inf)
    table = pd.DataFrame({
        "compound_id": d["compound_id"], "compound_name": d["name"],
        "subdistrict_name": d["subdistrict_code"].map(lambda c: names.get(c, c)),
        "residents": np.round(result.inputs.residents).astype(int),
        "walk_m": [None if not math.isfinite(x) else round(float(x)) for x in walk],
        "within_reach": result.covered_before,
        "served_residents": np.round(access.served).astype(int) if access is not None else 0,
        "access_gps_per_10k": np.round(access.access * 10_000, 3) if access is not None else 0.0,
    })
    return table.rename(columns={c: _tr(f"col.{c}", lang) for c in COMPOUND_COLUMNS})
