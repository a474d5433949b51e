"""Metric: a headline number with its unit, bilingual label and sources, shared by pages, CLI and brief."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from dashboard.core.text import by_lang, t


@dataclass(frozen=True)
class Metric:
    """One headline figure. `source_ids` resolve in data/sources.csv; `kind` is the weakest of them."""

    key: str
    value: float | int | str | None
    unit: str
    label_zh: str
    label_en: str
    source_ids: tuple[str, ...]
    decimals: int = 0
    note_zh: str = ""
    note_en: str = ""
    # The range when the assumptions move within their plausible bands (dashboard/core/ranges.py);
    # None when not computed. Equal to `value` when the figure depends on no varied assumption.
    low: float | int | str | None = None
    high: float | int | str | None = None
    # How the source states the number, kept wherever the number goes (QUALIFIERS): the report's
    # "超过50人" is `50, qualifier="more_than"` and prints 超过50人 / more than 50 people.
    qualifier: str = ""

    def label(self, lang: str) -> str:
        return by_lang(lang, self.label_zh, self.label_en)

    def note(self, lang: str) -> str:
        return by_lang(lang, self.note_zh, self.note_en)

    @property
    def shown_decimals(self) -> int:
        """Decimals the range supports (never more than `decimals`): see `range_decimals`."""
        return range_decimals(self.low, self.high, self.decimals)

    def formatted(self, lang: str = "zh", money_unit: str | None = None, decimals: int | None = None) -> str:
        """The value as shown on screen and in the brief (same text everywhere), rounded to the
        precision its range supports, with its qualifier. `decimals` overrides the precision (a baseline
        is shown at its scenario figure's precision, see `format_difference`)."""
        d = self.shown_decimals if decimals is None else decimals
        return qualify(format_value(self.value, self.unit, d, lang, money_unit), self.qualifier, lang)

    def rounded(self, x: Any, lang: str = "zh") -> Any:
        """`x` (the value or a range end) as a number rounded as the tile shows it (`shown_decimals`,
        whole for counts of people, beds, households; money to the digits its shown unit keeps, e.g. whole
        万元 = 0.01 million): for tables that keep numbers as numbers, in the metric's own unit."""
        if not _is_number(x):
            return x
        from dashboard.core import numbers

        decimals = 0 if self.unit in WHOLE_UNITS else self.shown_decimals
        if self.unit in MONEY_TOTAL_UNITS:  # the decimals the tile shows in its unit (format_money), in ours
            shown_unit = numbers.money_unit([float(self.value if _is_number(self.value) else x)
                                             * MONEY_TOTAL_UNITS[self.unit]], lang)
            shift = round(math.log10(numbers.money_factor(shown_unit) / MONEY_TOTAL_UNITS[self.unit]))
            decimals = numbers.money_decimals(shown_unit, decimals) - shift
        out = numbers.round_half_up(float(x), decimals)
        return int(out) if decimals == 0 else out

    def qualifier_text(self, lang: str = "zh") -> str:
        """The qualifier's word in `lang` ('超过', 'about', ...), '' when the number is stated exactly."""
        return t(f"common.qualifier_word_{self.qualifier}", lang) if self.qualifier in QUALIFIERS else ""

    def has_range(self) -> bool:
        """A range that is not a single point."""
        return self.low is not None and self.high is not None and self.low != self.high

    def range_text(self, lang: str = "zh") -> str:
        """'2,043–3,347万元' (low–high with the unit once); '' without a range or when low = high."""
        if not self.has_range():
            return ""
        return format_range(self.low, self.high, self.unit, self.shown_decimals, lang)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source_ids"] = list(self.source_ids)
        return d


# Units counted in whole things: a table shows 25 people, never 25.0458.
WHOLE_UNITS: tuple[str, ...] = ("persons", "beds", "households", "beds_per_year", "centres", "departments")

# The qualifier codes; their words are catalog texts: `common.qualifier_<code>` the number with its qualifier
# ({n} is the formatted number with its unit), `common.qualifier_word_<code>` the word alone. "plus" is Chinese
# 多/余 after the number (130多项, 6万多人); fractions print the report's words, then the number.
QUALIFIERS: tuple[str, ...] = ("more_than", "plus", "less_than", "about", "nearly", "at_least", "one_third")

_NUMBER_HEAD = __import__("re").compile(r"^([0-9][0-9,.]*(?:\.[0-9]+)?[万亿]?)")


def qualify(text: str, qualifier: str, lang: str = "zh") -> str:
    """`text` (a formatted number) with the source's qualifier: 超过50人, 130多项, 6万多人, about 34 beds."""
    if not qualifier or qualifier not in QUALIFIERS or text == "—":
        return text
    if qualifier == "plus" and lang == "zh":  # grammar: 多 goes inside the number (6万多人), not before it
        def plus(m) -> str:  # 60,000 -> 6万多 (as the report writes it), 130 -> 130多
            digits = m.group(1).replace(",", "")
            if digits.isdigit() and int(digits) >= 10_000 and int(digits) % 10_000 == 0:
                return f"{int(digits) // 10_000}万多"
            return m.group(1) + "多"

        return _NUMBER_HEAD.sub(plus, text, count=1)
    return t(f"common.qualifier_{qualifier}", lang, n=text)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def qualifier_code(note: str) -> str:
    """The Metric qualifier (core.metrics.QUALIFIERS) an indicator's note states: 'more than (多)' -> 'plus'."""
    low = note.lower()
    if low.startswith("one third"):
        return "one_third"
    for key, code in (("more than (超过)", "more_than"), ("more than (多)", "plus"), ("more than (余)", "plus"),
                      ("more than", "more_than"), ("less than", "less_than"), ("near", "nearly"),
                      ("about", "about"), ("at least", "at_least")):
        if key in low:
            return code
    return ""


DEMO_SOURCE = "demo_layer"


def cite_data(source_ids: tuple[str, ...], data_sources: tuple[str, ...]) -> tuple[str, ...]:
    """Replace the demonstration layer's id in `source_ids` by the ids the session's data really carries."""
    out: list[str] = []
    for sid in source_ids:
        for real in (data_sources or (sid,)) if sid == DEMO_SOURCE else (sid,):
            if real not in out:
                out.append(real)
    return tuple(out)


# Money totals: the models keep them in millions of yuan (`million_yuan`); shown in the page's unit.
MONEY_TOTAL_UNITS = {"million_yuan": 1e6}


def unit_suffix(unit: str, lang: str = "zh") -> str:
    """What follows a number of `unit` (catalog `units.after.<unit>`, else the unit's name)."""
    from dashboard.core.text import catalog, unit_label

    entry = catalog().get(f"units.after.{unit}")
    return entry[lang] if entry is not None and lang in entry else unit_label(unit, lang)


def format_value(value: Any, unit: str, decimals: int = 0, lang: str = "zh", money_unit: str | None = None) -> str:
    """A number with its unit in the chosen language: grouping, 万/亿 or million, money in the page's unit.

    The one formatter of figures: tiles, sentences, tables, the brief and the CLI all call it
    (through `Metric.formatted`), so they print the same text. See `dashboard.core.numbers`.
    """
    from dashboard.core import numbers

    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == "year":
        return f"{value:.0f}"  # 2031, not 2,031
    if unit in MONEY_TOTAL_UNITS:
        return numbers.format_money(float(value) * MONEY_TOTAL_UNITS[unit], lang, decimals, money_unit)
    return numbers.format_amount(float(value), decimals, unit_suffix(unit, lang), lang)


def format_difference(metric: Metric, ref: Metric, lang: str = "zh", money_unit: str | None = None) -> str:
    """Scenario − baseline as a tile, the brief and the tables show it: both figures at the scenario
    figure's shown precision, the difference taken between the shown numbers (23.20 − 20.42 = +2.78,
    never a third rounding), shares in percentage points; '' when not numeric or shown alike."""
    from dashboard.core import numbers

    num = (int, float)
    if not isinstance(metric.value, num) or not isinstance(ref.value, num) or isinstance(metric.value, bool):
        return ""
    d = metric.shown_decimals
    if metric.unit in MONEY_TOTAL_UNITS:
        f = MONEY_TOTAL_UNITS[metric.unit]
        return numbers.format_money_difference(float(metric.value) * f, float(ref.value) * f, lang, d, money_unit)
    if metric.unit == "percent":  # a difference of two shares is in percentage points
        diff = numbers.shown_value(metric.value, d) - numbers.shown_value(ref.value, d)
        diff = numbers.shown_value(diff, d)
        if diff == 0:
            return ""
        return ("+" if diff > 0 else "-") + numbers.format_number(abs(diff), d, lang) + t("hearing.pct_points", lang)
    return numbers.format_amount_difference(float(metric.value), float(ref.value), d, unit_suffix(metric.unit, lang),
                                            lang)


def range_decimals(low: Any, high: Any, decimals: int) -> int:
    """Decimals worth showing for a figure known only within [low, high]: one significant digit of the
    range's width (and of its smaller end, so 0.2 is not shown as 0), never more than the figure's own
    `decimals`; a figure whose range spans a factor of two is never shown to two decimals."""
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (low, high)):
        return decimals
    width = abs(float(high) - float(low))
    if not math.isfinite(width) or width <= 0:
        return decimals
    digits = -math.floor(math.log10(width))
    # ...but a small figure keeps one significant digit (0.2, not 0)
    smallest = min((abs(float(x)) for x in (low, high) if x), default=0.0)
    if smallest and math.isfinite(smallest):
        digits = max(digits, -math.floor(math.log10(smallest)))
    lo, hi = sorted((abs(float(low)), abs(float(high))))
    if float(low) * float(high) <= 0 or hi >= 2 * lo:  # spans a factor of two (or crosses zero)
        digits = min(digits, 1)
    return max(0, min(decimals, digits))


