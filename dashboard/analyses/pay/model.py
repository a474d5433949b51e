"""Community workers' pay against the social average wage: today's pay, a 四岗十八级 ladder, budget, retention.

Method (full text in docs/pay.md):

- **Reference wage.** The report: pay is set at "上年度城镇单位就业人员平均工资的0.94系数核定人均薪酬"
  (0.94 × last year's average wage of urban employees) and workers earn 2万-3.5万 "远低于社平工资5万元".
  No Jingzhou average-wage series is available offline, so the reference wage of the first reform year
  (2021, paid on the 2020 wage) is the report's 50,000 yuan (`pay_social_wage_yuan`), growing at an
  assumed rate (`pay_wage_growth_pct`) in later years.
- **Ladder.** Four posts × eighteen grades. Post p uses a band of 12 grades starting at its entry grade
  (Nanjing's 三岗十八级: heads 7-18, deputies 4-15, others 1-12). A cell's coefficient is
  `scale × (1 + step × (grade − 1))`. The scale comes from `pay_coefficient` in one of two readings:
  `mean` (the report's rule: the per-capita average over the staff list equals the coefficient) or
  `floor` (the lowest cell equals the coefficient: nobody below it). Grades come from tenure: entry
  grade + one grade per `pay_years_per_grade` years, capped at the top of the post's band.
- **Budget.** Year t (1..5, calendar 2020 + t): today's pay × (1 + current growth)^(t−1) against the
  ladder × reference wage × (1 + wage growth)^(t−1); with `pay_no_cut` a worker keeps the higher of the
  two. Both bills carry the optional employer on-cost share. The workforce is held fixed.
- **Retention.** Quits per year are the report's 50+ spread evenly over the staff list; each worker's
  quit rate scales as (new pay / today's pay)^(−elasticity), an adjustable assumption. Quits avoided ×
  recruitment and training cost per quit = cost avoided.
- **Workload.** 沙市区's 130+ tasks against the lawful 18 + 65 items; budgeted posts per 1,000 households
  of the reform communities against a staffing norm of one worker per N households.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.pay.ladder import (
    PayAssumptions,
    _districts,
    budget_arrays,
    compute,
    post_index,
)
from dashboard.core import labels, params, ranges
from dashboard.core.metrics import Metric, qualifier_code, qualify
from dashboard.core.numbers import format_money, format_number
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import by_lang, join_list, t
from dashboard.data import db

# Report figures read through queries/indicators_by_id.sql (posts per district are looked up by code).
REPORT_IDS = {
    "pay_low": "pay.annual_low",
    "pay_high": "pay.annual_high",
    "social_wage": "pay.social_average_wage",
    "coefficient": "pay.coefficient",
    "quits": "pay.quits_per_year.central_city",
    "post_types": "pay.ladder.post_types",
    "grades": "pay.ladder.grades",
    "tasks_shashi": "workload.tasks.421002",
    "lawful_own": "workload.lawful_own_items",
    "lawful_assist": "workload.assist_gov.items",
    "lawful_assist_categories": "workload.assist_gov.categories",
}
# Parameter defaults that restate a report figure; tests check them against data/indicators.csv.
PARAM_INDICATORS = {
    "pay_coefficient": "pay.coefficient",
    "pay_social_wage_yuan": "pay.social_average_wage",
    "pay_quits_per_year": "pay.quits_per_year.central_city",
}

_P = "pay"
PARAMS: list[Param] = params.load("pay")  # dashboard/params/pay.toml: defaults, bounds, bands, sources


# ---------------------------------------------------------------- assumptions


# ---------------------------------------------------------------- ladder


# ---------------------------------------------------------------- the pure core


# ---------------------------------------------------------------- data access (queries) and caching


@lru_cache(maxsize=8)
def _inputs(db_token: str, overlay: db.Overlay | None) -> tuple[pd.DataFrame, dict, dict, pd.DataFrame, dict]:
    staff = db.run_query("pay_workers", overlay=overlay)
    households = db.run_query("pay_households_by_district", overlay=overlay)
    codes = sorted(staff["district_code"].astype(str).unique())
    post_ids = {f"pay.posts_budgeted.{c}": c for c in codes}
    ids = list(REPORT_IDS.values()) + list(post_ids)
    found = db.run_query("indicators_by_id", overlay=overlay, ids=ids)
    by_id = {r["indicator_id"]: r for r in found.to_dict("records")}
    report = {k: float(by_id[i]["value"]) for k, i in REPORT_IDS.items() if i in by_id}
    posts = {c: float(by_id[i]["value"]) for i, c in post_ids.items() if i in by_id}
    quotes = {i: {"quote": r["quote"], "locator": r["locator"], "value": float(r["value"]), "source_id": r["source_id"],
                  "unit": str(r.get("unit") or ""), "area_name": str(r.get("area_name") or "")}
              for i, r in by_id.items()}
    return staff, report, posts, households, quotes


@lru_cache(maxsize=32)
def _results(values: tuple[tuple[str, Any], ...], db_token: str, overlay: db.Overlay | None) -> dict[str, Any]:
    staff, report, posts, households, quotes = _inputs(db_token, overlay)
    out = compute(PayAssumptions.from_scenario(scenario_of(values)), staff, report, posts, households)
    out["report"] = {"figures": report, "quotes": quotes}
    out["staff_sources"] = sorted(set(staff["source_id"].astype(str))) if "source_id" in staff else []
    return out


def _shared(scenario: Scenario, overlay: db.Overlay | None) -> dict[str, Any]:
    """The cached results (shared: read only), keyed by the values of every PARAMS, data and overlay."""
    return _results(param_values(scenario, PARAMS), db.database_token(), overlay if overlay else None)


def results(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Everything the page shows for a scenario (a fresh copy: callers may change it)."""
    return copy.deepcopy(_shared(scenario, overlay))


