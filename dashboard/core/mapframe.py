"""What every plotly map shares to be read and oriented on: water, non-colliding labels, scale bar, north arrow.

Pure functions returning plotly traces / layout pieces (no Streamlit). The water (rivers from
World Data Bank II, lakes from Natural Earth: `dashboard.data.orientation`) is drawn above the
area fills and below every outline, point and label, with a white casing so it reads on any
fill colour. Labels go through `dashboard.core.maplabels` (greedy, by priority, no overlaps at the
figure's pixel scale). The scale bar and north arrow make exported images (the brief) readable
without the app around them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

from dashboard.core import charts, maplabels
from dashboard.core.text import t, unit_label
from dashboard.data import orientation

WATER = "#3B8FC6"  # river and lake-shore blue
LAKE_FILL = "#BCDDF2"
CASING = "white"
RIVER_LABEL = "#1F5F8B"
HALO = "0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff"  # CSS text-shadow: a white halo for labels on fills
PAD = 0.03  # as charts.map_figure


def _padded(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dx, dy = (maxx - minx) * PAD, (maxy - miny) * PAD
    return minx - dx, miny - dy, maxx + dx, maxy + dy


def px_scale(bounds: Sequence[float], plot_height_px: float) -> tuple[float, float]:
    """(pixels per degree of longitude, per degree of latitude) of charts.map_figure's view.

    The map's y range (bounds plus 3 %) fills the plot height when the plot is at least as wide as
    the map's aspect needs (the pages and the brief's images are); x follows by cos(latitude).
    """
    minx, miny, maxx, maxy = _padded(bounds)
    per_lat = plot_height_px / (maxy - miny) if maxy > miny else 1.0
    return per_lat * math.cos(math.radians((miny + maxy) / 2)), per_lat


def anchor(geom):
    """A label's anchor in a polygon: the visual centre (pole of inaccessibility) of its largest part.

    Cached by the geometry's WKB (the same layers are labelled on every rerun; polylabel is ~2 ms
    a polygon, the WKB key ~0.02 ms)."""
    return _anchor(shapely.to_wkb(geom)) if geom is not None else None


@lru_cache(maxsize=1024)
def _anchor(wkb: bytes):
    geom = shapely.from_wkb(wkb)
    parts = [geom] if isinstance(geom, Polygon) else list(geom.geoms) if isinstance(geom, MultiPolygon) else []
    part = max(parts, key=lambda p: p.area, default=None)
    if part is None or part.is_empty:
        return geom.representative_point()
    minx, miny, maxx, maxy = part.bounds
    return polylabel(part, tolerance=max(maxx - minx, maxy - miny) / 200 or 1e-6)


def place_labels(candidates: Sequence[maplabels.Label], bounds: Sequence[float], plot_height_px: float
                 ) -> list[maplabels.Placed]:
    """The `candidates` that fit without overlapping at this map's pixel scale (see px_scale)."""
    px_x, px_y = px_scale(bounds, plot_height_px)
    return maplabels.place(candidates, px_x, px_y)


def polygon_labels(gdf: gpd.GeoDataFrame, texts: Sequence[str], size: float, priority: float) -> list[maplabels.Label]:
    labels = []
    for geom, text in zip(gdf.geometry, texts, strict=True):
        if geom is None or geom.is_empty or not str(text).strip():
            continue
        p = anchor(geom)
        labels.append(maplabels.Label(str(text), float(p.x), float(p.y), size, priority))
    return labels


def river_labels(bounds: Sequence[float], lang: str, size: float = 13, priority: float = 0.5) -> list[maplabels.Label]:
    """One label per named river in the view, on its longest visible run."""
    out = []
    for feature, lines in orientation.rivers_in(tuple(float(b) for b in bounds)):
        if not feature.name:
            continue
        at = orientation.label_point(lines, bounds)
        if at is not None:
            out.append(maplabels.Label(orientation.label(feature, lang), at[0], at[1], size, priority))
    return out


def water_traces(bounds: Sequence[float], lang: str) -> list[go.Scatter]:
    """Lakes (filled) and rivers (named ones wider), each with a white casing; one legend entry."""
    box = tuple(float(b) for b in bounds)
    traces: list[go.Scatter] = []
    for feature, geom in orientation.lakes_in(box):
        x, y = charts.polygon_xy(geom)
        if x:
            traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=LAKE_FILL,
                                     line=dict(color=WATER, width=0.8), hoverinfo="text",
                                     text=orientation.label(feature, lang) or t("maps.lake", lang),
                                     hoveron="fills", showlegend=False, **charts.NO_CHECK))
    rivers = orientation.rivers_in(box)
    for named in (False, True):  # minor rivers first, the Yangtze on top
        xs: list[float | None] = []
        ys: list[float | None] = []
        for feature, lines in rivers:
            if bool(feature.name) != named:
                continue
            for line in lines:
                xs += line[:, 0].tolist() + [None]
                ys += line[:, 1].tolist() + [None]
        if not xs:
            continue
        width = 3.2 if named else 1.3
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=CASING, width=width + 2.4),
                                 hoverinfo="skip", showlegend=False, **charts.NO_CHECK))
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=WATER, width=width),
                                 hoverinfo="skip", name=t("maps.water", lang), legendgroup="water",
                                 showlegend=named, **charts.NO_CHECK))
    return traces


