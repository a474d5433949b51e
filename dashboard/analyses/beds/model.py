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
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.metrics import Metric, cite_data
from dashboard.core.numbers import format_money
from dashboard.core.scenario import Param, Scenario
from dashboard.core.text import t
from dashboard.data import db

PAGE = "beds"
BASE_YEAR = 2020
END_YEAR = 2035
YEARS = np.arange(BASE_YEAR, END_YEAR + 1)
NOT_CLOSED = 9999  # closing year when the gap does not close within the horizon

FACILITY_TYPES = ("urban_public", "urban_private", "home_care_centre", "rural")
# Care-type share (std_nursing_beds_55) is a target for institutions' beds, not community centres'.
INSTITUTIONAL_TYPES = ("urban_public", "urban_private", "rural")

REST = "rest"  # the city outside the districts covered by `communities`
CENTRAL = "421000C"  # central city: every district covered by `communities` (indicator area code)
CITY = "421000"
AREA_CHOICES = ("421002", "421003", "421071", CENTRAL, CITY)

# The report's figures the default scenario must reproduce (data/indicators.csv).
CALIBRATION_IDS = ("beds.per_1000_older", "beds.shashi.total", "beds.shashi.demand_met_share",
                   "beds.jingzhouqu.communities", "beds.jingzhouqu.home_care_share",
                   "beds.urban_public.beds", "beds.urban_private.beds", "beds.home_care_centres.beds")
SHASHI = "421002"
JINGZHOU = "421003"
PER_1000_TOLERANCE = 0.5  # beds per 1,000: the report says "约34" (about 34)
MET_SHARE_TOLERANCE_PT = 1.0  # percentage points around one third

def default_target_year(data_year: int, end_year: int, today: date | None = None) -> int:
    """The default year to close the gap by: this year (never before the year after the data, nor after the horizon)."""
    from dashboard.core import clock

    year = (today or clock.today()).year
    return min(end_year, max(data_year + 1, year))


PARAMS: list[Param] = [
    Param("beds_district", SHASHI, "choice", "查看区域", "Area", "report2020", PAGE, choices=AREA_CHOICES, selects=True,
          help_zh="预测、缺口和预算针对所选区域", help_en="Projection, gap and budget are for this area"),
    Param("beds_demand_method", "need", "choice", "需求测算方法", "Demand method", "asm_beds_need_method", PAGE,
          choices=("need", "norm"),
          help_zh="按需测算可复现报告“仅能满足三分之一”；千人床位标准法不能",
          help_en="Need-based reproduces the report's 'one third'; the per-1,000 norm cannot"),
    Param("beds_norm_per_1000", 35.0, "float", "床位标准(每千名60岁以上老人)", "Norm (beds per 1,000 aged 60+)",
          "std_beds_per_1000", PAGE, unit="per_1000", min=10, max=80, step=1,
          help_zh="国家规划目标每千名老人35-40张", help_en="National plans: 35-40 per 1,000 older people"),
    Param("beds_ltc_need_60_79_pct", 15.0, "float", "60-79岁需长期照护比例", "Needing long-term care, aged 60-79",
          "asm_beds_ltc_need", PAGE, unit="percent", min=0, max=60, step=0.5),
    Param("beds_ltc_need_80_plus_pct", 40.0, "float", "80岁以上需长期照护比例", "Needing long-term care, aged 80+",
          "asm_beds_ltc_need", PAGE, unit="percent", min=0, max=100, step=1),
    Param("beds_bed_use_pct", 63.5, "float", "需照护者中使用床位的比例", "Of those, share who would use a bed",
          "asm_beds_bed_use", PAGE, unit="percent", min=0, max=100, step=0.5,
          help_zh="默认值经校准，使沙市区4,515张床位满足约三分之一需求",
          help_en="Default calibrated so 沙市区's 4,515 beds meet about one third of demand"),
    Param("beds_occupancy_pct", 85.0, "float", "目标入住率", "Target occupancy", "asm_beds_occupancy", PAGE,
          unit="percent", min=40, max=100, step=1),
    Param("beds_growth_60_plus_pct_per_year", 2.5, "float", "60岁以上人口年增长率", "Growth of aged 60+",
          "asm_beds_growth", PAGE, unit="percent_per_year", min=-3, max=8, step=0.1),
    Param("beds_growth_80_plus_pct_per_year", 3.0, "float", "80岁以上人口年增长率", "Growth of aged 80+",
          "asm_beds_growth", PAGE, unit="percent_per_year", min=-3, max=10, step=0.1),
    Param("beds_new_per_year", 500, "int", "每年新增床位", "New beds a year", "asm_beds_new_per_year", PAGE,
          unit="beds_per_year", min=0, max=20_000, step=50),
    Param("beds_closure_pct_per_year", 0.0, "float", "每年关停床位比例", "Beds closing each year",
          "asm_beds_closures", PAGE, unit="percent_per_year", min=0, max=10, step=0.5),
    Param("beds_target_year", default_target_year(BASE_YEAR, END_YEAR), "int", "目标年份", "Target year", "asm_beds_target_year", PAGE,
          unit="year", min=BASE_YEAR + 1, max=END_YEAR, step=1),
    Param("beds_build_subsidy_yuan_per_bed", 5_000, "int", "一次性建设补贴(每张床位)", "Construction subsidy per bed",
          "asm_beds_build_subsidy", PAGE, unit="yuan_per_bed", min=0, max=50_000, step=500),
    Param("beds_running_subsidy_yuan_per_bed_year", 2_400, "int", "运营补贴(每张入住床位每年)",
          "Running subsidy per occupied bed a year", "asm_beds_running_subsidy", PAGE,
          unit="yuan_per_bed_year", min=0, max=24_000, step=100),
    Param("beds_nursing_target_pct", 55.0, "float", "护理型床位占比目标", "Care-type bed share target",
          "std_nursing_beds_55", PAGE, unit="percent", min=30, max=90, step=1),
]


