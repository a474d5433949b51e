"""Bring your own data: read a user's file, check it against its dataset, load it for one session.

Reads CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030), XLSX (openpyxl read-only, after
the zip's entry sizes and compression ratios have been checked) and GeoJSON. Hostile files are
refused before they are parsed, with bounded memory: oversized files, zip bombs, formula cells,
XML entity declarations, thousands of columns, binary junk, deeply nested JSON. Every problem is
reported at once as (row, column, value, expected), in Chinese or English (catalog `data.problem_*`).

The checks come from `dashboard.data.schemas` (types, required, allowed values, ranges, patterns,
unique keys, via `db.parse_frame`) plus what needs reference data: division codes that exist at
their level and agree with each other, new-area ids, points inside 荆州市, polygon validity and CRS.

A valid upload becomes part of the session's `db.Overlay` (`apply`), with a new source id
registered in the overlay's `sources` table; nothing is written to the shipped files.

Datum heuristics (GCJ-02 / BD-09, see docs/your-data.md): China's map providers publish
coordinates in GCJ-02 (Amap, Tencent) or BD-09 (Baidu), shifted from WGS84 by a few hundred
metres; around 荆州 GCJ-02 lies ≈ +0.0057° lon / −0.0026° lat (≈550 m E, 290 m S) and BD-09
≈ +0.0123° / +0.0033° (≈1.2 km E, 360 m N) from WGS84. A single point cannot tell which datum it
is in. We flag a file when converting it from GCJ-02 (or BD-09) to WGS84 puts clearly more of its
points inside the district their own `district_code` names (at least 3 more, and at least half
of the misplaced ones), or when rows sharing an id with the current data sit at that offset from
it. A file in the right datum with a few wrong district codes does not trigger the first test,
because the conversion moves as many points out of their district as into it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import re
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import data_root
from dashboard.core.text import t
from dashboard.data import db
from dashboard.data.schemas import DATASETS, Dataset, Field

# ---------------------------------------------------------------- limits

MAX_BYTES = 20 * 1024 * 1024  # any upload
MAX_GEOJSON_BYTES = 10 * 1024 * 1024  # parsed JSON takes ~8x its size in memory
MAX_COLUMNS = 200
MAX_ROWS = 50_000  # a city's compound list is a few thousand rows
MAX_PROBLEMS = 2_000  # kept and shown; the rest are counted
MAX_ZIP_ENTRIES = 200
MAX_ZIP_ENTRY_BYTES = 40 * 1024 * 1024  # uncompressed size of one part of an XLSX
MAX_ZIP_TOTAL_BYTES = 80 * 1024 * 1024  # uncompressed size of all parts
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for parts over 1 MB
MAX_JSON_DEPTH = 20  # a MultiPolygon FeatureCollection needs 8
MAX_FEATURES = 10_000
MAX_VERTICES = 300_000  # a city's sub-district outlines need a few tens of thousands
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in Chinese spreadsheets

WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
               "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "WGS84", "WGS 84")
# CGCS2000 differs from WGS84 by centimetres: accepted with a note.
CGCS2000_NAMES = ("EPSG:4490", "urn:ogc:def:crs:EPSG::4490", "urn:ogc:def:crs:EPSG:4490", "CGCS2000")

# Default division level for code columns that a dataset does not list in `references`.
_CODE_LEVELS = {"district_code": "district", "subdistrict_code": "subdistrict", "committee_code": "committee"}
_SCI_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?$")
_TEXT_INT_FLOAT_RE = re.compile(r"^\d+\.0+$")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

FIXES = ("make_valid", "reproject", "gcj02", "bd09", "swap")


# ---------------------------------------------------------------- results


@dataclass
class Result:
    """What checking one file found: the typed frame (when readable), every problem, notes, fixes on offer."""

    dataset: str
    filename: str
    fmt: str = ""  # "csv" | "xlsx" | "geojson"
    frame: pd.DataFrame | None = None  # typed; a GeoDataFrame for geo datasets
    problems: list[db.Problem] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (catalog key, args), not blocking
    refused: bool = False  # the file was not parsed at all (hostile, unreadable, wrong kind)
    fixes: list[str] = field(default_factory=list)  # repairs that would address some problems
    headers: dict[str, str] = field(default_factory=dict)  # canonical column -> the user's header
    header_row: list[str] = field(default_factory=list)  # the header as given
    encoding: str = ""
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refused and self.frame is not None

    @property
    def rows(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    def column_label(self, column: str | None, lang: str) -> str:
        if not column:
            return ""
        ds = DATASETS[self.dataset]
        user = self.headers.get(column)
        if column in ds.columns:
            f = ds.field(column)
            shown = user or (f.zh if lang == "zh" else f.name)
            return shown if shown == column else f"{shown} ({column})"
        return user or column

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """Every problem as a table: row, column, value, expected (headers in `lang`)."""
        cols = [t(f"data.col_{c}", lang) for c in ("row", "column", "value", "expected")]
        rows = [
            ("" if p.row is None else str(p.row), self.column_label(p.column, lang),
             "" if p.value is None else _short(p.value), message(p, lang))
            for p in self.problems
        ]
        return pd.DataFrame(rows, columns=cols)

    def note_texts(self, lang: str = "zh") -> list[str]:
        return [t(f"data.note_{key}", lang, **args) for key, args in self.notes]

    def messages(self, lang: str = "zh") -> list[str]:
        return [message(p, lang) for p in self.problems]


def message(problem: db.Problem, lang: str = "zh") -> str:
    """A problem's 'expected' text in `lang` (catalog `data.problem_<key>`; English text otherwise)."""
    if problem.key:
        args = dict(problem.params)
        if args.get("unit"):
            space = "" if lang == "zh" else " "
            args["unit"] = space + _unit(str(args["unit"]), lang)
        elif "unit" in args:
            args["unit"] = ""
        try:
            return t(f"data.problem_{problem.key}", lang, **args)
        except KeyError:
            pass
    return problem.expected


