"""Figure builders: results -> plotly figures. Pure functions, no Streamlit.

Maps are drawn on plain x/y axes (lon/lat with the aspect fixed at 1/cos(latitude)), so they need no
tile server, no map style and no glyph server: they draw offline, in the browser and in the brief.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import get_colorscale
from shapely.geometry import MultiPolygon, Polygon

from dashboard.core.text import by_lang, lang_column

# Okabe-Ito: colour-blind-safe qualitative palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL = "Blues"
DIVERGING = "RdBu"
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"

# Plotly checks and coerces every value as a trace is built: most of the time a map takes to build
# (measured: the coverage map 71 ms with checks, 37 ms without). The builders here pass plain lists,
# arrays and literals, so they build traces and figures with `**NO_CHECK`, and write values in
# plotly's canonical form (titles as `dict(text=...)`, colour scales as explicit lists), as
# validation would have turned them. tests/core/test_figures.py rebuilds every figure of every page with
# full validation and requires identical JSON, so a misspelt property or a bad value fails the tests.
NO_CHECK: dict[str, bool] = {"_validate": False}


def _merged(base: dict, extra: dict) -> dict:
    """`base` updated by `extra`, nested dicts merged key by key (as plotly's update_layout does)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def layout(title: str = "", height: int = 480, **extra: object) -> dict:
    """The house layout (font, palette, margins, legend below) as a plain dict, merged with `extra`."""
    base: dict = dict(
        height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        font=dict(family=FONT, size=14), legend=dict(orientation="h", yanchor="bottom", y=-0.15),
        colorway=PALETTE, plot_bgcolor="white", paper_bgcolor="white",
        # Named, not plotly's process-wide default: importing Streamlit switches that default to its own
        # template, so the brief made in the server drew other axes and margins than the CLI's (issue 13).
        template=pio.templates["plotly"],
    )
    if title:  # no `title=None`: unchecked figures would carry the null through to the JSON
        base["title"] = dict(text=title)
    return _merged(base, extra)


def figure(traces: Sequence[go.BaseTraceType] = (), title: str = "", height: int = 480, **extra: object) -> go.Figure:
    """A figure made in one step from its traces and `layout(title, height, **extra)`.

    One construction instead of a chain of update_layout/update_xaxes calls: each update pass
    costs about 2 ms of plotly bookkeeping (a map's layout: 10 ms as updates, 1 ms as one dict).
    """
    return go.Figure(list(traces), layout=layout(title, height, **extra), **NO_CHECK)


def base_layout(fig: go.Figure, title: str = "", height: int = 480) -> go.Figure:
    """Apply the house layout to an existing figure (for figures that need plotly's helpers, e.g. subplots)."""
    fig.update_layout(layout(title, height))
    return fig


def polygon_rings(geom) -> list[np.ndarray]:
    """(n, 2) lon/lat arrays of every ring (exteriors and holes) of a (multi)polygon; [] for other geometry."""
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom] if isinstance(geom, Polygon) else []
    rings = []
    for poly in polys:
        rings.append(np.asarray(poly.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in poly.interiors)
    return rings


def polygon_xy(geom) -> tuple[list[float | None], list[float | None]]:
    """Coordinates of every ring of a (multi)polygon, separated by None, for one Scatter trace."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in polygon_rings(geom):
        xs.extend(ring[:, 0].tolist() + [None])
        ys.extend(ring[:, 1].tolist() + [None])
    return xs, ys


def outline_trace(gdf: gpd.GeoDataFrame, name: str, color: str = "#555", width: float = 1.0,
                  dash: str = "solid", showlegend: bool = True) -> go.Scatter:
    """All polygons of a layer as one line trace (cheap to draw)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for geom in gdf.geometry:
        x, y = polygon_xy(geom)
        xs += x
        ys += y
    return go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=color, width=width, dash=dash), name=name,
                      hoverinfo="skip", showlegend=showlegend, **NO_CHECK)


def filled_traces(gdf: gpd.GeoDataFrame, values: Sequence[float], hover: Sequence[str], vmin: float, vmax: float,
                  colorscale: str = SEQUENTIAL) -> list[go.Scatter]:
    """One filled trace per polygon, coloured by value on a plotly colour scale (hover shows `hover`)."""
    from plotly.colors import sample_colorscale

    traces = []
    span = (vmax - vmin) or 1.0
    fracs = [0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else (value - vmin) / span
             for value in values]
    # one call for all polygons: sampling validates the colour scale each time (~5 ms a call)
    colors = sample_colorscale(colorscale, [min(max(f, 0.0), 1.0) for f in fracs]) if fracs else []
    for geom, color, text in zip(gdf.geometry, colors, hover, strict=True):
        x, y = polygon_xy(geom)
        traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=color, line=dict(color="white", width=0.8),
                                 hoveron="fills", text=text, hoverinfo="text", showlegend=False, **NO_CHECK))
    return traces


