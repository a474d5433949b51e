"""Grids model: known answers (Gini, re-division, tasks), the report's figures by default, every slider monotonic."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.analyses.grids import model as grids
from dashboard.analyses.pay import ladder
from dashboard.core.scenario import Scenario

# Two communities: X has grids of 100 and 700 households (1 worker each) and a new compound of 200 households
# without a grid; Y has one grid of 400 households and no worker.
GRIDS = pd.DataFrame({
    "grid_id": ["G1", "G2", "G3"], "name": ["X1", "X2", "Y1"],
    "committee_code": ["421002001001", "421002001001", "421003001001"],
    "committee_name": ["X社区", "X社区", "Y社区"], "subdistrict_name": ["中山街道", "中山街道", "西城街道"],
    "district_code": ["421002", "421002", "421003"], "households": [100, 700, 400], "grid_workers": [1, 1, 0],
    "party_cadres": [10, 50, 30],
})
COMPOUNDS = pd.DataFrame({
    "compound_id": ["C1", "C2"], "name": ["新小区", "老小区"], "committee_code": ["421002001001", "421003001001"],
    "committee_name": ["X社区", "Y社区"], "district_code": ["421002", "421003"], "subdistrict_name": ["中山街道", "西城街道"],
    "households": [200, 400], "build_year": [2019, 1990], "new_area_id": [None, None], "lon": [112.2, 112.2],
    "lat": [30.3, 30.3], "grid_id": [None, "G3"],
})
REPORT = {"tasks": 130.0, "lawful_own": 18.0, "lawful_assist": 65.0, "posts_shashi": 506.0, "cadres": 69099.0,
          "branches": 758.0}
NAMES = {"421002": {"zh": "沙市区", "en": "Shashi"}, "421003": {"zh": "荆州区", "en": "Jingzhou"}}


def test_gini_known_values():
    assert grids.gini([5, 5, 5, 5]) == 0.0
    assert grids.gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert grids.gini([1, 3]) == pytest.approx(0.25)
    assert grids.gini([7]) == 0.0


def test_redivide_and_tasks_after():
    assert grids.redivide([1000, 400, 401, 0], 400).tolist() == [3, 1, 2, 1]
    assert grids.tasks_after(130, 83, 1.0) == 83
    assert grids.tasks_after(130, 83, 0.5) == pytest.approx(106.5)
    assert grids.tasks_after(130, 83, 0.0) == 130
    assert grids.tasks_after(70, 83, 1.0) == 70  # nothing beyond the list


def test_compute_by_hand():
    a = grids.GridAssumptions(target=400, workers_per_grid=1, removed=1.0, wage_yuan=47_000.0)
    res = grids.compute(a, GRIDS, COMPOUNDS, REPORT, NAMES)
    tot = res["totals"]
    # X: 800 + 200 households -> 3 grids, 3 workers, 1 extra; Y: 400 -> 1 grid, 1 worker, 1 extra
    assert (tot["grids_needed"], tot["workers_needed"], tot["extra_workers"]) == (4, 4, 2)
    assert tot["extra_cost_yuan"] == pytest.approx(94_000.0)
    assert (tot["no_grid_compounds"], tot["no_grid_households"]) == (1, 200)
    assert tot["max_min_ratio"] == pytest.approx(7.0)
    assert tot["grids_without_worker"] == 1
    assert tot["median_households_per_worker"] == pytest.approx(400.0)  # grids of 100 and 700 with one worker each
    assert tot["gini"] == pytest.approx(grids.gini([100, 700, 400]))
    assert tot["gini_after"] == pytest.approx(grids.gini([1000 / 3] * 3 + [400]))
    assert tot["grids_in_band"] == 1  # only the 400-household grid is within 300-500
    wl = res["workload"]
    assert (wl["lawful_total"], wl["excess"], wl["tasks_after"]) == (83, 47, 83)
    assert wl["fte_freed"] == pytest.approx(506 * 47 / 130)
    assert res["report_party"]["cadres_per_branch"] == pytest.approx(69099 / 758)


def test_the_wage_is_the_pay_models():
    scenario = Scenario.default().with_values(pay_coefficient=1.0, pay_oncost_pct=30.0)
    a = grids.GridAssumptions.from_scenario(scenario)
    p = ladder.PayAssumptions.from_scenario(scenario)
    assert a.wage_yuan == pytest.approx(p.rule_pay_yuan * 1.3) == pytest.approx(65_000.0)
    assert grids.GridAssumptions.from_scenario(Scenario.default()).wage_yuan == pytest.approx(47_000.0)
    assert not any(p.key.startswith("grids_") and "wage" in p.key for p in grids.PARAMS)  # no second wage slider


def test_defaults_reproduce_the_report_figures():
    res = grids.details(Scenario.default())
    fig, tot = res["report"]["figures"], res["totals"]
    assert (fig["tasks"], fig["lawful_own"], fig["lawful_assist"]) == (130, 18, 65)
    assert (fig["cadres"], fig["branches"]) == (69099, 758)
    assert tot["grids"] == 758 and tot["cadres"] == 69099
    m = {x.key: x for x in grids.headline(Scenario.default())}
    assert m["grids_tasks_report"].formatted("zh") == "130多" and m["grids_tasks_report"].qualifier == "plus"
    assert m["grids_tasks_report"].qualifier_text("zh") == "多"  # the 限定词(原文) column is filled
    assert m["grids_tasks_report"].label("en") == "Tasks Shashi District's communities carry"
    assert "130多项" in m["grids_tasks_report"].note_zh
    assert m["grids_lawful_report"].formatted("zh") == "83"
    assert m["grids_cadres_per_branch"].formatted("zh") == "91人"
    assert "69,099" in m["grids_cadres_per_branch"].note_zh and "758" in m["grids_cadres_per_branch"].note_zh
    zh = grids.summary_sentence(Scenario.default(), "zh")
    for text in ("130多项", "18项", "65项", "69,099", "758", "武汉", "外部标准"):
        assert text in zh, text
    en = grids.summary_sentence(Scenario.default(), "en")
    assert "more than 130" in en and "external Wuhan norm" in en
    assert "std_wuhan_staffing" in m["grids_households_per_worker"].source_ids


# ---------------------------------------------------------------- every slider moves the results sensibly


def _tot(**changes) -> dict:
    return grids.details(Scenario.default().with_values(**changes))


def test_a_larger_target_size_needs_fewer_grids_and_workers():
    runs = [_tot(grids_target_households=v)["totals"] for v in (150, 300, 400, 500, 1000)]
    needed = [r["grids_needed"] for r in runs]
    extra = [r["extra_workers"] for r in runs]
    assert needed == sorted(needed, reverse=True) and needed[0] > needed[-1]
    assert extra == sorted(extra, reverse=True) and extra[0] > extra[-1]


def test_more_workers_per_grid_cost_more():
    cost = [_tot(grids_workers_per_grid=v)["totals"]["extra_cost_yuan"] for v in (1, 2, 3)]
    assert cost == sorted(cost) and cost[-1] > cost[0]


def test_the_access_system_removes_tasks_and_frees_time():
    runs = [_tot(grids_access_removed_pct=v)["workload"] for v in (0, 25, 50, 100)]
    left = [r["tasks_after"] for r in runs]
    fte = [r["fte_freed"] for r in runs]
    assert left == sorted(left, reverse=True) and (left[0], left[-1]) == (130, 83)
    assert fte == sorted(fte) and fte[0] == 0


def test_a_higher_wage_on_the_pay_page_raises_the_cost():
    cost = [_tot(pay_coefficient=v)["totals"]["extra_cost_yuan"] for v in (0.6, 0.94, 1.2)]
    assert cost == sorted(cost) and cost[-1] > cost[0]
    assert _tot(pay_oncost_pct=30.0)["totals"]["extra_cost_yuan"] > cost[1]


def test_every_grids_param_is_exercised_by_a_monotonic_test():
    assert {p.key for p in grids.PARAMS} == {"grids_target_households", "grids_workers_per_grid",
                                             "grids_access_removed_pct"}


def test_money_in_the_sentence_and_chart_goes_through_the_money_formatter():
    """The added staff cost is written as every other money figure: 498万元 / 4.98 million yuan, in the
    sentence and on the re-division chart's bars (not '¥4.98m', not '4.98百万元')."""
    from dashboard.analyses.grids import charts
    from dashboard.core.numbers import format_money

    scenario = Scenario.default()
    res = grids._shared(scenario, None)
    cost = res["totals"]["extra_cost_yuan"]
    zh = grids.summary_sentence(scenario, "zh")
    en = grids.summary_sentence(scenario, "en")
    assert "¥" not in en and "百万元" not in zh
    assert f"约{format_money(cost, 'zh')}" in zh and f"about {format_money(cost, 'en')}" in en
    for lang in ("zh", "en"):
        bars = charts.redivision_figure(res, lang).data[1].text
        assert all(("万元" in b) if lang == "zh" else ("million yuan" in b or "yuan" in b) for b in bars)
        assert not any("¥" in b or "百万元" in b for b in bars)