def _unit(unit: str, lang: str) -> str:
    if unit == "degree":
        return "°"
    try:
        return t(f"units.{unit}", lang)
    except KeyError:
        return unit


def _short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Refuse(Exception):
    def __init__(self, key: str, **args: object):
        super().__init__(key)
        self.key = key
        self.args_ = args


def _problem(filename: str, row: int | None, column: str | None, value: object, key: str, **args: object) -> db.Problem:
    expected = t(f"data.problem_{key}", "en", **{k: (f" {v}" if k == "unit" and v else v) for k, v in args.items()})
    return db.Problem(filename, row, column, None if value is None else str(value), expected, key, tuple(args.items()))


# ---------------------------------------------------------------- datasets and headers


def replaceable() -> list[str]:
    """Datasets a user may replace with their own file, in a stable order."""
    return [name for name, ds in DATASETS.items() if ds.replaceable]


_DATASET_ALIASES = {"subdistricts": "subdistrict_shapes", "workers": "community_workers", "care": "care_facilities"}


def resolve_dataset(name: str) -> Dataset:
    """The replaceable dataset called `name` (or a short alias such as 'subdistricts')."""
    key = _DATASET_ALIASES.get(name, name)
    if key not in DATASETS or not DATASETS[key].replaceable:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(replaceable())}")
    return DATASETS[key]


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return re.sub(r"[\s_\-/·.:：]+", "", text)


def _strip_paren(header: str) -> str:
    return re.sub(r"[(（\[【].*?[)）\]】]\s*$", "", unicodedata.normalize("NFKC", str(header))).strip()


@cache
def header_index(name: str) -> dict[str, str]:
    """Normalised header -> column name, for every header form a column is recognised by."""
    index: dict[str, str] = {}
    for f in DATASETS[name].fields:
        for h in f.headers:
            for form in (h, _strip_paren(h)):
                if form:
                    index.setdefault(_norm(form), f.name)
    return index