# ---------------------------------------------------------------- pure model


@dataclass(frozen=True)
class DemandRule:
    """How many beds older people need; shares are fractions (0.15, not 15)."""

    method: str = "need"  # "need" | "norm"
    norm_per_1000: float = 35.0
    need_60_79: float = 0.15
    need_80_plus: float = 0.40
    bed_use: float = 0.635
    occupancy: float = 0.85

    def __post_init__(self) -> None:
        if self.method not in ("need", "norm"):
            raise ValueError(f"unknown demand method {self.method!r} (expected 'need' or 'norm')")
        if not 0 < self.occupancy <= 1:
            raise ValueError(f"occupancy must be in (0, 1], got {self.occupancy!r}")


@dataclass(frozen=True)
class Plan:
    """Growth of the older population and of supply; rates are fractions per year."""

    growth_60_plus: float = 0.025
    growth_80_plus: float = 0.03
    new_per_year: float = 500.0
    closure_rate: float = 0.0
    base_year: int = BASE_YEAR
    end_year: int = END_YEAR

    def __post_init__(self) -> None:
        if not 0 <= self.closure_rate < 1:
            raise ValueError(f"closure rate must be in [0, 1), got {self.closure_rate!r}")
        if self.end_year < self.base_year:
            raise ValueError(f"end year {self.end_year} is before base year {self.base_year}")

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.base_year, self.end_year + 1)


def demand_beds(aged_60_plus, aged_80_plus, rule: DemandRule) -> np.ndarray:
    """Beds needed by a population (arrays broadcast); see the module docstring for both methods."""
    p60 = np.asarray(aged_60_plus, dtype=float)
    p80 = np.minimum(np.asarray(aged_80_plus, dtype=float), p60)
    if rule.method == "norm":
        return p60 * rule.norm_per_1000 / 1000.0
    needing_care = (p60 - p80) * rule.need_60_79 + p80 * rule.need_80_plus
    return needing_care * rule.bed_use / rule.occupancy