def label_traces(placed: Sequence[maplabels.Placed], styles: dict[float, tuple[str, str]]) -> list[go.Scatter]:
    """Text traces of placed labels, one per (size) style: `styles` maps a priority to (colour, weight)."""
    groups: dict[tuple[float, str, str], list[maplabels.Placed]] = {}
    for p in placed:
        color, weight = styles.get(p.label.priority, ("#222", "normal"))
        groups.setdefault((p.label.size, color, weight), []).append(p)
    traces = []
    for (size, color, weight), items in groups.items():
        traces.append(go.Scatter(x=[p.x for p in items], y=[p.y for p in items], mode="text",
                                 text=[p.label.text for p in items], textposition="middle center",
                                 textfont=dict(size=size, color=color, weight=weight, shadow=HALO),
                                 hoverinfo="skip", showlegend=False, **charts.NO_CHECK))
    return traces


def label_annotations(placed: Sequence[maplabels.Placed], styles: dict[float, tuple[str, str]],
                      boxed: Sequence[float] = ()) -> list[dict]:
    """Placed labels as layout annotations; those whose priority is in `boxed` get a translucent white
    box, so small names stay readable over dense markers (scatter text cannot have a background)."""
    out = []
    for p in placed:
        color, weight = styles.get(p.label.priority, ("#222", "normal"))
        note = dict(x=p.x, y=p.y, xref="x", yref="y", text=p.label.text, showarrow=False,
                    font=dict(size=p.label.size, color=color, weight=weight))
        if p.label.priority in boxed:
            note.update(bgcolor="rgba(255,255,255,0.78)", borderpad=1)
        else:
            note["font"]["shadow"] = HALO
        out.append(note)
    return out


def _nice_km(target_km: float) -> float:
    steps = [0.5, 1, 2, 5, 10, 20, 50, 100, 200]
    return max([s for s in steps if s <= target_km] or [steps[0]])


def scale_bar(bounds: Sequence[float], lang: str) -> list[go.Scatter]:
    """A scale bar (a round number of km, about a fifth of the map's width) in the lower-left corner."""
    minx, miny, maxx, maxy = _padded(bounds)
    mid_lat = (miny + maxy) / 2
    km_per_deg = 111.32 * math.cos(math.radians(mid_lat))
    km = _nice_km((maxx - minx) * km_per_deg / 5)
    length = km / km_per_deg
    x0 = minx + (maxx - minx) * 0.04
    y0 = miny + (maxy - miny) * 0.04
    tick = (maxy - miny) * 0.008
    label = f"{km:g} {unit_label('km', lang)}"
    return [
        go.Scatter(x=[x0, x0 + length], y=[y0, y0], mode="lines", line=dict(color="white", width=7),
                   hoverinfo="skip", showlegend=False, **charts.NO_CHECK),
        go.Scatter(x=[x0, x0, None, x0, x0 + length, None, x0 + length, x0 + length],
                   y=[y0 + tick, y0, None, y0, y0, None, y0, y0 + tick], mode="lines",
                   line=dict(color="#222", width=2.5), hoverinfo="skip", showlegend=False, **charts.NO_CHECK),
        go.Scatter(x=[x0 + length / 2], y=[y0 + tick], mode="text", text=[label], textposition="top center",
                   textfont=dict(size=12, color="#222", shadow=HALO), hoverinfo="skip", showlegend=False,
                   **charts.NO_CHECK),
    ]


def north_arrow(lang: str) -> list[dict]:
    """Layout annotations: an arrow pointing up and N/北 in the top-right corner (maps here are north-up)."""
    return [
        dict(x=0.985, y=0.9, xref="paper", yref="paper", ax=0, ay=34, axref="pixel", ayref="pixel", text="",
             showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2.5, arrowcolor="#222"),
        dict(x=0.985, y=0.9, xref="paper", yref="paper", text="<b>" + t("maps.north", lang) + "</b>",
             showarrow=False, yanchor="bottom", font=dict(size=13, color="#222")),
    ]


def grid_groups(lon: Sequence[float], lat: Sequence[float], cell_m: float) -> np.ndarray:
    """A group number per point: points in the same `cell_m` square (in metres, on a local
    equirectangular grid; exact enough for cells of a few hundred metres) share a number. Groups are
    numbered in order of first appearance, so the result is deterministic."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.size == 0:
        return np.zeros(0, dtype=int)
    if cell_m <= 0:
        raise ValueError(f"cell size must be positive, got {cell_m}")
    mid = math.radians(float(np.mean(lat)))
    x = lon * 111_320.0 * math.cos(mid)
    y = lat * 110_574.0
    cells = np.column_stack([np.floor(x / cell_m), np.floor(y / cell_m)]).astype(np.int64)
    _, first, inverse = np.unique(cells, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # renumber by first appearance
    return order[inverse.ravel()]
