"""Orientation layers (real rivers and lakes) for the maps: loaded once, clipped per view. Pure, no Streamlit.

`geodata/rivers.geojson` (World Data Bank II) and `geodata/lakes.geojson` (Natural Earth) are
built by `scripts/build_orientation.py`; geodata/README.md gives source, licence and accuracy.
They are drawn under the data for orientation only; nothing is computed from them. A missing
file gives empty layers (maps then draw without water), never an error.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely

from dashboard import data_root

FILES = {"rivers": "geodata/rivers.geojson", "lakes": "geodata/lakes.geojson"}
SOURCE_IDS = ("wdb2_rivers", "natural_earth_lakes")


class Feature(NamedTuple):
    name: str
    name_en: str
    geometry: shapely.Geometry


@cache
def _read(path: str, mtime_ns: int) -> tuple[Feature, ...]:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    out = []
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        geom = shapely.geometry.shape(feature["geometry"])
        out.append(Feature(str(props.get("name") or ""), str(props.get("name_en") or ""), geom))
    return tuple(out)


def layer(name: str) -> tuple[Feature, ...]:
    """The features of 'rivers' or 'lakes' (WGS84); cached until the file changes; () if it is missing."""
    path = Path(data_root()) / FILES[name]
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _read(str(path), mtime)


def label(feature: Feature, lang: str) -> str:
    from dashboard.core.text import by_lang

    return by_lang(lang, feature.name, feature.name_en or feature.name)


def _box(bounds, pad: float) -> shapely.Geometry:
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dx, dy = (maxx - minx) * pad, (maxy - miny) * pad
    return shapely.box(minx - dx, miny - dy, maxx + dx, maxy + dy)


def _lines(geom) -> list[np.ndarray]:
    """(n, 2) lon/lat arrays of every line part of a clipped geometry."""
    parts = getattr(geom, "geoms", [geom])
    return [np.asarray(g.coords) for g in parts if g.geom_type == "LineString" and not g.is_empty]


@lru_cache(maxsize=16)
def rivers_in(bounds: tuple[float, float, float, float], pad: float = 0.5
              ) -> tuple[tuple[Feature, tuple[np.ndarray, ...]], ...]:
    """Rivers clipped to `bounds` widened by `pad` × its size on each side: (feature, line arrays) pairs.

    Named rivers come first (they are drawn wider). Cached per view (a map's bounds are fixed).
    """
    box = _box(bounds, pad)
    out = []
    for feature in layer("rivers"):
        if not feature.geometry.intersects(box):
            continue
        lines = _lines(feature.geometry.intersection(box))
        if lines:
            out.append((feature, tuple(lines)))
    out.sort(key=lambda item: item[0].name == "")
    return tuple(out)


@lru_cache(maxsize=16)
def lakes_in(bounds: tuple[float, float, float, float], pad: float = 0.5) -> tuple[tuple[Feature, shapely.Geometry], ...]:
    """Lakes clipped to the widened `bounds`: (feature, polygon geometry) pairs."""
    box = _box(bounds, pad)
    return tuple((f, f.geometry.intersection(box)) for f in layer("lakes") if f.geometry.intersects(box))


def label_point(lines: tuple[np.ndarray, ...], bounds, inset: float = 0.12) -> tuple[float, float, float] | None:
    """Where a river's name goes inside `bounds` (inset by `inset` × size): the middle vertex of its
    longest run inside the view, with the run's direction there (degrees, -90..90, for rotated text)."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dx, dy = (maxx - minx) * inset, (maxy - miny) * inset
    best: np.ndarray | None = None
    for line in lines:
        inside = ((line[:, 0] > minx + dx) & (line[:, 0] < maxx - dx)
                  & (line[:, 1] > miny + dy) & (line[:, 1] < maxy - dy))
        # runs of consecutive inside vertices
        edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            run = line[start:stop]
            if best is None or len(run) > len(best):
                best = run
    if best is None or len(best) < 2:
        return None
    mid = len(best) // 2
    a, b = best[max(mid - 2, 0)], best[min(mid + 2, len(best) - 1)]
    kx = np.cos(np.radians((miny + maxy) / 2))
    angle = float(np.degrees(np.arctan2(b[1] - a[1], (b[0] - a[0]) * kx)))
    if angle > 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    return float(best[mid][0]), float(best[mid][1]), angle
