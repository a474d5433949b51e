"""Pay model: ladder construction, grades, budget arithmetic on hand-made staff lists, retention, report calibration."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.analyses.pay import ladder
from dashboard.analyses.pay import model as pay
from dashboard.core import ranges
from dashboard.core.scenario import Scenario

REPO = Path(__file__).resolve().parents[3]
DEFAULT = ladder.PayAssumptions.from_scenario(Scenario.default())


def assume(**changes) -> ladder.PayAssumptions:
    return dataclasses.replace(DEFAULT, **changes)


# Hand-made list: A head (grade 7), B staff with 6 years (grade 3), C staff new (grade 1) in another district.
STAFF = pd.DataFrame({
    "district_code": ["421003", "421003", "421002"],
    "post": ["head", "staff", "staff"],
    "tenure_years": [0.0, 6.0, 0.0],
    "pay_yuan_per_year": [30_000.0, 20_000.0, 25_000.0],
})
POSTS = {"421003": 2.0, "421002": 1.0}
SIMPLE = assume(coefficient=1.0, anchor="floor", grade_step=0.10, years_per_grade=3, entry_grades=(7, 4, 2, 1),
                no_cut=True, social_wage_yuan=50_000.0, wage_growth=0.0, current_growth=0.0, oncost=0.0, years=1,
                quits_per_year=3.0, quit_elasticity=1.0, turnover_cost_yuan=10_000.0)


def _budget(res: dict, year: int = 1) -> dict[str, dict]:
    return {r["district_code"]: r for r in res["budget"] if r["year"] == year}


# ---------------------------------------------------------------- ladder construction

def test_default_ladder_is_nanjing_shaped():
    rel = ladder.relative_ladder(DEFAULT.grade_step, DEFAULT.entry_grades)
    assert rel.shape == (4, 18)
    bands = {p: (int(np.flatnonzero(np.isfinite(rel[i]))[0]) + 1, int(np.flatnonzero(np.isfinite(rel[i]))[-1]) + 1)
             for i, p in enumerate(ladder.POSTS)}
    assert bands == {"head": (7, 18), "deputy": (4, 15), "member": (2, 13), "staff": (1, 12)}
    assert np.isfinite(rel).sum(axis=1).tolist() == [12, 12, 12, 12]


@settings(max_examples=60, deadline=None)
@given(step=st.floats(0.0, 0.15), entries=st.lists(st.integers(1, 18), min_size=4, max_size=4),
       coefficient=st.floats(0.5, 1.5))
def test_ladder_monotone_in_grade_and_post(step, entries, coefficient):
    entry = tuple(sorted(entries, reverse=True))  # head's entry >= deputy's >= member's >= staff's
    rel = ladder.relative_ladder(step, entry)
    table = coefficient / np.nanmin(rel) * rel
    for row in table:
        cells = row[np.isfinite(row)]
        assert len(cells) >= 1
        assert np.all(np.diff(cells) >= -1e-12)  # never falls with grade
        if step >= 1e-6:
            assert np.all(np.diff(cells) > 0)
    for upper, lower in zip(table[:-1], table[1:], strict=True):  # higher post never below a lower post
        assert np.nanmin(upper) >= np.nanmin(lower) - 1e-12
        assert np.nanmax(upper) >= np.nanmax(lower) - 1e-12
        both = np.isfinite(upper) & np.isfinite(lower)
        assert np.all(upper[both] >= lower[both] - 1e-12)
    # coefficient bounds: floor at the coefficient, top at coefficient x (1 + step x (top - lowest entry))
    assert math.isclose(np.nanmin(table), coefficient, rel_tol=1e-12)
    top = min(entry[0] + ladder.BAND - 1, 18)
    assert math.isclose(np.nanmax(table), coefficient * (1 + step * (top - 1)) / (1 + step * (entry[3] - 1)),
                        rel_tol=1e-9)


@pytest.mark.parametrize("anchor", ["mean", "floor"])
def test_default_coefficient_bounds(anchor):
    res = ladder.compute(assume(anchor=anchor), STAFF, {}, POSTS)
    lad = res["ladder"]
    coefs = [r["coefficient"] for r in lad["rows"] if r["in_band"]]
    assert len(coefs) == 48
    assert 0.3 < min(coefs) <= DEFAULT.coefficient + 1e-9 <= max(coefs) < 3.0
    assert math.isclose(max(coefs) / min(coefs), 1 + DEFAULT.grade_step * 17, rel_tol=1e-3)
    if anchor == "floor":
        assert math.isclose(min(coefs), DEFAULT.coefficient, rel_tol=1e-3)
    else:
        assert math.isclose(lad["mean_coefficient_staff"], DEFAULT.coefficient, rel_tol=1e-12)


@pytest.mark.parametrize("bad", [(0, 4, 2, 1), (7, 4, 2, 19), (7, 4, 2)])
def test_bad_entry_grades_name_the_value(bad):
    with pytest.raises(ValueError, match="entry grade"):
        ladder.relative_ladder(0.05, bad)


def test_unknown_post_names_the_value():
    with pytest.raises(ValueError, match="'chief'.*row 1"):
        ladder.post_index(["head", "chief"])


@pytest.mark.parametrize(("post", "tenure", "grade"), [
    ("head", 0, 7), ("head", 2.9, 7), ("head", 3, 8), ("head", 60, 18), ("deputy", 0, 4), ("deputy", 40, 15),
    ("member", 5, 3), ("staff", 0, 1), ("staff", 33, 12), ("staff", 100, 12), ("staff", -1, 1),
])
def test_grades_from_tenure(post, tenure, grade):
    got = ladder.assign_grades(ladder.post_index([post]), np.array([tenure]), (7, 4, 2, 1), 3)
    assert got.tolist() == [grade]


# ---------------------------------------------------------------- budget arithmetic

def test_budget_floor_hand_computed():
    res = ladder.compute(SIMPLE, STAFF, {}, POSTS)
    # grades 7, 3, 1 -> relative 1.6, 1.2, 1.0; floor scale 1.0 -> 80,000 / 60,000 / 50,000
    b = _budget(res)
    assert b["421003"]["today_yuan"] == pytest.approx(50_000)
    assert b["421003"]["ladder_yuan"] == pytest.approx(140_000)
    assert b["421002"]["ladder_yuan"] == pytest.approx(50_000)
    assert res["headline"]["increment_year1_yuan"] == pytest.approx(115_000)
    assert res["headline"]["increment_year1_pct"] == pytest.approx(100 * 115_000 / 75_000)
    assert b["421003"]["posts_budgeted"] == 2.0 and b["421003"]["workers"] == 2
    assert [r["workers"] for r in res["ladder"]["rows"] if r["workers"]] == [1, 1, 1]


def test_budget_mean_anchor_pays_the_coefficient_on_average():
    res = ladder.compute(dataclasses.replace(SIMPLE, anchor="mean"), STAFF, {}, POSTS)
    assert res["ladder"]["scale"] == pytest.approx(3 / 3.8)
    assert res["budget_totals"][0]["ladder_yuan"] == pytest.approx(3 * 50_000)
    assert res["headline"]["increment_year1_yuan"] == pytest.approx(150_000 - 75_000)
    assert res["ladder"]["mean_pay_year1_yuan"] == pytest.approx(50_000)


def test_budget_oncost_growth_and_years():
    a = dataclasses.replace(SIMPLE, oncost=0.30, wage_growth=0.10, current_growth=0.05, years=3)
    res = ladder.compute(a, STAFF, {}, POSTS)
    totals = res["budget_totals"]
    assert [r["calendar_year"] for r in totals] == [2021, 2022, 2023]
    for t, row in enumerate(totals):
        assert row["today_yuan"] == pytest.approx(75_000 * 1.05**t * 1.3)
        assert row["ladder_yuan"] == pytest.approx(190_000 * 1.10**t * 1.3)
    assert res["headline"]["increment_cumulative_yuan"] == pytest.approx(sum(r["increment_yuan"] for r in totals))
    assert _budget(res, 2)["421002"]["reference_wage_yuan"] == pytest.approx(55_000)


def test_no_cut_keeps_the_higher_pay():
    low = dataclasses.replace(SIMPLE, social_wage_yuan=20_000.0)  # ladder 32,000 / 24,000 / 20,000
    keep = ladder.compute(low, STAFF, {}, POSTS)
    cut = ladder.compute(dataclasses.replace(low, no_cut=False), STAFF, {}, POSTS)
    assert keep["budget_totals"][0]["ladder_yuan"] == pytest.approx(32_000 + 24_000 + 25_000)
    assert cut["budget_totals"][0]["ladder_yuan"] == pytest.approx(32_000 + 24_000 + 20_000)


def test_retention_elasticity():
    res = ladder.compute(SIMPLE, STAFF, {}, POSTS)
    ret = res["retention"]
    # q0 = 1 per worker; pay ratios 80/30, 3, 2
    assert ret["quits_today"] == pytest.approx(3)
    assert ret["quits_ladder"] == pytest.approx(30 / 80 + 1 / 3 + 1 / 2)
    assert ret["cost_avoided_yuan"] == pytest.approx((3 - ret["quits_ladder"]) * 10_000)
    flat = ladder.compute(dataclasses.replace(SIMPLE, quit_elasticity=0.0), STAFF, {}, POSTS)["retention"]
    assert flat["quits_ladder"] == pytest.approx(3) and flat["cost_avoided_yuan"] == pytest.approx(0)


def test_retention_never_increases_with_a_raise():
    prev = math.inf
    for e in (0.0, 0.5, 1.0, 2.0, 3.0):
        q = ladder.compute(dataclasses.replace(SIMPLE, quit_elasticity=e), STAFF, {}, POSTS)["retention"]["quits_ladder"]
        assert q <= prev + 1e-12
        prev = q


def test_workload_and_staffing():
    households = pd.DataFrame({"district_code": ["421002", "421003"], "reform_communities": [1, 1],
                               "reform_households": [500, 1000]})
    report = {"tasks_shashi": 130.0, "lawful_own": 18.0, "lawful_assist": 65.0}
    res = ladder.compute(dataclasses.replace(SIMPLE, households_per_worker=250.0), STAFF, report, POSTS, households)
    wl = res["workload"]
    assert wl["lawful_total"] == 83 and wl["tasks_over_lawful"] == pytest.approx(130 / 83)
    by = {s["district_code"]: s for s in wl["staffing"]}
    assert by["421002"]["posts_per_1000_households"] == pytest.approx(2.0)
    assert by["421003"]["norm_posts"] == pytest.approx(4.0)
    assert by["421003"]["norm_posts_per_1000_households"] == pytest.approx(4.0)


def test_budget_arrays_match_a_loop():
    rng = np.random.default_rng(7)
    n = 500
    staff = pd.DataFrame({
        "district_code": rng.choice(["421002", "421003", "421071"], n),
        "post": rng.choice(ladder.POSTS, n), "tenure_years": rng.uniform(0, 40, n),
        "pay_yuan_per_year": rng.uniform(20_000, 35_000, n),
    })
    a = assume(years=2, current_growth=0.02, oncost=0.1)
    res = ladder.compute(a, staff, {}, {})
    rel = ladder.relative_ladder(a.grade_step, a.entry_grades)
    entry = dict(zip(ladder.POSTS, a.entry_grades, strict=True))
    grades = [min(entry[p] + int(t // a.years_per_grade), min(entry[p] + 11, 18))
              for p, t in zip(staff["post"], staff["tenure_years"], strict=True)]
    worker_rel = [rel[ladder.POSTS.index(p), g - 1] for p, g in zip(staff["post"], grades, strict=True)]
    scale = a.coefficient / np.mean(worker_rel)
    for t in (1, 2):
        expected = {}
        for code, r, old in zip(staff["district_code"], worker_rel, staff["pay_yuan_per_year"], strict=True):
            old_t = old * 1.02 ** (t - 1)
            new_t = max(scale * r * a.social_wage_yuan * (1 + a.wage_growth) ** (t - 1), old_t)
            expected[code] = expected.get(code, 0.0) + new_t * 1.1
        got = {k: v["ladder_yuan"] for k, v in _budget(res, t).items()}
        assert got == pytest.approx(expected)


def test_details_json_ready():
    res = ladder.compute(DEFAULT, STAFF, {"tasks_shashi": 130.0, "lawful_own": 18.0, "lawful_assist": 65.0}, POSTS)
    json.dumps(res, allow_nan=False)


# ---------------------------------------------------------------- params and sources

def _sources() -> dict[str, str]:
    with open(REPO / "data" / "sources.csv", newline="", encoding="utf-8") as fh:
        return {r["source_id"]: r["kind"] for r in csv.DictReader(fh)}


def test_params_are_prefixed_and_sourced():
    sources = _sources()
    for p in pay.PARAMS:
        assert p.key.startswith("pay_") and p.page == "pay", p.key
        assert p.source_id in sources, p.key
        assert p.label_zh and p.label_en, p.key
        if p.kind in ("int", "float"):
            assert p.min <= p.default <= p.max, p.key
        if p.source_id.startswith("asm_"):
            assert sources[p.source_id] == "assumption", p.key


def test_choice_labels_exist():
    from dashboard.core.text import catalog

    for p in pay.PARAMS:
        for choice in p.choices:
            assert f"choices.{p.key}.{choice}" in catalog(), (p.key, choice)
        if p.unit:
            assert f"units.{p.unit}" in catalog(), p.unit


def test_catalog_keys_used_exist():
    from dashboard.core.text import catalog

    keys = set()
    for path in ("dashboard/analyses/pay/page.py", "dashboard/analyses/pay/charts.py"):
        keys |= set(re.findall(r"""["'](pay\.[a-z_]+)["']""", (REPO / path).read_text(encoding="utf-8")))
    keys |= {f"pay.post_{p}" for p in ladder.POSTS} | {f"pay.anchor_{a}_text" for a in ladder.ANCHORS}
    keys |= {f"pay.series_{k}" for k in ("today", "ladder", "quits_today", "quits_ladder")}
    keys |= {f"pay.ladder_view_{v}" for v in ("coefficient", "yuan")}
    keys = {k for k in keys if not k.endswith("_")}  # prefixes completed by the sets above
    missing = sorted(k for k in keys if k not in catalog())
    assert not missing, missing
    assert not [k for k in catalog() if k.startswith("pay.") and not all(catalog()[k].get(x) for x in ("zh", "en"))]


# ---------------------------------------------------------------- the shipped data and the report

def test_param_defaults_equal_report_indicators():
    from dashboard.data.db import run_query

    found = run_query("indicators_by_id", ids=list(pay.PARAM_INDICATORS.values()))
    by_id = dict(zip(found["indicator_id"], found["value"], strict=True))
    defaults = {p.key: p.default for p in pay.PARAMS}
    for key, indicator_id in pay.PARAM_INDICATORS.items():
        assert defaults[key] == pytest.approx(by_id[indicator_id]), key


def test_default_scenario_matches_the_report():
    res = pay.details(Scenario.default())
    figures = res["report"]["figures"]
    assert figures["pay_low"] == 20_000 and figures["pay_high"] == 35_000
    assert figures["social_wage"] == 50_000 and figures["coefficient"] == 0.94
    assert res["reference"]["social_wage_yuan"] == 50_000
    assert res["reference"]["rule_pay_yuan"] == pytest.approx(47_000)
    today = res["today"]
    assert 20_000 <= today["pay_min_yuan"] <= today["pay_max_yuan"] <= 35_000
    assert today["mean_share_of_social_wage_pct"] < 70
    posts = {d["district_code"]: (d["posts_budgeted"], d["workers"]) for d in res["districts"]}
    assert posts["421003"] == (419, 419)
    assert posts["421002"] == (506, 506)
    staffing = {s["district_code"]: s for s in res["workload"]["staffing"]}
    assert staffing["421003"]["reform_communities"] == 29
    assert staffing["421002"]["reform_communities"] == 54
    assert res["retention"]["quits_today"] == pytest.approx(50)
    assert res["workload"]["tasks_shashi"] == 130 and res["workload"]["lawful_total"] == 83
    # under the report's rule, the ladder's per-capita pay is 0.94 x 50,000, so the increment is the gap
    assert res["ladder"]["mean_pay_year1_yuan"] == pytest.approx(47_000)
    assert res["headline"]["increment_year1_yuan"] == pytest.approx(today["gap_to_rule_yuan"])
    json.dumps(res, allow_nan=False)


def test_headline_metrics_and_sentence():
    metrics = {m.key: m for m in pay.headline(Scenario.default())}
    assert metrics["pay_posts_budgeted"].value == 925
    assert metrics["pay_rule_yuan"].value == pytest.approx(47_000)
    assert "demo_layer" in metrics["pay_increment_year1"].source_ids
    assert "asm_pay_quit_elasticity" in metrics["pay_quits_ladder"].source_ids
    shown = {m.key: m for m in ranges.headline("pay", Scenario.default())}["pay_increment_year1"]
    en = pay.summary_sentence(Scenario.default(), "en")
    assert f"costs {shown.formatted('en')} a year more" in en  # the sentence says what the tile says
    assert "0.94" in en and "925" in en
    zh = pay.summary_sentence(Scenario.default(), "zh")
    assert "0.94" in zh and "万元" in zh and "419" in zh and "506" in zh


def test_higher_coefficient_costs_more():
    base = pay.details(Scenario.default())["headline"]["increment_year1_yuan"]
    more = pay.details(Scenario.default().with_values(pay_coefficient=1.0))["headline"]["increment_year1_yuan"]
    floor = pay.details(Scenario.default().with_values(pay_ladder_anchor="floor"))["headline"]["increment_year1_yuan"]
    assert base < more and base < floor


def test_overlay_staff_list_goes_through_the_query():
    from dashboard.data.db import Overlay

    frame = pd.DataFrame({
        "worker_id": ["X1", "X2"], "district_code": ["421003", "421003"],
        "subdistrict_code": ["421003001", "421003001"], "committee_code": ["421003001001", "421003001001"],
        "post": ["head", "staff"], "tenure_years": [0.0, 0.0], "pay_yuan_per_year": [30_000.0, 20_000.0],
        "source_id": ["demo_layer", "demo_layer"],
    })
    res = pay.details(Scenario.default().with_values(pay_ladder_anchor="floor"), Overlay({"community_workers": frame}))
    assert res["today"]["workers"] == 2
    assert res["today"]["pay_bill_yuan"] == pytest.approx(50_000)
    assert [d["district_code"] for d in res["districts"]] == ["421003"]
    assert res["districts"][0]["posts_budgeted"] == 419


def test_group_quantiles_match_pandas():
    rng = np.random.default_rng(3)
    values = rng.uniform(20_000, 35_000, 2_000).round(0)
    groups = rng.integers(0, 7, 2_000)
    groups[groups == 5] = 6  # an empty group
    got = ladder.group_quantiles(values, groups, 8)
    g = pd.Series(values).groupby(groups)
    for name, expected in (("min", g.min()), ("q1", g.quantile(0.25)), ("median", g.median()),
                           ("q3", g.quantile(0.75)), ("max", g.max()), ("mean", g.mean()), ("workers", g.size())):
        assert got[name][expected.index] == pytest.approx(expected.to_numpy(), abs=1e-6), name
    assert got["workers"][5] == 0 and np.isnan(got["median"][5])


def test_every_param_documented():
    text = (REPO / "docs" / "pay.md").read_text(encoding="utf-8")
    for p in pay.PARAMS:
        short = p.key.removeprefix("pay_entry_grade_")
        assert f"`{p.key}`" in text or (p.key.startswith("pay_entry_grade_") and f"`_{short}`" in text), p.key


def test_floor_sentence_says_at_least():
    scenario = Scenario.default().with_values(pay_ladder_anchor="floor")
    assert pay.summary_sentence(scenario, "en").startswith("Paying every community worker at least 0.94")
    assert "不低于上年社平工资的0.94倍" in pay.summary_sentence(scenario, "zh")


def test_workload_totals_sum_the_districts():
    wl = pay.details(Scenario.default())["workload"]
    assert wl["norm_posts_total"] > 0
    assert wl["norm_posts_total"] == pytest.approx(sum(s["norm_posts"] or 0 for s in wl["staffing"]))
    assert wl["posts_budgeted_total"] == sum(s["posts_budgeted"] or 0 for s in wl["staffing"]) == 419 + 506


def test_summary_keeps_the_reports_more_than_50_quits():
    """indicators.csv: 中心城区每年离职的社区工作者超过50人 — the sentence keeps 超过 / more than."""
    from dashboard.analyses.pay.model import summary_sentence
    from dashboard.core.scenario import Scenario

    assert "年离职人数由超过50人降至约" in summary_sentence(Scenario.default(), "zh")
    assert "quits fall from more than 50 to about" in summary_sentence(Scenario.default(), "en")
    other, _ = Scenario.from_values({"pay_quits_per_year": 60})  # not the report's figure: no qualifier
    assert "年离职人数由60人降至约" in summary_sentence(other, "zh")
