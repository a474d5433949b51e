"""Elderly-care beds: supply against demand by district and type, projected 2020-2035.

Report, 一(三)三: 城市公办养老机构11个、床位3117张，城市民办养老机构46个、床位6397张，城市社区居家养老
服务中心290个、床位12992张，每千名老人养老床位约34张. Report, 二(三)二: 沙市区目前养老床位4515张，仅能满足
三分之一的需求；荆州区29个社区中，建设有居家养老中心的不到四分之一.

Demand, two methods (`beds_demand_method`):
- norm: beds = norm per 1,000 × people aged 60+ / 1,000 (35-40 per 1,000 in national plans,
  std_beds_per_1000);
- need: beds = (aged 60-79 × need share 60-79 + aged 80+ × need share 80+) × bed-use share ÷ occupancy.
  People needing long-term care, the share of them who would use a bed (institution or community
  centre), and beds sized so they run at the target occupancy. Defaults are assumptions (asm_beds_*);
  the bed-use share is calibrated so 沙市区's 4,515 beds meet one third of its demand.

The norm method cannot reproduce the report's "one third" (沙市区 has more beds than 35 per 1,000 of
its older people), which is why need-based demand is the default. Supply per 1,000 aged 60+ (the
report's "about 34") is a property of the supply data and the census, the same under either method.

Projection, vectorised over areas (rows) × years (columns):
    aged_60_plus(t) = aged_60_plus(2020) × (1 + g60)^k,  aged_80_plus(t) likewise with g80, k = t - 2020
    supply(t) = supply(t-1) × (1 - closure) + new_per_year   ⇒   supply(t) = S0·d^k + b·A_k,
    d = 1 - closure, A_k = Σ_{j<k} d^j (= k without closures)
    gap(t) = demand(t) - supply(t); the gap closes in the first year with gap ≤ 0.
Beds a year needed to have no gap in target year T: b = max(0, (demand(T) - S0·d^k) / A_k).

Areas: every district with committees in `communities` (populations summed from it; the demo layer
uses the city's census age mix, asm_age_mix_city) and the rest of the city (census city total minus
the census districts, at the city's age mix), plus the central city and the whole city as sums.
Facilities whose district has no committees in `communities` count towards the rest of the city.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.beds.inputs import load_inputs
from dashboard.analyses.beds.projection import (
    BASE_YEAR,
    END_YEAR,
    NOT_CLOSED,
    DemandRule,
    _survival,
    demand_beds,
    plan_from,
    project,
    rule_from,
)
from dashboard.analyses.beds.results import (
    AREA_CHOICES,
    CENTRAL,
    CITY,
    JINGZHOU,
    SHASHI,
    BedsResults,
    compute_from_inputs,
)
from dashboard.core import labels, params, ranges
from dashboard.core.metrics import Metric, cite_data, format_value
from dashboard.core.numbers import format_money
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import by_lang, in_sentence, t
from dashboard.data import db

PAGE = "beds"



def default_target_year(data_year: int, end_year: int, today: date | None = None) -> int:
    """The default year to close the gap by: this year (never before the year after the data, nor after the horizon)."""
    from dashboard.core import clock

    year = (today or clock.today()).year
    return min(end_year, max(data_year + 1, year))


# dashboard/params/beds.toml: defaults, bounds, bands, sources. Two defaults are set here rather than in the
# file: the target year follows the calendar (this year, within the horizon), and the areas to look at are
# the data folder's city's (data/city.toml).
def _declared(p: Param) -> Param:
    if p.key == "beds_target_year":
        return dataclasses.replace(p, default=default_target_year(BASE_YEAR, END_YEAR))
    if p.key == "beds_district":
        return dataclasses.replace(p, default=AREA_CHOICES[0], choices=AREA_CHOICES)
    return p


PARAMS: list[Param] = [_declared(p) for p in params.load("beds")]


# ---------------------------------------------------------------- pure model


# ---------------------------------------------------------------- scenario → rules


def _beds_values(scenario: Scenario) -> tuple[tuple[str, Any], ...]:
    """The cache key: the scenario's value of every PARAMS (a new parameter is in it once declared)."""
    return param_values(scenario, PARAMS)


