"""Tables of a page (metrics, details) and their downloads: CSV/XLSX bytes with formula injection neutralised."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from dashboard.core.metrics import Metric, format_difference
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
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
               t("hearing.col_qualifier", lang): m.qualifier_text(lang), t("hearing.col_value", lang): m.value,
               t("hearing.col_unit", lang): m.unit, t("hearing.col_scenario", lang): m.formatted(lang),
               t("ranges.col_low", lang): m.low, t("ranges.col_high", lang): m.high}
        if baseline is not None:
            ref = base.get(m.key)
            row[t("hearing.col_baseline", lang)] = baseline_text(m, ref, lang)
            row[t("hearing.col_difference", lang)] = difference_text(m, ref, lang)
        row[t("hearing.col_source", lang)] = ", ".join(m.source_ids)
        rows.append(row)
    return pd.DataFrame(rows)


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
        tables[f"{page}_{name}"] = frame
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


