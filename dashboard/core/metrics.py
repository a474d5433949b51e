"""Metric: a headline number with its unit, bilingual label and sources, shared by pages, CLI and brief."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
    # How the source states the number, kept wherever the number goes (QUALIFIERS): the report's
    # "超过50人" is `50, qualifier="more_than"` and prints 超过50人 / more than 50 people.
    qualifier: str = ""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def note(self, lang: str) -> str:
        return self.note_zh if lang == "zh" else self.note_en

    def formatted(self, lang: str = "zh", money_unit: str | None = None) -> str:
        """The value as shown on screen and in the brief (same text everywhere), with its qualifier."""
        return qualify(format_value(self.value, self.unit, self.decimals, lang, money_unit), self.qualifier, lang)

    def qualifier_text(self, lang: str = "zh") -> str:
        """The qualifier's word in `lang` ('超过', 'about', ...), '' when the number is stated exactly."""
        return QUALIFIERS[self.qualifier][2 if lang == "zh" else 3] if self.qualifier in QUALIFIERS else ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source_ids"] = list(self.source_ids)
        return d


# code -> (zh pattern, en pattern, zh word, en word); {n} is the formatted number with its unit. "plus" is
# Chinese 多/余 after the number (130多项, 6万多人); fractions print the report's words, then the number.
QUALIFIERS: dict[str, tuple[str, str, str, str]] = {
    "more_than": ("超过{n}", "more than {n}", "超过", "more than"),
    "plus": ("{n}", "more than {n}", "多", "more than"),
    "less_than": ("不到{n}", "less than {n}", "不到", "less than"),
    "about": ("约{n}", "about {n}", "约", "about"),
    "nearly": ("近{n}", "nearly {n}", "近", "nearly"),
    "at_least": ("至少{n}", "at least {n}", "至少", "at least"),
    "one_third": ("三分之一", "one third", "三分之一", "one third"),
}

_NUMBER_HEAD = __import__("re").compile(r"^([0-9][0-9,.]*(?:\.[0-9]+)?[万亿]?)")


def qualify(text: str, qualifier: str, lang: str = "zh") -> str:
    """`text` (a formatted number) with the source's qualifier: 超过50人, 130多项, 6万多人, about 34 beds."""
    if not qualifier or qualifier not in QUALIFIERS or text == "—":
        return text
    zh, en, _, _ = QUALIFIERS[qualifier]
    if qualifier == "plus" and lang == "zh":
        def plus(m) -> str:  # 60,000 -> 6万多 (as the report writes it), 130 -> 130多
            digits = m.group(1).replace(",", "")
            if digits.isdigit() and int(digits) >= 10_000 and int(digits) % 10_000 == 0:
                return f"{int(digits) // 10_000}万多"
            return m.group(1) + "多"

        return _NUMBER_HEAD.sub(plus, text, count=1)
    return (zh if lang == "zh" else en).format(n=text)


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
