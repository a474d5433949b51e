"""Bring your own data: read a user's file, check it against its dataset, load it for one session.

Reads CSV (UTF-8 with or without BOM, UTF-16 with or without BOM, GBK/GB18030, Big5; a few stray
non-UTF-8 bytes reported by cell), XLSX (calamine, after the zip, every XML part and the data sheet
have been checked) and GeoJSON. Hostile files are refused before they are parsed, with bounded
memory: oversized files, zip bombs, formula cells, macros, XML entity declarations, thousands of
columns, binary junk, NUL bytes, deeply nested JSON. Every problem is reported at once as (row,
column, value, expected), in Chinese or English (catalog `data.problem_*`); anything unexpected
becomes "could not check this file" (logged, never shown). The page runs the check in a worker
process with CPU-time and memory limits (`worker.validate_bounded`).

The checks come from `dashboard.data.schemas` (types, required, allowed values, ranges, patterns,
unique keys, via `load.parse_frame`) plus what needs reference data: division codes that exist at
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

import hashlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.core.text import t
from dashboard.data import db, load
from dashboard.data.schemas import DATASETS, SOURCE_KINDS, Dataset
from dashboard.upload import plausible, worker, xlsx
from dashboard.upload.checks import (
    _apply_point_fixes,
    _digit_problems,
    _finish,
    _normalise_cells,
    _optional_columns,
    _point_checks,
    _reference_checks,
)
from dashboard.upload.core import (
    _DATE_RE,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_FEATURES,
    MAX_GEOJSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_PROBLEMS,
    MAX_ROWS,
    MAX_VERTICES,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_ENTRY_BYTES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL_BYTES,
    Result,
    _problem,
    _Refuse,
    _short,
    message,
)
from dashboard.upload.datum import (
    _FROM_WGS84,
    _TO_WGS84,
    _datum_guess,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from dashboard.upload.geojson import _validate_geojson, repaired_geojson
from dashboard.upload.headers import (
    _norm,
    _other_dataset_hint,
    header_index,
    map_headers,
    replaceable,
    resolve_dataset,
)
from dashboard.upload.readers import _csv_records, _table
from dashboard.upload.reference import reference
from dashboard.upload.sniff import _sniff

log = logging.getLogger(__name__)

# The upload API in one place: pages, the CLI and tests use `validate.<name>`.
__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_FEATURES",
    "MAX_GEOJSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "MAX_VERTICES",
    "MAX_ZIP_ENTRIES",
    "MAX_ZIP_ENTRY_BYTES",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_TOTAL_BYTES",
    "Provenance",
    "Result",
    "_FROM_WGS84",
    "_TO_WGS84",
    "_datum_guess",
    "_norm",
    "apply",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "cli",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "header_index",
    "map_headers",
    "message",
    "reference",
    "repaired_geojson",
    "replaceable",
    "reset",
    "resolve_dataset",
    "t",
    "upload_source_id",
    "validate_bytes",
    "validate_path",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

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
        if result.encoding == "Big5":
            result.notes.append(("big5", {}))
    except _Refuse as exc:
        _refuse(result, exc)
    except RecursionError:
        _refuse(result, _Refuse("too_deep", limit=MAX_JSON_DEPTH))
    except MemoryError:
        _refuse(result, _Refuse("memory_limit", limit=f"{worker.budget_mb:,}"))
    except Exception:
        # The last resort: whatever a hostile file finds, the user sees which file could not be
        # checked, never a traceback; the server log keeps the detail.
        log.exception("could not check upload %r as %s (%d bytes)", result.filename, ds.name, len(data))
        _refuse(result, _Refuse("unexpected", file=_short(result.filename, 80)))
    return result


def _refuse(result: Result, exc: _Refuse) -> None:
    result.refused = True
    result.frame = None
    try:
        result.problems = [_problem(result.filename, None, None, None, exc.key, **exc.args_)]
    except Exception:  # a message that cannot be formatted must not escape the last resort
        log.exception("could not word the refusal %r of %r", exc.key, result.filename)
        result.problems = [_problem(result.filename, None, None, None, "unexpected", file=_short(result.filename, 80))]


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
        raw, numbers = _table(xlsx.records(data, result, formulas), ds, result)
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
        raw, numbers = _table(_csv_records(data, result, ds), ds, result)
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
    _digit_problems(ds, raw, numbers, result, original)
    frame, found = load.parse_frame(ds, raw, result.filename, row_offset=0, max_problems=MAX_PROBLEMS)
    for p in found:
        row = numbers[p.row] if p.row is not None and 0 <= p.row < len(numbers) else p.row
        value = p.value
        if p.row is not None and p.column in original.columns and 0 <= p.row < len(original):
            value = str(original.at[p.row, p.column])  # the text as the user wrote it
        result.problems.append(load.Problem(p.file, row, p.column, value, p.expected, p.key, p.args))
    if any(p.key == "missing_column" for p in found):
        _other_dataset_hint(ds, result.header_row, result)
        result.frame = None
        _finish(ds, result)
        return
    ref = reference()
    _reference_checks(ds, frame, numbers, result, ref)
    _point_checks(ds, frame, numbers, result, ref, overlay)
    plausible.check(ds, frame, numbers, result)
    _finish(ds, result)
    result.frame = frame[ds.columns]


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
        if self.kind not in SOURCE_KINDS:
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
