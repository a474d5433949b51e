"""Limits, the check result, problems and their messages (shared by every part of the upload checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from dashboard.core.text import by_lang, t
from dashboard.data import load
from dashboard.data.schemas import DATASETS

# ---------------------------------------------------------------- limits

MAX_BYTES = 20 * 1024 * 1024  # any upload
MAX_GEOJSON_BYTES = 10 * 1024 * 1024  # parsed JSON takes ~8x its size in memory
MAX_COLUMNS = 200
MAX_ROWS = 50_000  # a city's compound list is a few thousand rows
MAX_PROBLEMS = 2_000  # kept and shown; the rest are counted
MAX_ZIP_ENTRIES = 200
MAX_ZIP_ENTRY_BYTES = 40 * 1024 * 1024  # uncompressed size of one part of an XLSX
MAX_ZIP_TOTAL_BYTES = 80 * 1024 * 1024  # uncompressed size of all parts
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for parts over MAX_ZIP_RATIO_FROM_BYTES
# A 1 MB cell of one repeated letter compresses 1000:1 and is no bomb: the ratio only matters for
# parts big enough to cost memory (the absolute limits above bound everything else).
MAX_ZIP_RATIO_FROM_BYTES = 8 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024  # 50,000 rows of distinct names need ~3 MB
MAX_SHEET_CELLS = 2_000_000  # rows x columns of the data sheet's used range (read as a dense grid)
MAX_JSON_DEPTH = 20  # a MultiPolygon FeatureCollection needs 8
MAX_FEATURES = 10_000
MAX_VERTICES = 300_000  # a city's sub-district outlines need a few tens of thousands
MAX_CELL_CHARS = 10_000  # no name, code or number needs more; the same for CSV and XLSX (calamine cuts at 32,767)
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
    problems: list[load.Problem] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (catalog key, args), not blocking
    refused: bool = False  # the file was not parsed at all (hostile, unreadable, wrong kind)
    fixes: list[str] = field(default_factory=list)  # repairs that would address some problems
    headers: dict[str, str] = field(default_factory=dict)  # canonical column -> the user's header
    header_row: list[str] = field(default_factory=list)  # the header as given
    encoding: str = ""
    stray: list[tuple[int, int, str, int]] = field(default_factory=list)  # (row, cell, text, byte) not UTF-8
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
            shown = user or by_lang(lang, f.zh, f.name)
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


def message(problem: load.Problem, lang: str = "zh") -> str:
    """A problem's 'expected' text in `lang` (catalog `data.problem_<key>`; English text otherwise)."""
    if problem.key:
        args = dict(problem.params)
        if args.get("unit"):
            args["unit"] = by_lang(lang, "", " ") + _unit(str(args["unit"]), lang)  # 须≥5人 / at least 5 persons
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


def _problem(filename: str, row: int | None, column: str | None, value: object, key: str, **args: object) -> load.Problem:
    expected = t(f"data.problem_{key}", "en", **{k: (f" {v}" if k == "unit" and v else v) for k, v in args.items()})
    return load.Problem(filename, row, column, None if value is None else str(value), expected, key, tuple(args.items()))


_LEVEL_ZH = {"district": "区县", "subdistrict": "街道/乡镇", "committee": "社区/村", "city": "市"}

