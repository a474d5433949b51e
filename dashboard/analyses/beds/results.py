"""One scenario's care-bed results for every area: supply, need, gap, closing year, the build rate and budget that
close the gap by the target year, calibration against the report's figures. Pure (inputs in, results out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.beds.inputs import Inputs
from dashboard.analyses.beds.projection import (
    DemandRule,
    Plan,
    demand_beds,
    nursing_beds_short,
    nursing_share,
    plan_from,
    project,
    required_per_year,
    rule_from,
)
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.data import city as city_config

FACILITY_TYPES = ("urban_public", "urban_private", "home_care_centre", "rural")


# Care-type share (std_nursing_beds_55) is a target for institutions' beds, not community centres'.
INSTITUTIONAL_TYPES = ("urban_public", "urban_private", "rural")


_CITY = city_config.current()  # data/city.toml of the data folder the process serves


CENTRAL = _CITY.central_area_code  # central city: every district covered by `communities` (indicator area code)


CITY = _CITY.code


AREA_CHOICES = _CITY.area_choices()


# The report's figures the default scenario must reproduce (data/indicators.csv).
# Report-calibration ids (the areas of the report's beds.shashi.* / beds.jingzhouqu.* indicators): every
# use is conditional on those rows being present, so another city's folder simply has no calibration.
SHASHI = "421002"


JINGZHOU = "421003"


PER_1000_TOLERANCE = 0.5  # beds per 1,000: the report says "约34" (about 34)
MET_SHARE_TOLERANCE_PT = 1.0  # percentage points around one third


@dataclass(frozen=True)
class BedsResults:
    """Everything the page, the CLI and the brief show for one scenario."""

    area: str
    rule: DemandRule
    plan: Plan
    target_year: int
    table: pd.DataFrame  # one row per area (districts, rest, central city, city)
    supply_by_type: pd.DataFrame  # area_code, facility_type, facilities, beds, nursing_beds
    projection: pd.DataFrame  # selected area: year, aged_60_plus, aged_80_plus, demand, supply, gap, ...
    closing_year: int  # NOT_CLOSED if not by END_YEAR
    reopens: bool
    required_per_year: float
    build_subsidy_per_year: float  # at the required rate
    running_subsidy_target_year: float  # occupied beds in the target year at the required rate
    plan_build_subsidy_per_year: float  # at the chosen rate
    plan_running_subsidy_target_year: float  # occupied beds in the target year at the chosen rate
    calibration: dict[str, Any]
    coverage: pd.DataFrame
    nursing: dict[str, Any]
    home_care_mean_beds: float
    build_subsidy_per_bed: float
    running_subsidy_per_bed_year: float
    data_sources: tuple[str, ...] = ("demo_layer",)  # source ids of the facility/community rows used


def _area_table(inputs: Inputs) -> pd.DataFrame:
    """Per-area population and supply by type, with central-city and city sums."""
    wide = (inputs.supply.pivot_table(index="area_code", columns="facility_type", values="beds", aggfunc="sum")
            .reindex(columns=list(FACILITY_TYPES)).fillna(0.0))
    nursing = inputs.supply.groupby("area_code")["nursing_beds"].sum()
    inst = inputs.supply[inputs.supply["facility_type"].isin(INSTITUTIONAL_TYPES)]
    inst_beds = inst.groupby("area_code")["beds"].sum()
    inst_nursing = inst.groupby("area_code")["nursing_beds"].sum()
    table = inputs.areas.set_index("area_code")
    for ftype in FACILITY_TYPES:
        table[f"beds_{ftype}"] = wide[ftype].reindex(table.index).fillna(0.0)
    table["supply"] = table[[f"beds_{f}" for f in FACILITY_TYPES]].sum(axis=1)
    table["nursing_beds"] = nursing.reindex(table.index).fillna(0.0)
    table["institutional_beds"] = inst_beds.reindex(table.index).fillna(0.0)
    table["institutional_nursing_beds"] = inst_nursing.reindex(table.index).fillna(0.0)
    cov = inputs.coverage.set_index("area_code")
    for col in ("committees", "communities", "with_centre", "reform", "reform_with_centre"):
        table[col] = cov[col].reindex(table.index).fillna(0).astype(float) if col in cov else 0.0
    table = table.reset_index()
    numeric = [c for c in table.columns if c not in ("area_code", "name_zh", "name_en", "level", "pop_source")]
    districts = table[table["level"] == "district"]
    sums = []
    for code, part, key in ((CENTRAL, districts, "central"), (CITY, table, "city")):
        row = {"area_code": code, "name_zh": t(f"beds.area_{key}", "zh"), "name_en": t(f"beds.area_{key}", "en"),
               "level": key, "pop_source": "sum"}
        row.update({c: float(part[c].sum()) for c in numeric})
        sums.append(row)
    return pd.concat([table, pd.DataFrame(sums)], ignore_index=True)


def compute_from_inputs(inputs: Inputs, scenario: Scenario) -> BedsResults:
    """The beds results from assembled inputs (pure)."""
    rule, plan = rule_from(scenario), plan_from(scenario)
    target = int(scenario["beds_target_year"])
    area = scenario["beds_district"]
    table = _area_table(inputs)
    if area not in set(table["area_code"]):
        raise ValueError(f"area {area!r} is not in the data (areas: {', '.join(table['area_code'])})")

    p60, p80, s0 = table["aged_60_plus"].to_numpy(), table["aged_80_plus"].to_numpy(), table["supply"].to_numpy()
    table["demand_need"] = demand_beds(p60, p80, DemandRule("need", rule.norm_per_1000, rule.need_60_79,
                                                            rule.need_80_plus, rule.bed_use, rule.occupancy))
    table["demand_norm"] = demand_beds(p60, p80, DemandRule("norm", rule.norm_per_1000))
    table["demand"] = table["demand_need"] if rule.method == "need" else table["demand_norm"]
    table["gap"] = table["demand"] - table["supply"]
    table["met_share"] = np.where(table["demand"] > 0, table["supply"] / table["demand"].where(table["demand"] > 0, 1), np.nan)
    table["beds_per_1000_aged_60_plus"] = np.where(p60 > 0, s0 / np.where(p60 > 0, p60, 1) * 1000, np.nan)
    table["required_per_year"] = required_per_year(p60, p80, s0, rule, plan, target)
    proj_all = project(p60, p80, s0, rule, plan)
    table["closing_year"] = proj_all.closing_year
    table["demand_end"] = proj_all.demand[:, -1]
    table["supply_end"] = proj_all.supply[:, -1]
    table["nursing_share"] = np.where(table["institutional_beds"] > 0,
                                      table["institutional_nursing_beds"] / table["institutional_beds"].where(
                                          table["institutional_beds"] > 0, 1), np.nan)
    target_share = scenario["beds_nursing_target_pct"] / 100.0
    table["nursing_short"] = np.maximum(0.0, target_share * table["institutional_beds"]
                                        - table["institutional_nursing_beds"])
    table["without_centre"] = table["communities"] - table["with_centre"]

    i = int(np.flatnonzero(table["area_code"].to_numpy() == area)[0])
    sel = table.iloc[i]
    proj = project([sel["aged_60_plus"]], [sel["aged_80_plus"]], [sel["supply"]], rule, plan)
    required = float(table.loc[i, "required_per_year"])
    proj_req = project([sel["aged_60_plus"]], [sel["aged_80_plus"]], [sel["supply"]], rule, plan,
                       new_per_year=required)
    occupancy = rule.occupancy
    build = float(scenario["beds_build_subsidy_yuan_per_bed"])
    running = float(scenario["beds_running_subsidy_yuan_per_bed_year"])
    occupied = np.minimum(proj.supply[0], proj.demand[0]) * occupancy
    occupied_req = np.minimum(proj_req.supply[0], proj_req.demand[0]) * occupancy
    projection = pd.DataFrame({
        "year": proj.years, "aged_60_plus": proj.aged_60_plus[0], "aged_80_plus": proj.aged_80_plus[0],
        "demand": proj.demand[0], "supply": proj.supply[0], "gap": proj.gap[0],
        "supply_at_required_rate": proj_req.supply[0],
        "occupied_beds": occupied,
        "build_subsidy_yuan": np.where(proj.years > plan.base_year, plan.new_per_year * build, 0.0),
        "running_subsidy_yuan": occupied * running,
    })
    k_target = target - plan.base_year

    city = table[table["area_code"] == CITY].iloc[0]
    shashi = table[table["area_code"] == SHASHI]
    jz = table[table["area_code"] == JINGZHOU]
    report = inputs.report
    calibration = {
        "beds_per_1000_city": float(city["beds_per_1000_aged_60_plus"]),
        "beds_per_1000_report": report.get("beds.per_1000_older"),
        "beds_per_1000_tolerance": PER_1000_TOLERANCE,
        "shashi_supply": float(shashi["supply"].iloc[0]) if len(shashi) else None,
        "shashi_supply_report": report.get("beds.shashi.total"),
        "shashi_met_share_pct": float(shashi["met_share"].iloc[0] * 100) if len(shashi) else None,
        "shashi_met_share_norm_pct": (float(shashi["supply"].iloc[0] / shashi["demand_norm"].iloc[0] * 100)
                                      if len(shashi) and shashi["demand_norm"].iloc[0] > 0 else None),
        "shashi_met_share_need_pct": (float(shashi["supply"].iloc[0] / shashi["demand_need"].iloc[0] * 100)
                                      if len(shashi) and shashi["demand_need"].iloc[0] > 0 else None),
        "shashi_met_share_report_pct": 100.0 / 3.0 if "beds.shashi.demand_met_share" in report else None,
        "met_share_tolerance_pt": MET_SHARE_TOLERANCE_PT,
        "jingzhou_reform_communities": float(jz["reform"].iloc[0]) if len(jz) else None,
        "jingzhou_reform_with_centre": float(jz["reform_with_centre"].iloc[0]) if len(jz) else None,
        "jingzhou_home_care_share_report_max_pct": report.get("beds.jingzhouqu.home_care_share"),
        "city_age_shares": {"aged_60_plus": inputs.city_age_shares[0], "aged_80_plus": inputs.city_age_shares[1]},
    }
    calibration["beds_per_1000_ok"] = (calibration["beds_per_1000_report"] is not None and abs(
        calibration["beds_per_1000_city"] - calibration["beds_per_1000_report"]) <= PER_1000_TOLERANCE)
    calibration["shashi_met_share_ok"] = (calibration["shashi_met_share_pct"] is not None and abs(
        calibration["shashi_met_share_pct"] - 100.0 / 3.0) <= MET_SHARE_TOLERANCE_PT)

    inst_beds, inst_nursing = float(sel["institutional_beds"]), float(sel["institutional_nursing_beds"])
    nursing = {
        "institutional_beds": inst_beds,
        "nursing_beds": inst_nursing,
        "share": nursing_share(inst_beds, inst_nursing),
        "target_share": target_share,
        "short": nursing_beds_short(inst_beds, inst_nursing, target_share),
    }
    coverage = table[["area_code", "name_zh", "name_en", "level", "communities", "with_centre", "without_centre",
                      "reform", "reform_with_centre"]].copy()
    # Community data covers the central city only (the counties' committees are not in it: the report counts
    # 410 residents' committees city-wide, 107 central), so a whole-city row would repeat the central city's.
    coverage = coverage[~coverage["level"].isin(["rest", "city"])].reset_index(drop=True)
    return BedsResults(
        area=area, rule=rule, plan=plan, target_year=target, table=table, supply_by_type=inputs.supply,
        projection=projection, closing_year=int(proj.closing_year[0]), reopens=bool(proj.reopens[0]),
        required_per_year=required, build_subsidy_per_year=required * build,
        running_subsidy_target_year=float(occupied_req[k_target] * running),
        plan_build_subsidy_per_year=plan.new_per_year * build,
        plan_running_subsidy_target_year=float(occupied[k_target] * running), calibration=calibration, coverage=coverage,
        nursing=nursing, home_care_mean_beds=inputs.home_care_mean_beds, build_subsidy_per_bed=build,
        running_subsidy_per_bed_year=running,
    )