# ---------------------------------------------------------------- data


# ---------------------------------------------------------------- results


def compute(scenario: Scenario, overlay: db.Overlay | None = None) -> BedsResults:
    """The beds results for a scenario (cached on the data, the overlay and the beds parameters)."""
    overlay = overlay if overlay else None
    return _compute(db.database_token(), overlay.token if overlay else "", overlay, _beds_values(scenario))


@lru_cache(maxsize=64)
def _compute(token: str, overlay_token: str, overlay: db.Overlay | None,
             values: tuple[tuple[str, Any], ...]) -> BedsResults:
    scenario = scenario_of(values)
    res = compute_from_inputs(load_inputs(overlay), scenario)
    return dataclasses.replace(res, data_sources=db.data_source_ids(("care_facilities", "communities"), overlay))


# ---------------------------------------------------------------- headline, details, sentence

# The main sources of each figure (every parameter's source is listed on the page's assumptions tab).
_NEED_SOURCES = ("demo_layer", "asm_beds_ltc_need", "asm_beds_bed_use", "asm_beds_occupancy")
_NORM_SOURCES = ("demo_layer", "std_beds_per_1000")
_GROWTH_SOURCES = ("asm_beds_growth", "asm_beds_new_per_year")


def demand_sources(rule: DemandRule, area: str | None = None) -> tuple[str, ...]:
    """Sources of a demand figure; 沙市区's (and the central city's) population counts 开发区 inside 沙市区."""
    base = _NEED_SOURCES if rule.method == "need" else _NORM_SOURCES
    return base + (("asm_kaifaqu_in_shashi",) if area in (SHASHI, CENTRAL) else ())


def calibrated_result(res: BedsResults) -> bool:
    """True when the need-based figures use the calibrated bed-use share (its default, fitted to the report)."""
    default = next(p.default for p in PARAMS if p.key == "beds_bed_use_pct")
    return res.rule.method == "need" and abs(res.rule.bed_use * 100 - default) < 1e-9


def other_method(method: str) -> str:
    return "norm" if method == "need" else "need"


def met_share_by(row: pd.Series, method: str) -> float | None:
    """Share of demand the area's beds meet (percent) under `method` ('need' or 'norm')."""
    demand = float(row[f"demand_{method}"])
    return round(float(row["supply"]) / demand * 100, 1) if demand > 0 else None


def area_name(res: BedsResults, lang: str, code: str | None = None) -> str:
    row = res.table[res.table["area_code"] == (code or res.area)].iloc[0]
    return by_lang(lang, row["name_zh"], row["name_en"])


def selected_row(res: BedsResults) -> pd.Series:
    return res.table[res.table["area_code"] == res.area].iloc[0]


def reach_all_communities(res: BedsResults) -> dict[str, float]:
    """What a home-care centre in every community of the selected area still without one would take:
    communities, beds at the mean size of today's centres, and the build subsidy for them (yuan)."""
    missing = int(selected_row(res)["without_centre"])
    beds_needed = missing * res.home_care_mean_beds
    return {"communities": missing, "beds": beds_needed, "build_cost_yuan": beds_needed * res.build_subsidy_per_bed}


def closing_text(year: int) -> str | int:
    """The closing year, or '>2035' when the gap does not close within the horizon."""
    return year if year != NOT_CLOSED else f">{END_YEAR}"


def _m(key: str, value, unit: str, sources: tuple[str, ...], decimals: int = 0, note_zh: str = "",
       note_en: str = "", **fmt) -> Metric:  # sources' demo_layer is replaced in metrics_for
    return Metric(key, value, unit, t(f"beds.m_{key}", "zh", **fmt), t(f"beds.m_{key}", "en", **fmt),
                  sources, decimals, note_zh, note_en)


