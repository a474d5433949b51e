"""Clinic coverage, the model's inputs: demand points, facilities and areas checked and indexed
(`Inputs`, `prepare_inputs`), and the page's parameters in model form (`Settings`). No Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from dashboard.analyses.coverage.cover import nearest_facility_m, reach_radius_m
from dashboard.core.scenario import Scenario
from dashboard.data import city as city_config

KINDS = ("centre", "station")
OWNERSHIPS = ("public", "private")
PANEL_PER_GP = 3333  # asm_gp_panel: 10,000 ÷ 3, the 2020 target of 2-3 GPs per 10,000 residents at its upper end


# ============================================================== inputs (frames → arrays)


@dataclass(eq=False)
class Inputs:
    """Demand points, facilities and areas, with metric coordinates and group numbers precomputed."""

    demand: pd.DataFrame
    demand_xy: np.ndarray
    residents: np.ndarray
    facilities: pd.DataFrame
    facility_xy: np.ndarray
    subdistricts: pd.DataFrame  # subdistrict_code, subdistrict_name, district_code, district_name, kind
    districts: pd.DataFrame  # district_code, district_name
    new_areas: pd.DataFrame  # area_id, name, name_en, kind
    sub_group: np.ndarray
    district_group: np.ndarray
    area_group: np.ndarray  # -1 outside every new area
    _tree: cKDTree | None = None
    _nearest: dict = field(default_factory=dict)
    _facility_stats: dict = field(default_factory=dict)

    @property
    def tree(self) -> cKDTree:
        """KD-tree over the demand points (built once; reused by every site suggestion)."""
        if self._tree is None:
            self._tree = cKDTree(self.demand_xy) if len(self.demand_xy) else cKDTree(np.zeros((1, 2)))
        return self._tree

    def facility_mask(self, kinds: Sequence[str], ownership: Sequence[str]) -> np.ndarray:
        f = self.facilities
        return (f["kind"].isin(list(kinds)) & f["ownership"].isin(list(ownership))).to_numpy(dtype=bool)

    def nearest_m(self, kinds: Sequence[str], ownership: Sequence[str]) -> np.ndarray:
        """Distance to the nearest counted facility, per demand point (memoised per filter, so moving
        the distance or detour slider only re-compares numbers)."""
        key = (tuple(sorted(kinds)), tuple(sorted(ownership)))
        if key not in self._nearest:
            mask = self.facility_mask(kinds, ownership)
            self._nearest[key] = nearest_facility_m(self.demand_xy, self.facility_xy[mask])
        return self._nearest[key]


def _text(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([""] * n, dtype=object)
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _coords(frame: pd.DataFrame, what: str, id_col: str) -> np.ndarray:
    if {"x_m", "y_m"}.issubset(frame.columns):
        xy = frame[["x_m", "y_m"]].to_numpy(dtype=float)
    elif {"lon", "lat"}.issubset(frame.columns):
        from dashboard.data import geo

        lonlat = frame[["lon", "lat"]].to_numpy(dtype=float)
        xy = geo.lonlat_to_metric(lonlat[:, 0], lonlat[:, 1]) if len(frame) else np.empty((0, 2))
    else:
        raise ValueError(f"{what} need lon/lat (WGS84) or x_m/y_m (metres) columns, got {list(frame.columns)}")
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what}: missing or invalid coordinates for {id_col} {frame[id_col].iloc[i]!r}")
    return xy.reshape(-1, 2)


def prepare_inputs(demand: pd.DataFrame, facilities: pd.DataFrame, subdistricts: pd.DataFrame | None = None,
                   new_areas: pd.DataFrame | None = None) -> Inputs:
    """Check and index the model's inputs.

    `demand`: compound_id, residents, lon/lat or x_m/y_m; optional name, kind, subdistrict_code,
    district_code, new_area_id. `facilities`: clinic_id, kind, ownership, coordinates; optional name,
    premises, meets_standard, gps, nurses, subdistrict_code, district_code, new_area_id.
    """
    demand = demand.reset_index(drop=True).copy()
    facilities = facilities.reset_index(drop=True).copy()
    for col in ("compound_id", "residents"):
        if col not in demand.columns:
            raise ValueError(f"demand points need a {col!r} column, got {list(demand.columns)}")
    for col in ("clinic_id", "kind", "ownership"):
        if col not in facilities.columns:
            raise ValueError(f"facilities need a {col!r} column, got {list(facilities.columns)}")
    n, m = len(demand), len(facilities)
    residents = pd.to_numeric(demand["residents"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(residents) & (residents >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"residents must be a number ≥ 0, got {demand['residents'].iloc[i]!r} "
                         f"for compound {demand['compound_id'].iloc[i]!r}")
    demand["residents"] = residents
    for col in ("compound_id", "name", "kind", "subdistrict_code", "district_code", "new_area_id"):
        demand[col] = _text(demand.get(col), n)
    demand.loc[demand["name"] == "", "name"] = demand["compound_id"]
    demand.loc[demand["kind"] == "", "kind"] = "compound"
    for col in ("clinic_id", "name", "kind", "ownership", "premises", "subdistrict_code", "district_code",
                "new_area_id"):
        facilities[col] = _text(facilities.get(col), m)
    bad_kind = ~facilities["kind"].isin(KINDS) | ~facilities["ownership"].isin(OWNERSHIPS)
    if bad_kind.any():
        i = int(np.flatnonzero(bad_kind.to_numpy())[0])
        raise ValueError(f"clinic {facilities['clinic_id'].iloc[i]!r}: kind must be one of {KINDS} and ownership "
                         f"one of {OWNERSHIPS}, got {facilities['kind'].iloc[i]!r}/{facilities['ownership'].iloc[i]!r}")
    for col in ("gps", "nurses"):
        facilities[col] = pd.to_numeric(facilities.get(col, pd.Series([0] * m)), errors="coerce").fillna(0).astype(int)
    ms = facilities.get("meets_standard", pd.Series([False] * m))
    facilities["meets_standard"] = ms.astype(object).where(ms.notna(), False).astype(bool)
    demand_xy = _coords(demand, "demand points", "compound_id")
    facility_xy = _coords(facilities, "facilities", "clinic_id")

    subs = _subdistrict_table(subdistricts, demand, facilities)
    districts = subs[["district_code", "district_name"]].drop_duplicates("district_code")
    for code in sorted(set(demand["district_code"]) - set(districts["district_code"]) - {""}):
        districts = pd.concat([districts, pd.DataFrame([{"district_code": code, "district_name": code}])])
    districts = districts.sort_values("district_code").reset_index(drop=True)
    areas = _new_area_table(new_areas, demand)

    sub_index = {c: i for i, c in enumerate(subs["subdistrict_code"])}
    dist_index = {c: i for i, c in enumerate(districts["district_code"])}
    area_index = {c: i for i, c in enumerate(areas["area_id"])}
    return Inputs(
        demand=demand, demand_xy=demand_xy, residents=residents, facilities=facilities, facility_xy=facility_xy,
        subdistricts=subs, districts=districts, new_areas=areas,
        sub_group=demand["subdistrict_code"].map(sub_index).fillna(-1).to_numpy(dtype=np.int64),
        district_group=demand["district_code"].map(dist_index).fillna(-1).to_numpy(dtype=np.int64),
        area_group=demand["new_area_id"].map(area_index).fillna(-1).to_numpy(dtype=np.int64),
    )


def _street_or_town(code: str) -> str:
    """NBS code rule: a sub-district's own three digits 001-099 are 街道 (street), 100+ 镇/乡/other."""
    tail = code[6:9]
    return "street" if tail.isdigit() and int(tail) < 100 else "town"


