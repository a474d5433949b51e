"""Add k centres maximising residents *served within capacity* (issue 17, item 4). Pure numpy/scipy.

The objective is the one `capacity.allocate_nearest_first` defines: residents within reach are served
nearest-first until each facility's capacity is used. A new public centre at a candidate compound has
capacity `clinic_gps_per_centre` × `clinic_panel_per_gp` and reaches the compounds within the service
distance (straight line × detour factor from the compound it stands on).

Method (a greedy heuristic, no proven bound): k times, add the candidate whose addition raises the total
served most, evaluated *exactly* by re-running the whole nearest-first allocation with the existing
facilities, the sites already chosen and that candidate (residents may move to a nearer new centre, freeing
room elsewhere). To stay fast at city scale only the `SCREEN` candidates with most residents not yet
served within their reach (capped at the new centre's capacity) are evaluated exactly each step; ties go
to the lower candidate index. A site that adds nobody is not suggested. Nearest-first is a rule, not an
optimum, so the served total need not be submodular and no optimality gap is claimed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from dashboard.analyses.coverage import capacity as cap

SCREEN = 12  # candidates evaluated exactly per step (those with most unserved residents within reach)
METHOD = "served_greedy"


@dataclass(frozen=True)
class ServedSuggestion:
    sites: tuple[int, ...]  # candidate positions (columns of the candidate pairs), in the order chosen
    marginal: tuple[float, ...]  # residents newly served by each step
    served_before: float
    served_after: float
    curve: tuple[float, ...]
    screened: int
    seconds: float

    @property
    def added(self) -> float:
        return self.served_after - self.served_before


def _concat(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_demand: int, n_fac: int) -> cap.Pairs:
    dem = np.concatenate([p[0] for p in parts])
    fac = np.concatenate([p[1] for p in parts])
    walk = np.concatenate([p[2] for p in parts])
    return cap.Pairs(dem, fac, walk, n_demand, n_fac)


def suggest_served(base: cap.Pairs, residents: Any, base_capacity: Any, candidate_pairs: cap.Pairs,
                   site_capacity: float, k: int, curve_to: int = 0, screen: int = SCREEN) -> ServedSuggestion:
    """Greedy choice of up to k candidates (facility columns of `candidate_pairs`) maximising residents served.

    `base` holds the existing facilities' pairs (facility 0..m-1, capacities `base_capacity`); each candidate
    column c of `candidate_pairs` becomes facility m + (its rank among the chosen) with `site_capacity`.
    """
    t0 = time.perf_counter()
    residents = np.asarray(residents, dtype=float)
    base_capacity = np.asarray(base_capacity, dtype=float)
    if k < 0:
        raise ValueError(f"k must be ≥ 0, got {k!r}")
    if not (site_capacity >= 0):
        raise ValueError(f"a new centre's capacity must be ≥ 0, got {site_capacity!r}")
    n, m = len(residents), base.n_facilities
    order = np.argsort(candidate_pairs.facility, kind="stable")
    c_dem, c_fac, c_walk = (candidate_pairs.demand[order], candidate_pairs.facility[order],
                            candidate_pairs.walk_m[order])
    indptr = np.searchsorted(c_fac, np.arange(candidate_pairs.n_facilities + 1))
    parts = [(base.demand, base.facility, base.walk_m)]
    capacity = base_capacity.copy()
    alloc = cap.allocate_nearest_first(base, residents, capacity)
    served_before = served = float(alloc.served.sum())
    chosen: list[int] = []
    gains: list[float] = []
    steps = max(int(k), int(curve_to))
    for _ in range(steps):
        unserved = residents - alloc.served
        potential = np.minimum(np.bincount(c_fac, weights=unserved[c_dem], minlength=candidate_pairs.n_facilities),
                               site_capacity)
        potential[chosen] = -1.0
        # the screen: most unserved residents within reach first, lower index on ties
        short = np.lexsort((np.arange(len(potential)), -potential))[:screen]
        short = short[potential[short] > 0]
        best, best_gain, best_alloc = -1, 0.0, None
        trial_capacity = np.append(capacity, site_capacity)
        for c in short.tolist():
            lo, hi = indptr[c], indptr[c + 1]
            trial = _concat(parts + [(c_dem[lo:hi], np.full(hi - lo, m + len(chosen), np.int64), c_walk[lo:hi])],
                            n, m + len(chosen) + 1)
            a = cap.allocate_nearest_first(trial, residents, trial_capacity)
            gain = float(a.served.sum()) - served
            if gain > best_gain + 1e-9 or (best >= 0 and abs(gain - best_gain) <= 1e-9 and c < best):
                best, best_gain, best_alloc = c, gain, a
        if best < 0:
            break
        lo, hi = indptr[best], indptr[best + 1]
        parts.append((c_dem[lo:hi], np.full(hi - lo, m + len(chosen), np.int64), c_walk[lo:hi]))
        capacity = np.append(capacity, site_capacity)
        chosen.append(best)
        gains.append(best_gain)
        served += best_gain
        alloc = best_alloc
    kk = min(int(k), len(chosen))
    return ServedSuggestion(tuple(chosen[:kk]), tuple(gains[:kk]), served_before, served_before + sum(gains[:kk]),
                            tuple(gains), int(screen), time.perf_counter() - t0)
