"""The care-beds model's inputs: population and supply per area from the database (queries/), the city outside
the central districts as one rest-of-city row. No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dashboard.core.text import t
from dashboard.data import db

REST = "rest"  # the city outside the districts covered by `communities`
CALIBRATION_IDS = ("beds.per_1000_older", "beds.shashi.total", "beds.shashi.demand_met_share",
                   "beds.jingzhouqu.communities", "beds.jingzhouqu.home_care_share",
                   "beds.urban_public.beds", "beds.urban_private.beds", "beds.home_care_centres.beds")



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
