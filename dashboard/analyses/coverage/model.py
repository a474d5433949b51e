"""Clinic coverage: which residents are within reach of community health services, and where to build.

Method (full text with sources in docs/coverage.md):

- Demand points are residential compounds (optionally also village settlements) with their
  residents; facilities are community health service centres and stations. Coordinates are
  projected to metres (the city's metric CRS, data/city.toml; `dashboard.data.geo`).
- A demand point is *covered* when straight-line distance × detour factor ≤ service distance, i.e.
  when a counted facility lies within radius = service distance / detour factor. A point exactly at
  the radius counts. Distances come from a KD-tree nearest-neighbour query (`scipy.spatial.cKDTree`),
  so a compound reached by several facilities is counted once; no distance matrix, no buffer union.
- `suggest_sites` solves the maximal covering location problem (Church & ReVelle 1974): choose k new
  sites among candidate compounds to maximise newly covered residents, existing facilities locked.
  `dashboard.analyses.coverage.solver` does it within one time limit (reduction, greedy, swap local
  search, Lagrangian bound, HiGHS); the greedy answer is the floor, and the result says how far from
  the best possible it can be (proven gap) when optimality is not proven.
- The report's goal (三(二)一: 力争3年内中心城区每个街道至少按标准设置1所公办社区卫生服务中心)
  becomes the "one public centre per sub-district" plan: count, standard staffing
  (std_chsc_staffing) and build cost (asm_centre_build_cost).

The code: `cover.py` (geometry and maximal covering, arrays in metres), `inputs.py` (`Inputs`,
`prepare_inputs`, `Settings`), `tables.py` (per-area tables, city totals, the plan), `evaluate.py` (one
scenario's figures, the walking network, cached suggestions); this module is the analysis's interface
(headline, details, summary_sentence, range_evaluator) over the database; it re-exports `SERVED_SCREEN`
for the page's method note.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.coverage import capacity as cap
from dashboard.analyses.coverage.cover import is_covered, nearest_facility_m, share_pct
from dashboard.analyses.coverage.evaluate import SERVED_SCREEN as SERVED_SCREEN
from dashboard.analyses.coverage.evaluate import CoverageResult, _served_after, evaluate
from dashboard.analyses.coverage.inputs import Inputs, Settings, prepare_inputs
from dashboard.analyses.coverage.tables import UPGRADE_COST_SHARE
from dashboard.core import labels, params, ranges
from dashboard.core.metrics import Metric, format_value, unit_suffix
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import t
from dashboard.data import db

PAGE = "coverage"

# Walking distances of the residential "life circles" (std_15min_walk, GB 50180-2018): the
# 15-minute circle is 800-1,000 m on foot; its upper end is the default service distance.
DISTANCE_PRESETS: dict[str, int] = {"walk_5min": 300, "walk_10min": 500, "walk_15min": 1000}

PARAMS: list[Param] = params.load("coverage")  # dashboard/params/coverage.toml: defaults, bounds, bands, sources


# ============================================================== scenario entry points (with the database)


@lru_cache(maxsize=8)
def _db_inputs(db_token: str, overlay: db.Overlay, include_villages: bool) -> Inputs:
    ov = overlay if len(overlay) else None
    demand = db.run_query("coverage_demand", overlay=ov, include_villages=include_villages)
    facilities = db.run_query("coverage_facilities", overlay=ov)
    subdistricts = db.run_query("coverage_subdistricts", overlay=ov)
    new_areas = db.run_query("coverage_new_areas", overlay=ov)
    return prepare_inputs(demand, facilities, subdistricts, new_areas)


def load_inputs(include_villages: bool = False, overlay: db.Overlay | None = None) -> Inputs:
    """The shipped (or the session's uploaded) compounds and clinics of the central city, prepared once per data version."""
    return _db_inputs(db.database_token(), overlay or db.EMPTY_OVERLAY, bool(include_villages))


@lru_cache(maxsize=64)
def _result_cached(db_token: str, overlay: db.Overlay, values: tuple[tuple[str, Any], ...],
                   network: Any = None) -> CoverageResult:
    settings = Settings.from_scenario(scenario_of(values))
    return evaluate(_db_inputs(db_token, overlay, settings.include_villages), settings, network=network)


def scenario_result(scenario: Scenario, overlay: db.Overlay | None = None, network: Any = None) -> CoverageResult:
    """Every coverage figure of a scenario (cached by data version, overlay, the values of every PARAMS and
    the walking network)."""
    return _result_cached(db.database_token(), overlay or db.EMPTY_OVERLAY, param_values(scenario, PARAMS), network)


def _pct(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def headline(scenario: Scenario, overlay: db.Overlay | None = None, network: Any = None) -> list[Metric]:
    """The page's headline figures, each with its sources."""
    r = scenario_result(scenario, overlay, network)
    s, c, p = r.settings, r.city, r.plan
    data = db.data_source_ids(("clinics", "compounds"), overlay) or ("demo_layer",)  # an upload cites itself
    reach = data + ("std_15min_walk", "asm_detour_factor" if r.network is None else "asm_walk_network")
    how = f"{s.service_distance_m:,} 米步行(直线 {r.settings.radius_m:,.0f} 米)"
    how_en = f"{s.service_distance_m:,} m walk ({r.settings.radius_m:,.0f} m straight line)"
    if r.network is not None:
        how, how_en = f"沿路网步行 {s.service_distance_m:,} 米", f"{s.service_distance_m:,} m walk on the network"
    after_zh = f"新增{len(r.suggestion.sites)}所公办中心"
    after_en = f"with {len(r.suggestion.sites)} new public centre(s)"
    return [
        Metric("covered_share", _pct(c["covered_share_pct"]), "percent", "可及覆盖率(现状)",
               "Residents within reach (today)", reach, 1, how, how_en),
        Metric("covered_share_after", _pct(c["covered_share_after_pct"]), "percent", "新建后覆盖率",
               "Within reach after new centres", reach + ("asm_clinic_scenario",), 1, after_zh, after_en),
        Metric("residents_per_gp", None if c["residents_per_gp"] is None else round(c["residents_per_gp"]),
               "persons", "每名全科医生服务居民", "Residents per GP", data + ("report2020",), 0,
               f"全科医生{c['gps_counted']}名", f"{c['gps_counted']} GPs"),
        Metric("streets_without_public_centre", c["streets_without_public_centre"], "count",
               "无公办中心的街道", "Streets without a public centre", data + ("report2020",), 0,
               f"共{p['streets']}个街道", f"of {p['streets']} streets"),
        Metric("uncovered_residents", c["uncovered_residents"], "persons", "服务距离外居民",
               "Residents out of reach", reach, 0),
        Metric("residents_per_centre", None if c["residents_per_centre"] is None else round(c["residents_per_centre"]),
               "persons", "每所中心服务居民", "Residents per centre", data + ("std_chsc_catchment",), 0,
               "标准约3万-5万人", "standard: about 30,000-50,000"),
        Metric("plan_new_centres", p["new_centres"], "centres", "每街一所需新建", "New centres for one per street",
               data + ("report2020",), 0),
        Metric("plan_gp_shortfall", p["gp_shortfall"], "persons", "按标准缺全科医生", "GPs short of the standard",
               data + ("std_chsc_staffing",), 0,
               f"中心需{p['gps_required_in_centres']}名,现有{p['gps_in_centres_today']}名(含站共{p['gps_today']}名)",
               f"centres need {p['gps_required_in_centres']}; {p['gps_in_centres_today']} there today "
               f"({p['gps_today']} incl. stations)"),
        Metric("plan_nurse_shortfall", p["nurse_shortfall"], "persons", "按标准缺护士", "Nurses short of the standard",
               data + ("std_chsc_staffing",), 0),
        Metric("plan_build_cost", round(p["build_cost_million_yuan"], 1), "million_yuan", "新建费用估算",
               "Build cost estimate", ("asm_centre_build_cost",), 1,
               f"每所{p['cost_per_centre_million_yuan']:g}百万元(假设)",
               f"{p['cost_per_centre_million_yuan']:g} million yuan each (assumption)"),
        Metric("plan_upgrades", p["upgrades"], "centres", "另需改造达标的公办中心", "Public centres to upgrade to standard",
               data + ("report2020", "std_chsc_staffing"), 0,
               "所在街道仅有未达标的公办中心", "the street's only public centres fall short of the standard"),
        Metric("plan_upgrade_cost", round(p["upgrade_cost_million_yuan"], 1), "million_yuan", "改造费用估算",
               "Upgrade cost estimate", ("asm_centre_upgrade_cost", "asm_centre_build_cost"), 1,
               f"每所约为新建的{UPGRADE_COST_SHARE:.0%}(假设)", f"about {UPGRADE_COST_SHARE:.0%} of a new centre each (assumption)"),
        Metric("plan_covered_share", _pct(p["covered_share_after_plan_pct"]), "percent", "每街一所后覆盖率",
               "Within reach after one per street", reach + ("report2020",), 1),
        *_capacity_metrics(r, data, reach),
    ]


def _capacity_metrics(r: CoverageResult, data: tuple[str, ...], reach: tuple[str, ...]) -> list[Metric]:
    """Within reach vs served within capacity, residents beyond capacity, facilities over capacity, 2SFCA."""
    c = r.city
    panel = reach + ("asm_gp_panel",)
    within = format_value(_pct(c["covered_share_pct"]), "percent", 1, "zh")
    access = c["access_gps_per_10k"]
    objective_zh = "按容量内服务人数选址(贪心法)" if r.settings.site_objective == "served" else "按可及人数选址"
    objective_en = ("sites chosen for residents served (greedy)" if r.settings.site_objective == "served"
                    else "sites chosen for residents within reach")
    return [
        Metric("served_share", _pct(c["served_share_pct"]), "percent", "容量内可获服务居民", "Served within capacity",
               panel, 1, f"可及 {within};每名全科医生 {c['panel_per_gp']:,} 人",
               f"within reach {within}; {c['panel_per_gp']:,} residents per GP"),
        Metric("served_share_after", _pct(c["served_share_after_pct"]), "percent", "新建后容量内可获服务居民",
               "Served within capacity after new centres", panel + ("asm_clinic_scenario", "std_chsc_staffing"), 1,
               f"新增{len(r.suggestion.sites)}所公办中心,{objective_zh}",
               f"with {len(r.suggestion.sites)} new public centre(s), {objective_en}"),
        Metric("beyond_capacity_residents", c["beyond_capacity_residents"], "persons", "可及但超出容量的居民",
               "Within reach, beyond capacity", panel, 0,
               f"容量合计 {c['capacity_residents']:,} 人", f"capacity in all {c['capacity_residents']:,}"),
        Metric("facilities_over_capacity", c["facilities_over_capacity"], "count", "超出容量的机构",
               "Facilities over capacity", panel, 0,
               f"其中中心 {c['centres_over_capacity']} 所,共计入 {c['facilities_counted']} 个",
               f"{c['centres_over_capacity']} of them centres; {c['facilities_counted']} counted"),
        Metric("access_gps_per_10k", None if access is None else round(access, 2), "count",
               "每万居民可及全科医生(两步移动搜寻法)", "GPs per 10,000 residents within reach (2SFCA)",
               reach, 2, "两步移动搜寻法,按居民加权",
               "two-step floating catchment, residents-weighted"),
    ]


def _records(frame: pd.DataFrame, digits: int = 4) -> list[dict[str, Any]]:
    """JSON-ready rows: numpy scalars to Python, floats rounded, NaN to None."""
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float):
                value = None if math.isnan(value) else round(value, digits)
            clean[key] = value
        out.append(clean)
    return out


def _clean(obj: Any, digits: int = 4) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v, digits) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, digits)
    return obj


