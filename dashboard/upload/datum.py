"""GCJ-02 / BD-09 datum conversions and the heuristics that recognise shifted coordinates (docs/your-data.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.data import db
from dashboard.data.schemas import Dataset
from dashboard.upload.core import _problem
from dashboard.upload.reference import _Reference

# ---------------------------------------------------------------- datum conversions (GCJ-02, BD-09)

_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = (dlon * 180.0) / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 obfuscation (as used by Amap/Tencent) of WGS84 points inside China."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `wgs84_to_gcj02` by fixed-point iteration (better than 1 m after 3 steps)."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(4):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (tlon - glon), wlat - (tlat - glat)
    return wlon, wlat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * np.pi * 3000.0 / 180.0)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * np.pi * 3000.0 / 180.0)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(lon, dtype=float) - 0.0065, np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * np.pi * 3000.0 / 180.0)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * np.pi * 3000.0 / 180.0)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _metres(dlon: float, dlat: float, lat: float = 30.3) -> int:
    return int(round(math.hypot(dlon * 111_320 * math.cos(math.radians(lat)), dlat * 110_570)))


def _report_datum_guess(result, xs, ys, districts, ref, column: str, n: int) -> None:
    """If the points look shifted by GCJ-02 or BD-09, add that problem (and offer the fix)."""
    guess = _datum_guess(xs, ys, districts, ref)
    if not guess:
        return
    kind, fixed, misplaced = guess
    dlon, dlat = (a - b for a, b in zip(_FROM_WGS84[kind](112.24, 30.32), (112.24, 30.32), strict=True))
    result.problems.append(_problem(result.filename, None, column, None, f"datum_{kind}", fixed=fixed,
                                    misplaced=misplaced, n=n, metres=_metres(dlon, dlat)))
    result.fixes.append(kind)


def _datum_guess(lon: np.ndarray, lat: np.ndarray, districts: Sequence[object], ref: _Reference) -> tuple[str, int, int] | None:
    """('gcj02'|'bd09', points it would put back in their district, points misplaced) or None."""
    import shapely

    codes = [str(d) if d is not None and not pd.isna(d) else "" for d in districts]
    keep = np.array([c in ref.districts for c in codes]) & np.isfinite(lon) & np.isfinite(lat)
    if keep.sum() < 3:
        return None
    lon, lat = lon[keep], lat[keep]
    codes = [c for c, k in zip(codes, keep, strict=True) if k]

    def inside(x: np.ndarray, y: np.ndarray) -> int:
        hits = 0
        for code in set(codes):
            sel = np.array([c == code for c in codes])
            hits += int(shapely.contains_xy(ref.districts[code], x[sel], y[sel]).sum())
        return hits

    base = inside(lon, lat)
    misplaced = len(lon) - base
    if misplaced < 3:
        return None
    gains = {kind: inside(*fn(lon, lat)) - base for kind, fn in _TO_WGS84.items()}
    kind = max(gains, key=gains.get)
    if gains[kind] >= max(3, 0.5 * misplaced):
        return kind, gains[kind], misplaced
    return None


def _datum_by_id(frame: pd.DataFrame, ds: Dataset, overlay: db.Overlay | None) -> tuple[str, int, int] | None:
    """('gcj02'|'bd09', rows at that offset, rows matched) comparing rows that share an id with the current data."""
    if not ds.key or "lon" not in frame.columns:
        return None
    try:
        current = db.frames(overlay)[ds.name]
    except Exception:  # shipped data not loadable: this heuristic is optional
        return None
    key = ds.key[0]
    merged = frame[[key, "lon", "lat"]].dropna().merge(current[[key, "lon", "lat"]].dropna(), on=key, suffixes=("", "_ref"))
    if len(merged) < 3:
        return None
    rlon, rlat = merged["lon_ref"].to_numpy(float), merged["lat_ref"].to_numpy(float)
    ulon, ulat = merged["lon"].to_numpy(float), merged["lat"].to_numpy(float)
    for kind, fn in _FROM_WGS84.items():
        elon, elat = fn(rlon, rlat)
        close = (np.abs(ulon - elon) < 0.0008) & (np.abs(ulat - elat) < 0.0008)
        if close.sum() >= max(3, 0.8 * len(merged)):
            return kind, int(close.sum()), len(merged)
    return None


