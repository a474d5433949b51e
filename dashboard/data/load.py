"""Load and check the shipped CSV/GeoJSON sources: every cell parsed, every problem named by file, row, column,
value and expectation (`DataError`), never a traceback. No Streamlit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard import data_root
from dashboard.data.schemas import DATASETS, PANDAS_TYPES, Dataset, Field, pandera_schema

# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (or row, or file) of a source file."""

    file: str
    row: int | None  # 1-based line number in a CSV (header is line 1); feature number in GeoJSON
    column: str | None
    value: str | None
    expected: str
    # Message key and arguments, so the same problem can be shown in either language
    # (dashboard/catalog/data.json "problem_<key>"); empty for problems without a translation.
    key: str = ""
    args: tuple[tuple[str, object], ...] = ()

    @property
    def params(self) -> dict[str, object]:
        return dict(self.args)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{where}{got}; expected {self.expected}"


class DataError(Exception):
    """Raised when source data fails its checks; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the source data:\n{shown}{more}")


# ---------------------------------------------------------------- parsing

_TRUE = {"true", "1", "yes", "y", "t", "是", "有"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无"}
# ASCII digits only (`\d` alone also matches Arabic-Indic and other digits, which float() accepts,
# as it accepts "1_000"): a number is written with 0-9, an optional sign, point and exponent.
_INT_RE = re.compile(r"^[+-]?\d+(\.0+)?$", re.ASCII)
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
# Whole numbers are stored as int64 and shown in browsers, whose numbers are doubles: beyond 2^53 - 1
# they would be silently rounded, so they are refused.
MAX_SAFE_INT = 2**53 - 1
_INT_RANGE = f"a whole number no larger than {MAX_SAFE_INT:,} in size"


_CELL_KEYS = {"true or false": "bool", "a whole number": "int", "a number": "number", "a finite number": "finite",
              _INT_RANGE: "int_range"}


def _parse_cell(f: Field, text: str) -> tuple[object, str | None]:
    """Parse one cell to the field's type; returns (value, error-expectation or None)."""
    if f.type == "str":
        return text, None
    if f.type == "bool":
        low = text.lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return None, "true or false"
    if f.type == "int":
        if _INT_RE.match(text):
            digits = text.split(".")[0].lstrip("+-").lstrip("0")
            if len(digits) > 16 or int(digits or "0") > MAX_SAFE_INT:  # never int() of 5,000 digits
                return None, _INT_RANGE
            return int(text.split(".")[0]), None
        return None, "a whole number"
    scale = 1.0
    if f.share and text.endswith("%"):  # "45%" is 45 on a 0-100 column, 0.45 on a 0-1 column
        text = text[:-1].strip()
        scale = 0.01 if f.share == "fraction" else 1.0
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return None, "a finite number"
    if not _FLOAT_RE.match(text):
        return None, "a number"
    value = float(text) * scale
    if not math.isfinite(value):
        return None, "a finite number"
    return value, None


class _Problems(list):
    """A list of problems that stops growing at `limit` (bounded memory on hostile files)."""

    def __init__(self, limit: int | None):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def append(self, problem: Problem) -> None:
        if self.limit is not None and len(self) >= self.limit:
            self.dropped += 1
        else:
            super().append(problem)

    def finish(self, file_label: str) -> list[Problem]:
        out = list(self)
        if self.dropped:
            out.append(Problem(file_label, None, None, None, f"fewer problems ({self.dropped} more not listed)",
                               "more", (("count", self.dropped),)))
        return out


