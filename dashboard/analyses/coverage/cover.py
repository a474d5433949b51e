"""Clinic coverage, the geometry and maximal-covering core: arrays in metres, no data, no Streamlit.

A demand point is covered when a facility lies within radius = service distance / detour factor (a
KD-tree nearest-neighbour query, `scipy.spatial.cKDTree`); `suggest_sites` solves the maximal covering
location problem with `dashboard.analyses.coverage.solver`. The method: model.py and docs/coverage.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from dashboard.analyses.coverage import solver

TOLERANCE_M = 1e-6  # a point at the radius up to floating-point noise counts as covered
SOLVER_TIME_LIMIT_S = 1.0
CURVE_MIN_SITES = 15  # the returns curve runs at least this far, so the fall-off shows


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
