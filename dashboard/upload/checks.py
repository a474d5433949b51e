"""Checks on typed values: cell normalisation, division codes, points in the city, sharper messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.data import db
from dashboard.data.schemas import Dataset, Field
from dashboard.upload.core import (
    _CODE_LEVELS,
    _LEVEL_ZH,
    _SCI_RE,
    _TEXT_INT_FLOAT_RE,
    _THOUSANDS_RE,
    MAX_PROBLEMS,
    Result,
    _problem,
    _short,
)
from dashboard.upload.datum import (
    _FROM_WGS84,
    _TO_WGS84,
    _datum_by_id,
    _metres,
    _report_datum_guess,
)
from dashboard.upload.reference import _Reference, reference

# ---------------------------------------------------------------- cell normalisation


def _normalise_cells(ds: Dataset, raw: pd.DataFrame) -> pd.DataFrame:
    """Forgive what spreadsheets do to values: full-width digits, thousands separators, zh labels, '.0' codes."""
    out = raw.copy()
    for f in ds.fields:
        if f.name not in out.columns or (f.type == "str" and not f.allowed and not f.pattern):
            continue
        values = out[f.name].tolist()
        memo = {v: _normalise_cell(f, v) for v in set(values)}  # columns repeat values: normalise each once
        out[f.name] = [memo[v] for v in values]
    return out


def _normalise_cell(f: Field, value: object) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        return text
    if f.type in ("int", "float", "bool"):
        text = unicodedata.normalize("NFKC", text).strip()
        if f.type != "bool" and _THOUSANDS_RE.match(text):
            text = re.sub("[,，]", "", text)
    if f.allowed:
        low = text.lower()
        for value_, label in zip(f.allowed, f.allowed_zh or f.allowed, strict=False):
            if low == value_.lower() or text == label:
                return value_
    if f.pattern and _TEXT_INT_FLOAT_RE.match(text):
        text = text.split(".")[0]
    return text


# ---------------------------------------------------------------- checks that need reference data


def _reference_checks(ds: Dataset, frame: pd.DataFrame, numbers: Sequence[int], result: Result, ref: _Reference) -> None:
    problems = result.problems
    fname = result.filename
    flagged = {(p.row, p.column) for p in problems}
    refs = {**{c: lvl for c, lvl in _CODE_LEVELS.items() if c in ds.columns}, **ds.references}
    for column, level in refs.items():
        known = ref.levels.get(level, frozenset())
        if column not in frame.columns:
            continue
        for i, code in enumerate(frame[column].tolist()):
            if not isinstance(code, str) or code in known or len(problems) >= MAX_PROBLEMS:
                continue
            if (numbers[i], column) in flagged:
                continue
            problems.append(_problem(fname, numbers[i], column, code, "unknown_code", level=level,
                                     level_zh=_LEVEL_ZH[level]))
    # codes that exist must agree with each other (sub-district in that district, committee in that sub-district)
    pairs = [("subdistrict_code", "district_code", ref.district_of), ("committee_code", "subdistrict_code", ref.parent)]
    if ds.name == "subdistrict_shapes":
        pairs = [("code", "district_code", ref.district_of)]
    for child, parent_col, lookup in pairs:
        if child not in frame.columns or parent_col not in frame.columns:
            continue
        for i, (c, p) in enumerate(zip(frame[child].tolist(), frame[parent_col].tolist(), strict=True)):
            if not isinstance(c, str) or not isinstance(p, str) or c not in lookup or len(problems) >= MAX_PROBLEMS:
                continue
            if (numbers[i], parent_col) in flagged or (numbers[i], child) in flagged:
                continue
            if lookup[c] and lookup[c] != p:
                problems.append(_problem(fname, numbers[i], parent_col, p, "hierarchy", child=c, parent=lookup[c]))
    if "new_area_id" in frame.columns and ref.area_ids:
        for i, a in enumerate(frame["new_area_id"].tolist()):
            if isinstance(a, str) and a not in ref.area_ids and len(problems) < MAX_PROBLEMS:
                problems.append(_problem(fname, numbers[i], "new_area_id", a, "unknown_area",
                                         allowed=", ".join(sorted(ref.area_ids))))



def _point_checks(ds: Dataset, frame: pd.DataFrame, numbers: Sequence[int], result: Result, ref: _Reference,
                  overlay: db.Overlay | None) -> None:
    import shapely

    if "lon" not in frame.columns or "lat" not in frame.columns:
        return
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(lon) & np.isfinite(lat)
    inside = np.zeros(len(lon), dtype=bool)
    inside[finite] = shapely.contains_xy(ref.city, lon[finite], lat[finite])
    swapped = np.zeros(len(lon), dtype=bool)
    swapped[finite] = shapely.contains_xy(ref.city, lat[finite], lon[finite])
    x0, y0, x1, y1 = ref.city_bounds
    box = f"{x0:.2f}–{x1:.2f}, {y0:.2f}–{y1:.2f}"
    for i in np.flatnonzero(finite & ~inside):
        if len(result.problems) >= MAX_PROBLEMS:
            break
        value = f"{lon[i]:g}, {lat[i]:g}"
        if swapped[i]:
            result.problems.append(_problem(result.filename, numbers[i], "lon", value, "swapped"))
        else:
            result.problems.append(_problem(result.filename, numbers[i], "lon", value, "outside_city", box=box))
    if swapped.any() and "swap" not in result.fixes:
        result.fixes.append("swap")
        rows = {numbers[i] for i in np.flatnonzero(finite & ~inside & swapped)}
        result.problems = [p for p in result.problems
                           if not (p.row in rows and p.column in ("lon", "lat") and p.key in ("min", "max"))]
    guess = _datum_by_id(frame, ds, overlay)
    if guess is None and "district_code" in frame.columns:
        _report_datum_guess(result, lon, lat, frame["district_code"].tolist(), ref, "lon", int(finite.sum()))
    elif guess is not None:
        kind, close, matched = guess
        dlon, dlat = (a - b for a, b in zip(_FROM_WGS84[kind](112.24, 30.32), (112.24, 30.32), strict=True))
        result.problems.append(_problem(result.filename, None, "lon", None, f"datum_{kind}_by_id", close=close,
                                        matched=matched, metres=_metres(dlon, dlat)))
        result.fixes.append(kind)


def _post_process(ds: Dataset, result: Result) -> None:
    """Sharper messages for common spreadsheet accidents (codes in scientific notation, percentages)."""
    out = []
    for p in result.problems:
        f = ds.field(p.column) if p.column in ds.columns else None
        if f and f.pattern and p.value and _SCI_RE.match(p.value):
            p = _problem(p.file, p.row, p.column, p.value, "sci_notation")
        elif f and f.share == "fraction" and p.key == "max" and p.value:
            try:
                if 1 < float(p.value) <= 100:
                    p = _problem(p.file, p.row, p.column, p.value, "share_percent")
            except ValueError:
                pass
        out.append(p)
    result.problems = out


def _finish(ds: Dataset, result: Result) -> None:
    """Sharpen messages, keep one problem per cell (the first found, which is the most specific), sort by row."""
    _post_process(ds, result)
    seen: set[tuple] = set()
    kept = []
    for p in result.problems:
        key = (p.row, p.column) if p.row is not None and p.column else (p.row, p.column, p.key, p.value)
        if key not in seen:
            seen.add(key)
            kept.append(p)
    kept.sort(key=lambda p: (p.row is None, p.key != "other_dataset", p.row or 0))
    result.problems = kept


def _optional_columns(ds: Dataset, raw: pd.DataFrame) -> pd.DataFrame:
    """Columns that may be empty may also be left out of an upload: add them, empty."""
    for f in ds.fields:
        if f.nullable and f.name not in raw.columns:
            raw[f.name] = ""
    return raw


def _apply_point_fixes(raw: pd.DataFrame, fixes: tuple[str, ...], result: Result) -> pd.DataFrame:
    if "lon" not in raw.columns or "lat" not in raw.columns or not set(fixes) & {"swap", "gcj02", "bd09"}:
        return raw
    lon = pd.to_numeric(raw["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(raw["lat"], errors="coerce").to_numpy(dtype=float)
    if "swap" in fixes:
        import shapely

        ref = reference()
        finite = np.isfinite(lon) & np.isfinite(lat)
        bad = np.zeros(len(lon), dtype=bool)
        bad[finite] = ~shapely.contains_xy(ref.city, lon[finite], lat[finite]) & shapely.contains_xy(
            ref.city, lat[finite], lon[finite])
        lon, lat = np.where(bad, lat, lon), np.where(bad, lon, lat)
        result.notes.append(("fixed_swap", {"count": int(bad.sum())}))
    for kind in ("gcj02", "bd09"):
        if kind in fixes:
            lon, lat = _TO_WGS84[kind](lon, lat)
            result.notes.append((f"fixed_{kind}", {}))
    out = raw.copy()
    for column, values in (("lon", lon), ("lat", lat)):
        out[column] = [f"{v:.6f}" if np.isfinite(v) else orig for v, orig in zip(values, raw[column].tolist(), strict=True)]
    return out




_ODD_DIGITS = re.compile(r"(?![0-9])\d|\d_|_\d")  # a non-ASCII decimal digit, or 1_000


def _digit_problems(ds: Dataset, raw: pd.DataFrame, numbers: Sequence[int], result: Result,
                    original: pd.DataFrame | None = None) -> None:
    """Numbers written with other digits (Arabic-Indic ١٢, ...) or Python's underscore (11_2.25):
    refused with their own message (float() would read both). Full-width digits are already ASCII."""
    for f in ds.fields:
        if f.type not in ("int", "float") or f.name not in raw.columns:
            continue
        for i, text in enumerate(raw[f.name].tolist()):
            if isinstance(text, str) and _ODD_DIGITS.search(text) and len(result.problems) < MAX_PROBLEMS:
                shown = original.at[i, f.name] if original is not None and f.name in original.columns else text
                result.problems.append(_problem(result.filename, numbers[i], f.name, _short(str(shown), 40), "digits"))