# ---------------------------------------------------------------- interfaces: headline, details, sentence


def _staff_src(res: dict) -> tuple[str, ...]:
    return tuple(res.get("staff_sources") or ("demo_layer",))


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The page's headline figures (ladder increment first)."""
    res = _shared(scenario, overlay)  # read only
    a = PayAssumptions.from_scenario(scenario)
    h, today, ladder, ret = res["headline"], res["today"], res["ladder"], res["retention"]
    staff = _staff_src(res)
    ladder_src = ("report2020", "asm_pay_ladder")
    posts_total = sum(d["posts_budgeted"] or 0 for d in res["districts"])
    years = len(res["budget_totals"])
    rule_cost, ladder_addition = cost_parts(scenario, overlay)
    return [
        Metric("pay_increment_year1", h["increment_year1_yuan"] / 1e6, "million_yuan",
               "阶梯薪酬首年增支", "Extra cost of the ladder, year 1", staff + ladder_src, 2,
               note_zh=f"较现行薪酬总额 +{h['increment_year1_pct'] or 0:.0f}%",
               note_en=f"+{h['increment_year1_pct'] or 0:.0f}% on today's pay bill"),
        Metric("pay_rule_cost_year1", rule_cost / 1e6, "million_yuan",
               "其中：人人补到规则薪酬", "of which: everyone brought to the rule's pay", staff + ("report2020",), 2,
               note_zh="级差为0时的首年增支(同一规则、同一不降薪设置)",
               note_en="year-1 extra cost with no grade steps (same rule, same no-cut setting)"),
        Metric("pay_ladder_addition_year1", ladder_addition / 1e6, "million_yuan",
               "其中：阶梯级差本身", "of which: the ladder's own steps", staff + ladder_src, 2,
               note_zh="“人均”口径下级差只改变分配、几乎不改变总额；选“保底”口径，级差越大成本越高",
               note_en="under 'mean' the steps reshuffle pay and barely change the total; under 'floor' "
                       "larger steps cost more"),
        Metric("pay_today_share", today["mean_share_of_social_wage_pct"], "percent",
               "现行人均薪酬占社平工资", "Today's average pay as a share of the social average wage",
               staff + ("report2020",), 0,
               note_zh=f"人均 {today['pay_mean_yuan']:,.0f} 元 / 社平 {a.social_wage_yuan:,.0f} 元",
               note_en=f"{today['pay_mean_yuan']:,.0f} of {a.social_wage_yuan:,.0f} yuan"),
        Metric("pay_rule_yuan", a.rule_pay_yuan, "yuan_per_year",
               f"{a.coefficient:.2f}×社平工资(报告口径{a.social_wage_yuan:,.0f}元)",
               f"{a.coefficient:.2f} × average wage (report's {a.social_wage_yuan:,.0f} yuan)",
               ("report2020", "nbs_avg_wage"), 0,
               note_zh="规则乘的是报告所称社平工资；若按城镇单位就业人员平均工资(国家统计局口径，更高)核定，成本更高",
               note_en="the rule multiplies the report's social average wage; the NBS average wage of urban "
                       "employees is higher and would cost more"),
        Metric("pay_ladder_mean_yuan", ladder["mean_pay_year1_yuan"], "yuan_per_year",
               "阶梯人均薪酬(首年)", "Ladder average pay, year 1", staff + ladder_src, 0,
               note_zh=f"占社平工资 {ladder['mean_share_of_social_wage_pct']:.0f}%",
               note_en=f"{ladder['mean_share_of_social_wage_pct']:.0f}% of the social average wage"),
        Metric("pay_increment_cumulative", h["increment_cumulative_yuan"] / 1e6, "million_yuan",
               f"{years}年累计增支", f"Extra cost over {years} years", staff + ladder_src + ("asm_pay_wage_growth",), 1),
        Metric("pay_posts_budgeted", posts_total, "count", "核定社区工作者岗位", "Budgeted community-worker posts",
               ("report2020",), 0),
        Metric("pay_quits_ladder", ret["quits_ladder"], "persons", "阶梯下年离职人数(估)",
               "Quits per year under the ladder (est.)", ("report2020", "asm_pay_quit_elasticity") + staff, 0,
               note_zh=f"现状 {ret['quits_today']:.0f} 人；弹性 {a.quit_elasticity:.1f}(假设)",
               note_en=f"today {ret['quits_today']:.0f}; elasticity {a.quit_elasticity:.1f} (assumption)"),
        Metric("pay_turnover_cost_avoided", ret["cost_avoided_yuan"] / 1e6, "million_yuan",
               "年节约招聘培训成本(估)", "Recruitment and training cost avoided per year (est.)",
               ("asm_pay_turnover_cost", "asm_pay_quit_elasticity", "report2020"), 2),
    ]


