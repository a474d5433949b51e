"""Reading tables: CSV records, XLSX rows (after the zip pre-check), and finding the header."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable, Iterator

import pandas as pd

from dashboard.data.schemas import Dataset
from dashboard.upload.core import (
    HEADER_SEARCH_ROWS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_PROBLEMS,
    MAX_ROWS,
    Result,
    _problem,
    _Refuse,
    _short,
)
from dashboard.upload.headers import _header_score, map_headers
from dashboard.upload.sniff import check_nul, detect, show_stray, stray_bytes

# ---------------------------------------------------------------- tables (CSV, XLSX)


_DELIMITERS = (",", "\t", ";", "|")


def _pick_delimiter(ds: Dataset, lines: list[str]) -> str:
    """The delimiter that splits one of the first lines into the most known headers (a title row
    without separators above a `;` header is skipped), else the one most used on a line."""
    def score(d: str) -> tuple[int, int, bool]:
        known = max((_header_score(ds, ln.split(d)) for ln in lines), default=0)
        return known, max((ln.count(d) for ln in lines), default=0), d == ","
    return max(_DELIMITERS, key=score)


def _csv_records(data: bytes, result: Result, ds: Dataset) -> Iterator[tuple[int, list[str]]]:
    enc = detect(data)
    result.encoding = enc.label
    if enc.codec.startswith("utf-16"):
        text = data.decode(enc.codec).lstrip("\ufeff")
        if "\x00" in text:
            raise _Refuse("nul_byte", position="?", line=text.count("\n", 0, text.index("\x00")) + 1)
        lines: Iterable[str] = io.StringIO(text, newline=None)  # \r\n, \r and \n all end a line
        del text
    else:
        check_nul(data)
        if b"\r" in data:  # Excel for Mac writes CR-only lines; mixed endings happen after edits
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        # Decode line by line rather than holding the whole text (and a StringIO copy at 4 bytes a
        # character): a newline byte never occurs inside a UTF-8, GB18030 or Big5 multi-byte character.
        lines = (line.decode(enc.codec, errors=enc.errors) for line in io.BytesIO(data))
    lines = iter(lines)
    first: list[str] = []
    for line in lines:
        first.append(line)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    delimiter = _pick_delimiter(ds, [ln[:65536] for ln in first if ln.strip()])  # a 20 MB line is not split
    reader = csv.reader(itertools.chain(first, lines), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if enc.errors != "strict":
                record = _mark_stray(number, record, result)
            yield number, record
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise _Refuse("cell_too_long", limit=f"{MAX_CELL_CHARS:,}") from None
        raise _Refuse("csv_unreadable", reason=_short(str(exc), 120)) from None


def _mark_stray(number: int, record: list[str], result: Result) -> list[str]:
    """Cells holding bytes that are not UTF-8: each reported (row, cell, the byte), shown as <0x92>."""
    out = []
    for j, cell in enumerate(record):
        bad = stray_bytes(cell)
        if bad:
            shown = show_stray(cell)
            result.stray.append((number, j, shown, bad[0]))
            cell = shown
        out.append(cell)
    return out


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
    for number, record in head:
        _check_cell_lengths(number, record, record)
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
        _check_cell_lengths(number, record, header)
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
    positions = dict(mapping)
    for number, j, shown, byte in result.stray[:MAX_PROBLEMS]:
        result.problems.append(_problem(result.filename, number, positions.get(j), _short(shown, 60), "stray_byte",
                                        byte=f"0x{byte:02X}", cp1252=_cp1252(byte)))
    return pd.DataFrame(columns, dtype=object), numbers


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return "?"


def _check_cell_lengths(number: int, record: list[str], header: list[str]) -> None:
    """The same cell limit for CSV and XLSX (MAX_CELL_CHARS), naming the cell."""
    for j, cell in enumerate(record):
        if len(cell) > MAX_CELL_CHARS:
            from openpyxl.utils import get_column_letter

            raise _Refuse("cell_too_long_at", cell=f"{get_column_letter(j + 1)}{number}",
                          length=f"{len(cell):,}", limit=f"{MAX_CELL_CHARS:,}")