def map_headers(ds: Dataset, headers: Sequence[str]) -> tuple[dict[int, str], list[str], dict[str, list[str]]]:
    """(position -> column, unknown headers, column -> headers when given more than once)."""
    index = header_index(ds.name)
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for i, h in enumerate(headers):
        if not str(h).strip():
            continue
        col = index.get(_norm(h)) or index.get(_norm(_strip_paren(h)))
        if col is None:
            unknown.append(str(h))
            continue
        seen.setdefault(col, []).append(str(h))
        if len(seen[col]) == 1:
            mapping[i] = col
    dupes = {c: hs for c, hs in seen.items() if len(hs) > 1}
    return mapping, unknown, dupes


def _header_score(ds: Dataset, record: Sequence[str]) -> int:
    index = header_index(ds.name)
    return len({index.get(_norm(h)) or index.get(_norm(_strip_paren(h))) for h in record} - {None})


# ---------------------------------------------------------------- reference data


@dataclass(frozen=True)
class _Reference:
    levels: dict[str, frozenset[str]]
    parent: dict[str, str]  # code -> parent code
    district_of: dict[str, str]
    area_ids: frozenset[str]
    city: object  # shapely geometry (WGS84), buffered slightly
    city_bounds: tuple[float, float, float, float]
    districts: dict[str, object]  # district code -> polygon


def _stamp(*rel: str) -> tuple:
    out = []
    for r in rel:
        p = data_root() / r
        out.append((str(p), p.stat().st_mtime_ns if p.exists() else -1))
    return tuple(out)


def reference() -> _Reference:
    """Divisions, new-area ids and district polygons to check uploads against (cached per file change)."""
    return _reference(_stamp(DATASETS["divisions"].file, DATASETS["district_shapes"].file, DATASETS["new_area_shapes"].file))


@cache
def _reference(stamp: tuple) -> _Reference:
    import shapely

    from dashboard.data import geo

    divisions, _ = db.load_dataset("divisions")
    levels = {str(level): frozenset(grp["code"].dropna()) for level, grp in divisions.groupby("level")}
    parent = dict(zip(divisions["code"], divisions["parent_code"].fillna(""), strict=True))
    district_of = dict(zip(divisions["code"], divisions["district_code"].fillna(""), strict=True))
    areas, _ = db.load_dataset("new_area_shapes")
    area_ids = frozenset(areas["area_id"].dropna()) if "area_id" in areas else frozenset()
    shapes = geo.layer("districts")
    city = shapes.loc[shapes["code"] == "421000", "geometry"].union_all()
    districts = {str(c): g for c, g in zip(shapes["code"], shapes["geometry"], strict=True) if c != "421000"}
    # 荆州开发区 (421071) has no polygon of its own in the map provider's data: it lies inside 沙市区.
    if "421071" not in districts and "421002" in districts:
        districts["421071"] = districts["421002"]
    for g in (city, *districts.values()):
        shapely.prepare(g)
    buffered = city.buffer(0.003)  # ≈300 m: boundaries are simplified to ≈130 m
    shapely.prepare(buffered)
    return _Reference(levels, parent, district_of, area_ids, buffered, tuple(city.bounds), districts)


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


# ---------------------------------------------------------------- sniffing and decoding

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!", "archive"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"MZ", "binary"),
    (b"\x7fELF", "binary"),
)