def cost_parts(scenario: Scenario, overlay: db.Overlay | None = None) -> tuple[float, float]:
    """Year-1 extra cost split in two (yuan): bringing everyone to the rule with no grade steps, and what the
    ladder's steps add on top. Under the report's "mean" reading the steps only reshuffle pay (the second part
    is near zero, moved only by "no cut"); under "floor" the lowest cell is the rule and steps rise above it."""
    total = _shared(scenario, overlay)["headline"]["increment_year1_yuan"]  # read only: no copy
    flat = _shared(scenario.with_values(pay_grade_step_pct=0.0), overlay)["headline"]["increment_year1_yuan"]
    return _split_cost(total, flat)


def _split_cost(total: float, flat: float) -> tuple[float, float]:
    steps = float(total - flat)
    return float(flat), (0.0 if abs(steps) < 1.0 else steps)  # below a yuan is rounding, not a cost


def details(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Tables and series behind the page (JSON-ready)."""
    return results(scenario, overlay)


def _wan(yuan: float, lang: str = "zh", decimals_millions: int = 2) -> str:
    """A money total in the page's unit (core.numbers: 万元 in Chinese, million yuan in English)."""
    return format_money(yuan, lang, decimals_millions)


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The result in one plain-language paragraph, then the assumptions it depends on most (ranges)."""
    # the drivers of the range, then the illustrative tag last (it qualifies the whole paragraph)
    text = _sentence(scenario, lang, overlay) + ranges.driver_sentence("pay", scenario, lang, overlay)
    return labels.tag_sentence(text, labels.metric_sources(headline(scenario, overlay)), lang, overlay)


def _sentence(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> str:
    # the year-1 cost as its tile shows it (rounded to what its range supports): one figure, one text
    increment = next(m for m in ranges.headline("pay", scenario, overlay) if m.key == "pay_increment_year1")
    res = _shared(scenario, overlay)  # read only
    a = PayAssumptions.from_scenario(scenario)
    h, today, ret = res["headline"], res["today"], res["retention"]
    posts = [(d["name_zh"], d["name_en"], d["posts_budgeted"] or d["workers"]) for d in res["districts"]]
    total = sum(p for *_, p in posts)
    pct = h["increment_year1_pct"] or 0.0
    who = join_list((t("pay.s_who_item", lang, name=by_lang(lang, zh, en), posts=p) for zh, en, p in posts), lang)
    # the report's "超过50人" keeps its qualifier while the scenario uses the report's figure
    quits = db.run_query("indicators_by_id", overlay=overlay, ids=[REPORT_IDS["quits"]]).to_dict("records")
    stated = quits[0] if quits else {}
    qualifier = qualifier_code(str(stated.get("note") or "")) if stated.get("value") == ret["quits_today"] else ""
    quits_today = qualify(format_number(ret["quits_today"], 0, lang), qualifier, lang)
    fields = {"coefficient": a.coefficient, "rule_pay_yuan": a.rule_pay_yuan, "total": total, "who": who,
              "oncost_pct": 100 * a.oncost, "increment": increment.formatted(lang), "pct": pct,
              "pay_mean_yuan": today["pay_mean_yuan"], "social_wage_yuan": a.social_wage_yuan,
              "share_pct": today["mean_share_of_social_wage_pct"], "quit_elasticity": a.quit_elasticity,
              "quits_today": quits_today, "quits_ladder": ret["quits_ladder"],
              "saving": _wan(ret["cost_avoided_yuan"], lang)}
    policy = t("pay.s_policy_mean" if a.anchor == "mean" else "pay.s_policy_floor", lang, **fields)
    oncost = t("pay.s_oncost", lang, **fields) if a.oncost else ""
    return t("pay.s_text", lang, **{**fields, "policy": policy, "oncost": oncost})


# ---------------------------------------------------------------- ranges (dashboard/core/ranges.py)

RANGE_MAIN = "pay_increment_year1"  # the tornado's figure and the one the summary's driver sentence names


@lru_cache(maxsize=8)
def _staff_arrays(db_token: str, overlay: db.Overlay | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    staff = _inputs(db_token, overlay)[0].reset_index(drop=True)
    codes, district_idx, _ = _districts(staff) if len(staff) else ([], np.zeros(0, np.int64), {})
    return (post_index(staff["post"]), staff["tenure_years"].to_numpy(dtype=float),
            staff["pay_yuan_per_year"].to_numpy(dtype=float), district_idx, len(codes))


def range_evaluator(scenario: Scenario, overlay: db.Overlay | None = None):
    """The headline figures of a variant scenario straight from `budget_arrays` (no tables): the same
    numbers as `headline(variant)` (tests/core/test_ranges.py checks it), about a tenth of the time."""
    overlay = overlay if overlay else None
    post_idx, tenure, pay, district_idx, n_districts = _staff_arrays(db.database_token(), overlay)
    posts_total = next(m.value for m in headline(scenario, overlay) if m.key == "pay_posts_budgeted")
    n = len(pay)

    def increment_year1(a: PayAssumptions) -> float:
        arr = budget_arrays(a, post_idx, tenure, pay, district_idx, n_districts)
        today, ladder = arr["today"].sum(axis=1), arr["ladder"].sum(axis=1)
        return float(ladder[0] - today[0]) if len(today) else 0.0

    def evaluate(variant: Scenario) -> dict[str, float]:
        a = PayAssumptions.from_scenario(variant)
        arr = budget_arrays(a, post_idx, tenure, pay, district_idx, n_districts)
        today, ladder = arr["today"].sum(axis=1), arr["ladder"].sum(axis=1)
        # cost_parts: the same split, the flat part at no grade steps
        flat = increment_year1(PayAssumptions.from_scenario(variant.with_values(pay_grade_step_pct=0.0)))
        rule_cost, ladder_addition = _split_cost(float(ladder[0] - today[0]) if len(today) else 0.0, flat)
        q_today, q_ladder = float(arr["quits_today"].sum()), float(arr["quits_ladder"].sum())
        return {
            "pay_increment_year1": float(ladder[0] - today[0]) / 1e6 if len(today) else 0.0,
            "pay_today_share": 100 * float(pay.mean()) / a.social_wage_yuan if n else 0.0,
            "pay_rule_yuan": a.rule_pay_yuan,
            "pay_ladder_mean_yuan": float(arr["year1_new"].mean()) if n else 0.0,
            "pay_increment_cumulative": float((ladder - today).sum()) / 1e6,
            "pay_posts_budgeted": posts_total,
            "pay_quits_ladder": q_ladder,
            "pay_turnover_cost_avoided": (q_today - q_ladder) * a.turnover_cost_yuan / 1e6,
            "pay_rule_cost_year1": rule_cost / 1e6,
            "pay_ladder_addition_year1": ladder_addition / 1e6,
        }
    return evaluate