def metrics_for(res: BedsResults) -> list[Metric]:
    """The headline figures of a result (the page's tiles, the CLI's metrics, the brief's numbers)."""
    row = selected_row(res)
    cal = res.calibration
    name = {"name_zh": row["name_zh"], "name_en": row["name_en"]}
    dsrc = demand_sources(res.rule, res.area)
    other = other_method(res.rule.method)
    how = {"how_zh": t(f"beds.how_{res.rule.method}", "zh", occ=f"{res.rule.occupancy * 100:g}",
                        norm=f"{res.rule.norm_per_1000:g}"),
           "how_en": t(f"beds.how_{res.rule.method}", "en", occ=f"{res.rule.occupancy * 100:g}",
                        norm=f"{res.rule.norm_per_1000:g}")}
    methods = {m: {"method_zh": t(f"choices.beds_demand_method.{m}", "zh"),
                   "method_en": t(f"choices.beds_demand_method.{m}", "en")} for m in ("need", "norm")}
    # the need-based result rests on a bed-use share solved to give 沙市区 the report's "one third": say so
    calibrated = calibrated_result(res)
    if calibrated:
        for lang_ in ("zh", "en"):
            methods["need"][f"method_{lang_}"] += " · " + t("beds.calibrated", lang_)
    supply_src = ("demo_layer", "report2020") if res.area == SHASHI else ("demo_layer",)
    rep34 = cal["beds_per_1000_report"]
    method_zh = t(f"choices.beds_demand_method.{res.rule.method}", "zh")
    method_en = t(f"choices.beds_demand_method.{res.rule.method}", "en")
    met_note_zh, met_note_en = f"{method_zh}", f"{method_en}"
    if calibrated_result(res):
        use = f"{res.rule.bed_use * 100:g}"
        met_note_zh = t("beds.calibrated_note", "zh", use=use)
        met_note_en = t("beds.calibrated_note", "en", use=use)
    if res.area == SHASHI:
        met_note_zh += " · 报告：仅能满足三分之一"
        met_note_en += " · report: only one third"
    closing = closing_text(res.closing_year)
    reopen_zh = " · 之后缺口重新出现" if res.reopens else ""
    reopen_en = " · the gap reopens later" if res.reopens else ""
    share = res.nursing["share"]
    metrics = [
        # the report's "约34" with its qualifier; the data's own figure is calibrated to it, so it is named as
        # such in the note and never shown as a finding (a figure made to match cannot confirm anything)
        dataclasses.replace(
            _m("beds_per_1000_city", rep34, "per_1000", ("report2020",), 0,
               t("beds.per_1000_calibrated", "zh", model=cal["beds_per_1000_city"]),
               t("beds.per_1000_calibrated", "en", model=cal["beds_per_1000_city"])), qualifier="about")
        if rep34 is not None else
        _m("beds_per_1000_city", round(cal["beds_per_1000_city"], 1), "per_1000", ("demo_layer", "census2020"), 1,
           "全市床位÷全市60岁以上人口", "city beds ÷ city aged 60+"),
        _m("supply", round(float(row["supply"])), "beds", supply_src, 0, "2020年", "2020", **name),
        _m("demand", round(float(row["demand"])), "beds", dsrc, 0, f"2020年 · {method_zh}", f"2020 · {method_en}",
           **name, **how),
        _m("met_share", round(float(row["met_share"]) * 100, 1) if pd.notna(row["met_share"]) else None, "percent",
           (*dsrc, "report2020") if res.area == SHASHI else dsrc, 1, met_note_zh, met_note_en, **name,
           **methods[res.rule.method]),
        # the other method's answer beside it: the conclusion flips with the method (need: ~33%, norm: ~130%)
        _m("met_share_other", met_share_by(row, other), "percent",
           demand_sources(DemandRule(other, res.rule.norm_per_1000), res.area), 1,
           "另一种测算方法的结果", "the other demand method's result", **name, **methods[other]),
        _m("gap", round(float(row["gap"])), "beds", dsrc, 0, "2020年 · 负数表示富余", "2020 · negative = surplus", **name),
        _m("closing_year", closing, "year", (*dsrc, *_GROWTH_SOURCES), 0,
           f"每年新增{res.plan.new_per_year:,.0f}张{reopen_zh}", f"at {res.plan.new_per_year:,.0f} new beds a year{reopen_en}",
           **name),
        _m("required_per_year", round(res.required_per_year), "beds_per_year", (*dsrc, "asm_beds_growth"), 0,
           f"{res.target_year}年补齐缺口", f"to close the gap by {res.target_year}", year=res.target_year),
        _m("budget", round(res.build_subsidy_per_year / 1e6, MONEY_DECIMALS), "million_yuan",
           ("asm_beds_build_subsidy", *dsrc), MONEY_DECIMALS,
           f"每年{res.required_per_year:,.0f}张 × {res.build_subsidy_per_bed:,.0f}元",
           f"{res.required_per_year:,.0f} beds/yr × {res.build_subsidy_per_bed:,.0f} yuan", year=res.target_year),
        _m("plan_budget", round((res.plan_build_subsidy_per_year + res.plan_running_subsidy_target_year) / 1e6,
                                MONEY_DECIMALS),
           "million_yuan", ("asm_beds_new_per_year", "asm_beds_build_subsidy", "asm_beds_running_subsidy"),
           MONEY_DECIMALS,
           f"每年新增{res.plan.new_per_year:,.0f}张：建设补贴{_money(res.plan_build_subsidy_per_year, 'zh')}"
           f" + {res.target_year}年运营补贴{_money(res.plan_running_subsidy_target_year, 'zh')}",
           f"{res.plan.new_per_year:,.0f} new beds a year: construction {_money(res.plan_build_subsidy_per_year, 'en')}"
           f" + running {_money(res.plan_running_subsidy_target_year, 'en')} in {res.target_year}",
           year=res.target_year),
        _m("running_subsidy", round(res.running_subsidy_target_year / 1e6, MONEY_DECIMALS), "million_yuan",
           ("asm_beds_running_subsidy", "asm_beds_occupancy"), MONEY_DECIMALS,
           f"{res.target_year}年入住床位 × {res.running_subsidy_per_bed_year:,.0f}元",
           f"occupied beds in {res.target_year} × {res.running_subsidy_per_bed_year:,.0f} yuan", year=res.target_year),
        _m("nursing_share", round(share * 100, 1) if share is not None else None, "percent",
           ("demo_layer", "std_nursing_beds_55"), 1,
           f"机构床位 · 目标{res.nursing['target_share'] * 100:g}%（2025）",
           f"institutional beds · target {res.nursing['target_share'] * 100:g}% (2025)", **name),
        # the report counts home-care centres for 荆州区 only (29 communities, 不到四分之一); elsewhere the
        # figure rests on the demonstration layer alone
        _m("without_centre", int(row["without_centre"]), "count",
           ("demo_layer", "report2020") if res.area == JINGZHOU else ("demo_layer",), 0,
           f"共{int(row['communities'])}个城市社区" + ("（仅中心城区有社区数据）" if res.area == CITY else ""),
           f"of {int(row['communities'])} urban communities" + (" (central city only)" if res.area == CITY else ""),
           **name),
    ]
    return [dataclasses.replace(m, source_ids=cite_data(m.source_ids, res.data_sources)) for m in metrics]


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The care-beds page's headline figures for a scenario (cached like `compute`)."""
    overlay = overlay if overlay else None
    return list(_headline(db.database_token(), overlay.token if overlay else "", overlay, _beds_values(scenario)))


