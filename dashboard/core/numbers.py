"""Numbers for people, in one place: grouping, 万/亿 in Chinese, thousand/million in English, money units.

Every figure the app shows (tiles, sentences, tables, chart axes), the brief and the command line print
goes through `format_number`, `format_amount` or `format_money` here (via `core.metrics.format_value`),
so a page, its brief and the CLI print the same text. Digit grouping and the decimal sign come from
Babel's CLDR data; the scale words come from the catalog (`units.json`).

Conventions:
- Chinese: counts from 10万 up are written in 万 (22.6万人), from 1亿 up in 亿; money totals in 万元
  (2,043万元), or 亿元 when the page's largest total reaches 10亿元. Below 1万 the number is written out.
- English: counts in full with thousands separators below a million (226,492 people), then "million";
  money totals in million yuan, or billion yuan when the page's largest total reaches 10 billion.
- One money unit per page: `money_unit(values, lang)` picks it from the largest total on the page;
  `format_money(..., unit=...)` writes every total of that page in it. Without a page unit the value's
  own magnitude picks it by the same thresholds (no page of the app crosses one, see tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from babel.numbers import format_decimal

LOCALES = {"zh": "zh_CN", "en": "en_US"}

# (unit key, yuan per unit); the catalog has `units.<key>` for each.
MONEY_UNITS = {
    "zh": (("wan_yuan", 1e4), ("yi_yuan", 1e8)),
    "en": (("million_yuan", 1e6), ("billion_yuan", 1e9)),
}
# A page switches to the larger unit once its largest total reaches this many yuan.
_BIGGER_FROM = {"zh": 1e9, "en": 1e10}
# Counts switch to 万 / million from here (exact figures below).
_COUNT_SCALE = {"zh": ((1e8, "yi"), (1e5, "wan")), "en": ((1e6, "million"),)}
_SCALE_FACTOR = {"wan": 1e4, "yi": 1e8, "million": 1e6}


def format_number(value: float, decimals: int = 0, lang: str = "zh") -> str:
    """`value` with digit grouping and exactly `decimals` decimals, in the language's convention (Babel)."""
    decimals = max(0, int(decimals))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    # round half away from zero first: Babel rounds half to even (2.5 -> 2), people expect 3
    rounded = _round_half_up(float(value), decimals)
    return format_decimal(rounded, format=pattern, locale=LOCALES.get(lang, "zh_CN"), decimal_quantization=True)


def _round_half_up(value: float, decimals: int) -> float:
    factor = 10 ** decimals
    scaled = abs(value) * factor
    out = math.floor(scaled + 0.5 + 1e-9) / factor
    return -out if value < 0 else out


round_half_up = _round_half_up  # the rounding of every shown figure, for tables that keep numbers as numbers


def _word(key: str, lang: str) -> str:
    from dashboard.core.text import t

    return t(f"units.{key}", lang)


def join_unit(number: str, unit_text: str, lang: str) -> str:
    """Number and unit as a language writes them: 2,043万元, 20.4 million yuan, 71.1%."""
    if not unit_text:
        return number
    if lang == "zh" or unit_text.startswith(("%", "×")):
        return number + unit_text
    return f"{number} {unit_text}"  # a plain space: on a narrow tile the unit wraps under the number


def format_amount(value: float, decimals: int, unit_text: str, lang: str = "zh") -> str:
    """A count with its unit words: exact below 10万 (zh) / a million (en), else in 万/亿 or million."""
    for threshold, scale in _COUNT_SCALE.get(lang, ()):
        if abs(value) >= threshold:
            scaled = value / _SCALE_FACTOR[scale]
            text = format_number(scaled, 1 if abs(scaled) < 1000 else 0, lang)
            return join_unit(_scaled(text, scale, lang), unit_text, lang)
    return join_unit(format_number(value, decimals, lang), unit_text, lang)


def _scaled(number: str, scale: str, lang: str) -> str:
    """A number with its scale word: 22.6万 / 1.2 million."""
    word = _word(f"scale.{scale}", lang)
    return number + word if lang == "zh" else f"{number} {word}"


def money_unit(values_yuan: Iterable[float | None], lang: str = "zh") -> str:
    """The one money unit for a page whose totals are `values_yuan` (its largest total decides)."""
    biggest = max((abs(v) for v in values_yuan if v is not None and math.isfinite(v)), default=0.0)
    small, big = MONEY_UNITS.get(lang, MONEY_UNITS["zh"])
    return big[0] if biggest >= _BIGGER_FROM.get(lang, 1e9) else small[0]


def money_factor(unit: str) -> float:
    for units in MONEY_UNITS.values():
        for key, factor in units:
            if key == unit:
                return factor
    raise KeyError(unit)


def format_money(yuan: float, lang: str = "zh", decimals_millions: int = 1, unit: str | None = None) -> str:
    """A money total in the page's unit: 2,043万元 / 20.43 million yuan.

    `decimals_millions` is the precision the figure has in millions (the models' unit); the shown
    decimals follow it (two decimals of a million = whole 万).
    """
    unit = unit or money_unit([yuan], lang)
    factor = money_factor(unit)
    decimals = money_decimals(unit, decimals_millions)
    shown = _round_half_up(yuan / factor, decimals)
    if shown == 0:  # nothing is 0, not 0.00
        decimals = 0
    return join_unit(format_number(shown, decimals, lang), _word(unit, lang), lang)


# The finest step a money total is written to, in yuan: whole 万 (10,000 yuan), in both languages, so
# 2,320万元 and 23.20 million yuan carry the same digits (an English total is not rounder than the Chinese).
_MONEY_STEP = 1e4


