"""Capacity-limited coverage and two-step floating catchment access (issue 17, item 4). Pure numpy/scipy.

- **Capacity** of a centre or station = its GPs × residents one GP can take on (`clinic_panel_per_gp`).
- **Within reach**: a demand point and a facility are a *pair* when the walk between them is within the
  service distance (network walking distance when a network is loaded; otherwise straight line × detour
  factor, the model's default).
- **Served within capacity (nearest-first allocation)**: all pairs are taken in order of walking distance,
  shortest first (ties: lower demand index, then lower facility index); each pair moves as many residents
  as both the demand point still has unserved and the facility still has room for. A compound whose
  nearest facility is full spills over to the next nearest within reach. Residents within reach but not
  served are *beyond capacity*. The result is deterministic; it is a rule, not an optimum (a maximum flow
  could serve a few more by sending near residents further; see docs/coverage.md).
- **Over capacity**: a facility whose *first-choice demand* — residents for whom it is the nearest facility
  within reach — exceeds its capacity.
- **2SFCA** (Luo & Wang 2003): step 1, each facility's supply-to-demand ratio
  R_j = S_j / Σ_{k: d_kj ≤ d0} P_k (S_j = GPs, P_k = residents); step 2, each demand point's access
  A_i = Σ_{j: d_ij ≤ d0} R_j, reported as GPs per 10,000 residents. An area's score is the
  residents-weighted mean of its points' scores. Σ_i P_i A_i = Σ of S_j over facilities anyone reaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

TOLERANCE_M = 1e-6
PER = 10_000.0  # 2SFCA is reported per 10,000 residents (the unit of the GP-ratio standards)


@dataclass(frozen=True)
class Pairs:
    """Demand–facility pairs within reach and their walking distance (m)."""

    demand: np.ndarray  # demand index per pair
    facility: np.ndarray  # facility index per pair
    walk_m: np.ndarray
    n_demand: int
    n_facilities: int

    def __len__(self) -> int:
        return int(len(self.demand))


def capacities(gps: Any, panel_per_gp: float) -> np.ndarray:
    """Residents each facility can take on: GPs × panel size per GP (no GP, no capacity)."""
    gps = np.asarray(gps, dtype=float)
    if not (isinstance(panel_per_gp, int | float) and panel_per_gp >= 0 and math.isfinite(panel_per_gp)):
        raise ValueError(f"panel size per GP must be a number ≥ 0, got {panel_per_gp!r}")
    if np.any(~np.isfinite(gps)) or np.any(gps < 0):
        bad = int(np.flatnonzero(~(np.isfinite(gps) & (gps >= 0)))[0])
        raise ValueError(f"GPs must be numbers ≥ 0, got {gps[bad]!r} at facility {bad}")
    return gps * float(panel_per_gp)


def pairs_straight(demand_xy: Any, facility_xy: Any, service_m: float, detour: float) -> Pairs:
    """Pairs whose straight line × detour factor is within the service distance (the default method)."""
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    facility_xy = np.asarray(facility_xy, dtype=float).reshape(-1, 2)
    n, m = len(demand_xy), len(facility_xy)
    if n == 0 or m == 0:
        return Pairs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), n, m)
    radius = float(service_m) / float(detour)
    # every pair within the radius in one call (C, no per-point Python lists), ordered by demand point then
    # facility as query_ball_point's sorted lists were (the pairs and their order are unchanged)
    found = cKDTree(demand_xy).sparse_distance_matrix(cKDTree(facility_xy), radius + TOLERANCE_M,
                                                      output_type="ndarray")
    order = np.lexsort((found["j"], found["i"]))
    dem, fac = found["i"][order].astype(np.int64), found["j"][order].astype(np.int64)
    walk = np.hypot(*(demand_xy[dem] - facility_xy[fac]).T) * float(detour) if len(dem) else np.empty(0)
    return Pairs(dem, fac, walk, n, m)


def pairs_from_matrix(walk_m: Any, service_m: float) -> Pairs:
    """Pairs from a (facilities × demand) walking-distance matrix (`inf` = unreachable)."""
    walk_m = np.asarray(walk_m, dtype=float)
    m, n = walk_m.shape
    fac, dem = np.nonzero(walk_m <= float(service_m) + TOLERANCE_M)
    return Pairs(dem.astype(np.int64), fac.astype(np.int64), walk_m[fac, dem], n, m)


@dataclass(frozen=True)
class Allocation:
    """Nearest-first allocation of residents to facility capacity."""

    reachable: np.ndarray  # per demand point: within reach of at least one facility
    served: np.ndarray  # residents served per demand point
    load: np.ndarray  # residents served per facility
    first_choice: np.ndarray  # residents per facility for whom it is the nearest within reach
    capacity: np.ndarray

    @property
    def over_capacity(self) -> np.ndarray:
        return self.first_choice > self.capacity + 1e-9


def allocate_nearest_first(pairs: Pairs, residents: Any, capacity: Any) -> Allocation:
    """Serve residents within reach, shortest walks first, until each facility's capacity is used."""
    residents = np.asarray(residents, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    if len(residents) != pairs.n_demand or len(capacity) != pairs.n_facilities:
        raise ValueError(f"{pairs.n_demand} demand points / {pairs.n_facilities} facilities in the pairs, but "
                         f"{len(residents)} residents and {len(capacity)} capacities")
    served = np.zeros(pairs.n_demand)
    load = np.zeros(pairs.n_facilities)
    reachable = np.zeros(pairs.n_demand, dtype=bool)
    first_choice = np.zeros(pairs.n_facilities)
    if len(pairs):
        order = np.lexsort((pairs.facility, pairs.demand, pairs.walk_m))
        dem, fac = pairs.demand[order], pairs.facility[order]
        reachable[dem] = True
        first = np.zeros(len(dem), dtype=bool)
        first[np.unique(dem, return_index=True)[1]] = True  # each point's nearest pair comes first in the order
        np.add.at(first_choice, fac[first], residents[dem[first]])
        # sequential by nature (each pair takes what the earlier ones left); on Python floats, not numpy
        # scalars: the same IEEE arithmetic, ~4x faster per pair
        left, room = residents.tolist(), capacity.tolist()
        served_l, load_l = served.tolist(), load.tolist()
        for i, j in zip(dem.tolist(), fac.tolist(), strict=True):
            li, rj = left[i], room[j]
            if li <= 0 or rj <= 0:
                continue
            take = li if li < rj else rj
            left[i] = li - take
            room[j] = rj - take
            served_l[i] += take
            load_l[j] += take
        served, load = np.asarray(served_l, dtype=float), np.asarray(load_l, dtype=float)
    return Allocation(reachable, served, load, first_choice, capacity)


def two_step_fca(pairs: Pairs, residents: Any, supply: Any) -> tuple[np.ndarray, np.ndarray]:
    """2SFCA (Luo & Wang 2003): supply-to-demand ratio per facility and access per demand point.

    Returns (R_j per facility, A_i per demand point), both per resident; multiply by `PER` for
    "per 10,000 residents". A facility nobody reaches has ratio 0; a point reaching nothing has access 0.
    """
    residents = np.asarray(residents, dtype=float)
    supply = np.asarray(supply, dtype=float)
    if len(residents) != pairs.n_demand or len(supply) != pairs.n_facilities:
        raise ValueError(f"{pairs.n_demand} demand points / {pairs.n_facilities} facilities in the pairs, but "
                         f"{len(residents)} residents and {len(supply)} supplies")
    demand_in_reach = np.bincount(pairs.facility, weights=residents[pairs.demand], minlength=pairs.n_facilities)
    ratio = np.divide(supply, demand_in_reach, out=np.zeros(pairs.n_facilities), where=demand_in_reach > 0)
    access = np.bincount(pairs.demand, weights=ratio[pairs.facility], minlength=pairs.n_demand)
    return ratio, access


def weighted_mean(values: Any, weights: Any, groups: Any, n_groups: int) -> np.ndarray:
    """Residents-weighted mean of `values` per group (NaN where a group has nobody); group -1 is skipped."""
    values, weights, groups = np.asarray(values, float), np.asarray(weights, float), np.asarray(groups, np.int64)
    ok = groups >= 0
    num = np.bincount(groups[ok], weights=(values * weights)[ok], minlength=n_groups)
    den = np.bincount(groups[ok], weights=weights[ok], minlength=n_groups)
    return np.divide(num, den, out=np.full(n_groups, np.nan), where=den > 0)


@dataclass(frozen=True)
class AccessResult:
    """Capacity-limited coverage and 2SFCA for one set of facilities and one service distance."""

    pairs: Pairs
    allocation: Allocation
    ratio: np.ndarray  # 2SFCA step 1, GPs per resident within reach, per facility
    access: np.ndarray  # 2SFCA step 2, GPs per resident, per demand point
    walk_nearest_m: np.ndarray  # walking distance to the nearest facility (inf beyond the service distance)

    @property
    def served(self) -> np.ndarray:
        return self.allocation.served


def evaluate_access(pairs: Pairs, residents: Any, gps: Any, panel_per_gp: float) -> AccessResult:
    """Nearest-first allocation within capacity (GPs × panel) and 2SFCA with GPs as supply, on the same pairs."""
    residents = np.asarray(residents, dtype=float)
    capacity = capacities(gps, panel_per_gp)
    allocation = allocate_nearest_first(pairs, residents, capacity)
    ratio, access = two_step_fca(pairs, residents, np.asarray(gps, dtype=float))
    nearest = np.full(pairs.n_demand, np.inf)
    if len(pairs):
        np.minimum.at(nearest, pairs.demand, pairs.walk_m)
    return AccessResult(pairs, allocation, ratio, access, nearest)