def format_range(low: Any, high: Any, unit: str, decimals: int = 0, lang: str = "zh") -> str:
    """'2,043–3,347万元', '71–80%', '20.4–33.5 million yuan': both ends formatted as a figure is (money in one
    unit for both), the unit once at the end when both ends share it ('至'/'to' when the low end is negative)."""
    from dashboard.core import numbers  # lazy, as in format_value (numbers reads the catalog)

    money = None
    if unit in MONEY_TOTAL_UNITS and not isinstance(low, str) and not isinstance(high, str):
        money = numbers.money_unit([float(low) * MONEY_TOTAL_UNITS[unit], float(high) * MONEY_TOTAL_UNITS[unit]], lang)
    lo, hi = format_value(low, unit, decimals, lang, money), format_value(high, unit, decimals, lang, money)
    negative = not isinstance(low, str) and float(low) < 0
    sep = "–" if not negative else t("common.range_to", lang)  # "-1,044–17,853" reads badly
    lo_num, hi_num = _NUMBER_PART.match(lo), _NUMBER_PART.match(hi)
    if lo_num and hi_num and lo_num.group(2) == hi_num.group(2):
        return f"{lo_num.group(1)}{sep}{hi}"
    return f"{lo}{sep}{hi}"


# a formatted figure as its number and the unit words after it ("2,043" + "万元", "20.4" + " million yuan")
_NUMBER_PART = re.compile(r"^([-+−]?[\d,.]+)(\D.*)?$")