def details(scenario: Scenario, overlay: db.Overlay | None = None, network: Any = None) -> dict[str, Any]:
    """JSON-ready tables: settings, city, by district / new area / sub-district, suggested sites, plan,
    facility load (capacity) and the walking network used."""
    r = scenario_result(scenario, overlay, network)
    s, sg = r.settings, r.suggestion
    return _clean({
        "settings": {
            "service_distance_m": s.service_distance_m, "detour_factor": s.detour_factor,
            "straight_line_radius_m": s.radius_m, "kinds": list(s.kinds), "ownership": list(s.ownership),
            "include_villages": s.include_villages, "new_centres": s.new_centres, "candidates": s.candidates,
            "panel_per_gp": s.panel_per_gp, "distance_method": r.city["distance_method"],
            "site_objective": s.site_objective,
        },
        "city": r.city,
        "by_district": _records(r.by_district),
        "by_new_area": _records(r.by_new_area),
        "by_subdistrict": _records(r.by_subdistrict),
        "streets_without_public_centre": _records(r.without_public_centre[["subdistrict_code", "subdistrict_name",
                                                                           "district_code"]]),
        "suggestion": {
            "objective": s.site_objective, "method": sg.method, "optimal": sg.optimal, "proof": sg.proof, "status": sg.status,
            "gap": sg.gap, "bound_residents": int(round(sg.bound)) if math.isfinite(sg.bound) else None,
            "candidates": sg.candidates,
            "sites_requested": s.new_centres, "sites_with_gain": len(sg.sites),
            "residents_added": int(round(sg.added)), "greedy_residents_added": int(round(sg.greedy_added)),
            "greedy_curve_residents": [int(round(x)) for x in sg.curve],
        },
        "suggested_sites": _records(r.sites, 6),
        "plan": r.plan,
        "plan_sites": _records(r.plan_sites, 6),
        "facility_load": _records(r.facility_load, 6),
        "network": r.network,
    })