@lru_cache(maxsize=64)
def _headline(token: str, overlay_token: str, overlay: db.Overlay | None,
              values: tuple[tuple[str, Any], ...]) -> tuple[Metric, ...]:
    return tuple(metrics_for(_compute(token, overlay_token, overlay, values)))


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and np.isnan(v) else
                        (round(v, 3) if isinstance(v, float) else v.item() if hasattr(v, "item") else v))
                    for k, v in rec.items()})
    return out


def details_for(res: BedsResults) -> dict:
    """JSON-ready tables and series of a result."""
    table = res.table.copy()
    table["closing_year"] = [closing_text(int(y)) for y in table["closing_year"]]
    return {
        "area": res.area,
        "demand_method": res.rule.method,
        "target_year": res.target_year,
        "new_per_year": res.plan.new_per_year,
        "closing_year": closing_text(res.closing_year),
        "gap_reopens": res.reopens,
        "required_per_year": round(res.required_per_year, 1),
        "build_subsidy_yuan_per_year_at_required_rate": round(res.build_subsidy_per_year),
        "running_subsidy_yuan_in_target_year_at_required_rate": round(res.running_subsidy_target_year),
        "build_subsidy_yuan_per_year_at_chosen_rate": round(res.plan_build_subsidy_per_year),
        "running_subsidy_yuan_in_target_year_at_chosen_rate": round(res.plan_running_subsidy_target_year),
        "areas": _records(city_communities_unknown(table)),
        "supply_by_type": _records(res.supply_by_type),
        "projection": _records(res.projection),
        "calibration": res.calibration,
        "nursing": res.nursing,
        "home_care_coverage": _records(res.coverage),
        "home_care_mean_beds": round(res.home_care_mean_beds, 1),
    }


