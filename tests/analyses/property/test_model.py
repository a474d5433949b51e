"""Property model: known answers on hand-made compounds, the report's figures by default, every slider monotonic."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dashboard.analyses.property import model as prop
from dashboard.core.scenario import Scenario
from dashboard.data import db

DEFAULT = prop.PropertyAssumptions.from_scenario(Scenario.default())
SIMPLE = dataclasses.replace(DEFAULT, subsidy=15.0, resident=10.0, min_fee=25.0, min_revenue=3000.0, years=2,
                             old_before=2000, oc_target=0.5, oc_target_year=2025)

# A: old, closed, 200 households -> needs 25, gap 15 (viable). B: old, semi-closed, 60 households -> needs 50,
# gap 40 (not viable at a 15 cap). C: old but open -> simple property. D: managed. E: owners' committee only.
# F: new and unmanaged. G: old, closed, 300 households (viable, same gap as A, more households -> first).
COMPOUNDS = pd.DataFrame({
    "compound_id": list("ABCDEFG"),
    "name": list("ABCDEFG"),
    "district_code": ["421002"] * 4 + ["421003"] * 3,
    "subdistrict_code": ["421002001"] * 4 + ["421003001"] * 3,
    "subdistrict_name": ["中山街道"] * 4 + ["西城街道"] * 3,
    "lon": [112.25] * 7, "lat": [30.3] * 7,
    "households": [200, 60, 100, 500, 80, 120, 300],
    "has_property_management": [False, False, False, True, False, False, False],
    "has_owners_committee": [False, False, False, True, True, False, False],
    "build_year": [1990, 1985, 1970, 2010, 1995, 2012, 1999],
    "enclosure": ["closed", "semi_closed", "open", "closed", "closed", "closed", "closed"],
    "property_firm_id": [None, None, None, "F001", None, None, None],
})
NAMES = {"421002": {"zh": "沙市区", "en": "Shashi"}, "421003": {"zh": "荆州区", "en": "Jingzhou"}}


def _run(a=SIMPLE, frame=COMPOUNDS) -> dict:
    return prop.compute(a, frame, {}, NAMES)


# ---------------------------------------------------------------- known answers


def test_required_fee_is_the_larger_of_the_minimum_fee_and_revenue_per_household():
    np.testing.assert_allclose(prop.required_fee(np.array([200, 60, 120, 0]), 25.0, 3000.0), [25.0, 50.0, 25.0, 3000.0])


def test_status_classification():
    status = prop.classify(COMPOUNDS, 2000).tolist()
    assert status == ["old_unmanaged", "old_unmanaged", "old_unmanaged", "managed", "owners_committee", "unmanaged",
                      "old_unmanaged"]
    frame = COMPOUNDS.assign(build_year=[None, 1985, 1970, 2010, 1995, 2012, 1999])
    assert prop.classify(frame, 2000).iloc[0] == "unmanaged"  # unknown age is not counted as old


def test_scheme_costs_and_priority_by_hand():
    res = _run()
    tot = res["totals"]
    assert (tot["eligible"], tot["served_compounds"], tot["served_households"]) == (3, 2, 500)
    assert tot["annual_cost_full_yuan"] == pytest.approx(12 * 15 * 200 + 12 * 15 * 300)  # 90,000
    assert (tot["simple_compounds"], tot["simple_households"]) == (2, 160)  # B (too small) and C (open)
    assert [r["compound_id"] for r in res["priority"]] == ["G", "A"]  # same subsidy: more households first
    assert [r["programme_year"] for r in res["priority"]] == [1, 2]
    assert [r["cost_yuan"] for r in res["years"]] == pytest.approx([54_000.0, 90_000.0])
    assert tot["managed_share_pct"] == pytest.approx(100 / 7)
    assert tot["managed_share_after_pct"] == pytest.approx(300 / 7)
    assert tot["firms"] == 1


def test_a_resident_share_that_covers_the_fee_needs_no_subsidy():
    res = _run(dataclasses.replace(SIMPLE, resident=30.0, subsidy=0.0))
    assert res["totals"]["served_compounds"] == 2  # A and G need 25 <= 30
    assert res["totals"]["annual_cost_full_yuan"] == 0.0


def test_owners_committee_target():
    res = _run()
    rows = {r["district_code"]: r for r in res["owners_committees"]}
    # 沙市区 4 compounds, 1 committee: 50% needs 2 -> 1 more over 5 years (2021-2025)
    assert (rows["421002"]["needed"], rows["421002"]["needed_per_year"]) == (1, pytest.approx(0.2))
    assert rows["421003"]["needed"] == 1  # ceil(0.5 x 3) = 2, E today
    assert (rows["all"]["owners_committee"], rows["all"]["needed"]) == (2, 2)  # ceil(3.5) = 4, D and E today


# ---------------------------------------------------------------- the shipped data reproduce the report


def test_defaults_reproduce_the_report_figures():
    res = prop.details(Scenario.default())
    fig, tot = res["report"]["figures"], res["totals"]
    assert (fig["compounds"], fig["managed"], fig["managed_share"]) == (1790, 713, 39.8)
    assert fig["oc_share_shashi"] == 14.5 and fig["firms"] == 200
    assert (tot["compounds"], tot["managed"]) == (1790, 713)
    assert round(tot["managed_share_pct"], 1) == 39.8
    assert round(tot["shashi_owners_committee_share_pct"], 1) == 14.5
    assert tot["firms"] > 200
    metrics = {m.key: m for m in prop.headline(Scenario.default())}
    assert metrics["prop_compounds_report"].formatted("zh") == "1,790"
    assert metrics["prop_managed_share_report"].formatted("zh") == "39.8%"
    assert "713" in metrics["prop_managed_share_report"].note_zh
    assert metrics["prop_oc_share_shashi"].formatted("zh") == "14.5%"
    assert metrics["prop_firms_report"].formatted("zh") == "200+"
    assert "超过200家" in metrics["prop_firms_report"].note_zh
    for key in ("prop_compounds_report", "prop_managed_share_report", "prop_oc_share_shashi", "prop_firms_report"):
        assert metrics[key].source_ids == ("report2020",)
    zh = prop.summary_sentence(Scenario.default(), "zh")
    for text in ("1,790", "713", "39.8%", "14.5%"):
        assert text in zh
    assert "713 of the central city's 1,790" in prop.summary_sentence(Scenario.default(), "en")


def test_scenario_figures_cite_the_demonstration_layer_and_the_assumptions():
    m = {x.key: x for x in prop.headline(Scenario.default())}["prop_households_served"]
    assert "demo_layer" in m.source_ids and "asm_prop_subsidy" in m.source_ids
    assert "std_old_compounds_2000" in m.source_ids


# ---------------------------------------------------------------- every slider moves the results sensibly


def _tot(**changes) -> dict:
    return prop.details(Scenario.default().with_values(**changes))["totals"]


def _served(values, key):
    return [_tot(**{key: v})["served_households"] for v in values]


def test_more_subsidy_serves_more_households_at_a_higher_cost():
    values = [0, 5, 10, 15, 25, 40, 60]
    served = _served(values, "prop_subsidy_yuan")
    cost = [_tot(prop_subsidy_yuan=v)["annual_cost_full_yuan"] for v in values]
    assert served == sorted(served) and served[-1] > served[0]
    assert cost == sorted(cost) and cost[-1] > cost[0]


def test_a_larger_resident_share_serves_more_households():
    served = _served([0, 5, 10, 20, 40], "prop_resident_yuan")
    assert served == sorted(served) and served[-1] > served[0]


def test_a_higher_firm_threshold_serves_fewer_households():
    fee = _served([5, 15, 25, 35, 60], "prop_min_fee_yuan")
    revenue = _served([0, 1000, 3000, 6000, 12000], "prop_min_revenue_yuan")
    assert fee == sorted(fee, reverse=True) and fee[0] > fee[-1]
    assert revenue == sorted(revenue, reverse=True) and revenue[0] > revenue[-1]


def test_more_years_spread_the_same_compounds_and_lower_the_first_year_cost():
    runs = {y: prop.details(Scenario.default().with_values(prop_years=y)) for y in (1, 2, 3, 5, 10)}
    ends = {y: r["totals"]["served_households"] for y, r in runs.items()}
    assert len(set(ends.values())) == 1
    first = [runs[y]["years"][0]["cost_yuan"] for y in sorted(runs)]
    assert first == sorted(first, reverse=True) and first[0] > first[-1]
    assert [len(runs[y]["years"]) for y in sorted(runs)] == sorted(runs)


def test_a_later_old_compound_year_makes_more_compounds_old():
    eligible = [_tot(prop_old_before_year=y)["eligible"] for y in (1980, 1990, 2000, 2005, 2015)]
    assert eligible == sorted(eligible) and eligible[-1] > eligible[0]


def test_owners_committee_target_and_year():
    def per_year(**kw):
        res = prop.details(Scenario.default().with_values(**kw))
        return next(r for r in res["owners_committees"] if r["district_code"] == "all")["needed_per_year"]

    by_target = [per_year(prop_oc_target_pct=v) for v in (0, 10, 30, 50, 100)]
    assert by_target[0] == 0 and by_target == sorted(by_target) and by_target[-1] > by_target[1]
    by_year = [per_year(prop_oc_target_year=y) for y in (2021, 2023, 2025, 2035)]
    assert by_year == sorted(by_year, reverse=True) and by_year[0] > by_year[-1]


def test_every_property_param_is_exercised_by_a_monotonic_test():
    covered = {"prop_subsidy_yuan", "prop_resident_yuan", "prop_min_fee_yuan", "prop_min_revenue_yuan", "prop_years",
               "prop_old_before_year", "prop_oc_target_pct", "prop_oc_target_year"}
    assert {p.key for p in prop.PARAMS} == covered


# ---------------------------------------------------------------- users' own files


def test_compounds_without_a_profile_are_of_unknown_age_not_a_crash():
    empty = db.shipped_frames()["compound_profiles"].iloc[0:0]
    res = prop.details(Scenario.default(), db.Overlay({"compound_profiles": empty}))
    tot = res["totals"]
    assert tot["unknown_year"] == 1790 and tot["old_unmanaged"] == 0 and tot["served_compounds"] == 0
    assert tot["managed"] == 713  # management comes from the compounds table itself


def test_the_sentence_writes_the_subsidy_with_the_money_formatter():
    """The yearly subsidy reads as every other money total: 582万元 / 5.82 million yuan (not '¥5.82 million')."""
    from dashboard.core.numbers import format_money

    scenario = Scenario.default()
    cost = prop.results(scenario)["totals"]["annual_cost_full_yuan"]
    zh, en = prop.summary_sentence(scenario, "zh"), prop.summary_sentence(scenario, "en")
    assert "¥" not in en
    assert f"约{format_money(cost, 'zh')}" in zh and f"about {format_money(cost, 'en')}" in en
