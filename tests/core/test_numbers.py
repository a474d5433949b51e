"""Numbers for people (dashboard/core/numbers.py): 万/亿 in Chinese, million in English, one money unit."""

from __future__ import annotations

import pytest

from dashboard.core import numbers
from dashboard.core.metrics import format_value
from dashboard.core.results import scenario_results
from dashboard.core.scenario import Scenario


@pytest.mark.parametrize(("value", "unit", "decimals", "lang", "text"), [
    (20.4276, "million_yuan", 2, "zh", "2,043万元"),
    (20.4276, "million_yuan", 2, "en", "20.43 million yuan"),
    (129.8356, "million_yuan", 1, "zh", "12,984万元"),
    (0.2336, "million_yuan", 2, "zh", "23万元"),
    (2500.0, "million_yuan", 1, "zh", "25.00亿元"),  # a page of totals from 10亿元 up is written in 亿元
    (226_492, "persons", 0, "zh", "22.6万人"),
    (226_492, "persons", 0, "en", "226,492 people"),
    (60_000, "persons", 0, "en", "60,000 people"),
    (4515, "beds", 0, "zh", "4,515张"),
    (71.05, "percent", 1, "zh", "71.1%"),  # half away from zero, not Babel's half-to-even
    (2031, "year", 0, "zh", "2031"),
    (34.0, "per_1000", 1, "en", "34.0"),
    (200, "firms", 0, "zh", "200家"),
])
def test_format_value(value, unit, decimals, lang, text):
    assert format_value(value, unit, decimals, lang) == text


def test_axis_ticks_in_wan_never_k():
    values, texts = numbers.axis_ticks(0, 13_580, "zh")
    assert values == [0, 5000, 10000, 15000] and texts == ["0", "5,000", "1万", "1.5万"]
    assert numbers.axis_ticks(0, 800, "zh") is None  # small numbers: plotly's own ticks read right


def test_one_money_unit_per_page():
    """Every money total of a page is written in the same unit, in both languages."""
    results = scenario_results(Scenario.default())["pages"]
    for lang, units in (("zh", ("万元", "亿元")), ("en", ("million yuan", "billion yuan"))):
        for page, res in results.items():
            shown = {u for m in res["metrics"] if m["unit"] == "million_yuan"
                     for u in units if format_value(m["value"], m["unit"], m["decimals"], lang).endswith(u)}
            assert len(shown) <= 1, (page, lang, shown)
