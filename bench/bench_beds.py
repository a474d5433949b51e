"""Care-beds projection at province scale: every community of a synthetic province, 2020-2035.

Two figures, each the median of several runs:

- `project`: the vectorised projection (population growth, need-based demand, supply with new beds
  and closures, gap, closing year) plus the beds a year each community needs to close its gap by
  2025, over ≈30,000 communities × 16 years on seeded NumPy arrays (about the number of urban
  communities and villages of a province such as Hubei). Target < 1 s.
- `compute_from_inputs`: the whole page model on the shipped data (areas, both demand methods,
  projection, calibration, coverage), without the result cache. Target < 0.5 s.

Runnable alone: `.venv/bin/python bench/bench_beds.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dashboard.analyses.beds import model as beds  # noqa: E402
from dashboard.analyses.beds import projection  # noqa: E402
from dashboard.core.scenario import Scenario  # noqa: E402

COMMUNITIES = 30_000
RUNS = 7
TARGET_S = 1.0
PAGE_TARGET_S = 0.5


def synthetic_province(n: int = COMMUNITIES, seed: int = 20201027) -> dict[str, np.ndarray]:
    """Seeded communities: older people (60+, 80+ at a varied share), beds and a build rate each."""
    rng = np.random.default_rng(seed)
    residents = rng.lognormal(np.log(3_000), 0.6, n)
    aged_60 = np.round(residents * rng.uniform(0.15, 0.32, n))
    aged_80 = np.round(aged_60 * rng.uniform(0.08, 0.2, n))
    supply = np.round(aged_60 * rng.uniform(0.0, 0.09, n))
    build = np.round(rng.uniform(0, 30, n))
    return {"aged_60_plus": aged_60, "aged_80_plus": aged_80, "supply": supply, "new_per_year": build}


def _median_time(fn, runs: int = RUNS) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def run() -> list[dict]:
    province = synthetic_province()
    rule = beds.DemandRule()
    plan = projection.Plan(growth_60_plus=0.025, growth_80_plus=0.03, new_per_year=0.0, closure_rate=0.01)

    def province_projection():
        proj = beds.project(province["aged_60_plus"], province["aged_80_plus"], province["supply"], rule, plan,
                            new_per_year=province["new_per_year"])
        need = projection.required_per_year(province["aged_60_plus"], province["aged_80_plus"], province["supply"],
                                      rule, plan, 2025)
        return proj, need

    core_s, core_times = _median_time(province_projection)
    proj, need = province_projection()
    closed = int((proj.closing_year != beds.NOT_CLOSED).sum())

    inputs = beds.load_inputs()
    scenario = Scenario.default()
    page_s, page_times = _median_time(lambda: beds.compute_from_inputs(inputs, scenario))

    spread = lambda ts: f"min {min(ts):.3f} s, max {max(ts):.3f} s"  # noqa: E731
    return [
        {"name": f"beds: project {COMMUNITIES:,} communities × {len(plan.years)} years", "median_s": core_s,
         "runs": len(core_times), "target_s": TARGET_S, "met": core_s < TARGET_S,
         "notes": f"need-based demand, new beds and 1%/yr closures, gap, closing year and beds/yr to close by "
                  f"2025; {closed:,} communities close by 2035; {spread(core_times)}"},
        {"name": "beds: whole page model on the shipped data (uncached)", "median_s": page_s,
         "runs": len(page_times), "target_s": PAGE_TARGET_S, "met": page_s < PAGE_TARGET_S,
         "notes": f"{len(inputs.areas)} areas + central city + city, both demand methods; {spread(page_times)}"},
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: median {row['median_s']:.3f} s over {row['runs']} runs "
              f"(target < {row['target_s']} s, {'met' if row['met'] else 'NOT met'}) — {row['notes']}")