def _survival(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """d^k (share of base-year beds still open) and A_k = Σ_{j<k} d^j (open beds per bed/yr built) by year."""
    k = plan.years - plan.base_year
    d = 1.0 - plan.closure_rate
    dk = d ** k
    built = k.astype(float) if plan.closure_rate == 0 else (1.0 - dk) / plan.closure_rate
    return dk, built


@dataclass(frozen=True)
class Projection:
    """Arrays of shape (areas, years); `closing_year` has shape (areas,), NOT_CLOSED if never."""

    years: np.ndarray
    aged_60_plus: np.ndarray
    aged_80_plus: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    gap: np.ndarray
    closing_year: np.ndarray
    reopens: np.ndarray  # closed in some year but open again by the end year


def project(aged_60_plus, aged_80_plus, supply, rule: DemandRule, plan: Plan,
            new_per_year=None) -> Projection:
    """Project population, demand, supply and gap for every area over the plan's years.

    Inputs are 1-D arrays (one value per area); `new_per_year` overrides `plan.new_per_year` and may
    be an array (one build rate per area).
    """
    p60 = np.atleast_1d(np.asarray(aged_60_plus, dtype=float))
    p80 = np.atleast_1d(np.asarray(aged_80_plus, dtype=float))
    s0 = np.atleast_1d(np.asarray(supply, dtype=float))
    b = np.broadcast_to(np.asarray(plan.new_per_year if new_per_year is None else new_per_year, dtype=float),
                        s0.shape)
    k = plan.years - plan.base_year
    pop60 = p60[:, None] * (1.0 + plan.growth_60_plus) ** k[None, :]
    pop80 = np.minimum(p80[:, None] * (1.0 + plan.growth_80_plus) ** k[None, :], pop60)
    demand = demand_beds(pop60, pop80, rule)
    dk, built = _survival(plan)
    supply_t = s0[:, None] * dk[None, :] + b[:, None] * built[None, :]
    gap = demand - supply_t
    closed = gap <= _closed_tolerance(demand)
    any_closed = closed.any(axis=1)
    first = np.argmax(closed, axis=1)
    closing = np.where(any_closed, plan.years[first], NOT_CLOSED)
    reopens = any_closed & ~closed[:, -1]
    return Projection(plan.years, pop60, pop80, demand, supply_t, gap, closing, reopens)


def _closed_tolerance(demand: np.ndarray) -> np.ndarray:
    # Floating-point slack so a build rate that is exactly enough counts as closing the gap.
    return 1e-9 * np.maximum(np.abs(demand), 1.0)


def required_per_year(aged_60_plus, aged_80_plus, supply, rule: DemandRule, plan: Plan,
                      target_year: int) -> np.ndarray:
    """New beds a year needed so that supply meets demand in `target_year` (0 if already met)."""
    if not plan.base_year < target_year <= plan.end_year:
        raise ValueError(f"target year {target_year} must be after {plan.base_year} and not after {plan.end_year}")
    p60 = np.atleast_1d(np.asarray(aged_60_plus, dtype=float))
    p80 = np.atleast_1d(np.asarray(aged_80_plus, dtype=float))
    s0 = np.atleast_1d(np.asarray(supply, dtype=float))
    k = target_year - plan.base_year
    pop60 = p60 * (1.0 + plan.growth_60_plus) ** k
    pop80 = np.minimum(p80 * (1.0 + plan.growth_80_plus) ** k, pop60)
    demand_t = demand_beds(pop60, pop80, rule)
    dk, built = _survival(plan)
    return np.maximum(0.0, (demand_t - s0 * dk[k]) / built[k])


def nursing_share(beds: float, nursing_beds: float) -> float | None:
    """Care-type (护理型) beds as a share of institutional beds, or None without beds."""
    return None if beds <= 0 else nursing_beds / beds


def nursing_beds_short(beds: float, nursing_beds: float, target_share: float) -> float:
    """Care-type beds to convert or add so that they reach `target_share` of institutional beds."""
    return max(0.0, target_share * beds - nursing_beds)


# ---------------------------------------------------------------- scenario → rules


def rule_from(scenario: Scenario) -> DemandRule:
    return DemandRule(
        method=scenario["beds_demand_method"],
        norm_per_1000=float(scenario["beds_norm_per_1000"]),
        need_60_79=scenario["beds_ltc_need_60_79_pct"] / 100.0,
        need_80_plus=scenario["beds_ltc_need_80_plus_pct"] / 100.0,
        bed_use=scenario["beds_bed_use_pct"] / 100.0,
        occupancy=scenario["beds_occupancy_pct"] / 100.0,
    )


def plan_from(scenario: Scenario) -> Plan:
    return Plan(
        growth_60_plus=scenario["beds_growth_60_plus_pct_per_year"] / 100.0,
        growth_80_plus=scenario["beds_growth_80_plus_pct_per_year"] / 100.0,
        new_per_year=float(scenario["beds_new_per_year"]),
        closure_rate=scenario["beds_closure_pct_per_year"] / 100.0,
    )


def _beds_values(scenario: Scenario) -> tuple[tuple[str, Any], ...]:
    return tuple((p.key, scenario[p.key]) for p in PARAMS)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Inputs:
    """Everything the model reads from the data layer, per area."""

    areas: pd.DataFrame  # area_code, name_zh, name_en, level, aged_60_plus, aged_80_plus, residents, pop_source
    supply: pd.DataFrame  # area_code, facility_type, facilities, beds, nursing_beds
    coverage: pd.DataFrame  # area_code, committees, communities, with_centre, reform, reform_with_centre
    report: dict[str, float]
    home_care_mean_beds: float
    city_age_shares: tuple[float, float]


def _area_name_en(code: str) -> str:
    try:
        return t(f"beds.area_{code}", "en")
    except KeyError:
        return code


def build_inputs(population: pd.DataFrame, census: pd.DataFrame, supply: pd.DataFrame,
                 coverage: pd.DataFrame, report: dict[str, float] | None = None,
                 names: dict[str, str] | None = None) -> Inputs:
    """Assemble per-area inputs from query results (pure: testable on hand-made frames).

    `population`: district_code, aged_60_plus, aged_80_plus, residents (from communities);
    `census`: area_code, residents, aged_60_plus, aged_80_plus (the city row ends in '00');
    `supply`: district_code, facility_type, facilities, beds, nursing_beds;
    `coverage`: district_code, kind, in_pay_reform, committees, with_centre.
    """
    names = names or {}
    census = census.set_index("area_code")
    city_rows = [c for c in census.index if str(c).endswith("00")]
    if len(city_rows) != 1:
        raise ValueError(f"census needs exactly one city row (code ending in 00), found {city_rows}")
    city = census.loc[city_rows[0]]
    city_res = float(city["residents"])
    share60 = float(city["aged_60_plus"]) / city_res
    share80 = float(city["aged_80_plus"]) / city_res
    census_districts = [c for c in census.index if c != city_rows[0]]
    # Census districts, at the city's age mix where the census gives no age split (asm_age_mix_city).
    def _census_aged(code: str, col: str, share: float) -> float:
        value = census.loc[code, col]
        return float(value) if pd.notna(value) else float(census.loc[code, "residents"]) * share

    covered60 = sum(_census_aged(c, "aged_60_plus", share60) for c in census_districts)
    covered80 = sum(_census_aged(c, "aged_80_plus", share80) for c in census_districts)
    covered_res = sum(float(census.loc[c, "residents"]) for c in census_districts)

    rows = []
    pop = population.set_index("district_code")
    for code in sorted(pop.index):
        rows.append({"area_code": code, "name_zh": names.get(code, code), "name_en": _area_name_en(code),
                     "level": "district", "residents": float(pop.loc[code, "residents"]),
                     "aged_60_plus": float(pop.loc[code, "aged_60_plus"]),
                     "aged_80_plus": float(pop.loc[code, "aged_80_plus"]), "pop_source": "communities"})
    rows.append({"area_code": REST, "name_zh": t("beds.area_rest", "zh"), "name_en": t("beds.area_rest", "en"),
                 "level": "rest", "residents": city_res - covered_res,
                 "aged_60_plus": float(city["aged_60_plus"]) - covered60,
                 "aged_80_plus": float(city["aged_80_plus"]) - covered80, "pop_source": "census"})
    areas = pd.DataFrame(rows)
    district_codes = set(pop.index)

    sup = supply.copy()
    sup["area_code"] = sup["district_code"].where(sup["district_code"].isin(district_codes), REST)
    sup = (sup.groupby(["area_code", "facility_type"], as_index=False)[["facilities", "beds", "nursing_beds"]]
           .sum())

    cov = coverage.copy()
    cov["area_code"] = cov["district_code"].where(cov["district_code"].isin(district_codes), REST)
    cov["communities_n"] = np.where(cov["kind"] == "community", cov["committees"], 0)
    cov["with_centre_n"] = np.where(cov["kind"] == "community", cov["with_centre"], 0)
    reform = cov["in_pay_reform"].astype(bool)
    cov["reform_n"] = np.where(reform, cov["committees"], 0)
    cov["reform_with_centre_n"] = np.where(reform, cov["with_centre"], 0)
    cov = (cov.groupby("area_code", as_index=False)
           [["committees", "communities_n", "with_centre_n", "reform_n", "reform_with_centre_n"]].sum()
           .rename(columns={"communities_n": "communities", "with_centre_n": "with_centre",
                            "reform_n": "reform", "reform_with_centre_n": "reform_with_centre"}))

    hc = supply[supply["facility_type"] == "home_care_centre"]
    mean_beds = float(hc["beds"].sum() / hc["facilities"].sum()) if hc["facilities"].sum() else 0.0
    return Inputs(areas, sup, cov, dict(report or {}), mean_beds, (share60, share80))


@lru_cache(maxsize=16)
def _load_inputs(token: str, overlay_token: str, overlay: db.Overlay | None) -> Inputs:
    population = db.run_query("beds_older_population", overlay=overlay)
    census = db.run_query("census_population", overlay=overlay)
    supply = db.run_query("beds_supply_by_district", overlay=overlay)
    coverage = db.run_query("beds_home_care_coverage", overlay=overlay)
    names_frame = db.run_query("beds_district_names", overlay=overlay)
    report = db.run_query("indicators_by_id", overlay=overlay, ids=list(CALIBRATION_IDS))
    names = dict(zip(names_frame["district_code"], names_frame["district_name"], strict=True))
    return build_inputs(population, census, supply, coverage,
                        dict(zip(report["indicator_id"], report["value"], strict=True)), names)


def load_inputs(overlay: db.Overlay | None = None) -> Inputs:
    """The model's inputs from the data layer (cached until the data or the overlay changes)."""
    overlay = overlay if overlay else None
    return _load_inputs(db.database_token(), overlay.token if overlay else "", overlay)


# ---------------------------------------------------------------- results


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


def compute(scenario: Scenario, overlay: db.Overlay | None = None) -> BedsResults:
    """The beds results for a scenario (cached on the data, the overlay and the beds parameters)."""
    overlay = overlay if overlay else None
    return _compute(db.database_token(), overlay.token if overlay else "", overlay, _beds_values(scenario))


@lru_cache(maxsize=64)
def _compute(token: str, overlay_token: str, overlay: db.Overlay | None,
             values: tuple[tuple[str, Any], ...]) -> BedsResults:
    scenario = Scenario(tuple(sorted((k, v) for k, v in values)))
    res = compute_from_inputs(load_inputs(overlay), scenario)
    return dataclasses.replace(res, data_sources=db.data_source_ids(("care_facilities", "communities"), overlay))


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
    coverage = coverage[coverage["level"] != "rest"].reset_index(drop=True)
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


# ---------------------------------------------------------------- headline, details, sentence

# The main sources of each figure (every parameter's source is listed on the page's assumptions tab).
_NEED_SOURCES = ("demo_layer", "asm_beds_ltc_need", "asm_beds_bed_use")
_NORM_SOURCES = ("demo_layer", "std_beds_per_1000")
_GROWTH_SOURCES = ("asm_beds_growth", "asm_beds_new_per_year")


def demand_sources(rule: DemandRule) -> tuple[str, ...]:
    return _NEED_SOURCES if rule.method == "need" else _NORM_SOURCES


def area_name(res: BedsResults, lang: str, code: str | None = None) -> str:
    row = res.table[res.table["area_code"] == (code or res.area)].iloc[0]
    return row["name_zh"] if lang == "zh" else row["name_en"]


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
    dsrc = demand_sources(res.rule)
    supply_src = ("demo_layer", "report2020") if res.area == SHASHI else ("demo_layer",)
    rep34 = cal["beds_per_1000_report"]
    method_zh = t(f"choices.beds_demand_method.{res.rule.method}", "zh")
    method_en = t(f"choices.beds_demand_method.{res.rule.method}", "en")
    met_note_zh, met_note_en = f"{method_zh}", f"{method_en}"
    if res.area == SHASHI:
        met_note_zh += " · 报告：仅能满足三分之一"
        met_note_en += " · report: only one third"
    closing = closing_text(res.closing_year)
    reopen_zh = " · 之后缺口重新出现" if res.reopens else ""
    reopen_en = " · the gap reopens later" if res.reopens else ""
    share = res.nursing["share"]
    metrics = [
        _m("beds_per_1000_city", round(cal["beds_per_1000_city"], 1), "per_1000", ("demo_layer", "census2020"), 1,
           f"全市床位÷全市60岁以上人口 · 报告：约{rep34:g}张" if rep34 is not None else "全市床位÷全市60岁以上人口",
           f"city beds ÷ city aged 60+ · report: about {rep34:g}" if rep34 is not None else "city beds ÷ city aged 60+"),
        _m("supply", round(float(row["supply"])), "beds", supply_src, 0, "2020年", "2020", **name),
        _m("demand", round(float(row["demand"])), "beds", dsrc, 0, f"2020年 · {method_zh}", f"2020 · {method_en}", **name),
        _m("met_share", round(float(row["met_share"]) * 100, 1) if pd.notna(row["met_share"]) else None, "percent",
           (*dsrc, "report2020") if res.area == SHASHI else dsrc, 1, met_note_zh, met_note_en, **name),
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
        _m("without_centre", int(row["without_centre"]), "count", ("demo_layer", "report2020"), 0,
           f"共{int(row['communities'])}个城市社区" + ("（仅中心城区有社区数据）" if res.area == CITY else ""),
           f"of {int(row['communities'])} urban communities" + (" (central city only)" if res.area == CITY else ""),
           **name),
    ]
    return [dataclasses.replace(m, source_ids=cite_data(m.source_ids, res.data_sources)) for m in metrics]


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The care-beds page's headline figures for a scenario."""
    return metrics_for(compute(scenario, overlay))


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
        "areas": _records(table),
        "supply_by_type": _records(res.supply_by_type),
        "projection": _records(res.projection),
        "calibration": res.calibration,
        "nursing": res.nursing,
        "home_care_coverage": _records(res.coverage),
        "home_care_mean_beds": round(res.home_care_mean_beds, 1),
    }


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
    return text if lang == "zh" else text[:1].lower() + text[1:]


def sentence_for(res: BedsResults, lang: str) -> str:
    """The plain-language result: closing year at the chosen rate, and what closing by the target takes."""
    row = selected_row(res)
    name = row["name_zh"] if lang == "zh" else row["name_en"]
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
    return first + t("beds.s_join", lang) + second


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The care-beds result in one plain sentence (zh or en)."""
    return sentence_for(compute(scenario, overlay), lang)


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
