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

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def note(self, lang: str) -> str:
        return self.note_zh if lang == "zh" else self.note_en

    def formatted(self, lang: str = "zh") -> str:
        """The value as shown on screen and in the brief (same text everywhere)."""
        return format_value(self.value, self.unit, self.decimals, lang)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source_ids"] = list(self.source_ids)
        return d


DEMO_SOURCE = "demo_layer"


def cite_data(source_ids: tuple[str, ...], data_sources: tuple[str, ...]) -> tuple[str, ...]:
    """Replace the demonstration layer's id in `source_ids` by the ids the session's data really carries."""
    out: list[str] = []
    for sid in source_ids:
        for real in (data_sources or (sid,)) if sid == DEMO_SOURCE else (sid,):
            if real not in out:
                out.append(real)
    return tuple(out)


_UNIT_TEXT = {
    "percent": ("%", "%"),
    "persons": ("人", " people"),
    "beds": ("张", " beds"),
    "beds_per_year": ("张/年", " beds/yr"),
    "yuan": ("元", " yuan"),
    "yuan_per_year": ("元/年", " yuan/yr"),
    "million_yuan": ("百万元", " million yuan"),
    "centres": ("所", " centres"),
    "count": ("", ""),
    "year": ("", ""),
    "per_1000": ("张", ""),  # the label says "per 1,000 older people"
    "m": ("米", " m"),
    "km": ("公里", " km"),
    "hours": ("小时", " hours"),
    "years": ("年", " years"),
    "departments": ("个", ""),
}


def format_value(value: Any, unit: str, decimals: int = 0, lang: str = "zh") -> str:
    """Format a number with thousands separators and its unit in the chosen language."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    text = f"{value:.0f}" if unit == "year" else f"{value:,.{decimals}f}"  # 2031, not 2,031
    zh, en = _UNIT_TEXT.get(unit, (f" {unit}", f" {unit}"))
    return text + (zh if lang == "zh" else en)
