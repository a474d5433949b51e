"""Known answers for what the brief's slides say: the parameters a page reads, the kinds of the defaults,
each figure's range and source kind, whole source titles in the reader's language."""

from __future__ import annotations

import re

from dashboard.core.scenario import Scenario, input_params
from dashboard.exports import content, layout


def _slide(page: str, values: dict, lang: str = "zh") -> content.Slide:
    sc, _ = Scenario.from_values(values)
    return content.build_slides(sc, lang, pages=[page], with_figures=False)[0]


def test_grids_page_lists_the_pay_parameter_it_reads():
    assert "pay_coefficient" in [p.key for p in input_params("grids")]
    slide = _slide("grids", {"pay_coefficient": 1})
    assert [p.key for p in slide.params] == ["pay_coefficient"]
    text = layout.slide_text_blocks(slide, "zh")["params"]
    assert any("薪酬系数" in line and "0.94" in line for line in text), text


def test_defaults_say_how_many_are_assumptions():
    slide = _slide("beds", {})
    line = layout.slide_text_blocks(slide, "zh")["params"][0]
    assert "共 15 项参数，其中假设 12 项" in line, line
    assert "报告/标准默认值" not in line
    caption = content.scenario_caption(Scenario.default(), "en")
    assert re.search(r"\d+ of them assumptions", caption), caption


def test_every_figure_row_has_a_range_or_says_why_and_a_kind():
    slide = _slide("coverage", {})
    rows = layout.metric_rows(slide, "zh", False)
    assert rows[0][-2:] == ["区间", "来源类别"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["服务距离外居民"][2] == "19.9–33.3万人"
    for r in rows[1:]:
        if r[1]:
            assert r[2] and r[3], r
    pay = {r[0]: r for r in layout.metric_rows(_slide("pay", {}), "zh", False)}
    assert pay["核定社区工作者岗位"][-1] == "报告"
    assert pay["阶梯薪酬首年增支"][-1] == "示意数据"


def test_no_source_line_ends_in_a_cut_number_and_zh_titles_drop_the_english_gloss():
    slide = _slide("coverage", {})
    text = layout.sources_text(slide.sources, "zh")
    assert "800-1000米" in text and "…" not in text
    assert "seeded demonstration layer" not in text and "演示数据层" in text
    assert content.source_title("演示数据层 (seeded demonstration layer)", "en") == \
        "演示数据层 (seeded demonstration layer)"
