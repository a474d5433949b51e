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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from dashboard.analyses.coverage import capacity as cap
from dashboard.analyses.coverage import solver
from dashboard.core import labels, params, ranges
from dashboard.core.metrics import Metric, format_value
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import t
from dashboard.data import city as city_config
from dashboard.data import db

PAGE = "coverage"
KINDS = ("centre", "station")
OWNERSHIPS = ("public", "private")
CANDIDATE_RULES = ("all", "new_areas", "no_centre")

# Walking distances of the residential "life circles" (std_15min_walk, GB 50180-2018): the
# 15-minute circle is 800-1,000 m on foot; its upper end is the default service distance.
DISTANCE_PRESETS: dict[str, int] = {"walk_5min": 300, "walk_10min": 500, "walk_15min": 1000}

TOLERANCE_M = 1e-6  # a point at the radius up to floating-point noise counts as covered
PANEL_PER_GP = 3333  # asm_gp_panel: 10,000 ÷ 3, the 2020 target of 2-3 GPs per 10,000 residents at its upper end
SOLVER_TIME_LIMIT_S = 1.0
CURVE_MIN_SITES = 15  # the returns curve runs at least this far, so the fall-off shows
SERVED_SCREEN = 12  # served objective: candidates evaluated exactly per greedy step (served.SCREEN)

PARAMS: list[Param] = params.load("coverage")  # dashboard/params/coverage.toml: defaults, bounds, bands, sources


# ============================================================== geometry core (arrays in metres)


def reach_radius_m(service_distance_m: float, detour_factor: float) -> float:
    """Straight-line radius reached by a walk of `service_distance_m` on a network `detour_factor` longer."""
    if not (isinstance(detour_factor, int | float) and detour_factor >= 1.0):
        raise ValueError(f"detour factor must be a number ≥ 1, got {detour_factor!r}")
    if not (isinstance(service_distance_m, int | float) and service_distance_m >= 0):
        raise ValueError(f"service distance must be a number ≥ 0 m, got {service_distance_m!r}")
    return float(service_distance_m) / float(detour_factor)


def _xy(points: Any) -> np.ndarray:
    arr = np.asarray(points, dtype=float)
    return arr.reshape(-1, 2) if arr.size else np.empty((0, 2))


def nearest_facility_m(demand_xy: Any, facility_xy: Any, max_m: float | None = None,
                       workers: int = 1) -> np.ndarray:
    """Straight-line distance (m) from each demand point to its nearest facility.

    `inf` where there is no facility (or, with `max_m`, none within `max_m`; the bound only prunes
    the search, so distances up to `max_m` are exact).
    """
    demand_xy, facility_xy = _xy(demand_xy), _xy(facility_xy)
    if len(facility_xy) == 0 or len(demand_xy) == 0:
        return np.full(len(demand_xy), np.inf)
    bound = np.inf if max_m is None else max_m + 2 * TOLERANCE_M  # cKDTree's bound is strict (<)
    dist, _ = cKDTree(facility_xy).query(demand_xy, k=1, distance_upper_bound=bound, workers=workers)
    return np.asarray(dist, dtype=float)


def is_covered(nearest_m: np.ndarray, radius_m: float) -> np.ndarray:
    """True where the nearest facility is within the radius (a point exactly at it counts)."""
    return np.asarray(nearest_m) <= radius_m + TOLERANCE_M