COMMUNITY_COLUMNS = ("committees", "communities", "with_centre", "without_centre", "reform", "reform_with_centre")


def city_communities_unknown(table: pd.DataFrame) -> pd.DataFrame:
    """The areas table with the whole city's community counts blank: the data holds the central city's
    communities only (see results.coverage), so its sum is not the city's (the report: 410 committees)."""
    out = table.copy()
    city = out["level"] == "city"
    out.loc[city, [c for c in COMMUNITY_COLUMNS if c in out.columns]] = np.nan
    return out


def details(scenario: Scenario, overlay: db.Overlay | None = None) -> dict:
    """JSON-ready tables and series for a scenario (areas, projection, calibration, coverage)."""
    out = details_for(compute(scenario, overlay))
    out["assumptions"] = {p.key: {"value": scenario[p.key], "source_id": p.source_id, "unit": p.unit} for p in PARAMS}
    return out


# Money totals carry two decimals of a million (whole 万元): tiles, notes and sentences format the same
# value the same way (a tile rounded to 0.1 million showed 940万元 beside a sentence's 943万元).
MONEY_DECIMALS = 2


def _money(yuan: float, lang: str) -> str:
    return format_money(yuan, lang, MONEY_DECIMALS)


def _method_text(method: str, lang: str) -> str:
    text = t(f"choices.beds_demand_method.{method}", lang)
    return in_sentence(text, lang)


