"""Property and grids models at national scale: seeded synthetic compounds and grids.

- `property scheme`: status, fee needed, subsidy, cost, priority and programme year for 1,000,000
  compounds (the vectorised core). Target < 1 s.
- `property compute`: the whole model (district, sub-district and year tables, owners' committees,
  the priority list and the map points as JSON-ready lists) for 100,000 compounds. Target < 2 s.
- `grids compute`: sizes, imbalance, re-division by community and the task burden for 200,000 grids
  in 40,000 communities. Target < 2 s.

Runnable alone: `.venv/bin/python bench/bench_property.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dashboard.analyses.grids import model as grids  # noqa: E402
from dashboard.analyses.property import model as prop  # noqa: E402
from dashboard.core.scenario import Scenario  # noqa: E402


def synthetic_compounds(n: int, seed: int = 18) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    districts = np.array([f"{420000 + i:06d}" for i in range(300)])
    d = rng.integers(0, len(districts), n)
    sub = d * 10 + rng.integers(0, 10, n)
    return pd.DataFrame({
        "compound_id": [f"C{i:07d}" for i in range(n)], "name": [f"C{i}" for i in range(n)],
        "district_code": districts[d], "subdistrict_code": [f"{s:09d}" for s in sub],
        "subdistrict_name": [f"S{s}" for s in sub], "lon": rng.uniform(110, 114, n), "lat": rng.uniform(29, 32, n),
        "households": rng.lognormal(4.9, 0.7, n).round().astype(int) + 10,
        "has_property_management": rng.uniform(size=n) < 0.4, "has_owners_committee": rng.uniform(size=n) < 0.15,
        "build_year": rng.integers(1960, 2021, n), "enclosure": rng.choice(["closed", "semi_closed", "open"], n),
        "property_firm_id": None,
    })


def synthetic_grids(n: int = 200_000, communities: int = 40_000, seed: int = 18) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    comm = rng.integers(0, communities, n)
    g = pd.DataFrame({
        "grid_id": [f"G{i:07d}" for i in range(n)], "name": "", "committee_code": [f"{c:012d}" for c in comm],
        "committee_name": [f"社区{c}" for c in comm], "subdistrict_name": "", "district_code": [f"{420000 + c % 300:06d}" for c in comm],
        "households": rng.lognormal(5.8, 0.6, n).round() + 20, "grid_workers": rng.choice([0, 1, 2], n, p=[0.1, 0.8, 0.1]),
        "party_cadres": rng.integers(10, 200, n),
    })
    c = pd.DataFrame({"compound_id": ["X"], "name": ["X"], "committee_code": [g["committee_code"][0]],
                      "committee_name": [""], "district_code": [g["district_code"][0]], "subdistrict_name": [""],
                      "households": [100], "build_year": [2019], "new_area_id": [None], "lon": [112.0], "lat": [30.0],
                      "grid_id": [None]})
    return g, c


def _median(fn, runs: int) -> tuple[float, list[float]]:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def run() -> list[dict]:
    a = prop.PropertyAssumptions.from_scenario(Scenario.default())
    big = synthetic_compounds(1_000_000)
    mid = synthetic_compounds(100_000)
    g, c = synthetic_grids()
    ga = grids.GridAssumptions.from_scenario(Scenario.default())
    report = {"tasks": 130.0, "lawful_own": 18.0, "lawful_assist": 65.0, "posts_shashi": 506.0}
    s_scheme, t1 = _median(lambda: prop.scheme(big, a), 3)
    s_prop, t2 = _median(lambda: prop.compute(a, mid, {}, {}), 3)
    s_grids, t3 = _median(lambda: grids.compute(ga, g, c, report, {}), 3)
    spread = lambda ts: f"min {min(ts):.3f} s, max {max(ts):.3f} s"  # noqa: E731
    return [
        {"name": "property: scheme on 1,000,000 compounds", "median_s": s_scheme, "runs": len(t1), "target_s": 1.0,
         "met": s_scheme < 1.0, "notes": f"status, fee, subsidy, priority, programme year; {spread(t1)}"},
        {"name": "property: whole model on 100,000 compounds", "median_s": s_prop, "runs": len(t2), "target_s": 2.0,
         "met": s_prop < 2.0, "notes": f"300 districts, 3,000 sub-districts, JSON-ready lists; {spread(t2)}"},
        {"name": "grids: whole model on 200,000 grids", "median_s": s_grids, "runs": len(t3), "target_s": 2.0,
         "met": s_grids < 2.0, "notes": f"40,000 communities, Gini, re-division, tasks; {spread(t3)}"},
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: median {row['median_s']:.3f} s over {row['runs']} runs "
              f"(target < {row['target_s']} s, {'met' if row['met'] else 'NOT met'}) — {row['notes']}")