def colorbar_trace(vmin: float, vmax: float, title: str, colorscale: str = SEQUENTIAL) -> go.Scatter:
    """An invisible marker trace that only draws the colour bar for filled polygons."""
    return go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                      marker=dict(colorscale=get_colorscale(colorscale), cmin=vmin, cmax=vmax, color=[vmin],
                                  showscale=True, colorbar=dict(title=dict(text=title), thickness=12, len=0.6)),
                      **NO_CHECK)


def label_trace(gdf: gpd.GeoDataFrame, labels: Sequence[str], size: int = 12, color: str = "#222") -> go.Scatter:
    pts = gdf.geometry.representative_point()
    return go.Scatter(x=pts.x, y=pts.y, mode="text", text=list(labels), textfont=dict(size=size, color=color),
                      hoverinfo="skip", showlegend=False, **NO_CHECK)


def map_figure(traces: Sequence[go.BaseTraceType], bounds: Sequence[float], height: int = 560, title: str = "",
               **extra: object) -> go.Figure:
    """A map on lon/lat axes with true proportions at the centre latitude; no tiles, fully offline."""
    minx, miny, maxx, maxy = bounds
    padx, pady = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    mid_lat = (miny + maxy) / 2
    axes = dict(
        xaxis=dict(range=[minx - padx, maxx + padx], visible=False),
        yaxis=dict(range=[miny - pady, maxy + pady], visible=False, scaleanchor="x",
                   scaleratio=1 / math.cos(math.radians(mid_lat))),
        dragmode="pan", hovermode="closest",
    )
    return figure(traces, title, height, **_merged(axes, extra))


def points_trace(lon, lat, name: str, color: str, symbol: str = "circle", size: float | Sequence[float] = 8,
                 hover: Sequence[str] | None = None, opacity: float = 0.9, line_color: str = "white") -> go.Scatter:
    return go.Scatter(x=list(lon), y=list(lat), mode="markers", name=name, text=list(hover) if hover is not None else None,
                      hoverinfo="text" if hover is not None else "skip",
                      marker=dict(color=color, symbol=symbol, size=size, opacity=opacity, line=dict(color=line_color, width=0.8)), **NO_CHECK)


def overview_map(districts: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame, new_areas: gpd.GeoDataFrame,
                 labels: dict[str, str], lang: str = "zh", height: int = 620) -> go.Figure:
    """Central city: real district outlines, illustrative sub-districts (streets vs towns), new areas outlined."""
    traces: list[go.BaseTraceType] = []
    for kind, color in (("town", "#EAF2E3"), ("street", "#CFE3F3")):
        part = subdistricts[subdistricts["kind"] == kind]
        if part.empty:
            continue
        hover = [f"{n}<br>{labels['legend.' + kind]}" for n in part["name"]]
        for geom, text in zip(part.geometry, hover, strict=True):
            x, y = polygon_xy(geom)
            traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=color,
                                     line=dict(color="#9DB4C8", width=0.6), hoveron="fills", text=text,
                                     hoverinfo="text", showlegend=False, **NO_CHECK))
        traces.append(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(size=12, color=color, symbol="square"),
                                 name=labels["legend." + kind], **NO_CHECK))
    from dashboard.core import mapframe  # the map frame imports this module

    bounds = districts.total_bounds
    traces += mapframe.water_traces(bounds, lang)
    traces.append(outline_trace(districts, labels["legend.district"], color="#333", width=2))
    if not new_areas.empty:
        traces.append(outline_trace(new_areas, labels["legend.new_area"], color=PALETTE[3], width=2, dash="dash"))
    traces += mapframe.scale_bar(bounds, lang)
    name_col = by_lang(lang, "name", "name_en")
    area_col = lang_column(lang, new_areas)
    street = subdistricts[subdistricts["kind"] == "street"]
    candidates = (mapframe.polygon_labels(districts, list(districts[name_col]), 16, 0)
                  + mapframe.river_labels(bounds, lang, 13, 1)
                  + mapframe.polygon_labels(new_areas, list(new_areas[area_col]) if not new_areas.empty else [], 13, 2)
                  + mapframe.polygon_labels(street, [n.replace("街道", "") for n in street["name"]], 10, 3))
    placed = mapframe.place_labels(candidates, bounds, height - 60)
    traces += mapframe.label_traces(placed, {0: ("#111", "bold"), 1: (mapframe.RIVER_LABEL, "bold"),
                                             2: (PALETTE[3], "bold"), 3: ("#37474F", "normal")})
    return map_figure(traces, bounds, height=height, annotations=mapframe.north_arrow(lang))