def _sniff(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    head = data[:65536]
    if b"\x00" in head:
        return "binary"
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls > max(2, len(head) // 200):
        return "binary"
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "markup"
    return "text"


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise _Refuse("encoding", position=exc.start + 3) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise _Refuse("encoding", position=exc.start) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "GBK/GB18030"
        except UnicodeDecodeError:
            raise _Refuse("encoding", position=utf8_error.start) from None


# ---------------------------------------------------------------- tables (CSV, XLSX)


def _csv_records(data: bytes, result: Result) -> Iterator[tuple[int, list[str]]]:
    text, result.encoding = _decode(data)
    first = next((ln for ln in text[:65536].splitlines()[:HEADER_SEARCH_ROWS] if ln.strip()), "")
    delimiter = max((",", "\t", ";", "|"), key=lambda d: (first.count(d), d == ","))
    if result.encoding == "UTF-16":
        lines: Iterable[str] = text.splitlines(keepends=True)
    else:
        # Decode line by line rather than holding the whole text (and a StringIO copy at 4 bytes a
        # character): a newline byte never occurs inside a UTF-8 or GB18030 multi-byte character.
        encoding = "gb18030" if result.encoding.startswith("GBK") else "utf-8"
        skip = 3 if data.startswith(codecs.BOM_UTF8) else 0
        lines = (line.decode(encoding) for line in io.BytesIO(data[skip:] if skip else data))
    del text
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise _Refuse("cell_too_long", limit=f"{csv.field_size_limit():,}") from None
        raise _Refuse("csv_unreadable", reason=str(exc)) from None


def _xlsx_precheck(data: bytes) -> None:
    """Refuse a workbook whose zip would expand too far, hides macros or declares XML entities."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Refuse("xlsx_damaged") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _Refuse("zip_entries", count=len(infos), limit=MAX_ZIP_ENTRIES)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise _Refuse("not_xlsx")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise _Refuse("xlsx_encrypted")
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > MAX_ZIP_ENTRY_BYTES or total > MAX_ZIP_TOTAL_BYTES
                    or (info.file_size > 1024 * 1024 and ratio > MAX_ZIP_RATIO)):
                raise _Refuse("zip_bomb", entry=info.filename, size_mb=f"{info.file_size / 1048576:,.0f}",
                              ratio=f"{ratio:,.0f}", limit_mb=MAX_ZIP_ENTRY_BYTES // 1048576)
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise _Refuse("xlsx_macros")
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                try:
                    with archive.open(info) as part:
                        head = part.read(4096)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                    raise _Refuse("xlsx_damaged_reason", reason=_short(f"{type(exc).__name__}: {exc}", 120)) from None
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise _Refuse("xml_entities", entry=info.filename)


_SHEET_NAMES = ("数据", "data")
_INFO_SHEETS = ("说明", "columns", "readme", "说明 columns")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _xlsx_records(data: bytes, result: Result, formulas: list[tuple[int, int, str]]) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    _xlsx_precheck(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for damaged parts
        raise _Refuse("xlsx_damaged_reason", reason=_short(f"{type(exc).__name__}: {exc}", 120)) from None
    try:
        sheets = [ws for ws in book.worksheets if getattr(ws, "sheet_state", "visible") == "visible"] or book.worksheets
        named = [ws for ws in sheets if ws.title.strip().lower() in _SHEET_NAMES or ws.title == result.dataset]
        others = [ws for ws in sheets if ws.title.strip().lower() not in _INFO_SHEETS]
        ws = (named or others or sheets)[0]
        if len(book.worksheets) > 1:
            result.notes.append(("sheet", {"sheet": ws.title}))
        result.encoding = f"XLSX · {ws.title}"
        try:
            declared = ws.max_column or 0
        except Exception:
            declared = 0
        if declared > MAX_COLUMNS:
            raise _Refuse("too_many_columns", count=f"{declared:,}", limit=MAX_COLUMNS)
        # Without the declared dimension each row is as wide as its last cell, so a stray cell far
        # to the right is seen (and refused) rather than silently cut off.
        ws.reset_dimensions()
        for row in _guarded(ws.iter_rows()):
            cells = [c for c in row if getattr(c, "value", None) is not None]
            if not cells:
                continue
            number = cells[0].row
            if cells[-1].column > MAX_COLUMNS:
                raise _Refuse("too_many_columns", count=f"{cells[-1].column:,}", limit=MAX_COLUMNS)
            record = [""] * max(c.column for c in cells)
            for c in cells:
                if c.data_type == "f" or type(c.value).__name__ in ("ArrayFormula", "DataTableFormula"):
                    formulas.append((number, c.column, _short(getattr(c.value, "text", c.value), 40)))
                    record[c.column - 1] = ""
                else:
                    record[c.column - 1] = _cell_text(c.value)
            yield number, record
    finally:
        book.close()


def _guarded(rows: Iterator) -> Iterator:
    """Rows of a worksheet, with a damaged part (bad CRC, truncated stream, bad XML) refused by name."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # zipfile.BadZipFile, zlib.error, EOFError, xml ParseError ...
            raise _Refuse("xlsx_damaged_reason", reason=_short(f"{type(exc).__name__}: {exc}", 120)) from None
        yield row


def _table(records: Iterable[tuple[int, list[str]]], ds: Dataset, result: Result) -> tuple[pd.DataFrame, list[int]]:
    """Find the header, map it to the dataset's columns and collect the data rows as text."""
    head: list[tuple[int, list[str]]] = []
    rows_iter = iter(records)
    for number, record in rows_iter:
        if len(record) > MAX_COLUMNS:
            raise _Refuse("too_many_columns", count=f"{len(record):,}", limit=MAX_COLUMNS)
        if any(str(c).strip() for c in record):
            head.append((number, record))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if not head:
        raise _Refuse("empty")
    scores = [_header_score(ds, rec) for _, rec in head]
    pick = scores.index(max(scores)) if max(scores) > 0 else 0
    header_row, header = head[pick]
    if pick > 0:
        result.notes.append(("header_row", {"row": header_row}))
    result.header_row = [str(h) for h in header]
    mapping, unknown, dupes = map_headers(ds, header)
    for col, hs in dupes.items():
        result.problems.append(_problem(result.filename, header_row, col, " / ".join(hs), "duplicate_column"))
    if unknown:
        result.notes.append(("ignored_columns", {"columns": ", ".join(_short(u, 30) for u in unknown[:20])}))
    for i, col in mapping.items():
        result.headers[col] = str(header[i]).strip()

    width = len(header)
    columns: dict[str, list[str]] = {col: [] for col in mapping.values()}
    numbers: list[int] = []

    def take(number: int, record: list[str]) -> None:
        if not any(str(c).strip() for c in record):
            return
        if len(numbers) >= MAX_ROWS:
            raise _Refuse("too_many_rows", limit=f"{MAX_ROWS:,}")
        if len(record) > MAX_COLUMNS:
            raise _Refuse("too_many_columns", count=f"{len(record):,}", limit=MAX_COLUMNS)
        extra = [c for c in record[width:] if str(c).strip()]
        if extra and len(result.problems) < MAX_PROBLEMS:
            result.problems.append(_problem(result.filename, number, None, _short(",".join(record[width:]), 40),
                                            "ragged", cells=len(record), header=width))
        numbers.append(number)
        for i, col in mapping.items():
            columns[col].append(record[i] if i < len(record) else "")

    for number, record in head[pick + 1:]:
        take(number, record)
    for number, record in rows_iter:
        take(number, record)
    if not numbers:
        raise _Refuse("no_rows")
    return pd.DataFrame(columns, dtype=object), numbers


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


_LEVEL_ZH = {"district": "区县", "subdistrict": "街道/乡镇", "committee": "社区/村", "city": "市"}


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


def _other_dataset_hint(ds: Dataset, header: Sequence[str], result: Result) -> None:
    """When required columns are missing, say which template the file looks like, if another fits better."""
    mine = _header_score(ds, header)
    best, score = None, mine
    for name in replaceable():
        other = DATASETS[name]
        if name == ds.name or other.geo != ds.geo:
            continue
        s = _header_score(other, header)
        required = [f.name for f in other.fields if f.required and not f.nullable and f.name != "source_id"]
        mapped = set(map_headers(other, header)[0].values())
        if s > score and all(r in mapped for r in required):
            best, score = name, s
    if best:
        result.problems.append(_problem(result.filename, None, None, None, "other_dataset", dataset=best,
                                        dataset_zh=t(f"data.ds_{best}", "zh"), dataset_en=t(f"data.ds_{best}", "en")))


# ---------------------------------------------------------------- entry points


def validate_path(path: str | Path, dataset: str, fixes: Sequence[str] = (), overlay: db.Overlay | None = None) -> Result:
    """Check a file on disk; its size is checked before anything is read."""
    p = Path(path)
    ds = resolve_dataset(dataset)
    size = p.stat().st_size
    limit = MAX_GEOJSON_BYTES if ds.geo else MAX_BYTES
    if size > limit:
        result = Result(ds.name, p.name)
        _refuse(result, _Refuse("too_large", size_mb=f"{size / 1048576:,.1f}", limit_mb=limit // 1048576))
        return result
    return validate_bytes(p.read_bytes(), p.name, dataset, fixes=fixes, overlay=overlay)


def validate_bytes(data: bytes, filename: str, dataset: str, fixes: Sequence[str] = (),
                   overlay: db.Overlay | None = None) -> Result:
    """Check an uploaded file (bytes and its name) as `dataset`; `fixes` applies offered repairs first."""
    ds = resolve_dataset(dataset)
    result = Result(ds.name, Path(filename).name or "upload")
    try:
        _validate(data, ds, result, tuple(fixes), overlay)
    except _Refuse as exc:
        _refuse(result, exc)
    except RecursionError:
        _refuse(result, _Refuse("too_deep", limit=MAX_JSON_DEPTH))
    return result


def _refuse(result: Result, exc: _Refuse) -> None:
    result.refused = True
    result.frame = None
    result.problems = [_problem(result.filename, None, None, None, exc.key, **exc.args_)]


def _validate(data: bytes, ds: Dataset, result: Result, fixes: tuple[str, ...], overlay: db.Overlay | None) -> None:
    limit = MAX_GEOJSON_BYTES if ds.geo else MAX_BYTES
    if len(data) > limit:
        raise _Refuse("too_large", size_mb=f"{len(data) / 1048576:,.1f}", limit_mb=limit // 1048576)
    if not data or data.isspace():
        raise _Refuse("empty")
    result.sha256 = hashlib.sha256(data).hexdigest()
    kind = _sniff(data)
    suffix = Path(result.filename).suffix.lower()
    if kind in ("ole", "pdf", "archive", "image", "binary", "markup"):
        raise _Refuse(f"kind_{kind}", suffix=suffix or "?")
    if ds.geo:
        if kind != "json":
            raise _Refuse("need_geojson")
        _validate_geojson(data, ds, result, fixes)
        return
    if kind == "json":
        raise _Refuse("need_table")
    if kind == "zip":
        if suffix not in (".xlsx", ".xlsm"):
            result.notes.append(("sniffed_xlsx", {"suffix": suffix or "?"}))
        result.fmt = "xlsx"
        formulas: list[tuple[int, int, str]] = []
        raw, numbers = _table(_xlsx_records(data, result, formulas), ds, result)
        if formulas:
            from openpyxl.utils import get_column_letter

            positions = map_headers(ds, result.header_row)[0]
            for row, col, text in formulas[:MAX_PROBLEMS]:
                result.problems.append(_problem(result.filename, row, positions.get(col - 1),
                                                f"{get_column_letter(col)}{row}: {text}", "formula"))
            if len(formulas) > MAX_PROBLEMS:
                result.problems.append(_problem(result.filename, None, None, None, "more",
                                                count=len(formulas) - MAX_PROBLEMS))
    else:
        if suffix in (".xlsx", ".xls"):
            result.notes.append(("sniffed_csv", {"suffix": suffix}))
        result.fmt = "csv"
        raw, numbers = _table(_csv_records(data, result), ds, result)
    _check_table(ds, raw, numbers, result, fixes, overlay)


def _check_table(ds: Dataset, raw: pd.DataFrame, numbers: list[int], result: Result, fixes: tuple[str, ...],
                 overlay: db.Overlay | None) -> None:
    if "source_id" in raw.columns and raw["source_id"].astype(str).str.strip().ne("").any():
        result.notes.append(("source_replaced", {}))
    original = raw
    raw = _normalise_cells(ds, raw)
    raw["source_id"] = "upload"  # replaced by the upload's own source id in `apply`
    raw = _optional_columns(ds, raw)
    raw = _apply_point_fixes(raw, fixes, result)
    frame, found = db.parse_frame(ds, raw, result.filename, row_offset=0, max_problems=MAX_PROBLEMS)
    for p in found:
        row = numbers[p.row] if p.row is not None and 0 <= p.row < len(numbers) else p.row
        value = p.value
        if p.row is not None and p.column in original.columns and 0 <= p.row < len(original):
            value = str(original.at[p.row, p.column])  # the text as the user wrote it
        result.problems.append(db.Problem(p.file, row, p.column, value, p.expected, p.key, p.args))
    if any(p.key == "missing_column" for p in found):
        _other_dataset_hint(ds, result.header_row, result)
        result.frame = None
        _finish(ds, result)
        return
    ref = reference()
    _reference_checks(ds, frame, numbers, result, ref)
    _point_checks(ds, frame, numbers, result, ref, overlay)
    _finish(ds, result)
    result.frame = frame[ds.columns]


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


def _crs_name(doc: dict) -> str | None:
    crs = doc.get("crs")
    if not isinstance(crs, dict):
        return None
    props = crs.get("properties") or {}
    name = props.get("name") or props.get("href") or crs.get("type")
    return str(name) if name else None


def _validate_geojson(data: bytes, ds: Dataset, result: Result, fixes: tuple[str, ...]) -> None:
    import geopandas as gpd
    import shapely
    from shapely.geometry import shape

    result.fmt = "geojson"
    text, result.encoding = _decode(data)
    try:
        doc = json.loads(text)
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

    crs = _crs_name(doc)
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
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            result.problems.append(_problem(result.filename, i, "geometry", _short(feat, 40), "not_feature"))
            rows.append({})
            geoms.append(None)
            continue
        props = feat.get("properties")
        rows.append({str(k): _cell_text(v) for k, v in props.items()} if isinstance(props, dict) else {})
        geom = feat.get("geometry")
        try:
            g = shape(geom) if geom else None
        except Exception as exc:  # shapely raises several types for malformed coordinates
            result.problems.append(_problem(result.filename, i, "geometry", _short(json.dumps(geom)[:60], 40),
                                            "geometry_malformed", reason=_short(str(exc), 80)))
            g = None
        geoms.append(g)

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
    if not declared and np.all(np.isfinite(b)) and (np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90):
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
    frame, found = db.parse_frame(ds, raw, result.filename, row_offset=1, max_problems=MAX_PROBLEMS)
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
            key = "swapped" if swapped.intersects(ref.city) else "outside_city"
            x0, y0, x1, y1 = ref.city_bounds
            result.problems.append(_problem(result.filename, numbers[i], "geometry", f"{xs[i]:.4f}, {ys[i]:.4f}", key,
                                            box=f"{x0:.2f}–{x1:.2f}, {y0:.2f}–{y1:.2f}"))
            if key == "swapped" and "swap" not in result.fixes:
                result.fixes.append("swap")
        if "district_code" in frame.columns:
            _report_datum_guess(result, xs, ys, frame["district_code"].tolist(), ref, "geometry", int(finite.sum()))
    _finish(ds, result)
    result.frame = gpd.GeoDataFrame(frame[ds.columns], geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").values, crs="EPSG:4326")


def repaired_geojson(result: Result) -> bytes:
    """The checked (and repaired) layer as GeoJSON in WGS84, for download."""
    import geopandas as gpd

    if not isinstance(result.frame, gpd.GeoDataFrame):
        raise ValueError("only a GeoJSON upload can be written back as GeoJSON")
    frame = result.frame.drop(columns=["source_id"])
    return frame.to_json(ensure_ascii=False, drop_id=True).encode("utf-8")


# ---------------------------------------------------------------- the session overlay


@dataclass(frozen=True)
class Provenance:
    """Who published the uploaded data and when (both required), and what it is."""

    publisher: str
    date: str
    title: str = ""
    kind: str = "official_statistics"
    note: str = ""

    def problems(self) -> list[str]:
        """Catalog keys of what is missing or malformed (empty when the provenance is complete)."""
        out = []
        if not self.publisher.strip():
            out.append("prov_publisher")
        if not _DATE_RE.match(self.date.strip()):
            out.append("prov_date")
        if self.kind not in ("report", "official_statistics", "standard", "assumption", "illustrative"):
            out.append("prov_kind")
        return out


def upload_source_id(result: Result, provenance: Provenance) -> str:
    digest = hashlib.sha256(f"{result.sha256}|{provenance.publisher}|{provenance.date}".encode()).hexdigest()[:8]
    return f"upload_{result.dataset}_{digest}"


def apply(overlay: db.Overlay, result: Result, provenance: Provenance) -> db.Overlay:
    """A new overlay with `result`'s data in place of the shipped dataset, its rows citing a new source."""
    if not result.ok:
        raise ValueError(f"{result.filename}: the file has {len(result.problems)} problem(s); fix them first")
    missing = provenance.problems()
    if missing:
        raise ValueError(f"provenance incomplete: {', '.join(missing)}")
    source_id = upload_source_id(result, provenance)
    frame = result.frame.copy()
    frame["source_id"] = pd.array([source_id] * len(frame), dtype="string")
    sources = _sources_without(overlay, result.dataset)
    row = {
        "source_id": source_id,
        "kind": provenance.kind,
        "title": provenance.title.strip() or f"{DATASETS[result.dataset].grain_zh} ({result.filename})",
        "publisher": provenance.publisher.strip(),
        "date": provenance.date.strip(),
        "locator": f"{result.filename} (sha256 {result.sha256[:12]})",
        "note": (provenance.note.strip() + " " if provenance.note.strip() else "")
        + f"Uploaded in this browser session as {result.dataset}; {len(frame)} rows; not stored on the server.",
    }
    sources = pd.concat([sources, pd.DataFrame([row]).astype("string")], ignore_index=True)
    label = f"{provenance.publisher.strip()} · {provenance.date.strip()} · {result.filename} · {len(frame)}"
    return overlay.with_table(result.dataset, frame, label).with_table("sources", sources, "")


def _sources_without(overlay: db.Overlay, dataset: str) -> pd.DataFrame:
    base = overlay["sources"] if "sources" in overlay else db.shipped_frames()["sources"]
    keep = ~base["source_id"].astype(str).str.startswith(f"upload_{dataset}_")
    return base[keep].reset_index(drop=True)


def reset(overlay: db.Overlay, dataset: str | None = None) -> db.Overlay:
    """The overlay without `dataset` (or without any upload when `dataset` is None)."""
    if dataset is None:
        return db.EMPTY_OVERLAY
    out = overlay.without(dataset)
    if not out.user_datasets:
        return db.EMPTY_OVERLAY
    return out.with_table("sources", _sources_without(overlay, dataset), "")


# ---------------------------------------------------------------- command line


def cli(file: str, dataset: str, lang: str = "zh") -> int:
    """`python -m dashboard validate FILE --as DATASET`: 0 when the file can be loaded, 1 when not, 2 on usage errors."""
    try:
        resolve_dataset(dataset)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = Path(file)
    if not path.is_file():
        print(t("data.cli_no_file", lang, file=file), file=sys.stderr)
        return 2
    result = validate_path(path, dataset)
    out = sys.stdout
    print(t("data.cli_checked", lang, file=path.name, dataset=result.dataset, fmt=result.fmt or "?",
            encoding=result.encoding or "?"), file=out)
    for note in result.note_texts(lang):
        print(f"  · {note}", file=out)
    if result.ok:
        print(t("data.cli_ok", lang, rows=result.rows), file=out)
        return 0
    table = result.table(lang)
    print(t("data.cli_problems", lang, count=len(result.problems)), file=out)
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 120):
        print(table.to_string(index=False), file=out)
    if result.fixes:
        print(t("data.cli_fixes", lang, fixes=", ".join(t(f"data.fix_{f}", lang) for f in result.fixes)), file=out)
    return 1
