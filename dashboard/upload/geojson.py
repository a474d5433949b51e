"""GeoJSON layers: bounded parsing, CRS, geometry validity and repairs, the layer inside the city."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

from dashboard.data import load
from dashboard.data.schemas import Dataset
from dashboard.upload.checks import _finish, _normalise_cells, _optional_columns, _reference_checks
from dashboard.upload.core import (
    CGCS2000_NAMES,
    MAX_FEATURES,
    MAX_JSON_DEPTH,
    MAX_PROBLEMS,
    MAX_VERTICES,
    WGS84_NAMES,
    Result,
    _problem,
    _Refuse,
    _short,
)
from dashboard.upload.datum import _TO_WGS84, _report_datum_guess
from dashboard.upload.headers import map_headers
from dashboard.upload.readers import _cell_text
from dashboard.upload.reference import reference
from dashboard.upload.sniff import _decode

# ---------------------------------------------------------------- GeoJSON


def _json_depth_and_vertices(doc: object) -> tuple[int, int]:
    """Maximum nesting depth and number of coordinate pairs, without recursion."""
    depth, vertices = 0, 0
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        node, d = stack.pop()
        depth = max(depth, d)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            if len(node) >= 2 and all(isinstance(v, int | float) for v in node[:2]):
                vertices += 1
                continue
            stack.extend((v, d + 1) for v in node if isinstance(v, dict | list))
    return depth, vertices


def _crs_name(doc: dict) -> tuple[str | None, str | None]:
    """(declared CRS name or None, the member as text when it has the wrong shape, else None)."""
    crs = doc.get("crs")
    if crs is None:
        return None, None
    if isinstance(crs, str):
        return crs, None
    shown = _short(json.dumps(crs, ensure_ascii=False)[:80], 60)
    if not isinstance(crs, dict):
        return None, shown
    props = crs.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return None, shown
    name = props.get("name") or props.get("href") or crs.get("type")
    if name is not None and not isinstance(name, str):
        return None, shown
    return (name or None), None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_int(text: str) -> int | float:
    """A JSON integer; one of thousands of digits becomes float (inf) instead of raising in int()."""
    return int(text) if len(text) <= 18 else float(text)


def coords_check(geom: object) -> tuple[str | None, bool]:
    """(problem key or None, has a Z coordinate) of a GeoJSON geometry's coordinates, without recursion:
    'coords_not_finite' for Infinity/NaN/1e400 (or beyond ±1e9), 'coords_shape' for a position with
    fewer than two numbers. Used for uploads and for the shipped layers (`python -m dashboard check`)."""
    if not isinstance(geom, dict):
        return None, False
    stack: list[object] = [geom.get("coordinates")]
    stack.extend(g.get("coordinates") for g in geom.get("geometries") or [] if isinstance(g, dict))
    has_z = False
    while stack:
        node = stack.pop()
        if not isinstance(node, list) or not node:
            continue
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in node):
            if len(node) < 2:
                return "coords_shape", has_z
            if not all(math.isfinite(v) and abs(v) < 1e9 for v in node):
                return "coords_not_finite", has_z
            has_z = has_z or len(node) > 2
            continue
        stack.extend(node)
    return None, has_z


def _validate_geojson(data: bytes, ds: Dataset, result: Result, fixes: tuple[str, ...]) -> None:
    import geopandas as gpd
    import shapely
    from shapely.geometry import shape

    result.fmt = "geojson"
    text, result.encoding = _decode(data)
    try:
        doc = json.loads(text, parse_int=_json_int, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise _Refuse("not_json", line=exc.lineno, col=exc.colno, reason=exc.msg) from None
    del text
    depth, vertices = _json_depth_and_vertices(doc)
    if depth > MAX_JSON_DEPTH:
        raise _Refuse("too_deep", limit=MAX_JSON_DEPTH)
    if vertices > MAX_VERTICES:
        raise _Refuse("too_many_vertices", count=f"{vertices:,}", limit=f"{MAX_VERTICES:,}")
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise _Refuse("not_feature_collection", got=_short(doc.get("type") if isinstance(doc, dict) else type(doc).__name__, 30))
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    if not isinstance(features, list):
        raise _Refuse("not_feature_collection", got="features")
    if not features:
        raise _Refuse("no_features")
    if len(features) > MAX_FEATURES:
        raise _Refuse("too_many_features", count=f"{len(features):,}", limit=f"{MAX_FEATURES:,}")

    crs, malformed = _crs_name(doc)
    if malformed:
        result.problems.append(_problem(result.filename, None, "geometry", malformed, "crs_malformed", got=malformed))
    source_crs = None
    if crs and not any(crs.upper().endswith(n.upper()) or crs.upper() == n.upper() for n in WGS84_NAMES):
        if any(crs.upper().endswith(n.upper()) for n in CGCS2000_NAMES):
            result.notes.append(("cgcs2000", {}))
        else:
            source_crs = crs
            if "reproject" in fixes and _known_crs(crs):
                result.notes.append(("fixed_reproject", {"crs": crs}))
            else:
                result.problems.append(_problem(result.filename, None, "geometry", crs, "crs"))
                if _known_crs(crs):
                    result.fixes.append("reproject")
                source_crs = None

    rows: list[dict] = []
    geoms: list[object] = []
    dropped_z = 0
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            result.problems.append(_problem(result.filename, i, "geometry", _short(feat, 40), "not_feature"))
            rows.append({})
            geoms.append(None)
            continue
        props = feat.get("properties")
        row = {str(k): _cell_text(v) for k, v in props.items()} if isinstance(props, dict) else {}
        if any(_LONE_SURROGATE.search(k + v) for k, v in row.items()):  # "\udc92" escapes: not text
            shown = next(f"{k}: {v}" for k, v in row.items() if _LONE_SURROGATE.search(k + v))
            result.problems.append(_problem(result.filename, i, None, _short(_LONE_SURROGATE.sub("?", shown), 40),
                                            "lone_surrogate"))
            row = {_LONE_SURROGATE.sub("?", k): _LONE_SURROGATE.sub("?", v) for k, v in row.items()}
        rows.append(row)
        geom = feat.get("geometry")
        bad, has_z = coords_check(geom)
        if bad:
            result.problems.append(_problem(result.filename, i, "geometry", _short(json.dumps(geom)[:60], 40), bad))
            geoms.append(None)
            continue
        try:
            g = shape(geom) if geom else None
        except Exception as exc:  # shapely raises several types for malformed coordinates
            result.problems.append(_problem(result.filename, i, "geometry", _short(json.dumps(geom)[:60], 40),
                                            "geometry_malformed", reason=_short(str(exc), 80)))
            g = None
        if g is not None and has_z:
            g = shapely.force_2d(g)  # maps and areas are 2D: the elevation is dropped, with a note
            dropped_z += 1
        geoms.append(g)
    if dropped_z:
        result.notes.append(("dropped_z", {"count": dropped_z}))

    gs = gpd.GeoSeries(geoms, crs=source_crs or "EPSG:4326")
    if source_crs:
        gs = gs.to_crs("EPSG:4326")
    for kind in ("gcj02", "bd09"):
        if kind in fixes:
            gs = gpd.GeoSeries(shapely.transform(gs.values, lambda xy, k=kind: np.column_stack(_TO_WGS84[k](xy[:, 0], xy[:, 1]))),
                               crs="EPSG:4326")
            result.notes.append((f"fixed_{kind}", {}))
    if "swap" in fixes:
        gs = gpd.GeoSeries(shapely.transform(gs.values, lambda xy: xy[:, ::-1]), crs="EPSG:4326")
        result.notes.append(("fixed_swap", {"count": len(gs)}))

    repaired = 0
    out_geoms = list(gs.values)
    for i, g in enumerate(out_geoms, start=1):
        if g is None:
            if not any(p.row == i and p.column == "geometry" for p in result.problems):
                result.problems.append(_problem(result.filename, i, "geometry", "null", "geometry_missing"))
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            result.problems.append(_problem(result.filename, i, "geometry", g.geom_type, "geometry_type"))
            continue
        if g.is_empty:
            result.problems.append(_problem(result.filename, i, "geometry", "empty", "geometry_empty"))
            continue
        if not g.is_valid:
            if "make_valid" in fixes:
                fixed = _polygonal(shapely.make_valid(g))
                if fixed is not None and fixed.is_valid and not fixed.is_empty:
                    out_geoms[i - 1] = fixed
                    repaired += 1
                    continue
            result.problems.append(_problem(result.filename, i, "geometry", _short(g.wkt, 40), "geometry_invalid",
                                            reason=shapely.is_valid_reason(g)))
            if "make_valid" not in result.fixes:
                result.fixes.append("make_valid")
    if repaired:
        result.notes.append(("fixed_make_valid", {"count": repaired}))

    b = gs.total_bounds if len(gs.dropna()) else np.array([np.nan] * 4)
    declared = any(p.key == "crs" for p in result.problems)
    if (not declared and np.all(np.isfinite(b)) and (np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90)
            and not shapely.box(b[1], b[0], b[3], b[2]).intersects(reference().city)):
        # (lat, lon) order puts latitude ~112 beyond 90: reported per feature as swapped, with the repair
        result.problems.append(_problem(result.filename, None, "geometry", f"{b[0]:.0f}, {b[1]:.0f}", "projected_coords"))

    raw = pd.DataFrame(rows, dtype=object)
    mapping, unknown, dupes = map_headers(ds, list(raw.columns))
    for col, hs in dupes.items():
        result.problems.append(_problem(result.filename, None, col, " / ".join(hs), "duplicate_column"))
    if unknown:
        result.notes.append(("ignored_columns", {"columns": ", ".join(_short(u, 30) for u in unknown[:20])}))
    renamed = {raw.columns[i]: col for i, col in mapping.items()}
    for original, col in renamed.items():
        result.headers[col] = original
    raw = raw[list(renamed)].rename(columns=renamed) if renamed else pd.DataFrame(index=raw.index)
    numbers = list(range(1, len(features) + 1))
    _check_table_geo(ds, raw, numbers, result, out_geoms)


def _known_crs(name: str) -> bool:
    from pyproj import CRS

    try:
        CRS.from_user_input(name)
        return True
    except Exception:
        return False


def _polygonal(g):
    import shapely
    from shapely.geometry import MultiPolygon

    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else None)


def _check_table_geo(ds: Dataset, raw: pd.DataFrame, numbers: list[int], result: Result, geoms: list) -> None:
    import geopandas as gpd
    import shapely

    if "source_id" in raw.columns and raw["source_id"].astype(str).str.strip().ne("").any():
        result.notes.append(("source_replaced", {}))
    raw = _normalise_cells(ds, raw)
    raw["source_id"] = "upload"
    raw = _optional_columns(ds, raw)
    frame, found = load.parse_frame(ds, raw, result.filename, row_offset=1, max_problems=MAX_PROBLEMS)
    result.problems.extend(found)
    if any(p.key == "missing_column" for p in found):
        result.frame = None
        _finish(ds, result)
        return
    ref = reference()
    _reference_checks(ds, frame, numbers, result, ref)
    # geometry in the city, and not in another datum or swapped
    points = [g.representative_point() if g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
              else None for g in geoms]
    xs = np.array([p.x if p is not None else np.nan for p in points])
    ys = np.array([p.y if p is not None else np.nan for p in points])
    if not any(p.key in ("projected_coords", "crs") for p in result.problems):
        finite = np.isfinite(xs)
        for i in np.flatnonzero(finite):
            g = geoms[i]
            if g.intersects(ref.city):
                continue
            swapped = shapely.transform(g, lambda xy: xy[:, ::-1])
            key = "swapped_layer" if swapped.intersects(ref.city) else "outside_city"
            x0, y0, x1, y1 = ref.city_bounds
            result.problems.append(_problem(result.filename, numbers[i], "geometry", f"{xs[i]:.4f}, {ys[i]:.4f}", key,
                                            box=f"{x0:.2f}–{x1:.2f}, {y0:.2f}–{y1:.2f}"))
            if key == "swapped_layer" and "swap" not in result.fixes:
                result.fixes.append("swap")
        if not _datum_by_outline(ds, frame, geoms, result) and "district_code" in frame.columns:
            _report_datum_guess(result, xs, ys, frame["district_code"].tolist(), ref, "geometry", int(finite.sum()))
    _finish(ds, result)
    result.frame = gpd.GeoDataFrame(frame[ds.columns], geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").values, crs="EPSG:4326")


def _datum_by_outline(ds: Dataset, frame: pd.DataFrame, geoms: list, result: Result) -> bool:
    """Compare each feature with the shipped outline of the same code: if at least 80 % of the matches
    (at least one) are moved by exactly the GCJ-02 (or BD-09) offset at that place (centroids within
    ±0.0008°), the layer is flagged and the conversion offered. True when flagged."""
    from dashboard.data import geo
    from dashboard.upload.datum import _FROM_WGS84, _metres

    if ds.name != "subdistrict_shapes" or "code" not in frame.columns:
        return False
    try:
        shipped = geo.layer("subdistricts")
    except Exception:  # the shipped layer is unreadable: this heuristic is optional
        return False
    outlines = dict(zip(shipped["code"].astype(str), shipped.geometry, strict=True))
    pairs = [(g.centroid, outlines[str(c)].centroid) for c, g in zip(frame["code"].tolist(), geoms, strict=True)
             if g is not None and not g.is_empty and isinstance(c, str) and c in outlines]
    if not pairs:
        return False
    up = np.array([(a.x, a.y) for a, _ in pairs])
    ref = np.array([(b.x, b.y) for _, b in pairs])
    for kind, fn in _FROM_WGS84.items():
        ex, ey = fn(ref[:, 0], ref[:, 1])
        close = (np.abs(up[:, 0] - ex) < 0.0008) & (np.abs(up[:, 1] - ey) < 0.0008)
        if close.sum() >= max(1, 0.8 * len(pairs)):
            dlon, dlat = float(np.mean(ex - ref[:, 0])), float(np.mean(ey - ref[:, 1]))
            result.problems.append(_problem(result.filename, None, "geometry", None, f"datum_{kind}_by_outline",
                                            close=int(close.sum()), matched=len(pairs), metres=_metres(dlon, dlat)))
            if kind not in result.fixes:
                result.fixes.append(kind)
            return True
    return False


def repaired_geojson(result: Result) -> bytes:
    """The checked (and repaired) layer as GeoJSON in WGS84, for download."""
    import geopandas as gpd

    if not isinstance(result.frame, gpd.GeoDataFrame):
        raise ValueError("only a GeoJSON upload can be written back as GeoJSON")
    frame = result.frame.drop(columns=["source_id"])
    return frame.to_json(ensure_ascii=False, drop_id=True).encode("utf-8")


