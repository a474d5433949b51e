"""Care-beds model: hand-made inputs with known answers, properties, and the default scenario's calibration."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analyses.beds import inputs as beds_inputs
from dashboard.analyses.beds import model as beds
from dashboard.analyses.beds import projection
from dashboard.analyses.beds import results as beds_results
from dashboard.analyses.beds.projection import (
    NOT_CLOSED,
    DemandRule,
    Plan,
    demand_beds,
    project,
    required_per_year,
)
from dashboard.core.scenario import Scenario

NORM40 = DemandRule("norm", norm_per_1000=40)
FLAT = Plan(growth_60_plus=0.0, growth_80_plus=0.0, new_per_year=0.0, closure_rate=0.0)


# ---------------------------------------------------------------- demand


def test_norm_demand_is_beds_per_1000_aged_60_plus():
    assert demand_beds(1000, 0, NORM40) == pytest.approx(40.0)
    assert demand_beds([2500, 0], [300, 0], DemandRule("norm", norm_per_1000=35)).tolist() == pytest.approx([87.5, 0])


def test_need_demand_by_hand():
    rule = DemandRule("need", need_60_79=0.10, need_80_plus=0.50, bed_use=0.6, occupancy=0.8)
    # (1,000 − 200) × 0.10 + 200 × 0.50 = 180 needing care; × 0.6 ÷ 0.8 = 135 beds
    assert demand_beds(1000, 200, rule) == pytest.approx(135.0)


def test_aged_80_plus_never_exceeds_aged_60_plus():
    rule = DemandRule("need", need_60_79=0.1, need_80_plus=0.5, bed_use=1.0, occupancy=1.0)
    assert demand_beds(100, 500, rule) == pytest.approx(50.0)  # capped at 100 people aged 80+


@pytest.mark.parametrize("bad", [{"method": "guess"}, {"occupancy": 0.0}, {"occupancy": 1.5}])
def test_bad_rule_names_the_value(bad):
    with pytest.raises(ValueError, match="method|occupancy"):
        DemandRule(**bad)


# ---------------------------------------------------------------- projection: known answers


def test_zero_growth_no_build_gap_stays_constant():
    proj = project([1000], [0], [10], NORM40, FLAT)
    assert proj.years.tolist() == list(range(2020, 2036))
    assert np.allclose(proj.demand, 40.0) and np.allclose(proj.supply, 10.0) and np.allclose(proj.gap, 30.0)
    assert proj.closing_year[0] == NOT_CLOSED


def test_zero_growth_closing_year_by_hand():
    # gap 30, 5 beds a year: closed after 6 years
    proj = project([1000], [0], [10], NORM40, Plan(0.0, 0.0, new_per_year=5))
    assert proj.closing_year[0] == 2026
    assert proj.gap[0, 5] == pytest.approx(5.0) and proj.gap[0, 6] == pytest.approx(0.0)


def test_gap_already_closed():
    proj = project([1000], [0], [50], NORM40, FLAT)
    assert proj.closing_year[0] == 2020 and not proj.reopens[0]
    assert required_per_year([1000], [0], [50], NORM40, FLAT, 2025)[0] == 0.0


def test_build_rate_exactly_enough_closes_in_the_target_year():
    plan = Plan(growth_60_plus=0.03, growth_80_plus=0.04, new_per_year=0.0)
    rule = DemandRule("need", need_60_79=0.15, need_80_plus=0.4, bed_use=0.6, occupancy=0.85)
    p60, p80, s0 = np.array([10_000.0]), np.array([1_300.0]), np.array([400.0])
    for target in (2021, 2025, 2031, 2035):
        b = required_per_year(p60, p80, s0, rule, plan, target)
        proj = project(p60, p80, s0, rule, plan, new_per_year=b)
        assert proj.closing_year[0] == target
        assert proj.gap[0, target - 2020] == pytest.approx(0.0, abs=1e-6)
        slower = project(p60, p80, s0, rule, plan, new_per_year=b - 1.0)
        assert slower.closing_year[0] > target


def test_constant_demand_required_rate_by_hand():
    # gap 30 to close in 2026 (6 years): 5 beds a year
    assert required_per_year([1000], [0], [10], NORM40, FLAT, 2026)[0] == pytest.approx(5.0)


def test_closures_follow_the_recurrence():
    plan = Plan(0.0, 0.0, new_per_year=7.0, closure_rate=0.05)
    proj = project([1000], [0], [100], NORM40, plan)
    stock = [100.0]
    for _ in range(15):
        stock.append(stock[-1] * 0.95 + 7.0)
    assert proj.supply[0] == pytest.approx(stock)
    b = required_per_year([1000], [0], [10], NORM40, plan, 2030)[0]
    assert project([1000], [0], [10], NORM40, plan, new_per_year=b).gap[0, 10] == pytest.approx(0.0, abs=1e-6)


def test_gap_can_close_and_reopen():
    # enough beds in 2020, demand grows 5% a year, nothing built: reopens
    proj = project([1000], [0], [45], NORM40, Plan(0.05, 0.05, new_per_year=0.0))
    assert proj.closing_year[0] == 2020 and proj.reopens[0]


def test_population_growth_compounds():
    proj = project([1000], [100], [0], NORM40, Plan(0.02, 0.05, 0.0))
    assert proj.aged_60_plus[0, 10] == pytest.approx(1000 * 1.02 ** 10)
    assert proj.aged_80_plus[0, 10] == pytest.approx(100 * 1.05 ** 10)


def test_projection_is_vectorised_over_areas():
    p60 = np.array([1000.0, 2000.0, 500.0])
    proj = project(p60, p60 * 0.1, np.array([10.0, 500.0, 0.0]), NORM40, Plan(0.0, 0.0, 0.0),
                   new_per_year=np.array([5.0, 0.0, 1.0]))
    assert proj.gap.shape == (3, 16)
    # demand 40, 80, 20: closes 2026; already closed; 1 bed a year closes only in 2040
    assert proj.closing_year.tolist() == [2026, 2020, NOT_CLOSED]


@pytest.mark.parametrize("target", [2020, 2036])
def test_target_year_outside_horizon_rejected(target):
    with pytest.raises(ValueError, match=str(target)):
        required_per_year([1000], [0], [10], NORM40, FLAT, target)


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("method", ["need", "norm"])
def test_more_build_closes_earlier(method):
    rule = DemandRule(method)
    plan = Plan(0.025, 0.03, 0.0)
    rates = np.arange(0, 6001, 250, dtype=float)
    n = len(rates)
    proj = project(np.full(n, 99_000.0), np.full(n, 13_000.0), np.full(n, 4_515.0), rule, plan, new_per_year=rates)
    assert np.all(np.diff(proj.closing_year) <= 0)
    assert np.all(np.diff(proj.gap, axis=0) <= 1e-9)


def test_higher_norm_gives_larger_gap_and_rate():
    norms = [20, 30, 35, 40, 60]
    gaps = [project([99_000], [13_000], [4_515], DemandRule("norm", n), FLAT).gap[0, 0] for n in norms]
    rates = [required_per_year([99_000], [13_000], [4_515], DemandRule("norm", n), FLAT, 2025)[0] for n in norms]
    assert gaps == sorted(gaps) and len(set(gaps)) == len(gaps)
    assert rates == sorted(rates)


def test_faster_ageing_needs_more_beds():
    rule = DemandRule()
    rates = [required_per_year([99_000], [13_000], [4_515], rule, Plan(g, g, 0.0), 2030)[0] for g in (0, 0.01, 0.03)]
    assert rates == sorted(rates) and rates[0] < rates[-1]


def test_more_closures_need_more_beds():
    rule = DemandRule()
    rates = [required_per_year([99_000], [13_000], [4_515], rule, Plan(0.02, 0.02, 0.0, c), 2030)[0]
             for c in (0.0, 0.02, 0.05)]
    assert rates == sorted(rates) and rates[0] < rates[-1]


# ---------------------------------------------------------------- inputs and results on hand-made frames


def _frames():
    population = pd.DataFrame({"district_code": ["100002", "100003"], "committees": [2, 1],
                               "residents": [10_000, 5_000], "aged_60_plus": [2_000, 1_000],
                               "aged_80_plus": [200, 100]})
    census = pd.DataFrame({"area_code": ["100000", "100002", "100003"], "residents": [40_000, 10_000, 5_000],
                           "aged_60_plus": [8_000, None, None], "aged_80_plus": [800, None, None]})
    supply = pd.DataFrame({"district_code": ["100002", "100002", "100003", "100099"],
                           "facility_type": ["urban_public", "home_care_centre", "urban_private", "rural"],
                           "facilities": [1, 2, 1, 3], "beds": [50, 30, 40, 200], "nursing_beds": [20, 0, 10, 40]})
    coverage = pd.DataFrame({"district_code": ["100002", "100002", "100003", "100003"],
                             "kind": ["community", "village", "community", "community"],
                             "in_pay_reform": [True, False, True, False], "committees": [2, 1, 3, 1],
                             "with_centre": [1, 0, 1, 0]})
    return population, census, supply, coverage


def test_build_inputs_rest_of_city_and_coverage():
    inputs = beds_inputs.build_inputs(*_frames(), names={"100002": "甲区", "100003": "乙区"})
    areas = inputs.areas.set_index("area_code")
    # rest = city − census districts at the city's age mix (8,000/40,000 = 20% aged 60+)
    assert areas.loc["rest", "residents"] == 25_000
    assert areas.loc["rest", "aged_60_plus"] == pytest.approx(8_000 - 15_000 * 0.2)
    assert areas.loc["rest", "aged_80_plus"] == pytest.approx(800 - 15_000 * 0.02)
    assert areas.loc["100002", "name_zh"] == "甲区"
    sup = inputs.supply.set_index(["area_code", "facility_type"])
    assert sup.loc[("rest", "rural"), "beds"] == 200  # a district without committees counts as rest
    cov = inputs.coverage.set_index("area_code")
    assert cov.loc["100002", "communities"] == 2 and cov.loc["100002", "with_centre"] == 1
    assert cov.loc["100003", "reform"] == 3 and cov.loc["100003", "reform_with_centre"] == 1
    assert inputs.home_care_mean_beds == pytest.approx(15.0)


def test_build_inputs_needs_one_city_row():
    population, census, supply, coverage = _frames()
    with pytest.raises(ValueError, match="city row"):
        beds_inputs.build_inputs(population, census[census["area_code"] != "100000"], supply, coverage)


def test_results_on_hand_made_inputs():
    inputs = beds_inputs.build_inputs(*_frames())
    scenario = Scenario.default().with_values(
        beds_district="421000", beds_demand_method="norm", beds_norm_per_1000=40, beds_new_per_year=100,
        beds_growth_60_plus_pct_per_year=0, beds_growth_80_plus_pct_per_year=0, beds_target_year=2030,
        beds_build_subsidy_yuan_per_bed=10_000, beds_running_subsidy_yuan_per_bed_year=1_000,
        beds_occupancy_pct=80)
    res = beds.compute_from_inputs(inputs, scenario)
    table = res.table.set_index("area_code")
    assert table.loc["421000", "aged_60_plus"] == pytest.approx(8_000)
    assert table.loc["421000", "supply"] == 320
    assert table.loc["421000C", "supply"] == 120
    assert table.loc["421000", "demand"] == pytest.approx(320)  # 8,000 × 40 / 1,000
    assert res.closing_year == 2020 and res.required_per_year == 0
    assert table.loc["100002", "demand"] == pytest.approx(80) and table.loc["100002", "gap"] == pytest.approx(0)
    # 乙区: demand 40, supply 40 → closed; nursing share of institutions 10/40
    assert table.loc["100003", "nursing_share"] == pytest.approx(0.25)
    # running subsidy: occupied = min(supply, demand) × 80% × 1,000 yuan
    assert res.projection["running_subsidy_yuan"].iloc[0] == pytest.approx(320 * 0.8 * 1_000)
    assert res.plan_build_subsidy_per_year == pytest.approx(100 * 10_000)
    # chosen plan in 2030: supply 320 + 10 × 100 beds, but only demand (320) is occupied
    assert res.plan_running_subsidy_target_year == pytest.approx(320 * 0.8 * 1_000)
    plan_budget = next(m for m in beds.metrics_for(res) if m.key == "plan_budget")
    assert plan_budget.value == pytest.approx(round((1_000_000 + 256_000) / 1e6, 2))


def test_nursing_helpers():
    assert projection.nursing_share(0, 0) is None
    assert projection.nursing_share(200, 50) == pytest.approx(0.25)
    assert projection.nursing_beds_short(200, 50, 0.55) == pytest.approx(60)
    assert projection.nursing_beds_short(200, 150, 0.55) == 0


# ---------------------------------------------------------------- parameters


def test_params_are_prefixed_sourced_and_labelled():
    sources = set(pd.read_csv(beds.db.data_root() / "data" / "sources.csv")["source_id"])
    for p in beds.PARAMS:
        assert p.key.startswith("beds_") and p.page == "beds"
        assert p.source_id in sources, p.key
        if p.kind in ("int", "float"):
            assert p.min <= p.default <= p.max, p.key
        for choice in p.choices:
            beds.t(f"choices.{p.key}.{choice}", "en")
        if p.unit:
            beds.t(f"units.{p.unit}", "zh")


def test_defaults_match_the_pure_model_defaults():
    assert beds.rule_from(Scenario.default()) == DemandRule()
    assert beds.plan_from(Scenario.default()) == Plan()


# ---------------------------------------------------------------- the default scenario against the report (shipped data)


@pytest.fixture(scope="module")
def default_results():
    return beds.compute(Scenario.default())


def test_default_reproduces_34_per_1000(default_results):
    cal = default_results.calibration
    assert cal["beds_per_1000_report"] == 34
    assert abs(cal["beds_per_1000_city"] - 34) <= beds_results.PER_1000_TOLERANCE
    assert cal["beds_per_1000_ok"]


def test_default_reproduces_one_third_for_shashi(default_results):
    cal = default_results.calibration
    assert cal["shashi_supply"] == cal["shashi_supply_report"] == 4515
    assert abs(cal["shashi_met_share_pct"] - 100 / 3) <= beds_results.MET_SHARE_TOLERANCE_PT
    assert cal["shashi_met_share_ok"]


def test_norm_method_cannot_reproduce_one_third(default_results):
    # the reason need-based demand is the default (stated on screen)
    assert default_results.calibration["shashi_met_share_norm_pct"] > 100


def test_default_home_care_coverage_jingzhou(default_results):
    cal = default_results.calibration
    assert cal["jingzhou_reform_communities"] == 29
    assert cal["jingzhou_reform_with_centre"] / 29 < 0.25


def test_default_supply_by_type_matches_report(default_results):
    sup = default_results.supply_by_type.groupby("facility_type")[["facilities", "beds"]].sum()
    assert sup.loc["urban_public"].tolist() == [11, 3117]
    assert sup.loc["urban_private"].tolist() == [46, 6397]
    assert sup.loc["home_care_centre"].tolist() == [290, 12992]


def test_areas_sum_to_the_city(default_results):
    table = default_results.table.set_index("area_code")
    parts = table[table["level"].isin(["district", "rest"])]
    for col in ("aged_60_plus", "supply", "demand"):
        assert parts[col].sum() == pytest.approx(table.loc["421000", col])
    assert table.loc["421000", "aged_60_plus"] == pytest.approx(1_239_437, abs=1)


def test_headline_details_and_sentence(default_results):
    scenario = Scenario.default()
    metrics = {m.key: m for m in beds.headline(scenario)}
    assert metrics["supply"].value == 4515 and metrics["met_share"].value == pytest.approx(33.3, abs=1.0)
    assert "report2020" in metrics["met_share"].source_ids
    details = beds.details(scenario)
    json.dumps(details, ensure_ascii=False)  # JSON-ready
    assert details["calibration"]["shashi_met_share_ok"]
    assert {a["area_code"] for a in details["areas"]} >= {"421002", "421003", "rest", "421000C", "421000"}
    assert set(details["assumptions"]) == {p.key for p in beds.PARAMS}
    req = f"{default_results.required_per_year:,.0f}"
    zh, en = beds.summary_sentence(scenario, "zh"), beds.summary_sentence(scenario, "en")
    assert "沙市区" in zh and req in zh and str(default_results.target_year) in zh
    assert en.startswith("At 500 new beds a year, Shashi District's gap") and req in en


def test_sentence_cases():
    base = Scenario.default()
    closes = beds.summary_sentence(base.with_values(beds_new_per_year=3000), "en")
    assert "closes in 20" in closes
    met = beds.summary_sentence(base.with_values(beds_demand_method="norm", beds_growth_60_plus_pct_per_year=0,
                                                 beds_growth_80_plus_pct_per_year=0), "en")
    assert "already meet demand" in met and "no new beds are needed" in met
    reopens = beds.summary_sentence(base.with_values(beds_demand_method="norm", beds_new_per_year=0), "zh")
    assert "将出现缺口" in reopens


@pytest.mark.parametrize("area", beds.AREA_CHOICES)
def test_every_area_choice_computes(area):
    res = beds.compute(Scenario.default().with_values(beds_district=area))
    assert res.area == area
    assert math.isfinite(res.required_per_year)
    assert beds.summary_sentence(Scenario.default().with_values(beds_district=area), "en")


def test_reach_all_communities_is_missing_centres_times_mean_size_and_subsidy(default_results):
    reach = beds.reach_all_communities(default_results)
    row = beds.selected_row(default_results)
    assert reach["communities"] == int(row["without_centre"]) > 0
    assert reach["beds"] == pytest.approx(reach["communities"] * default_results.home_care_mean_beds)
    assert reach["build_cost_yuan"] == pytest.approx(reach["beds"] * default_results.build_subsidy_per_bed)


@pytest.mark.parametrize(("today", "expected"), [(2019, 2021), (2026, 2026), (2031, 2031), (2040, 2035)])
def test_default_target_year_follows_today_within_the_horizon(today, expected):
    """This year, never the data year or before it, never after the projection's end (issue 16)."""
    from datetime import date

    assert beds.default_target_year(2020, 2035, date(today, 6, 1)) == expected