def _subdistrict_table(subdistricts: pd.DataFrame | None, demand: pd.DataFrame,
                       facilities: pd.DataFrame) -> pd.DataFrame:
    cols = ["subdistrict_code", "subdistrict_name", "district_code", "district_name", "kind"]
    subs = pd.DataFrame(columns=cols) if subdistricts is None else subdistricts.copy()
    for col in cols:
        subs[col] = _text(subs[col] if col in subs.columns else None, len(subs))
    known = set(subs["subdistrict_code"])
    extra = []
    for frame in (demand, facilities):
        for code, dist in frame[["subdistrict_code", "district_code"]].drop_duplicates().itertuples(index=False):
            if code and code not in known:
                known.add(code)
                extra.append({"subdistrict_code": code, "subdistrict_name": code, "district_code": dist,
                              "district_name": dist, "kind": ""})
    if extra:
        subs = pd.concat([subs[cols], pd.DataFrame(extra)], ignore_index=True)
    subs.loc[subs["kind"] == "", "kind"] = subs.loc[subs["kind"] == "", "subdistrict_code"].map(_street_or_town)
    subs.loc[subs["district_name"] == "", "district_name"] = subs["district_code"]
    return subs[cols].sort_values("subdistrict_code").reset_index(drop=True)


def _new_area_table(new_areas: pd.DataFrame | None, demand: pd.DataFrame) -> pd.DataFrame:
    cols = ["area_id", "name", "name_en", "kind"]
    areas = pd.DataFrame(columns=cols) if new_areas is None else new_areas.copy()
    for col in cols:
        areas[col] = _text(areas[col] if col in areas.columns else None, len(areas))
    missing = sorted(set(demand["new_area_id"]) - set(areas["area_id"]) - {""})
    if missing:
        areas = pd.concat([areas[cols], pd.DataFrame([{"area_id": a, "name": a, "name_en": a, "kind": ""}
                                                      for a in missing])], ignore_index=True)
    order = {a.id: i for i, a in enumerate(city_config.current().new_areas)}  # data/city.toml order
    areas["_order"] = areas["area_id"].map(order).fillna(len(order))
    return areas.sort_values(["_order", "area_id"])[cols].reset_index(drop=True)


# ============================================================== parameters (from the Scenario)


class Settings(NamedTuple):
    """The coverage page's parameter values in model form (derived from the Scenario; the cache key is
    `param_values(scenario, PARAMS)`, so a new parameter cannot be left out of it)."""

    service_distance_m: int
    detour_factor: float
    kinds: tuple[str, ...]
    ownership: tuple[str, ...]
    include_villages: bool
    new_centres: int
    candidates: str
    gps_per_centre: int
    nurses_per_centre: int
    centre_cost_million_yuan: float
    panel_per_gp: int = PANEL_PER_GP
    site_objective: str = "reach"  # "reach" (MCLP) | "served" (served within capacity, greedy; served.py)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Settings:
        return cls(
            int(scenario.get("clinic_service_distance_m")), float(scenario.get("clinic_detour_factor")),
            tuple(scenario.get("clinic_kinds")), tuple(scenario.get("clinic_ownership")),
            bool(scenario.get("clinic_include_villages")), int(scenario.get("new_centres")),
            str(scenario.get("clinic_candidates")), int(scenario.get("clinic_gps_per_centre")),
            int(scenario.get("clinic_nurses_per_centre")), float(scenario.get("clinic_centre_cost_million_yuan")),
            int(scenario.get("clinic_panel_per_gp")), str(scenario.get("clinic_site_objective")),
        )

    @property
    def radius_m(self) -> float:
        return reach_radius_m(self.service_distance_m, self.detour_factor)
