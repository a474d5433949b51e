"""Plausibility: values that pass their own column's checks but cannot be true together or in 荆州.

Three kinds, each message saying whether the file is refused or only warned about:

- cross-field (refused): a part larger than its whole — nursing beds > beds, people aged 80+ > aged
  60+, aged 60+ (or 80+) > residents;
- city bounds (refused): a count no real row can exceed — any count of people, households, beds or
  staff above the whole city's residents (2020 census, `data/census.csv`, official statistics), and a
  file whose residents, aged 60+/80+ or beds add up to more than 1.1 × the city's residents;
- unusual sizes (warned, not refused): a row far above what one compound, community, facility or
  clinic holds (`UNUSUAL`), listed once per column as a note.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.core.text import by_lang
from dashboard.data import db
from dashboard.data.schemas import Dataset
from dashboard.upload.core import MAX_PROBLEMS, Result, _problem

# (part, whole) pairs per dataset: part <= whole on every row
CROSS_FIELD = {
    "care_facilities": (("nursing_beds", "beds"),),
    "compounds": (("aged_80_plus", "aged_60_plus"), ("aged_60_plus", "residents"), ("aged_80_plus", "residents")),
    "communities": (("aged_80_plus", "aged_60_plus"), ("aged_60_plus", "residents"), ("aged_80_plus", "residents")),
}
# columns whose file total cannot exceed the city's residents (× TOTAL_MARGIN)
TOTALS = ("residents", "aged_60_plus", "aged_80_plus", "beds", "nursing_beds")
TOTAL_MARGIN = 1.1
# a warning above these per-row sizes (the shipped layer's largest rows are a fraction of them)
UNUSUAL = {
    ("compounds", "residents"): 50_000, ("compounds", "households"): 20_000,
    ("communities", "residents"): 100_000, ("communities", "households"): 40_000,
    ("care_facilities", "beds"): 5_000, ("care_facilities", "nursing_beds"): 5_000,
    ("clinics", "gps"): 500, ("clinics", "nurses"): 1_000, ("clinics", "established_staff"): 1_000,
}
_COUNT_UNITS = ("persons", "households", "beds")
# Used only if the data folder's census has no row for its city: a bound above every prefecture-level
# city's residents (the largest, 成都市, had 20.9 million in the 2020 census), so nothing real is refused.
_FALLBACK_CITY = 25_000_000


def city_residents() -> int:
    """The city's residents from the shipped census (its row for data/city.toml's code)."""
    try:
        from dashboard.data.city import current

        census = db.shipped_frames()["census"]
        value = census.loc[census["area_code"] == current().code, "residents"].dropna()
        return int(value.iloc[0]) if len(value) else _FALLBACK_CITY
    except Exception:  # shipped data not loadable: the published figure
        return _FALLBACK_CITY


def _label(ds: Dataset, column: str, lang: str) -> str:
    f = ds.field(column)
    return by_lang(lang, f.zh, f.en)


def check(ds: Dataset, frame: pd.DataFrame, numbers: Sequence[int], result: Result) -> None:
    """Add cross-field and city-bound problems, and unusual-size notes, for a typed upload."""
    flagged = {(p.row, p.column) for p in result.problems}
    city = city_residents()

    def values(column: str) -> np.ndarray:
        return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    counts = [f.name for f in ds.fields if f.type in ("int", "float") and f.unit in _COUNT_UNITS
              and f.name in frame.columns]
    for column in counts:
        v = values(column)
        for i in np.flatnonzero(v > city):
            if len(result.problems) >= MAX_PROBLEMS or (numbers[i], column) in flagged:
                continue
            result.problems.append(_problem(result.filename, numbers[i], column, f"{v[i]:,.0f}", "city_max",
                                            limit=f"{city:,}", column_zh=_label(ds, column, "zh"),
                                            column_en=_label(ds, column, "en")))
            flagged.add((numbers[i], column))
    for part, whole in CROSS_FIELD.get(ds.name, ()):
        if part not in frame.columns or whole not in frame.columns:
            continue
        a, b = values(part), values(whole)
        for i in np.flatnonzero(a > b):
            if len(result.problems) >= MAX_PROBLEMS or (numbers[i], part) in flagged:
                continue
            result.problems.append(_problem(
                result.filename, numbers[i], part, f"{a[i]:,.0f} > {b[i]:,.0f}", "cross_field", left=part, right=whole,
                lv=f"{a[i]:,.0f}", rv=f"{b[i]:,.0f}", left_zh=_label(ds, part, "zh"), right_zh=_label(ds, whole, "zh"),
                left_en=_label(ds, part, "en"), right_en=_label(ds, whole, "en")))
            flagged.add((numbers[i], part))
    for column in TOTALS:
        if column not in frame.columns:
            continue
        total = float(np.nansum(values(column)))
        if total > TOTAL_MARGIN * city:
            result.problems.append(_problem(result.filename, None, column, f"{total:,.0f}", "city_total",
                                            limit=f"{TOTAL_MARGIN * city:,.0f}", total=f"{total:,.0f}",
                                            column_zh=_label(ds, column, "zh"), column_en=_label(ds, column, "en")))
    for (name, column), limit in UNUSUAL.items():
        if name != ds.name or column not in frame.columns:
            continue
        v = values(column)
        big = np.flatnonzero((v > limit) & (v <= city))
        if len(big):
            i = big[0]
            result.notes.append(("large_values", {
                "count": len(big), "limit": f"{limit:,}", "row": numbers[i], "value": f"{v[i]:,.0f}",
                "column_zh": _label(ds, column, "zh"), "column_en": _label(ds, column, "en")}))
