"""Clinic coverage, one scenario's figures: `evaluate` (reach, suggested sites, capacity and 2SFCA, the
per-area tables and the plan), the walking network and the cached site suggestions. No Streamlit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dashboard.analyses.coverage import capacity as cap
from dashboard.analyses.coverage.cover import (
    CURVE_MIN_SITES,
    SOLVER_TIME_LIMIT_S,
    SiteSuggestion,
    is_covered,
    nearest_facility_m,
    reach_radius_m,
    share_pct,
    suggest_sites,
)
from dashboard.analyses.coverage.inputs import Inputs, Settings
from dashboard.analyses.coverage.tables import (
    _by_group,
    _by_subdistrict,
    _city,
    _plan,
    _sites_frame,
    _streets_without_public_centre,
)
from dashboard.data import city as city_config

CANDIDATE_RULES = ("all", "new_areas", "no_centre")
SERVED_SCREEN = 12  # served objective: candidates evaluated exactly per greedy step (served.SCREEN)


# ============================================================== one scenario, all figures


@dataclass(eq=False)
class CoverageResult:
    """Everything the page, the CLI and the brief show for one scenario (frames for the UI, plus
    `details`, the JSON form)."""

    settings: Settings
    inputs: Inputs
    facility_counted: np.ndarray
    nearest_m: np.ndarray
    covered_before: np.ndarray
    covered_after: np.ndarray
    suggestion: SiteSuggestion
    sites: pd.DataFrame
    plan: dict[str, Any]
    plan_sites: pd.DataFrame
    city: dict[str, Any]
    by_subdistrict: pd.DataFrame
    by_district: pd.DataFrame
    by_new_area: pd.DataFrame
    without_public_centre: pd.DataFrame
    access: cap.AccessResult | None = None  # capacity-limited coverage and 2SFCA (issue 17)
    facility_load: pd.DataFrame | None = None  # one row per counted facility: capacity, first-choice demand, served
    network: dict[str, Any] | None = None  # the walking network used (summary, snap distances), None = detour factor


def candidate_indices(inputs: Inputs, rule: str) -> np.ndarray:
    """Demand points where a new centre may go: all, only in new areas, or only in streets without a public centre."""
    if rule not in CANDIDATE_RULES:
        raise ValueError(f"unknown candidate rule {rule!r}; expected one of {CANDIDATE_RULES}")
    if rule == "all":
        mask = np.ones(len(inputs.demand), dtype=bool)
    elif rule == "new_areas":
        mask = (inputs.demand["new_area_id"] != "").to_numpy()
    else:
        lacking = set(_streets_without_public_centre(inputs)["subdistrict_code"])
        mask = inputs.demand["subdistrict_code"].isin(lacking).to_numpy()
    return np.flatnonzero(mask & (inputs.residents >= 0))


def evaluate(inputs: Inputs, settings: Settings, exact: bool = True,
             time_limit_s: float = SOLVER_TIME_LIMIT_S, network: Any = None) -> CoverageResult:
    """All coverage figures for one set of inputs and settings (pure; the scenario wrapper caches it).

    With a `network` (`dashboard.analyses.coverage.network.Network`) existing facilities reach by walking
    distance over it; without one, by straight line × detour factor (the default).
    """
    radius = settings.radius_m
    counted = inputs.facility_mask(settings.kinds, settings.ownership)
    nearest = inputs.nearest_m(settings.kinds, settings.ownership)
    walk = None if network is None else _network_walk(inputs, network, settings.kinds, settings.ownership,
                                                      max(WALK_LIMIT_M, float(settings.service_distance_m)))
    pairs = (cap.pairs_straight(inputs.demand_xy, inputs.facility_xy[counted], settings.service_distance_m,
                                settings.detour_factor) if walk is None
             else cap.pairs_from_matrix(walk.matrix, settings.service_distance_m))
    access = cap.evaluate_access(pairs, inputs.residents, inputs.facilities["gps"].to_numpy()[counted],
                                 settings.panel_per_gp)
    before = is_covered(nearest, radius) if walk is None else access.allocation.reachable.copy()
    if settings.site_objective == "served":
        suggestion = _suggest_served_cached(inputs, settings, network)
    else:
        suggestion = _suggest_cached(inputs, settings.kinds, settings.ownership, settings.service_distance_m,
                                     settings.detour_factor, settings.new_centres, settings.candidates, exact,
                                     time_limit_s)
    after = before.copy()
    if suggestion.sites:
        after |= is_covered(nearest_facility_m(inputs.demand_xy, inputs.demand_xy[list(suggestion.sites)],
                                               max_m=radius), radius)
    total = float(inputs.residents.sum())
    base = float(inputs.residents[before].sum())
    sites = _sites_frame(inputs, suggestion.sites, suggestion.marginal,
                         float(access.served.sum()) if settings.site_objective == "served" else base, total)
    plan, plan_sites = _plan(inputs, settings, before, radius, total)
    by_sub = _by_subdistrict(inputs, counted, before, after, suggestion.sites)
    by_dist = _by_group(inputs, counted, before, after, inputs.district_group, inputs.districts,
                        ["district_code", "district_name"], "district_code")
    by_area = _by_group(inputs, counted, before, after, inputs.area_group, inputs.new_areas,
                        ["area_id", "name", "name_en", "kind"], "new_area_id")
    lacking = _streets_without_public_centre(inputs)
    city = _city(inputs, counted, before, after, len(lacking))
    for table, groups in ((by_sub, inputs.sub_group), (by_dist, inputs.district_group), (by_area, inputs.area_group)):
        _capacity_columns(table, groups, inputs, access)
    load = _facility_load(inputs, counted, access)
    city.update(_capacity_city(inputs, settings, access, load, walk))
    served_after = _served_after(pairs, inputs.residents, access.allocation.capacity, inputs.demand_xy,
                                 suggestion.sites, settings)
    city.update({"served_residents_after": int(round(served_after)),
                 "served_share_after_pct": share_pct(served_after, total),
                 "site_objective": settings.site_objective})
    net_info = None if walk is None else {**network.summary(), **walk.snap}
    return CoverageResult(settings, inputs, counted, nearest, before, after, suggestion, sites, plan, plan_sites,
                          city, by_sub, by_dist, by_area, lacking, access, load, net_info)


# ============================================================== walking network and capacity (issue 17)

WALK_LIMIT_M = 3000.0  # walking distances are kept up to the service-distance slider's top


class _Walk(NamedTuple):
    matrix: np.ndarray  # counted facilities × demand points, walking metres (inf beyond the limit)
    snap: dict[str, Any]


def _network_xy(frame: pd.DataFrame, xy: np.ndarray, network: Any) -> np.ndarray:
    """Points in the network's metres: from lon/lat when the frame has them, else its x_m/y_m (the city's
    metric CRS, data/city.toml)."""
    if {"lon", "lat"}.issubset(frame.columns):
        return network.project(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)) \
            if len(frame) else np.empty((0, 2))
    crs = city_config.current().metric_crs
    if network.epsg in (0, int(crs.split(":")[1])):
        return xy
    raise ValueError(f"points in x_m/y_m ({crs}) cannot be placed on a network in EPSG:{network.epsg}")


@lru_cache(maxsize=16)
def _network_walk(inputs: Inputs, network: Any, kinds: tuple[str, ...], ownership: tuple[str, ...],
                  limit_m: float) -> _Walk:
    """Walking distances from each counted facility to every demand point (memoised per filter and network)."""
    from dashboard.analyses.coverage import network as nw

    mask = inputs.facility_mask(kinds, ownership)
    demand_xy = _network_xy(inputs.demand, inputs.demand_xy, network)
    facility_xy = _network_xy(inputs.facilities, inputs.facility_xy, network)[mask]
    matrix = nw.facility_walk_m(network, demand_xy, facility_xy, limit_m=limit_m)
    return _Walk(matrix, nw.snap_report(network, demand_xy, facility_xy))


def _capacity_columns(table: pd.DataFrame, groups: np.ndarray, inputs: Inputs, access: cap.AccessResult) -> None:
    """Served residents, served share and the 2SFCA score (GPs per 10,000 residents) per area, in place."""
    n = len(table)
    ok = groups >= 0
    served = np.bincount(groups[ok], weights=access.served[ok], minlength=n)
    table["served_residents"] = np.round(served).astype(int)
    table["beyond_capacity_residents"] = table["covered_residents"] - table["served_residents"]
    table["served_share_pct"] = [share_pct(a, b) for a, b in zip(table["served_residents"], table["residents"],
                                                                 strict=True)]
    score = cap.weighted_mean(access.access * cap.PER, inputs.residents, groups, n)
    table["access_gps_per_10k"] = [None if math.isnan(v) else float(v) for v in score]


def _facility_load(inputs: Inputs, counted: np.ndarray, access: cap.AccessResult) -> pd.DataFrame:
    """One row per counted facility: capacity, residents for whom it is the nearest within reach, served, 2SFCA ratio."""
    f = inputs.facilities[counted].reset_index(drop=True)
    alloc = access.allocation
    reach = np.bincount(access.pairs.facility, weights=inputs.residents[access.pairs.demand],
                        minlength=len(f)) if len(f) else np.zeros(0)
    names = dict(zip(inputs.subdistricts["subdistrict_code"], inputs.subdistricts["subdistrict_name"], strict=True))
    table = pd.DataFrame({
        "clinic_id": f["clinic_id"], "name": f["name"], "kind": f["kind"], "ownership": f["ownership"],
        "subdistrict_code": f["subdistrict_code"],
        "subdistrict_name": f["subdistrict_code"].map(lambda c: names.get(c, c)),
        "gps": f["gps"].astype(int),
        "capacity_residents": np.round(alloc.capacity).astype(int),
        "first_choice_residents": np.round(alloc.first_choice).astype(int),
        "within_reach_residents": np.round(reach).astype(int),
        "served_residents": np.round(alloc.load).astype(int),
        "over_capacity": alloc.over_capacity,
        "gps_per_10k_in_reach": access.ratio * cap.PER,
        "lon": f["lon"] if "lon" in f.columns else np.nan, "lat": f["lat"] if "lat" in f.columns else np.nan,
    })
    table["load_pct"] = [None if c <= 0 else 100.0 * d / c
                         for d, c in zip(table["first_choice_residents"], alloc.capacity, strict=True)]
    table["excess_residents"] = np.clip(table["first_choice_residents"] - table["capacity_residents"], 0, None)
    order = np.lexsort((table["clinic_id"].to_numpy(), -table["excess_residents"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _capacity_city(inputs: Inputs, settings: Settings, access: cap.AccessResult, load: pd.DataFrame,
                   walk: _Walk | None) -> dict[str, Any]:
    total = float(inputs.residents.sum())
    within = float(inputs.residents[access.allocation.reachable].sum())
    served = float(access.served.sum())
    over = load[load["over_capacity"]]
    return {
        "distance_method": "detour" if walk is None else "network",
        "panel_per_gp": int(settings.panel_per_gp),
        "capacity_residents": int(load["capacity_residents"].sum()),
        "within_reach_residents": int(round(within)),
        "served_residents": int(round(served)),
        "served_share_pct": share_pct(served, total),
        "beyond_capacity_residents": int(round(within)) - int(round(served)),
        "facilities_over_capacity": int(len(over)),
        "centres_over_capacity": int((over["kind"] == "centre").sum()),
        "stations_over_capacity": int((over["kind"] == "station").sum()),
        "access_gps_per_10k": None if total <= 0 else float(np.dot(inputs.residents, access.access) * cap.PER / total),
    }


def _site_pairs(demand_xy: np.ndarray, sites: Sequence[int], s: Settings) -> cap.Pairs:
    """Pairs of new centres at demand points (straight line × detour factor from the compound they stand on)."""
    return cap.pairs_straight(demand_xy, demand_xy[list(sites)], s.service_distance_m, s.detour_factor)


def _served_after(pairs: cap.Pairs, residents: np.ndarray, capacity: np.ndarray, demand_xy: np.ndarray,
                  sites: Sequence[int], s: Settings) -> float:
    """Residents served within capacity (nearest-first) with the existing facilities and the new sites, each
    new centre with GPs per centre × panel per GP."""
    if not len(sites):
        return float(cap.allocate_nearest_first(pairs, residents, capacity).served.sum())
    new = _site_pairs(demand_xy, sites, s)
    both = cap.Pairs(np.concatenate([pairs.demand, new.demand]),
                     np.concatenate([pairs.facility, new.facility + pairs.n_facilities]),
                     np.concatenate([pairs.walk_m, new.walk_m]), pairs.n_demand, pairs.n_facilities + len(sites))
    site_capacity = np.full(len(sites), float(s.gps_per_centre) * float(s.panel_per_gp))
    return float(cap.allocate_nearest_first(both, residents, np.concatenate([capacity, site_capacity])).served.sum())


@lru_cache(maxsize=32)
def _suggest_served_cached(inputs: Inputs, s: Settings, network: Any) -> SiteSuggestion:
    """Add k centres maximising residents served within capacity (greedy; `served.suggest_served`)."""
    from dashboard.analyses.coverage import served as sv

    counted = inputs.facility_mask(s.kinds, s.ownership)
    walk = None if network is None else _network_walk(inputs, network, s.kinds, s.ownership,
                                                      max(WALK_LIMIT_M, float(s.service_distance_m)))
    pairs = (cap.pairs_straight(inputs.demand_xy, inputs.facility_xy[counted], s.service_distance_m, s.detour_factor)
             if walk is None else cap.pairs_from_matrix(walk.matrix, s.service_distance_m))
    capacity = cap.capacities(inputs.facilities["gps"].to_numpy()[counted], s.panel_per_gp)
    cand = candidate_indices(inputs, s.candidates)
    r = sv.suggest_served(pairs, inputs.residents, capacity, _site_pairs(inputs.demand_xy, cand, s),
                          float(s.gps_per_centre) * float(s.panel_per_gp), s.new_centres,
                          curve_to=CURVE_MIN_SITES, screen=SERVED_SCREEN)
    return SiteSuggestion(
        sites=tuple(int(cand[j]) for j in r.sites), marginal=r.marginal, added=r.added, greedy_added=r.added,
        method=sv.METHOD, optimal=False, status=f"greedy, {r.screened} candidates evaluated exactly per step",
        candidates=int(len(cand)), curve=r.curve, proof="", bound=math.inf, gap=math.nan, seconds=r.seconds,
    )


@lru_cache(maxsize=64)
def _suggest_cached(inputs: Inputs, kinds: tuple[str, ...], ownership: tuple[str, ...], distance_m: int,
                    detour: float, k: int, rule: str, exact: bool, time_limit_s: float) -> SiteSuggestion:
    """The MCLP solve, cached by its inputs (Inputs objects are cached per data token, so identity is the key)."""
    radius = reach_radius_m(distance_m, detour)
    covered = is_covered(inputs.nearest_m(kinds, ownership), radius)
    return suggest_sites(inputs.demand_xy, inputs.residents, covered, candidate_indices(inputs, rule), radius, k,
                         exact=exact, time_limit_s=time_limit_s, tree=inputs.tree)
