"""Reading tables: CSV records, XLSX rows (after the zip pre-check), and finding the header."""

from __future__ import annotations

import codecs
import csv
import io
import math
import zipfile
import zlib
from collections.abc import Iterable, Iterator

import pandas as pd

from dashboard.schemas import Dataset
from dashboard.upload.core import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_PROBLEMS,
    MAX_ROWS,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_ENTRY_BYTES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL_BYTES,
    Result,
    _problem,
    _Refuse,
    _short,
)
from dashboard.upload.headers import _header_score, map_headers
from dashboard.upload.sniff import _decode

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


