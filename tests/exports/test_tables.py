"""Known answers for the downloaded tables (exports/tables.py, provenance.page_csv_bytes): rounded as shown,
headed and coded in the reader's language, every CSV with its provenance column."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from dashboard import registry
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from dashboard.exports import content, provenance, tables

PAGES = [p for p in registry.keys(in_brief=True) if p in content.available_pages()]
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$|^[a-z]{3,}$")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def _too_many_digits(v, limit: int = 5) -> bool:
    if isinstance(v, float) and v == v:
        text = repr(v)
        return "." in text and len(text.split(".")[1]) > limit
    return False


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_exported_table_has_raw_floats(page, lang):
    for name, frame in provenance.labelled_tables(page, Scenario.default(), lang).items():
        for col in frame.columns:
            bad = [v for v in frame[col] if _too_many_digits(v)]
            assert not bad, (name, col, bad[:3])


@pytest.mark.parametrize("page", PAGES)
def test_zh_tables_have_no_english_headers_or_codes(page):
    for name, frame in provenance.labelled_tables(page, Scenario.default(), "zh").items():
        ids = ("key", "来源")  # the headline's metric key and source ids are identifiers
        heads = [c for c in frame.columns if c not in ids]
        assert not [c for c in heads if ASCII_WORD.search(str(c))], (name, heads)
        for col in frame.columns:
            if (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])) and col not in ids and "代码" not in col and "编号" not in col:
                codes = {v for v in frame[col] if isinstance(v, str) and SNAKE.match(v)}
                assert not codes, (name, col, sorted(codes)[:5])


def test_headline_values_are_rounded_as_the_tiles_show_them():
    people = Metric("p", 25.04582206615485, "persons", "x", "x", (), decimals=1)
    assert people.rounded(people.value) == 25 and isinstance(people.rounded(people.value), int)
    share = Metric("s", 49.83221621621622, "percent", "x", "x", (), decimals=1)
    assert share.rounded(share.value) == 49.8
    wage = Metric("w", 50000.00000000001, "yuan", "x", "x", (), decimals=0)
    assert wage.rounded(wage.value) == 50000
    gini = Metric("g", 0.4048915140370936, "count", "x", "x", (), decimals=2)
    assert gini.rounded(gini.value) == 0.4
    money = Metric("m", 20.4312, "million_yuan", "x", "x", (), decimals=0)
    assert money.rounded(money.value, "zh") == 20.43  # shown as 2,043万元: whole 万 = 0.01 million
    # English shows the same whole 万 (20.43 million yuan), so its table keeps the same digits
    assert money.formatted("en") == "20.43 million yuan" and money.rounded(money.value, "en") == 20.43
    frame = tables.metrics_frame([gini, people], "zh")
    assert list(frame["单位"]) == ["", "人"]  # a coefficient has no unit; never the code 'count'
    assert list(frame["数值"]) == [0.4, 25]


def test_beds_detail_tables_in_chinese():
    frames = provenance.labelled_tables("beds", Scenario.default(), "zh")
    by_type = frames["beds_supply_by_type"]
    assert "机构类型" in by_type.columns and "home_care_centre" not in set(by_type["机构类型"])
    assert "居家养老服务中心" in set(by_type["机构类型"])
    areas = frames["beds_areas"]
    assert "name_en" not in areas.columns and "名称" in areas.columns and "区" in set(areas["层级"])
    met = areas["需求满足率(%)"].dropna()
    assert met.between(0, 1000).all() and (met == met.round(1)).all() and met.max() > 1  # a percentage


def test_city_row_never_repeats_the_central_citys_communities():
    """The data holds the central city's 121 communities only; the report counts 410 committees city-wide."""
    frames = provenance.labelled_tables("beds", Scenario.default(), "zh")
    cov = frames["beds_home_care_coverage"]
    assert "荆州市(全市)" not in set(cov["名称"]) and "中心城区" in set(cov["名称"])
    areas = frames["beds_areas"].set_index("区域代码")
    assert pd.isna(areas.loc["421000", "城市社区"])
    assert areas.loc["421000C", "城市社区"] == 121


def test_coverage_percentages_at_one_decimal():
    sub = provenance.labelled_tables("coverage", Scenario.default(), "zh")["coverage_by_district"]
    share = sub["覆盖率(%)"].dropna()
    assert (share == share.round(1)).all()
    assert sub["每名全科医生服务人口"].dropna().map(lambda v: float(v).is_integer()).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_csv_buttons_are_localised_and_carry_provenance(lang):
    frame = pd.DataFrame({"compound_id": ["C1", "C2"], "enclosure": ["semi_closed", "closed"],
                          "annual_cost_yuan": [24330259.285682425, 1.5], "managed_share_pct": [83.33333333333333, 50.0]})
    data = provenance.page_csv_bytes("property", frame, Scenario.default(), lang)
    out = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    prov = "数据来源(类别 · 名称)" if lang == "zh" else "Provenance (kind · source)"
    assert list(out.columns)[-1] == prov and out[prov].str.len().gt(0).all()
    if lang == "zh":
        assert list(out.columns)[:4] == ["小区编号", "封闭形式", "年度费用(元)", "物业覆盖率(%)"]
        assert list(out["封闭形式"]) == ["半封闭式", "封闭式"]
        assert out[prov].str.startswith("示意数据").all()
    assert list(out.iloc[:, 2]) == [24330259, 2] and list(out.iloc[:, 3]) == [83.3, 50.0]