def test_tile_and_sentence_print_the_same_money(default_results):
    """One rounding path: the budget tile's text appears as it is in the summary sentence (issue 16)."""
    budget = next(m for m in beds.metrics_for(default_results) if m.key == "budget")
    for lang in ("zh", "en"):
        assert budget.formatted(lang) in beds.sentence_for(default_results, lang)


def test_default_target_year_reads_the_pinned_day(monkeypatch):
    """Tests and docs pin "today" (dashboard/core/clock.py); tests/conftest.py pins 2025-06-30."""
    from datetime import date

    from dashboard.core import clock

    monkeypatch.setenv("DASHBOARD_TODAY", "2029-01-15")
    assert clock.today() == date(2029, 1, 15)
    assert beds.default_target_year(2020, 2035) == 2029
    monkeypatch.delenv("DASHBOARD_TODAY")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1893456000")  # 2030-01-01 UTC
    assert beds.default_target_year(2020, 2035) == 2030
    monkeypatch.setenv("DASHBOARD_TODAY", "30/06/2025")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        clock.today()


def test_per_1000_is_the_reports_about_34_not_a_calibrated_finding():
    """The illustrative layer is calibrated to the report's 约34: the tile is the report's figure with its
    qualifier, sourced to the report; the calibrated value is named as calibrated, never as agreement."""
    from dashboard.analyses.beds.model import headline
    from dashboard.core.scenario import Scenario
    from dashboard.core.text import t

    m = next(x for x in headline(Scenario.default()) if x.key == "beds_per_1000_city")
    assert (m.formatted("zh"), m.qualifier, m.source_ids) == ("约34张", "about", ("report2020",))
    assert "校准" in m.note_zh and "calibrated to" in m.note_en
    assert "吻合" not in t("beds.ok", "zh") and "calibrated to" in t("beds.ok", "en")
