"""A seeded demonstration layer for any city's data folder (docs/demo-layer.md, "Another city"). No Streamlit.

Reads a folder `new-city` wrote (`geodata/districts.geojson`, `data/divisions.csv`, `data/city.toml`) and
writes, for the central-city districts, the same datasets scripts/make_demo_data.py writes for Jingzhou:
sub-district polygons (Voronoi cells of seeded points inside each real district polygon, one per real
街道/镇, re-noded into one coverage), communities, compounds, clinics, care facilities, community workers,
compound profiles and grids, plus the central districts' census rows the coverage and beds pages need.

Totals are either the ones the user gives (a small TOML or JSON file, `Totals.read`) or documented
rule-of-thumb densities (`GENERIC`); every row has `source_id = demo_layer`, and the folder's
`sources.csv` gets one `illustrative` row saying which of the two it is. Individual rows (a compound's size,
a clinic's place) are invented; names contain 示例. One `numpy.random.default_rng(seed)` drives every draw
in a fixed order, and files are written with fixed formatting: same folder, totals and seed → same bytes.

The Jingzhou layer (scripts/make_demo_data.py) shares the splitting rule (`apportion`, largest remainder)
and the Voronoi/coverage method, with Jingzhou's hand-placed seeds, new areas and report calibration.

The code: `demo_totals.py` (Totals, GENERIC, apportion, naming rules), `demo_geometry.py` (points in
polygons, Voronoi cells), `demo_build.py` (`build_layer`: every table in memory); this module writes
the layer into the folder (`add_demo`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from dashboard.data.demo_build import build_layer
from dashboard.data.demo_totals import SOURCE_ID, DemoError, Totals
from dashboard.data.geofiles import read_csv, write_geojson

# ---------------------------------------------------------------- writing


def _cell(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    return str(v)


def _write_csv(path: Path, rows: list[dict], columns: list[str], to_ll=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows and "x" in rows[0] and to_ll is not None:
        lon, lat = to_ll.transform(np.array([r["x"] for r in rows]), np.array([r["y"] for r in rows]))
        rows = [dict(r, lon=f"{lo:.5f}", lat=f"{la:.5f}") for r, lo, la in zip(rows, lon, lat, strict=True)]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r[c]) for c in columns])


def source_row(totals: Totals, city_name: str) -> list[str]:
    given = totals.given
    if given:
        note = (f"illustrative: calibrated to the totals you gave ({', '.join(given)}); everything else from "
                f"generic rule-of-thumb densities; individual rows are invented (seed {totals.seed})")
    else:
        note = (f"illustrative, generic, not calibrated to this city: rule-of-thumb densities "
                f"(docs/demo-layer.md); individual rows are invented (seed {totals.seed})")
    return [SOURCE_ID, "illustrative", f"演示数据层 ({city_name}; 示例, 非真实数据)", "this project (generated)", "",
            "dashboard/data/demo.py", note]


def write_layer(layer: dict, root: Path, city_name: str) -> None:
    import geopandas as gpd

    from dashboard.data.schemas import DATASETS

    subs = layer["subs"]
    gdf = gpd.GeoDataFrame([{"code": s["code"], "name": s["name"], "district_code": s["district"], "kind": s["kind"],
                             "source_id": SOURCE_ID, "geometry": layer["sub_ll"][s["code"]]}
                            for s in subs if s["code"] in layer["sub_ll"]], geometry="geometry", crs="EPSG:4326")
    write_geojson(gdf, root / "geodata" / "subdistricts.geojson", "subdistricts")
    for name, key in (("communities", "communities"), ("compounds", "compounds"), ("clinics", "clinics"),
                      ("care_facilities", "care"), ("community_workers", "workers"),
                      ("compound_profiles", "profiles"), ("grids", "grid_rows"), ("census", "census")):
        _write_csv(root / DATASETS[name].file, layer[key], DATASETS[name].columns, layer["to_ll"])
    src = root / "data" / "sources.csv"
    with src.open(encoding="utf-8", newline="") as f:
        kept = [r for r in csv.reader(f)]
    header, body = kept[0], [r for r in kept[1:] if r and r[0] != SOURCE_ID]
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
        w.writerow(source_row(layer["totals"], city_name))


LAYER_DATASETS = ("communities", "compounds", "clinics", "care_facilities", "community_workers", "compound_profiles",
                  "grids", "census", "subdistrict_shapes")


def _refuse_real_rows(root: Path) -> None:
    """Never overwrite rows someone supplied: every file the layer writes must be empty or the layer's own."""
    from dashboard.data.schemas import DATASETS

    for name in LAYER_DATASETS:
        path = root / DATASETS[name].file
        if not path.is_file():
            continue
        if DATASETS[name].geo:
            feats = json.loads(path.read_text(encoding="utf-8")).get("features", [])
            ids = {str(f.get("properties", {}).get("source_id", "")) for f in feats}
        else:
            ids = {r.get("source_id", "") for r in read_csv(path)}
        other = sorted(ids - {SOURCE_ID})
        if other:
            raise DemoError(f"{path}: holds rows of source {other[0]!r}, not the demonstration layer's; the layer "
                            "would replace them. Move the file away (or empty it) first")


def add_demo(root: Path, totals: Totals | None = None) -> str:
    """Build and write the layer into the folder; a one-line summary."""
    from dashboard.data import city as city_config

    root = Path(root)
    for need in ("data/city.toml", "data/divisions.csv", "geodata/districts.geojson", "data/sources.csv"):
        if not (root / need).is_file():
            raise DemoError(f"{root / need}: missing; run `python -m dashboard new-city CODE --out {root}` first")
    city = city_config.parse((root / "data" / "city.toml").read_text(encoding="utf-8"), root / "data" / "city.toml")
    _refuse_real_rows(root)
    layer = build_layer(root, totals)
    write_layer(layer, root, city.name_zh)
    t = layer["totals"]
    kind = "calibrated to the given totals" if t.given else "generic densities, not calibrated"
    return (f"{len(layer['sub_ll'])} sub-districts, {sum(c['residents'] for c in layer['communities'])} residents, "
            f"{sum(1 for c in layer['compounds'] if c['kind'] == 'compound')} compounds, {len(layer['clinics'])} "
            f"clinics, {len(layer['care'])} care facilities, {len(layer['workers'])} workers, "
            f"{len(layer['grid_rows'])} grids ({kind}; source_id demo_layer, kind illustrative)")
