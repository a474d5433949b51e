"""Numbers for people (dashboard/core/numbers.py): 万/亿 in Chinese, million in English, one money unit."""

from __future__ import annotations

import pytest

from dashboard.core import numbers
from dashboard.core.metrics import Metric, format_value
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


def test_english_money_has_the_digits_of_chinese_wan_and_zero_is_zero():
    # a wide range used to round the English figure to whole millions (23 million) while zh wrote 2,320万元
    wide = Metric("c", 23.2049, "million_yuan", "c", "c", (), 2, low=23.2, high=37.08)
    assert wide.formatted("zh") == "2,320万元" and wide.formatted("en") == "23.20 million yuan"
    small = Metric("r", 0.2468, "million_yuan", "r", "r", (), 2, low=0.12, high=1.28)
    assert small.formatted("zh") == "25万元" and small.formatted("en") == "0.25 million yuan"
    assert format_value(0.0, "million_yuan", 2, "en") == "0 million yuan"
    assert format_value(0.0001, "million_yuan", 2, "zh") == "0万元"


def test_value_baseline_and_difference_agree_on_screen():
    from dashboard.exports.tables import baseline_text, difference_text

    scen = Metric("c", 23.2049, "million_yuan", "c", "c", (), 2, low=23.2, high=37.08)
    base = Metric("c", 20.4176, "million_yuan", "c", "c", (), 2, low=18.0, high=30.0)
    assert (scen.formatted("en"), baseline_text(scen, base, "en"), difference_text(scen, base, "en")) == (
        "23.20 million yuan", "20.42 million yuan", "+2.78 million yuan")
    # (the raw difference 2.7873 would round to 2.79; the shown figures give 2.78)
    base2 = Metric("c", 20.4149, "million_yuan", "c", "c", (), 2)
    assert difference_text(scen, base2, "en") == "+2.79 million yuan"
    assert difference_text(scen, base2, "zh") == "+279万元"
    # a share shown to whole percent: 71% vs 63% is 8 points, not 7.6
    s = Metric("s", 71.1, "percent", "s", "s", (), 1, low=58.0, high=75.0)
    b = Metric("s", 63.5, "percent", "s", "s", (), 1, low=50.0, high=70.0)
    assert (s.formatted("zh"), baseline_text(s, b, "zh"), difference_text(s, b, "zh")) == ("71%", "64%", "+7个百分点")
    # counts in 万: 22.6万 − 21.0万 = +1.6万, not +16,046
    p = Metric("p", 226_492, "persons", "p", "p", (), 0)
    q = Metric("p", 210_446, "persons", "p", "p", (), 0)
    assert difference_text(p, q, "zh") == "+1.6万人"
    assert numbers.format_money_difference(1e6, 1e6, "en") == ""
