"""Reference figures for the dense site-selection benchmarks (bench/bench_coverage.py): the best
objective a long search finds and the best upper bound a long Lagrangian run proves, optionally
followed by HiGHS. Run once, by hand (minutes):

    nice .venv/bin/python bench/mclp_reference.py 20k_x_2k --seconds 300 --ils-seconds 60

Steps: `solver.solve` with a long budget (`--seconds`: Lagrangian bound with its heuristic, then
iterated swaps, seed 0), iterated swaps from its answer with seeds 1, 2, ... for `--ils-seconds`,
the Lagrangian bound for up to 5,000 steps, then HiGHS for `--time-limit` seconds (0: skip) with
the in-budget options (`solver.FAST_OPTIONS`) unless `--highs-defaults`. The best objective is
not proven optimal unless the bound meets it.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_coverage import DENSE, dense_instance  # noqa: E402
from dashboard.analyses.coverage import solver as sv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("instance", choices=sorted(DENSE))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=300.0, help="budget of the long solver.solve run")
    parser.add_argument("--ils-seconds", type=float, default=60.0, help="then iterated swaps, seeds 1, 2, ...")
    parser.add_argument("--time-limit", type=float, default=0.0, help="HiGHS seconds after the search (0: skip)")
    parser.add_argument("--highs-defaults", action="store_true",
                        help="HiGHS's own presolve, symmetry detection and heuristics (slow to start on dense instances)")
    args = parser.parse_args()
    matrix, weights = dense_instance(*DENSE[args.instance])
    start = time.perf_counter()
    k = args.k
    sol = sv.solve(matrix, weights, k, time_limit_s=args.seconds)
    print(f"solve({args.seconds:g} s): {sol.objective:,.0f}, bound {sol.bound:,.0f}, {sol.status}; {sol.stats}",
          flush=True)
    red = sv.reduce_instance(matrix, weights)
    csc, w = red.csc, red.weights
    position = {int(c): p for p, c in enumerate(red.columns)}
    best, total, bound = [position[c] for c in sol.chosen], sol.objective, sol.bound
    seed, stop = 1, time.perf_counter() + args.ils_seconds
    while time.perf_counter() < stop:
        found, found_total, _, rounds = sv.iterated_swaps(csc, red.matrix, w, best, total, k, red.undominated,
                                                          min(stop, time.perf_counter() + 30), seed=seed)
        if found_total > total:
            best, total = found, found_total
        print(f"iterated swaps, seed {seed}: {found_total:,.0f} ({rounds} rounds); best {total:,.0f}", flush=True)
        seed += 1
    l_bound, iters = sv.lagrangian_bound(csc, w, k, total, math.inf, max_iter=5000, columns=red.undominated)
    bound = min(bound, l_bound)
    print(f"Lagrangian bound {l_bound:,.1f} after {iters} steps", flush=True)
    if args.time_limit > 0:
        found, mip_bound, status, optimal = sv.mip(red, k, best, args.time_limit, True,
                                                   defaults=args.highs_defaults, log=True)
        bound = min(bound, mip_bound)
        if found is not None and sv.covered_weight(csc, w, found) > total:
            best, total = found, sv.covered_weight(csc, w, found)
        print(f"HiGHS: {status}, bound {mip_bound:,.1f}", flush=True)
    print(f"instance {args.instance} k={k}: best {total:,.0f}, proven bound {math.floor(bound):,}, "
          f"gap {(math.floor(bound) - total) / math.floor(bound):.3%}, {time.perf_counter() - start:,.0f} s; "
          f"sites {sorted(int(red.columns[p]) for p in best)}")


if __name__ == "__main__":
    main()