def sentence_for(res: BedsResults, lang: str) -> str:
    """The plain-language result: closing year at the chosen rate, and what closing by the target takes."""
    row = selected_row(res)
    name = by_lang(lang, row["name_zh"], row["name_en"])
    b = res.plan.new_per_year
    gap0 = float(row["gap"])
    fmt = {"name": name, "rate": f"{b:,.0f}", "gap": f"{abs(gap0):,.0f}", "year": res.closing_year,
           "end": END_YEAR, "target": res.target_year, "required": f"{res.required_per_year:,.0f}",
           "cost": _money(res.build_subsidy_per_year, lang), "running": _money(res.running_subsidy_target_year, lang),
           "method": _method_text(res.rule.method, lang)}
    if gap0 <= 0 and res.closing_year == BASE_YEAR and not res.reopens:
        first = t("beds.s_met_stays", lang, **fmt)
    elif gap0 <= 0 and res.closing_year == BASE_YEAR:
        reopen = int(res.projection.loc[res.projection["gap"] > 0, "year"].iloc[0])
        first = t("beds.s_met_reopens", lang, reopen=reopen, **fmt)
    elif res.closing_year == NOT_CLOSED:
        first = t("beds.s_not_closed", lang, **fmt)
    else:
        first = t("beds.s_closes", lang, **fmt)
    if res.required_per_year <= 0:
        second = t("beds.s_no_build_needed", lang, **fmt)
    else:
        second = t("beds.s_required", lang, **fmt)
    other = other_method(res.rule.method)
    share = met_share_by(row, other)
    aside = "" if share is None else t("beds.s_other_method", lang, method=_method_text(other, lang), name=name,
                                       share=format_value(share, "percent", 1, lang))
    return first + t("beds.s_join", lang) + second + aside


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The care-beds result in one plain sentence (zh or en), then what it depends on most (ranges)."""
    text = sentence_for(compute(scenario, overlay), lang)
    # the drivers of the range, then the illustrative tag last (it qualifies the whole paragraph)
    text += ranges.driver_sentence(PAGE, scenario, lang, overlay)
    return labels.tag_sentence(text, labels.metric_sources(headline(scenario, overlay)), lang, overlay)


# ---------------------------------------------------------------- ranges (dashboard/core/ranges.py)

RANGE_MAIN = "gap"  # the tornado's figure and the one the summary's driver sentence names
# Conclusions whose flip inside the bands the page and the brief state in words.
RANGE_CONCLUSIONS = {
    "gap": lambda v: "gap" if v > 0 else "surplus",
    "closing_year": lambda v: "closes" if v <= END_YEAR else "not_closed",
}
RANGE_DISPLAY = {"closing_year": lambda v: closing_text(int(v))}  # 9999 -> ">2035", as the tile shows it


def range_evaluator(scenario: Scenario, overlay: db.Overlay | None = None):
    """The selected area's headline figures for a variant scenario, from the pure projection functions
    on that area's row alone (the same numbers as `headline(variant)`; tests/core/test_ranges.py checks it)."""
    res = compute(scenario, overlay)
    row = selected_row(res)
    p60, p80, s0 = [float(row["aged_60_plus"])], [float(row["aged_80_plus"])], [float(row["supply"])]
    fixed = {m.key: m.value for m in headline(scenario, overlay)
             if m.key in ("beds_per_1000_city", "supply", "nursing_share", "without_centre")}

    def evaluate(variant: Scenario) -> dict[str, Any]:
        rule, plan = rule_from(variant), plan_from(variant)
        target = int(variant["beds_target_year"])
        build = float(variant["beds_build_subsidy_yuan_per_bed"])
        running = float(variant["beds_running_subsidy_yuan_per_bed_year"])
        proj = project(p60, p80, s0, rule, plan)
        demand = float(proj.demand[0][0])
        other = other_method(rule.method)  # the other method's demand, as compute_from_inputs builds it
        other_rule = (DemandRule("need", rule.norm_per_1000, rule.need_60_79, rule.need_80_plus, rule.bed_use,
                                 rule.occupancy) if other == "need" else DemandRule("norm", rule.norm_per_1000))
        demand_other = float(demand_beds(np.asarray(p60), np.asarray(p80), other_rule)[0])
        # required_per_year and the projection at that rate, at the target year only (same formulas)
        dk, built = _survival(plan)
        k = target - plan.base_year
        demand_k = float(proj.demand[0][k])
        required = max(0.0, (demand_k - s0[0] * dk[k]) / built[k])
        occupied = min(float(proj.supply[0][k]), demand_k) * rule.occupancy
        occupied_req = min(s0[0] * dk[k] + required * built[k], demand_k) * rule.occupancy
        return {
            **fixed,
            "demand": demand,
            "met_share": s0[0] / demand * 100 if demand > 0 else None,
            "met_share_other": round(s0[0] / demand_other * 100, 1) if demand_other > 0 else None,
            "gap": demand - s0[0],
            "closing_year": int(proj.closing_year[0]),
            "required_per_year": required,
            "budget": required * build / 1e6,
            "plan_budget": (plan.new_per_year * build + occupied * running) / 1e6,
            "running_subsidy": occupied_req * running / 1e6,
        }
    return evaluate


# ---------------------------------------------------------------- map layers


def facility_points(overlay: db.Overlay | None = None, central_only: bool = True) -> pd.DataFrame:
    """Care facilities with their locations; by default only those in districts covered by `communities`."""
    frame = db.run_query("beds_facility_points", overlay=overlay or None)
    if central_only:
        districts = set(db.run_query("beds_older_population", overlay=overlay or None)["district_code"])
        frame = frame[frame["district_code"].isin(districts)]
    return frame.reset_index(drop=True)


def community_points(overlay: db.Overlay | None = None) -> pd.DataFrame:
    """Committees with home-care status, placed at the mean position of their compounds."""
    return db.run_query("beds_community_points", overlay=overlay or None)
