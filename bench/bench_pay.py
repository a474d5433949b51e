"""Pay model at national scale: budgeting a synthetic staff list of 1,000,000 community workers.

Two figures, each the median of several runs on the same seeded list (about 2,850 county-level
districts, posts in a realistic mix, tenure 0-40 years, pay 20,000-60,000 yuan):

- `budget_arrays`: the vectorised core (grades from tenure, ladder lookup, five years of today's
  and ladder bills and quits, summed by district) on NumPy arrays. Target < 1 s.
- `compute`: the whole model from a DataFrame (adds pay quartiles by district and post, the ladder
  table and the JSON-ready budget rows). Target < 1 s.

Runnable alone: `.venv/bin/python bench/bench_pay.py`.
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


from dashboard.analyses.pay import ladder  # noqa: E402
from dashboard.core.scenario import Scenario  # noqa: E402

WORKERS = 1_000_000
DISTRICTS = 2_851
RUNS = 7
TARGET_S = 1.0


def synthetic_staff(n: int = WORKERS, districts: int = DISTRICTS, seed: int = 20201027) -> pd.DataFrame:
    """A seeded national-scale staff list in the community_workers columns the model reads."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"{420000 + i:06d}" for i in range(districts)])
    return pd.DataFrame({
        "district_code": codes[rng.integers(0, districts, n)],
        "post": np.array(ladder.POSTS)[rng.choice(4, n, p=[0.08, 0.10, 0.22, 0.60])],
        "tenure_years": rng.uniform(0, 40, n).round(1),
        "pay_yuan_per_year": rng.uniform(20_000, 60_000, n).round(-2),
    })


def _median_time(fn, runs: int = RUNS) -> tuple[float, list[float]]:
    fn()  # warm-up (imports, allocator)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def run() -> list[dict]:
    staff = synthetic_staff()
    assumptions = ladder.PayAssumptions.from_scenario(Scenario.default())  # 5 years, mean anchor, no cuts
    codes = sorted(staff["district_code"].unique())
    district_idx = pd.Categorical(staff["district_code"], categories=codes).codes.astype(np.int64)
    post_idx = ladder.post_index(staff["post"])
    tenure = staff["tenure_years"].to_numpy()
    wage = staff["pay_yuan_per_year"].to_numpy()

    core_s, core_times = _median_time(
        lambda: ladder.budget_arrays(assumptions, post_idx, tenure, wage, district_idx, len(codes)))
    full_s, full_times = _median_time(lambda: ladder.compute(assumptions, staff, {}, {}), runs=5)
    check = ladder.compute(assumptions, staff, {}, {})
    spread = lambda ts: f"min {min(ts):.3f} s, max {max(ts):.3f} s"  # noqa: E731
    return [
        {"name": f"pay: budget {WORKERS:,} workers × {assumptions.years} years (arrays)", "median_s": core_s,
         "runs": len(core_times), "target_s": TARGET_S, "met": core_s < TARGET_S,
         "notes": f"{DISTRICTS:,} districts; grades, ladder, bills and quits by district; {spread(core_times)}"},
        {"name": f"pay: whole model on {WORKERS:,} workers (DataFrame)", "median_s": full_s,
         "runs": len(full_times), "target_s": TARGET_S, "met": full_s < TARGET_S,
         "notes": f"adds quartiles by district × post and JSON rows ({len(check['budget']):,} budget rows); "
                  f"{spread(full_times)}"},
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: median {row['median_s']:.3f} s over {row['runs']} runs "
              f"(target < {row['target_s']} s, {'met' if row['met'] else 'NOT met'}) — {row['notes']}")