def population_coverage(demand_xy: Any, residents: Any, facility_xy: Any, radius_m: float,
                        groups: Any = None, n_groups: int | None = None,
                        workers: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covered mask per demand point, and covered and total residents per group.

    `groups` are integer group numbers (0..n_groups-1) per demand point; without them the single
    group is the whole area. Each point counts once, however many facilities reach it.
    """
    residents = np.asarray(residents, dtype=float)
    if np.any(residents < 0) or not np.all(np.isfinite(residents)):
        bad = int(np.flatnonzero(~(residents >= 0))[0]) if np.any(~(residents >= 0)) else 0
        raise ValueError(f"residents must be finite and ≥ 0, got {residents[bad]!r} at demand point {bad}")
    covered = is_covered(nearest_facility_m(demand_xy, facility_xy, max_m=radius_m, workers=workers), radius_m)
    if groups is None:
        groups, n_groups = np.zeros(len(residents), dtype=np.int64), 1
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = int(n_groups if n_groups is not None else (groups.max() + 1 if len(groups) else 0))
    total = np.bincount(groups, weights=residents, minlength=n_groups)
    got = np.bincount(groups, weights=residents * covered, minlength=n_groups)
    return covered, got, total


def share_pct(part: float, whole: float) -> float | None:
    """part/whole in percent; None when there is nobody to count (zero population)."""
    return None if whole <= 0 else 100.0 * part / whole


# ============================================================== maximal covering (MCLP)


@dataclass(frozen=True)
class CoverSolution:
    """Chosen candidate columns in reporting order, with the residents each adds in that order."""

    chosen: tuple[int, ...]
    marginal: tuple[float, ...]
    total: float
    greedy_total: float
    method: str  # which step found the set: "greedy" | "swap" (local search) | "mip" (HiGHS)
    optimal: bool  # the reported total is proved optimal
    status: str
    proof: str = ""  # how optimality was shown: "solver" (HiGHS) | "bound" (an upper bound reached) | "trivial" | ""
    bound: float = math.inf  # proven upper bound on the best total
    gap: float = 0.0  # (bound - total) / bound: the total is within this fraction of the best possible
    seconds: float = 0.0


def coverage_matrix(demand_xy: Any, sites_xy: Any, radius_m: float,
                    tree: cKDTree | None = None) -> sparse.csc_matrix:
    """Demand × site 0/1 matrix: 1 where the site lies within the radius of the demand point (sparse)."""
    demand_xy, sites_xy = _xy(demand_xy), _xy(sites_xy)
    n_demand, n_sites = len(demand_xy), len(sites_xy)
    if n_demand == 0 or n_sites == 0:
        return sparse.csc_matrix((n_demand, n_sites))
    tree = tree if tree is not None else cKDTree(demand_xy)
    lists = tree.query_ball_point(sites_xy, radius_m + TOLERANCE_M)  # inclusive (≤)
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=n_sites)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists]) if indptr[-1] else np.empty(0, np.int64)
    data = np.ones(len(indices))
    return sparse.csc_matrix((data, indices, indptr), shape=(n_demand, n_sites))


def _covered_total(matrix: sparse.csc_matrix, weights: np.ndarray, chosen: Sequence[int]) -> float:
    if not len(chosen):
        return 0.0
    hit = np.asarray(matrix[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def greedy_cover(matrix: sparse.csc_matrix, weights: np.ndarray, k: int,
                 allowed: np.ndarray | None = None, column_group: np.ndarray | None = None) -> tuple[list[int], list[float]]:
    """Greedy maximal cover (`solver.greedy`): the column adding most weight, k times, lowest index on ties."""
    chosen, gains, _ = solver.greedy(matrix, weights, k, allowed, column_group)
    return chosen, gains


def max_cover(matrix: sparse.csc_matrix, weights: Any, k: int, exact: bool = True,
              time_limit_s: float = SOLVER_TIME_LIMIT_S) -> CoverSolution:
    """Choose up to k columns covering most weight (`solver.solve`: never worse than greedy, with a
    proven bound and gap), reported in the order that adds most first."""
    weights = np.asarray(weights, dtype=float)
    sol = solver.solve(matrix, weights, int(k), time_limit_s=time_limit_s, exact=exact)
    allowed = np.zeros(matrix.shape[1], dtype=bool)
    allowed[list(sol.chosen)] = True
    ordered, marginal = greedy_cover(matrix, weights, len(sol.chosen), allowed=allowed)
    return CoverSolution(tuple(ordered), tuple(marginal), float(sum(marginal)), sol.greedy_objective, sol.method,
                         sol.optimal, sol.status, sol.proof, sol.bound, sol.gap, sol.seconds)


@dataclass(frozen=True)
class SiteSuggestion:
    """k new sites (demand-point indices), what each adds, and the greedy returns curve."""

    sites: tuple[int, ...]
    marginal: tuple[float, ...]
    added: float
    greedy_added: float
    method: str
    optimal: bool
    status: str
    candidates: int
    curve: tuple[float, ...]  # greedy: residents added by the 1st, 2nd, ... site (for the fall-off chart)
    proof: str = ""
    bound: float = math.inf  # proven upper bound on the residents any k sites can add
    gap: float = 0.0  # (bound - added) / bound; 0 when optimal
    seconds: float = 0.0


def suggest_sites(demand_xy: Any, residents: Any, covered: Any, candidates: Any, radius_m: float, k: int,
                  exact: bool = True, time_limit_s: float = SOLVER_TIME_LIMIT_S,
                  tree: cKDTree | None = None, curve_to: int = CURVE_MIN_SITES) -> SiteSuggestion:
    """Add k new centres at candidate demand points, maximising residents newly brought within reach.

    `covered` marks points already reached by the existing (locked) facilities; `candidates` are
    indices of demand points where a centre may go. Returns only sites that add someone.
    """
    demand_xy = _xy(demand_xy)
    residents = np.asarray(residents, dtype=float)
    covered = np.asarray(covered, dtype=bool)
    cand = np.asarray(candidates, dtype=np.int64).ravel()
    if len(residents) != len(demand_xy) or len(covered) != len(demand_xy):
        raise ValueError(f"{len(demand_xy)} demand points but {len(residents)} residents and {len(covered)} covered flags")
    if k < 0:
        raise ValueError(f"k must be ≥ 0, got {k!r}")
    matrix = coverage_matrix(demand_xy, demand_xy[cand], radius_m, tree=tree)
    weights = np.where(covered, 0.0, residents)
    solution = max_cover(matrix, weights, int(k), exact=exact, time_limit_s=time_limit_s)
    _, curve = greedy_cover(matrix, weights, max(int(k), int(curve_to)))
    return SiteSuggestion(
        sites=tuple(int(cand[j]) for j in solution.chosen), marginal=solution.marginal, added=solution.total,
        greedy_added=solution.greedy_total, method=solution.method, optimal=solution.optimal,
        status=solution.status, candidates=int(len(cand)), curve=tuple(curve), proof=solution.proof,
        bound=solution.bound, gap=solution.gap, seconds=solution.seconds,
    )


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


# ============================================================== one scenario, all figures


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


def _public_centres(facilities: pd.DataFrame) -> pd.DataFrame:
    return facilities[(facilities["kind"] == "centre") & (facilities["ownership"] == "public")]


def _streets_without_public_centre(inputs: Inputs) -> pd.DataFrame:
    """Streets (街道) with no public community health service centre: the report's goal is one in each."""
    has = set(_public_centres(inputs.facilities)["subdistrict_code"])
    subs = inputs.subdistricts
    return subs[(subs["kind"] == "street") & ~subs["subdistrict_code"].isin(has)].reset_index(drop=True)


def _streets_below_standard(inputs: Inputs) -> pd.DataFrame:
    """Streets whose public centres all fall short of the standard (they have one, not 按标准)."""
    pub = _public_centres(inputs.facilities)
    good = set(pub.loc[pub["meets_standard"], "subdistrict_code"])
    subs = inputs.subdistricts
    return subs[(subs["kind"] == "street") & subs["subdistrict_code"].isin(set(pub["subdistrict_code"]))
                & ~subs["subdistrict_code"].isin(good)].reset_index(drop=True)


def _sites_frame(inputs: Inputs, sites: Sequence[int], marginal: Sequence[float], base_covered: float,
                 total: float) -> pd.DataFrame:
    d = inputs.demand
    names = dict(zip(inputs.subdistricts["subdistrict_code"], inputs.subdistricts["subdistrict_name"], strict=True))
    rows = []
    cumulative = base_covered
    for rank, (i, gain) in enumerate(zip(sites, marginal, strict=True), start=1):
        cumulative += gain
        row = d.iloc[i]
        rows.append({
            "rank": rank, "compound_id": row["compound_id"], "name": row["name"],
            "subdistrict_code": row["subdistrict_code"], "subdistrict_name": names.get(row["subdistrict_code"], ""),
            "district_code": row["district_code"], "new_area_id": row["new_area_id"],
            "lon": float(row["lon"]) if "lon" in d.columns else None,
            "lat": float(row["lat"]) if "lat" in d.columns else None,
            "marginal_residents": int(round(gain)),
            "cumulative_share_pct": share_pct(cumulative, total),
        })
    cols = ["rank", "compound_id", "name", "subdistrict_code", "subdistrict_name", "district_code", "new_area_id",
            "lon", "lat", "marginal_residents", "cumulative_share_pct"]
    return pd.DataFrame(rows, columns=cols)


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


def _facility_counts(facilities: pd.DataFrame, counted: np.ndarray, key: str) -> pd.DataFrame:
    f = facilities.assign(
        counted=counted,
        centre=facilities["kind"] == "centre",
        station=facilities["kind"] == "station",
    )
    f["public_centre"] = f["centre"] & (f["ownership"] == "public")
    f["standard_centre"] = f["centre"] & f["meets_standard"]
    f["standard_public_centre"] = f["public_centre"] & f["meets_standard"]
    f["gps_counted"] = np.where(counted, f["gps"], 0)
    f["centres_counted"] = f["centre"] & counted
    cols = ["centre", "station", "public_centre", "standard_centre", "standard_public_centre", "counted",
            "gps_counted", "centres_counted"]
    out = f.groupby(key)[cols].sum().astype(int)
    return out.rename(columns={"centre": "centres", "station": "stations", "public_centre": "public_centres",
                               "standard_centre": "standard_centres",
                               "standard_public_centre": "standard_public_centres",
                               "counted": "facilities_counted"})


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def _sums(inputs: Inputs, groups: np.ndarray, n: int, before: np.ndarray, after: np.ndarray) -> dict[str, np.ndarray]:
    ok = groups >= 0
    g, w = groups[ok], inputs.residents[ok]
    return {
        "demand_points": np.bincount(g, minlength=n),
        "residents": np.bincount(g, weights=w, minlength=n),
        "covered_residents": np.bincount(g, weights=w * before[ok], minlength=n),
        "covered_residents_after": np.bincount(g, weights=w * after[ok], minlength=n),
        "uncovered_points": np.bincount(g, weights=(~before[ok]).astype(float), minlength=n),
    }


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    for col in ("demand_points", "residents", "covered_residents", "covered_residents_after", "uncovered_points"):
        table[col] = np.round(table[col].to_numpy(dtype=float)).astype(int)
    table["uncovered_residents"] = table["residents"] - table["covered_residents"]
    table["covered_share_pct"] = [share_pct(a, b) for a, b in zip(table["covered_residents"], table["residents"], strict=True)]
    table["covered_share_after_pct"] = [share_pct(a, b) for a, b in
                                        zip(table["covered_residents_after"], table["residents"], strict=True)]
    table["residents_per_gp"] = [_ratio(a, b) for a, b in zip(table["residents"], table["gps_counted"], strict=True)]
    return table


_FACILITY_COLS = ["centres", "stations", "public_centres", "standard_centres", "standard_public_centres",
                  "facilities_counted", "gps_counted", "centres_counted"]


def _by_group(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray, groups: np.ndarray,
              keys: pd.DataFrame, key_cols: list[str], facility_key: str) -> pd.DataFrame:
    table = keys[key_cols].copy().reset_index(drop=True)
    for col, values in _sums(inputs, groups, len(table), before, after).items():
        table[col] = values
    memo_key = (facility_key, counted.tobytes())
    fac = inputs._facility_stats.get(memo_key)
    if fac is None:  # depends on the facility filter only, not on the distance: computed once per filter
        fac = inputs._facility_stats[memo_key] = _facility_counts(inputs.facilities, counted, facility_key)
    joined = table[[key_cols[0]]].merge(fac, left_on=key_cols[0], right_index=True, how="left")
    for col in _FACILITY_COLS:
        table[col] = joined[col].fillna(0).astype(int).to_numpy()
    return _finish(table)


def _by_subdistrict(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray,
                    sites: Sequence[int]) -> pd.DataFrame:
    table = _by_group(inputs, counted, before, after, inputs.sub_group, inputs.subdistricts,
                      ["subdistrict_code", "subdistrict_name", "district_code", "district_name", "kind"],
                      "subdistrict_code")
    table["has_public_centre"] = table["public_centres"] > 0
    new = pd.Series(inputs.demand["subdistrict_code"].to_numpy()[list(sites)]).value_counts() if sites else pd.Series(dtype=int)
    table["new_sites"] = table["subdistrict_code"].map(new).fillna(0).astype(int)
    return table


def _city(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray, lacking: int) -> dict[str, Any]:
    f = inputs.facilities
    w = inputs.residents
    residents = float(w.sum())
    cov, cov_after = float(w[before].sum()), float(w[after].sum())
    fc = f[counted]
    centres_counted = int((fc["kind"] == "centre").sum())
    gps_counted = int(fc["gps"].sum())
    return {
        "demand_points": int(len(w)),
        "residents": int(round(residents)),
        "covered_residents": int(round(cov)),
        "covered_share_pct": share_pct(cov, residents),
        "covered_residents_after": int(round(cov_after)),
        "covered_share_after_pct": share_pct(cov_after, residents),
        "uncovered_residents": int(round(residents - cov)),
        "uncovered_points": int((~before).sum()),
        "facilities_counted": int(counted.sum()),
        "centres_counted": centres_counted,
        "stations_counted": int((fc["kind"] == "station").sum()),
        "gps_counted": gps_counted,
        "centres": int((f["kind"] == "centre").sum()),
        "stations": int((f["kind"] == "station").sum()),
        "public_centres": int(len(_public_centres(f))),
        "standard_centres": int(((f["kind"] == "centre") & f["meets_standard"]).sum()),
        "gps": int(f["gps"].sum()),
        "nurses": int(f["nurses"].sum()),
        "rented_share_pct": share_pct(float((f["premises"] == "rented").sum()), float(len(f))),
        "residents_per_gp": _ratio(residents, gps_counted),
        "residents_per_centre": _ratio(residents, centres_counted),
        "streets_without_public_centre": int(lacking),
    }


UPGRADE_COST_SHARE = 0.5  # upgrading a below-standard public centre ≈ half a new one (asm_centre_upgrade_cost)


def _plan(inputs: Inputs, s: Settings, before: np.ndarray, radius: float, total: float) -> tuple[dict, pd.DataFrame]:
    """The report's goal: at least one public centre (built to standard) in every street (街道)."""
    f = inputs.facilities
    lacking = _streets_without_public_centre(inputs)
    below = _streets_below_standard(inputs)
    centres = f[f["kind"] == "centre"]
    new = len(lacking)
    centres_after = len(centres) + new
    gp_short = int(np.clip(s.gps_per_centre - centres["gps"].to_numpy(), 0, None).sum()) + new * s.gps_per_centre
    nurse_short = int(np.clip(s.nurses_per_centre - centres["nurses"].to_numpy(), 0, None).sum()) + new * s.nurses_per_centre
    # where the new centres would go: one per lacking street, each at the compound adding most residents
    streets = lacking["subdistrict_code"].tolist()
    in_street = inputs.demand["subdistrict_code"].isin(streets).to_numpy()
    cand = np.flatnonzero(in_street)
    chosen_sites: list[int] = []
    gains: list[float] = []
    if len(cand):
        matrix = coverage_matrix(inputs.demand_xy, inputs.demand_xy[cand], radius, tree=inputs.tree)
        group = inputs.demand["subdistrict_code"].to_numpy()[cand]
        weights = np.where(before, 0.0, inputs.residents)
        cols, gains = greedy_cover(matrix, weights, new, column_group=group)
        chosen_sites = [int(cand[c]) for c in cols]
        # a street where nobody new is reached still gets its centre: at its most populous compound
        placed = set(group[cols])
        for code in streets:
            if code in placed:
                continue
            here = cand[group == code]
            if len(here):
                chosen_sites.append(int(here[np.argmax(inputs.residents[here])]))
                gains.append(0.0)
    added = float(sum(gains))
    plan_sites = _sites_frame(inputs, chosen_sites, gains, float(inputs.residents[before].sum()), total)
    plan = {
        "streets": int((inputs.subdistricts["kind"] == "street").sum()),
        "streets_without_public_centre": lacking[["subdistrict_code", "subdistrict_name"]].to_dict("records"),
        "streets_public_centre_below_standard": below[["subdistrict_code", "subdistrict_name"]].to_dict("records"),
        "new_centres": int(new),
        "centres_today": int(len(centres)),
        "centres_after": int(centres_after),
        "gps_per_centre": int(s.gps_per_centre),
        "nurses_per_centre": int(s.nurses_per_centre),
        "gps_required_in_centres": int(centres_after * s.gps_per_centre),
        "nurses_required_in_centres": int(centres_after * s.nurses_per_centre),
        "gps_in_centres_today": int(centres["gps"].sum()),
        "nurses_in_centres_today": int(centres["nurses"].sum()),
        "gps_today": int(f["gps"].sum()),
        "gp_shortfall": gp_short,
        "nurse_shortfall": nurse_short,
        "cost_per_centre_million_yuan": float(s.centre_cost_million_yuan),
        "build_cost_million_yuan": float(new * s.centre_cost_million_yuan),
        # 按标准: a street whose public centre falls short needs an upgrade, counted and costed too
        "upgrades": int(len(below)),
        "upgrade_cost_million_yuan": float(len(below) * s.centre_cost_million_yuan * UPGRADE_COST_SHARE),
        "covered_share_after_plan_pct": share_pct(float(inputs.residents[before].sum()) + added, total),
        "sites_placed": len(chosen_sites),
    }
    return plan, plan_sites


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
    before = format_value(_pct(c["covered_share_pct"]), "percent", 1, lang)
    after = format_value(_pct(c["covered_share_after_pct"]), "percent", 1, lang)
    k = len(r.suggestion.sites)
    if not r.suggestion.optimal and math.isfinite(r.suggestion.gap):  # how near the best possible the sites are
        after += t("coverage.summary_gap", lang, gap=gap_text(r.suggestion.gap, lang))
    served = format_value(_pct(c["served_share_pct"]), "percent", 1, lang)
    served_after = format_value(_pct(c["served_share_after_pct"]), "percent", 1, lang)
    if lang == "zh":
        how = f"沿路网步行{s.service_distance_m:,}米" if r.network else f"步行{s.service_distance_m:,}米(直线{s.radius_m:,.0f}米)"
        text = (f"按{how}计,中心城区{before}的居民可到达社区卫生服务机构;"
                f"新增{k}所公办中心后为{after}。按每名全科医生服务{s.panel_per_gp:,}人计,容量内可获服务的居民为{served}(新建后{served_after}),"
                f"{c['beyond_capacity_residents']:,}名可及居民超出容量。{c['streets_without_public_centre']}个街道尚无公办社区卫生服务中心,"
                f"每街一所需新建{p['new_centres']}所,另有{p['upgrades']}所公办中心需改造达标,按标准缺全科医生{p['gp_shortfall']}名。")
    else:
        how = (f"Within a {s.service_distance_m:,} m walk on the network" if r.network
               else f"Within a {s.service_distance_m:,} m walk ({s.radius_m:,.0f} m straight line)")
        text = (f"{how}, {before} of central-city "
                f"residents reach a community health facility; with {k} new public centre(s), {after}. "
                f"At {s.panel_per_gp:,} residents per GP, {served} are served within capacity ({served_after} with the new "
                f"centres) and "
                f"{c['beyond_capacity_residents']:,} residents within reach are beyond it. "
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