def money_decimals(unit: str, decimals_millions: int = 1) -> int:
    """Decimals a money total shows in `unit`: `decimals_millions` (its precision in millions, the models'
    unit) moved to the unit, but never coarser than whole 万 in either language, and at most two."""
    factor = money_factor(unit)
    from_model = decimals_millions + round(math.log10(factor / 1e6))
    wan = round(math.log10(factor / _MONEY_STEP))  # decimals of `unit` that make whole 万
    return min(2, max(0, from_model, wan))


def shown_value(value: float, decimals: int) -> float:
    """`value` as it is shown with `decimals` decimals (rounded half away from zero): differences of shown
    figures are taken between these, so value − baseline = difference on the screen too."""
    return _round_half_up(float(value), decimals)


def amount_scale(values: Iterable[float], lang: str = "zh") -> str | None:
    """The scale word ('wan', 'yi', 'million') the largest of `values` is written in, None when in full."""
    biggest = max((abs(float(v)) for v in values), default=0.0)
    for threshold, scale in _COUNT_SCALE.get(lang, ()):
        if biggest >= threshold:
            return scale
    return None


def format_amount_difference(value: float, ref: float, decimals: int, unit_text: str, lang: str = "zh") -> str:
    """value − ref as the two are shown (format_amount), signed: 22.6万 − 21.0万 is +1.6万, never a
    difference computed from unrounded figures; '' when the two are shown alike."""
    scale = amount_scale((value, ref), lang)
    if scale is None:
        diff = shown_value(value, decimals) - shown_value(ref, decimals)
        d = decimals
    else:
        f = _SCALE_FACTOR[scale]
        d = 1 if max(abs(value), abs(ref)) / f < 1000 else 0
        diff = shown_value(value / f, d) - shown_value(ref / f, d)
    diff = _round_half_up(diff, d)  # symmetric about zero
    if diff == 0:
        return ""
    if scale is None:
        text = join_unit(format_number(abs(diff), d, lang), unit_text, lang)
    else:
        text = join_unit(_scaled(format_number(abs(diff), d, lang), scale, lang), unit_text, lang)
    return ("+" if diff > 0 else "-") + text


def format_money_difference(yuan: float, ref_yuan: float, lang: str = "zh", decimals_millions: int = 1,
                            unit: str | None = None) -> str:
    """yuan − ref_yuan as the two totals are shown (format_money, one unit), signed; '' when shown alike."""
    unit = unit or money_unit([yuan, ref_yuan], lang)
    factor = money_factor(unit)
    d = money_decimals(unit, decimals_millions)
    diff = shown_value(yuan / factor, d) - shown_value(ref_yuan / factor, d)
    diff = _round_half_up(diff, d)  # symmetric about zero
    if diff == 0:
        return ""
    return ("+" if diff > 0 else "-") + join_unit(format_number(abs(diff), d, lang), _word(unit, lang), lang)


def axis_ticks(vmin: float, vmax: float, lang: str = "zh", n: int = 5) -> tuple[list[float], list[str]] | None:
    """Tick values and texts for a numeric axis spanning [vmin, vmax] in the language's convention.

    Chinese: 0, 5,000, 1万, 1.5万 (never 5k/10k); English: 0, 5,000, 10,000 (millions as 1.5M is plotly's
    own and fine). Returns None when plotly's own ticks already read right (small numbers).
    """
    if not (math.isfinite(vmin) and math.isfinite(vmax)) or vmax <= vmin:
        return None
    top = max(abs(vmin), abs(vmax))
    if top < 1e4:
        return None
    values, _ = tick_values(vmin, vmax, n)
    texts = [axis_number(v, lang) for v in values]
    return values, texts


def tick_values(vmin: float, vmax: float, n: int = 5) -> tuple[list[float], float]:
    """Round tick values for [vmin, vmax] (about `n` steps of 1, 2, 2.5 or 5 × 10^k, from the step at or
    below vmin to half a step past vmax, at most 3n), and the step."""
    step = _nice_step((vmax - vmin) / n)
    start = math.floor(vmin / step) * step
    values: list[float] = []
    while len(values) < 3 * n and start + len(values) * step <= vmax + step * 0.5:
        values.append(round(start + len(values) * step, 10))
    return values, step


def axis_ticks_for(vmin: float, vmax: float, lang: str = "zh") -> tuple[list[float], list[str]] | None:
    """The ticks a chart axis needs in `lang`: Chinese 万/亿 ticks (axis_ticks); None in English, where
    plotly's own 5k/10k/1.5M read as an English reader expects."""
    return axis_ticks(vmin, vmax, lang) if lang == "zh" else None


def axis_number(value: float, lang: str = "zh") -> str:
    """One tick's text: 1.5万 / 2亿 in Chinese, 15,000 / 2M in English."""
    a = abs(value)
    if lang == "zh":
        for factor, scale in ((1e8, "yi"), (1e4, "wan")):
            if a >= factor:
                return _trim(format_number(value / factor, 2, lang)) + _word(f"scale.{scale}", lang)
        return format_number(value, 0, lang)
    if a >= 1e6:
        return _trim(format_number(value / 1e6, 2, lang)) + "M"
    return format_number(value, 0, lang)


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _nice_step(raw: float) -> float:
    exp = math.floor(math.log10(raw)) if raw > 0 else 0
    base = raw / 10 ** exp
    nice = 1 if base <= 1 else 2 if base <= 2 else 2.5 if base <= 2.5 else 5 if base <= 5 else 10
    return nice * 10 ** exp