def parse_frame(ds: Dataset, raw: pd.DataFrame, file_label: str, row_offset: int = 2,
                max_problems: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn a frame of text cells into typed columns and check them against the dataset's schema.

    `row_offset` maps the frame's positional index to the row number a user sees (2 for a CSV with
    a header line, 1 for GeoJSON feature numbers). `max_problems` caps the problems kept (the rest
    are counted in one closing problem), so a file of bad cells cannot exhaust memory.
    """
    problems = _Problems(max_problems)
    frame, _ = _parse_frame(ds, raw, file_label, row_offset, problems)
    return frame, problems.finish(file_label)


def _parse_frame(ds: Dataset, raw: pd.DataFrame, file_label: str, row_offset: int,
                 problems: _Problems) -> tuple[pd.DataFrame, _Problems]:
    missing = [f.name for f in ds.fields if f.required and f.name not in raw.columns]
    for name in missing:
        problems.append(Problem(file_label, None, name, None, f"a column named {name!r} ({ds.field(name).zh})",
                                "missing_column", (("name", name), ("zh", ds.field(name).zh))))
    if missing:
        return pd.DataFrame(columns=ds.columns), problems

    raw = raw.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for f in ds.fields:
        if f.name not in raw.columns:
            continue
        values: list[object] = []
        parsed: dict[str, tuple[object, str | None]] = {}  # columns repeat values: parse each text once
        for i, cell in enumerate(raw[f.name].tolist()):
            text = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell).strip()
            if text == "":
                if not f.nullable:
                    problems.append(Problem(file_label, i + row_offset, f.name, "", "a value (the column is required)",
                                            "required_value"))
                values.append(None)
                continue
            if text not in parsed:
                parsed[text] = _parse_cell(f, text)
            value, expected = parsed[text]
            if expected:
                problems.append(Problem(file_label, i + row_offset, f.name, text, expected, _CELL_KEYS[expected]))
            values.append(value)
        out[f.name] = pd.Series(values, dtype=PANDAS_TYPES[f.type])
    for f in ds.fields:  # an optional column a file leaves out is there, empty, so queries can name it
        if f.name not in out:
            out[f.name] = pd.Series([None] * len(raw), dtype=PANDAS_TYPES[f.type])
    frame = pd.DataFrame(out)
    # Value checks run even when some cells failed to parse, so every problem is reported at once;
    # a cell already reported (e.g. unreadable, hence empty now) is not reported twice.
    seen = {(p.row, p.column) for p in problems}
    try:
        pandera_schema(ds.name).validate(frame, lazy=True)
    except Exception as exc:  # pandera.errors.SchemaErrors
        cases = getattr(exc, "failure_cases", None)
        if cases is None:
            raise
        for case in cases.itertuples(index=False):
            column = getattr(case, "column", None)
            index = getattr(case, "index", None)
            row = int(index) + row_offset if index is not None and not pd.isna(index) else None
            check = str(getattr(case, "check", ""))
            # an empty cell in a required column is always one already reported (empty or unreadable)
            if (row, column) in seen or "not_nullable" in check:
                continue
            value = getattr(case, "failure_case", None)
            f = ds.field(column) if column in ds.columns else None
            expected, key, args = _explain_keyed(check, f)
            problems.append(Problem(file_label, row, column, None if value is None else str(value), expected, key, args))
    return frame, problems


def _num(x: float) -> str:
    """A bound as people write it: 0, 60, 10,000,000, 0.5."""
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:g}"


def _explain(check: str, f: Field | None) -> str:
    """Plain words for a pandera check name."""
    return _explain_keyed(check, f)[0]


def _explain_keyed(check: str, f: Field | None) -> tuple[str, str, tuple[tuple[str, object], ...]]:
    """(plain words, message key, message arguments) for a pandera check name."""
    if f is None:
        return check, "", ()
    lo, hi = f.bounds
    unit = f" {f.unit}" if f.unit else ""
    if check.startswith("isin"):
        return "one of " + ", ".join(f.allowed), "allowed", (("allowed", ", ".join(f.allowed)),
                                                             ("allowed_zh", ", ".join(f.allowed_zh or f.allowed)))
    if check.startswith("greater_than_or_equal_to") and lo is not None:
        return f"a value ≥ {_num(lo)}{unit}", "min", (("min", _num(lo)), ("unit", f.unit))
    if check.startswith("less_than_or_equal_to") and hi is not None:
        return f"a value ≤ {_num(hi)}{unit}", "max", (("max", _num(hi)), ("unit", f.unit))
    if check.startswith("str_matches"):
        return (f"text matching {f.pattern} (e.g. {f.example or 'see template'})", "pattern",
                (("pattern", f.pattern), ("example", f.example or "")))
    if "unique" in check or "duplicate" in check:
        return "a unique value (this one is repeated)", "unique", ()
    if "not_nullable" in check:
        return "a value (the column is required)", "required_value", ()
    return check, "", ()


def read_csv_text(ds: Dataset, path: Path) -> pd.DataFrame:
    """Read a CSV as text cells (no type guessing), so parsing errors can name the cell."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_geojson_properties(path: Path) -> pd.DataFrame:
    """The properties of every feature of a GeoJSON file, as text cells."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    rows = [feat.get("properties") or {} for feat in doc.get("features", [])]
    return pd.DataFrame(rows).astype("string") if rows else pd.DataFrame()


def load_dataset(name: str, root: Path | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and type-check one shipped dataset; returns the typed frame and its problems."""
    ds = DATASETS[name]
    root = root or data_root()
    path = root / ds.file
    if not path.exists():
        return pd.DataFrame(columns=ds.columns), [Problem(ds.file, None, None, None, "the file to exist")]
    try:
        raw = read_geojson_properties(path) if ds.geo else read_csv_text(ds, path)
        if ds.geo and raw.empty and not len(raw.columns):  # no features yet (a new city's empty layer)
            raw = pd.DataFrame(columns=ds.columns, dtype="string")
    except (UnicodeDecodeError, json.JSONDecodeError, pd.errors.ParserError) as exc:
        return pd.DataFrame(columns=ds.columns), [Problem(ds.file, None, None, None, f"a readable UTF-8 file ({exc})")]
    return parse_frame(ds, raw, ds.file, row_offset=1 if ds.geo else 2)


def cross_check(frames: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Checks across tables: every source id resolves, every division code exists at its level."""
    problems: list[Problem] = []
    sources = set(frames["sources"]["source_id"].dropna()) if "sources" in frames else set()
    divisions = frames.get("divisions")
    levels: dict[str, set[str]] = {}
    if divisions is not None:
        for level, grp in divisions.groupby("level"):
            levels[str(level)] = set(grp["code"].dropna())
    for name, frame in frames.items():
        ds = DATASETS[name]
        offset = 1 if ds.geo else 2
        if "source_id" in frame.columns and sources and name != "sources":
            for i, sid in enumerate(frame["source_id"].tolist()):
                if sid is not None and not pd.isna(sid) and sid not in sources:
                    problems.append(Problem(ds.file, i + offset, "source_id", sid, "a source_id listed in data/sources.csv"))
        for column, level in ds.references.items():
            known = levels.get(level)
            if not known or column not in frame.columns or name == "divisions":
                continue
            for i, code in enumerate(frame[column].tolist()):
                if code is not None and not pd.isna(code) and code not in known:
                    problems.append(Problem(ds.file, i + offset, column, code, f"a {level} code listed in data/divisions.csv"))
    return problems


def load_all(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Load and check every shipped dataset; raise DataError listing every problem."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name in DATASETS:
        frame, found = load_dataset(name, root)
        frames[name] = frame
        problems.extend(found)
    if not problems:
        problems.extend(cross_check(frames))
    if problems:
        raise DataError(problems)
    return frames