def gap_text(gap: float, lang: str = "zh") -> str:
    """A proven gap as a percentage, rounded up so it is never understated ("0.4%")."""
    pct = 100.0 * max(float(gap), 0.0)
    digits = 1 if pct >= 0.1 else 2
    return format_value(math.ceil(pct * 10 ** digits - 1e-9) / 10 ** digits, "percent", digits, lang)


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                     network: Any = None) -> str:
    """The result in one plain sentence (figures formatted as on the page)."""
    r = scenario_result(scenario, overlay, network)
    c, s, p = r.city, r.settings, r.plan
    # the figures as the tiles show them (core/ranges: the precision their range supports), not re-rounded
    shown = {m.key: m for m in (ranges.headline(PAGE, scenario, overlay) if network is None
                                else headline(scenario, overlay, network))}
    before, after = shown["covered_share"].formatted(lang), shown["covered_share_after"].formatted(lang)
    beyond_m = shown["beyond_capacity_residents"]
    beyond = (beyond_m.range_text(lang) or beyond_m.formatted(lang)).removesuffix(unit_suffix("persons", lang)).rstrip()
    k = len(r.suggestion.sites)
    if not r.suggestion.optimal and math.isfinite(r.suggestion.gap):  # how near the best possible the sites are
        after += t("coverage.summary_gap", lang, gap=gap_text(r.suggestion.gap, lang))
    served, served_after = shown["served_share"].formatted(lang), shown["served_share_after"].formatted(lang)
    if lang == "zh":
        how = f"沿路网步行{s.service_distance_m:,}米" if r.network else f"步行{s.service_distance_m:,}米(直线{s.radius_m:,.0f}米)"
        text = (f"按{how}计,中心城区{before}的居民可到达社区卫生服务机构;"
                f"新增{k}所公办中心后为{after}。按每名全科医生服务{s.panel_per_gp:,}人计,容量内可获服务的居民为{served}(新建后{served_after}),"
                f"{beyond}名可及居民超出容量。{c['streets_without_public_centre']}个街道尚无公办社区卫生服务中心,"
                f"每街一所需新建{p['new_centres']}所,另有{p['upgrades']}所公办中心需改造达标,按标准缺全科医生{p['gp_shortfall']}名。")
    else:
        how = (f"Within a {s.service_distance_m:,} m walk on the network" if r.network
               else f"Within a {s.service_distance_m:,} m walk ({s.radius_m:,.0f} m straight line)")
        text = (f"{how}, {before} of central-city "
                f"residents reach a community health facility; with {k} new public centre(s), {after}. "
                f"At {s.panel_per_gp:,} residents per GP, {served} are served within capacity ({served_after} with the new "
                f"centres) and "
                f"{beyond} residents within reach are beyond it. "
                f"{c['streets_without_public_centre']} streets have no public centre; one per street means "
                f"{p['new_centres']} new centres, {p['upgrades']} public centres to upgrade and {p['gp_shortfall']} more GPs "
                f"to meet the standard.")
    # the drivers of the range (the default method only), then the illustrative tag last (it qualifies the
    # whole paragraph)
    if network is None:
        text += ranges.driver_sentence(PAGE, scenario, lang, overlay)
    return labels.tag_sentence(text, labels.metric_sources(headline(scenario, overlay, network)), lang, overlay)


