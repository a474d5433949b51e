"""The shipped geodata and division codes: shape, provenance, validity, topology, size."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[2]
GEODATA = REPO / "geodata"
METRIC = "EPSG:32649"
CENTRAL = ("421002", "421003", "421071")
COUNTY_CODES = {"421002", "421003", "421022", "421024", "421081", "421083", "421087", "421088"}


def _read(name: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(GEODATA / name)
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326, name
    return gdf


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return _read("districts.geojson")


@pytest.fixture(scope="module")
def subdistricts() -> gpd.GeoDataFrame:
    return _read("subdistricts.geojson")


@pytest.fixture(scope="module")
def new_areas() -> gpd.GeoDataFrame:
    return _read("new_areas.geojson")


@pytest.fixture(scope="module")
def divisions() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "divisions.csv", dtype=str, keep_default_na=False)


def _total_overlap_m2(gdf: gpd.GeoDataFrame) -> float:
    geoms = list(gdf.to_crs(METRIC).geometry)
    return sum(a.intersection(b).area for a, b in itertools.combinations(geoms, 2))


def _coords_have_5_decimals(gdf: gpd.GeoDataFrame) -> bool:
    xy = shapely.get_coordinates(gdf.geometry.values)
    return bool(((xy * 1e5).round() / 1e5 == xy).all())


# ---------------------------------------------------------------- size, provenance


def test_geodata_folder_under_500_kb():
    size = sum(p.stat().st_size for p in GEODATA.iterdir() if p.is_file())
    assert size < 500_000, size


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        ("districts.geojson", "cnmaps_boundaries"),
        ("subdistricts.geojson", "demo_layer"),
        ("new_areas.geojson", "demo_layer"),
    ],
)
def test_every_feature_has_its_source_id(name, source_id):
    gdf = _read(name)
    assert (gdf["source_id"] == source_id).all()


def test_source_ids_resolve_in_sources_csv():
    sources = pd.read_csv(REPO / "data" / "sources.csv", dtype=str)
    assert {"nbs_divisions", "cnmaps_boundaries", "demo_layer"} <= set(sources["source_id"])
    kinds = dict(zip(sources["source_id"], sources["kind"], strict=True))
    assert kinds["demo_layer"] == "illustrative"


@pytest.mark.parametrize("name", ["districts.geojson", "subdistricts.geojson", "new_areas.geojson"])
def test_polygons_valid_rounded_and_described(name):
    gdf = _read(name)
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert _coords_have_5_decimals(gdf)
    assert f"## {name}" in (GEODATA / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- districts (real)


def test_districts_are_the_city_and_its_eight_county_units(districts, divisions):
    assert list(districts.columns) == ["code", "name", "name_en", "level", "source_id", "geometry"]
    assert districts.loc[districts.level == "city", "code"].tolist() == ["421000"]
    assert set(districts.loc[districts.level == "district", "code"]) == COUNTY_CODES
    names = dict(zip(divisions["code"], divisions["name"], strict=True))
    assert all(names[c] == n for c, n in zip(districts["code"], districts["name"], strict=True))
    assert districts["name_en"].str.len().gt(0).all()


def test_districts_tile_the_city_outline(districts):
    m = districts.to_crs(METRIC)
    parts = m[m.level == "district"]
    city = m[m.level == "city"].geometry.iloc[0]
    assert _total_overlap_m2(districts[districts.level == "district"]) < 1_000
    assert abs(parts.union_all().area - city.area) / city.area < 1e-4
    assert 13_500e6 < city.area < 14_600e6  # 荆州市 is about 14,000 km²


def test_districts_are_in_the_right_place(districts):
    def has(code, lon, lat):
        return districts[districts.code == code].geometry.iloc[0].contains(shapely.Point(lon, lat))

    assert has("421002", 112.255, 30.316)  # 沙市 city centre
    assert has("421003", 112.19, 30.35)  # 荆州古城
    assert has("421003", 112.18, 30.45)  # 纪南城


# ---------------------------------------------------------------- divisions (real)


def test_division_counts(divisions):
    counts = divisions["level"].value_counts().to_dict()
    assert counts == {"city": 1, "district": 9, "subdistrict": 27, "committee": 321}
    assert "421071" in set(divisions.loc[divisions.level == "district", "code"])


def test_division_codes_are_text_and_nested(divisions):
    lengths = {"city": 6, "district": 6, "subdistrict": 9, "committee": 12}
    assert (divisions["code"].str.len() == divisions["level"].map(lengths)).all()
    assert divisions["code"].str.fullmatch(r"\d+").all()
    assert divisions["code"].is_unique
    codes = set(divisions["code"])
    below = divisions[divisions.level != "city"]
    assert below["parent_code"].isin(codes).all()
    nested = divisions[divisions.level.isin(["subdistrict", "committee"])]
    assert nested.apply(lambda r: r["code"].startswith(r["parent_code"]), axis=1).all()
    assert (below[below.level == "district"]["parent_code"] == "421000").all()
    sub = divisions[divisions.level.isin(["subdistrict", "committee"])]
    assert sub["district_code"].isin(CENTRAL).all()
    assert (sub["code"].str[:6] == sub["district_code"]).all()
    allowed = {"", "111", "112", "121", "122", "123", "210", "220"}
    assert divisions["urban_rural_code"].isin(allowed).all()
    assert (divisions["source_id"] == "nbs_divisions").all()


# ---------------------------------------------------------------- sub-districts (illustrative)


def test_subdistricts_match_divisions(subdistricts, divisions):
    assert list(subdistricts.columns) == [
        "code",
        "name",
        "district_code",
        "kind",
        "source_id",
        "geometry",
    ]
    subs = divisions[divisions.level == "subdistrict"]
    assert sorted(subdistricts["code"]) == sorted(subs["code"])
    names = dict(zip(subs["code"], subs["name"], strict=True))
    assert all(
        names[c] == n for c, n in zip(subdistricts["code"], subdistricts["name"], strict=True)
    )
    assert (subdistricts["code"].str[:6] == subdistricts["district_code"]).all()
    expected_kind = subdistricts["name"].str.endswith("街道").map({True: "street", False: "town"})
    assert (subdistricts["kind"] == expected_kind).all()


def test_subdistricts_do_not_overlap(subdistricts):
    assert _total_overlap_m2(subdistricts) < 1_000  # m², i.e. nothing visible


@pytest.mark.parametrize(
    ("district", "members"), [("421002", ("421002", "421071")), ("421003", ("421003",))]
)
def test_subdistricts_partition_the_real_district(subdistricts, districts, district, members):
    m = subdistricts.to_crs(METRIC)
    union = m[m.district_code.isin(members)].union_all()
    real = districts.to_crs(METRIC).set_index("code").geometry[district]
    assert union.symmetric_difference(real).area / real.area < 0.002


def test_streets_are_small_and_central_towns_large(subdistricts):
    m = subdistricts.to_crs(METRIC)
    area = m.area / 1e6
    assert area[m.kind == "street"].median() < area[m.kind == "town"].median() / 3
    centre = shapely.Point(112.255, 30.316)
    shashi = subdistricts[subdistricts.district_code == "421002"]
    containing = shashi[shashi.contains(centre)]
    assert containing["kind"].tolist() == ["street"]


# ---------------------------------------------------------------- new areas (illustrative)


def test_new_areas_ids_and_kinds(new_areas):
    assert list(new_areas.columns) == [
        "area_id",
        "name",
        "name_en",
        "kind",
        "source_id",
        "geometry",
    ]
    kinds = dict(zip(new_areas["area_id"], new_areas["kind"], strict=True))
    assert kinds == {
        "kaifaqu": "functional_zone",
        "jingbei": "new_area",
        "jinan": "functional_zone",
        "shabei": "new_area",
        "gaoxin": "functional_zone",
    }


def test_new_areas_do_not_overlap_and_lie_in_the_central_city(new_areas, districts):
    assert _total_overlap_m2(new_areas) < 1_000
    m = new_areas.to_crs(METRIC)
    central = districts.to_crs(METRIC).set_index("code").geometry[["421002", "421003"]].union_all()
    for geom in m.geometry:
        assert geom.difference(central).area < 0.01 * geom.area
        assert 5e6 < geom.area < 300e6


def test_kaifaqu_is_the_union_of_its_subdistricts(new_areas, subdistricts):
    kfq = new_areas.set_index("area_id").to_crs(METRIC).geometry["kaifaqu"]
    subs = subdistricts[subdistricts.district_code == "421071"].to_crs(METRIC).union_all()
    assert kfq.symmetric_difference(subs).area < 0.001 * subs.area


def test_new_areas_are_where_the_report_puts_them(new_areas):
    c = new_areas.set_index("area_id").geometry.to_crs(METRIC).centroid.to_crs(4326)
    assert c["jingbei"].y > 30.36 and abs(c["jingbei"].x - 112.19) < 0.06  # north of 荆州古城
    assert c["shabei"].y > 30.33 and abs(c["shabei"].x - 112.26) < 0.06  # north of 沙市
    assert c["kaifaqu"].x > 112.28  # east of 沙市
    assert c["jinan"].distance(shapely.Point(112.18, 30.45)) < 0.03  # 纪南城


# ---------------------------------------------------------------- dashboard.data.geo's reader


@pytest.mark.parametrize("name", ["districts", "subdistricts", "new_areas"])
def test_layer_reader_matches_geopandas_read_file(name):
    """The json + shapely reader gives what geopandas.read_file gave: columns, dtypes, geometries, CRS."""
    from dashboard.data import geo

    path = GEODATA / f"{name}.geojson"
    fast = geo._read_geojson_lonlat(str(path))
    assert fast is not None, "the shipped files take the fast path"
    want = gpd.read_file(path)
    pd.testing.assert_frame_equal(fast, want, check_exact=True)
    assert list(fast.dtypes) == list(want.dtypes)
    assert fast.crs == want.crs and fast.crs.to_epsg() == 4326
    assert fast.geometry.name == want.geometry.name
    assert (fast.geometry.to_wkb() == want.geometry.to_wkb()).all()
    layer = geo.layer(name)
    pd.testing.assert_frame_equal(layer, want, check_exact=True)


def _write_geojson(path: Path, features: list[dict], crs: dict | None = None) -> str:
    import json

    doc = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = crs
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


_SQUARE = {"type": "Polygon", "coordinates": [[[112.0, 30.0], [112.1, 30.0], [112.1, 30.1], [112.0, 30.1], [112.0, 30.0]]]}


@pytest.mark.parametrize("case", ["no_crs", "crs84"])
def test_layer_reader_fast_path_assumes_wgs84(tmp_path, case):
    from dashboard.data import geo

    crs = None if case == "no_crs" else {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path = _write_geojson(tmp_path / "a.geojson", [
        {"type": "Feature", "properties": {"code": "1", "name": "甲"}, "geometry": _SQUARE},
        {"type": "Feature", "properties": {"code": "2", "name": "乙"}, "geometry": _SQUARE},
    ], crs)
    fast = geo._read_geojson_lonlat(path)
    assert fast is not None
    slow = gpd.read_file(path)
    if slow.crs is None:
        slow = slow.set_crs(geo.WGS84)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.crs == slow.crs
    pd.testing.assert_frame_equal(geo._read_layer(path, 1), slow, check_exact=True)


@pytest.mark.parametrize("case", ["other_crs", "numeric_property", "null_geometry", "feature_id", "ragged"])
def test_layer_reader_leaves_other_files_to_geopandas(tmp_path, case):
    """Anything but plain lon/lat text features goes through geopandas.read_file, unchanged."""
    from dashboard.data import geo

    props = [{"code": "1", "name": "甲"}, {"code": "2", "name": "乙"}]
    geoms = [_SQUARE, _SQUARE]
    extra: dict = {}
    crs = None
    if case == "other_crs":  # Web Mercator metres
        crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
        square = [[12467782.0, 3503549.0], [12478914.0, 3503549.0], [12478914.0, 3516432.0], [12467782.0, 3503549.0]]
        geoms = [{"type": "Polygon", "coordinates": [square]}] * 2
    elif case == "numeric_property":
        props = [{"code": 1, "name": "甲"}, {"code": 2, "name": "乙"}]
    elif case == "null_geometry":
        geoms = [_SQUARE, None]
    elif case == "feature_id":
        extra = {"id": "f"}
    else:
        props = [{"code": "1", "name": "甲"}, {"name": "乙", "code": "2"}]
    features = [{"type": "Feature", "properties": p, "geometry": g, **{k: f"{v}{i}" for k, v in extra.items()}}
                for i, (p, g) in enumerate(zip(props, geoms, strict=True))]
    path = _write_geojson(tmp_path / "b.geojson", features, crs)
    assert geo._read_geojson_lonlat(path) is None
    got = geo._read_layer(path, 2)
    want = gpd.read_file(path)
    want = want.set_crs(geo.WGS84) if want.crs is None else want.to_crs(geo.WGS84) if want.crs.to_epsg() != 4326 else want
    pd.testing.assert_frame_equal(got, want)
    assert got.crs.to_epsg() == 4326
