"""Tables of a page (metrics, details) and their downloads: CSV/XLSX bytes with formula injection neutralised."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.metrics import Metric, format_difference, unit_suffix
from dashboard.core.numbers import round_half_up
from dashboard.core.scenario import Scenario
from dashboard.core.text import t, unit_label
from dashboard.data import db
from dashboard.exports.content import page_results

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (= + - @, tab, CR) with a quote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly), formulas neutralised."""
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per frame (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in frames.items():
            neutralise(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buf.getvalue()


# ---------------------------------------------------------------- tables


def metrics_frame(metrics: Sequence[Metric], lang: str, baseline: Sequence[Metric] | None = None,
                  overlay: db.Overlay | None = None) -> pd.DataFrame:
    """Headline figures as a table: label, value, text as shown, [baseline, difference], sources."""
    base = {m.key: m for m in baseline or ()}
    rows = []
    for m in metrics:
        row = {"key": m.key, t("hearing.col_indicator", lang): m.label(lang),
               t("hearing.col_qualifier", lang): m.qualifier_text(lang), t("hearing.col_value", lang): m.rounded(m.value, lang),
               t("hearing.col_unit", lang): unit_words(m.unit, lang), t("hearing.col_scenario", lang): m.formatted(lang),
               t("ranges.col_low", lang): m.rounded(m.low, lang), t("ranges.col_high", lang): m.rounded(m.high, lang)}
        if baseline is not None:
            ref = base.get(m.key)
            row[t("hearing.col_baseline", lang)] = baseline_text(m, ref, lang)
            row[t("hearing.col_difference", lang)] = difference_text(m, ref, lang)
        row[t("hearing.col_source", lang)] = ", ".join(m.source_ids)
        rows.append(row)
    return pd.DataFrame(rows)


def unit_words(unit: str, lang: str) -> str:
    """The unit column's words: the unit's name in `lang`, none where the screen shows none after the number
    (a count of grids, a year, a coefficient: never the code 'count')."""
    return unit_label(unit, lang) if unit_suffix(unit, lang) else ""


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def comparable(metric: Metric, ref: Metric, lang: str = "zh") -> bool:
    """False when the baseline figure is of another year than the scenario's (its label names another
    year: "2026年补齐所需…" against "2030年补齐所需…"), so the two must not be subtracted."""
    return _YEAR.findall(metric.label(lang)) == _YEAR.findall(ref.label(lang))


def baseline_text(metric: Metric, ref: Metric | None, lang: str) -> str:
    """The baseline figure; with its own label when it is of another year (e.g. another target year)."""
    if ref is None:
        return "—"
    if not comparable(metric, ref, lang):
        return f"{ref.formatted(lang)} ({ref.label(lang)})"
    return ref.formatted(lang, decimals=metric.shown_decimals)  # the scenario figure's precision


def _year_of(value: Any) -> tuple[int, bool] | None:
    """(year, open) for 2029 or '>2035' (open: later than the year), else None."""
    if _numeric(value):
        return int(value), False
    if isinstance(value, str) and value.lstrip(">").strip().isdigit():
        return int(value.lstrip(">").strip()), value.startswith(">")
    return None


def _year_difference(metric: Metric, ref: Metric, lang: str) -> str:
    a, b = _year_of(metric.value), _year_of(ref.value)
    if a is None or b is None or a == b:
        return "—"
    (ya, open_a), (yb, open_b) = a, b
    if open_a and open_b:
        return "—"
    earlier = (ya < yb + 1) if open_b else (ya < yb) if not open_a else False
    years = (yb + 1 - ya) if open_b else (yb - ya) if not open_a else (ya + 1 - yb)
    years = abs(years)
    at_least = open_a or open_b
    key = "hearing.diff_years_earlier" if earlier else "hearing.diff_years_later"
    return (t("hearing.diff_at_least", lang) if at_least else "") + t(key, lang, n=years)


def difference_text(metric: Metric, ref: Metric | None, lang: str) -> str:
    """'+1,234张' style difference (scenario − baseline), years as earlier/later, or '—' when equal, not
    comparable (a baseline of another label, e.g. another target year) or not numeric."""
    if ref is None or not comparable(metric, ref, lang):
        return "—"
    if metric.unit == "year":
        return _year_difference(metric, ref, lang)
    if not _numeric(metric.value) or not _numeric(ref.value):
        return "—"
    return format_difference(metric, ref, lang) or "—"  # between the shown figures (core.metrics)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def details_tables(details: Any, prefix: str = "") -> dict[str, pd.DataFrame]:
    """Tables found in a model's JSON-ready details: lists of records and dicts of equal-length columns."""
    out: dict[str, pd.DataFrame] = {}
    if not isinstance(details, dict):
        return out
    for key, value in details.items():
        name = f"{prefix}{key}"
        records = isinstance(value, list) and value and all(isinstance(r, dict) for r in value)
        columns = (isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values())
                   and len({len(v) for v in value.values()}) == 1
                   and not any(isinstance(x, dict | list) for v in value.values() for x in v))
        if records or columns:
            out[name] = pd.DataFrame(value)
        elif isinstance(value, dict) and not prefix:
            out.update(details_tables(value, prefix=f"{name}."))
    return out


# ---------------------------------------------------------------- a table in the reader's language

# Shares the models keep as fractions (0.332) shown as percentages (33.2) like the `_pct` columns.
_FRACTION_COLUMNS = ("met_share", "nursing_share")
_COORDINATES = ("lon", "lat")
# The other language's name column: dropped (the codes stay, headed in words).
_OTHER_NAME = {"zh": ("name_en",), "en": ("name_zh", "name")}  # dropped only when another name column stays


def _decimals(column: str, values: pd.Series) -> int:
    """Decimals a numeric column is exported with: percentages 1, coordinates 5, money (yuan) 0, else
    by size (100 and more whole, 1 and more one decimal, smaller three)."""
    if column.endswith("_pct") or column in _FRACTION_COLUMNS:
        return 1
    if column in _COORDINATES:
        return 5
    if "yuan" in column:
        return 0
    finite = values[values.map(lambda v: isinstance(v, int | float) and math.isfinite(v))].astype(float)
    if finite.empty or (finite == finite.round()).all():
        return 0
    biggest = finite.abs().max()
    return 0 if biggest >= 100 else 1 if biggest >= 1 else 3


def _round_column(column: str, values: pd.Series) -> pd.Series:
    """Numbers of a column rounded as shown (`numbers.round_half_up`); whole numbers as integers."""
    if column in _FRACTION_COLUMNS:
        values = values * 100
    decimals = _decimals(column, values)

    def one(v: Any) -> Any:
        if not _numeric(v) or not math.isfinite(v):
            return None if isinstance(v, float) else v
        out = round_half_up(float(v), decimals)
        return int(out) if decimals == 0 else out

    out = values.map(one)
    return out.astype("Int64") if decimals == 0 and out.map(lambda v: v is None or isinstance(v, int)).all() else out


def _word_for(column: str, value: Any, lang: str) -> Any:
    """A coded cell in words (catalog `codes.<column>.<code>`, `codes.bool.True`), else the value itself."""
    if isinstance(value, bool | np.bool_):
        return t(f"codes.bool.{bool(value)}", lang)
    if isinstance(value, str):
        try:
            return t(f"codes.{column}.{value}", lang)
        except KeyError:
            return value
    return value


def column_header(column: str, lang: str) -> str:
    """A column's header in `lang` (catalog `columns.<column>`); per-district money columns name the district."""
    try:
        return t(f"columns.{column}", lang)
    except KeyError:
        pass
    head, _, code = column.rpartition("_")
    if head and code.isdigit():
        try:
            return f"{t(f'columns.{head}', lang)} · {t(f'choices.beds_district.{code}', lang)}"
        except KeyError:
            pass
    return column


def localise(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A model's table as a reader downloads it: the other language's name column dropped, codes in words,
    numbers rounded per column (percentages to 1 decimal, counts whole), headers in `lang`."""
    names = {"name", "name_zh", "name_en"} & set(frame.columns)
    other = [c for c in _OTHER_NAME.get(lang, ()) if c in names]
    out = frame.drop(columns=other if names - set(other) else [])
    out = out.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_bool_dtype(series) or series.dtype == object or pd.api.types.is_string_dtype(series):
            out[col] = series.map(lambda v, c=col: _word_for(c, v, lang))
        numbers_only = (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)) or (
            series.dtype == object and series.map(lambda v: _numeric(v) or v is None).all())
        if numbers_only:
            out[col] = _round_column(col, series)
    return out.rename(columns={c: column_header(c, lang) for c in out.columns})


def page_tables(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                ) -> dict[str, pd.DataFrame]:
    """Every table of a page: the headline figures (with baseline) and each table in the model's details.

    Memoised like `page_results` (the footer's download buttons ask on every rerun, and a page switch
    asks again for an unchanged scenario). Treat the frames as read-only.
    """
    return _page_tables(page, scenario, lang, overlay, db.database_token())


@lru_cache(maxsize=32)
def _page_tables(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None,
                 _database_token: str) -> dict[str, pd.DataFrame]:
    res = page_results(page, scenario, lang, overlay)
    baseline = None
    if page != "overview":
        baseline = page_results(page, scenario.baseline(), lang, overlay)["metrics"]
    tables = {f"{page}_headline": metrics_frame(res["metrics"], lang, baseline)}
    for name, frame in details_tables(res["details"]).items():
        tables[f"{page}_{name}"] = localise(frame, lang)
    return tables


def scenario_headline_table(named: Sequence[tuple[str, Scenario]], lang: str = "zh",
                            overlay: db.Overlay | None = None, pages: Sequence[str] | None = None) -> pd.DataFrame:
    """Scenario × headline figure: one row per named scenario, one column per metric (formatted text)."""
    from dashboard.core.results import page_modules

    pages = [p for p in (pages or page_modules()) if p != "overview"]
    rows = []
    for name, scenario in named:
        row: dict[str, Any] = {t("hearing.col_name", lang): name}
        for page in pages:
            for m in page_results(page, scenario, lang, overlay)["metrics"]:
                row[f"{m.label(lang)}"] = m.formatted(lang)
        rows.append(row)
    return pd.DataFrame(rows)