# ============================================================== ranges (dashboard/core/ranges.py)

RANGE_MAIN = "covered_share"  # the tornado's figure and the one the summary's driver sentence names
# Figures whose range holds the scenario's decisions fixed: the suggested and the one-per-street sites stay
# where the scenario put them, and only how many residents they reach moves with the assumptions.
RANGE_HELD = ("covered_share_after", "plan_covered_share", "served_share_after")


def range_evaluator(scenario: Scenario, overlay: db.Overlay | None = None):
    """Headline figures of a variant scenario from the cached nearest distances: reach at the variant's
    radius, with the scenario's new sites held (RANGE_HELD); no new MCLP solve. Figures that no banded
    parameter moves are the scenario's (tests/core/test_ranges.py checks every one-at-a-time run against
    `headline(variant)`)."""
    r = scenario_result(scenario, overlay)
    inputs, w = r.inputs, r.inputs.residents
    total = float(w.sum())
    to_sites = nearest_facility_m(inputs.demand_xy, inputs.demand_xy[list(r.suggestion.sites)])
    index_of: dict[Any, int] = {}
    for i, cid in enumerate(inputs.demand["compound_id"]):
        index_of.setdefault(cid, i)
    plan_sites = [index_of[c] for c in r.plan_sites["compound_id"]]
    to_plan = nearest_facility_m(inputs.demand_xy, inputs.demand_xy[plan_sites])
    fixed = {m.key: m.value for m in headline(scenario, overlay)}

    def evaluate(variant: Scenario) -> dict[str, Any]:
        s = Settings.from_scenario(variant)
        radius = s.radius_m
        before = is_covered(r.nearest_m, radius)
        cov = float(w[before].sum())
        # capacity-limited coverage at the variant's reach (the same steps as `evaluate`, no MCLP)
        counted = inputs.facility_mask(s.kinds, s.ownership)
        pairs = cap.pairs_straight(inputs.demand_xy, inputs.facility_xy[counted], s.service_distance_m,
                                   s.detour_factor)
        access = cap.evaluate_access(pairs, w, inputs.facilities["gps"].to_numpy()[counted], s.panel_per_gp)
        within, served = float(w[access.allocation.reachable].sum()), float(access.served.sum())
        served_after = _served_after(pairs, w, access.allocation.capacity, inputs.demand_xy, r.suggestion.sites, s)
        return {
            **fixed,
            "served_share_after": _pct(share_pct(served_after, total)),
            "served_share": _pct(share_pct(served, total)),
            "beyond_capacity_residents": int(round(within)) - int(round(served)),
            "facilities_over_capacity": int(np.asarray(access.allocation.over_capacity).sum()),
            "access_gps_per_10k": None if total <= 0 else round(float(np.dot(w, access.access) * cap.PER / total), 2),
            "covered_share": share_pct(cov, total),
            "covered_share_after": share_pct(float(w[before | is_covered(to_sites, radius)].sum()), total),
            "uncovered_residents": int(round(total - cov)),
            "plan_build_cost": r.plan["new_centres"] * s.centre_cost_million_yuan,
            "plan_upgrade_cost": round(r.plan["upgrades"] * s.centre_cost_million_yuan * UPGRADE_COST_SHARE, 1),
            "plan_covered_share": share_pct(float(w[before | is_covered(to_plan, radius)].sum()), total),
        }
    return evaluate
