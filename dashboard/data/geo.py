"""Geodata: load the shipped (or uploaded) layers, project to metres, join attributes by division code.

Files are WGS84 lon/lat; distances and areas are computed in the city's metric CRS (data/city.toml
`map.metric_crs`: the UTM zone covering the city, under 0.1% scale error across a prefecture).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from dashboard import data_root
from dashboard.data import city
from dashboard.data.schemas import DATASETS

WGS84 = "EPSG:4326"


def metric_crs() -> str:
    """The metric CRS of the data folder's city (data/city.toml `map.metric_crs`, its UTM zone)."""
    return city.current().metric_crs


def central_city() -> tuple[str, ...]:
    """The central city's county-level codes (data/city.toml `central_city.districts`)."""
    return city.current().central_districts

_LAYERS = {"districts": "district_shapes", "subdistricts": "subdistrict_shapes", "new_areas": "new_area_shapes"}


# GeoJSON "crs" members that mean WGS84 lon/lat (RFC 7946's default; the shipped files name CRS84).
_LONLAT_CRS_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84"}


def _read_geojson_lonlat(path: str) -> gpd.GeoDataFrame | None:
    """A lon/lat GeoJSON FeatureCollection read with `json` and shapely, or None if it needs GDAL.

    `geopandas.read_file` imports pyogrio and GDAL on first use (0.03 s measured with the libraries
    in the page cache, ~0.2 s in a profiled server start) just to read three small files. This reader gives the same frame (columns in file order, text columns as
    pandas' default string dtype, geometries, CRS EPSG:4326) for the files we ship: a
    FeatureCollection whose crs member is absent or CRS84, every feature with a geometry, the same
    text properties in the same order and no feature id. Anything else returns None and goes
    through `geopandas.read_file` as before (tests/data/test_geodata.py checks the two agree).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return None
    crs = doc.get("crs")
    if crs is not None and (not isinstance(crs, dict) or crs.get("type") != "name"
                            or not isinstance(crs.get("properties"), dict)
                            or crs["properties"].get("name") not in _LONLAT_CRS_NAMES):
        return None
    features = doc.get("features")
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) for f in features):
        return None
    columns = list(features[0].get("properties") or {})
    if not columns or "geometry" in columns:
        return None
    for feature in features:
        props = feature.get("properties")
        if (feature.get("type") != "Feature" or "id" in feature or not isinstance(props, dict)
                or not isinstance(feature.get("geometry"), dict)
                or list(props) != columns or not all(isinstance(v, str) for v in props.values())):
            return None
    try:
        gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    except Exception:  # a geometry shapely cannot read: let GDAL say what is wrong
        return None
    return gdf[[*columns, "geometry"]]


@cache
def _read_layer(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    gdf = _read_geojson_lonlat(path) if path.endswith((".geojson", ".json")) else None
    if gdf is not None:
        return _flat(gdf)
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(WGS84)
    return _flat(gdf)


def _flat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Layers are 2D: a Z coordinate (elevation) is dropped, as for uploads (`check` notes it)."""
    if len(gdf) and bool(gdf.has_z.any()):
        import shapely

        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values), crs=gdf.crs)
    return gdf


def layer(name: str, overlay: Mapping[str, pd.DataFrame] | None = None) -> gpd.GeoDataFrame:
    """A layer by short name ('districts', 'subdistricts', 'new_areas'), WGS84; cached until the file changes.

    With a session `overlay` (dashboard.data.db.Overlay) that replaces the layer's dataset (e.g. an
    uploaded `subdistrict_shapes` GeoDataFrame), that session's layer is returned instead.
    """
    dataset = _LAYERS[name]
    if overlay is not None and dataset in overlay and isinstance(overlay[dataset], gpd.GeoDataFrame):
        return overlay[dataset].copy()
    path = data_root() / DATASETS[dataset].file
    gdf = _read_layer(str(path), path.stat().st_mtime_ns).copy()
    if gdf.empty:  # no features yet (a new city's empty layer): the dataset's columns, no rows
        cols = DATASETS[dataset].columns
        gdf = gpd.GeoDataFrame({c: pd.Series(dtype="string") for c in cols}, geometry=gpd.GeoSeries([], crs=WGS84))
    return gdf


def central_city_districts() -> gpd.GeoDataFrame:
    d = layer("districts")
    return d[d["code"].isin(central_city())].reset_index(drop=True)


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_metric(lon: np.ndarray | pd.Series, lat: np.ndarray | pd.Series) -> np.ndarray:
    """(n, 2) array of x/y metres in the city's metric CRS for WGS84 lon/lat arrays."""
    x, y = _transformer(WGS84, metric_crs()).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def metric_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _transformer(metric_crs(), WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def points_gdf(frame: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> gpd.GeoDataFrame:
    """A point GeoDataFrame (WGS84) from a frame with lon/lat columns."""
    return gpd.GeoDataFrame(frame.copy(), geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs=WGS84)


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    return gdf.to_crs(metric_crs()).area / 1e6
