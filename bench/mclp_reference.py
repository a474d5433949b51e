"""A long HiGHS run on a dense benchmark instance, for the reference optimum (or best bound) that
bench/bench_coverage.py compares the site suggestion with. Run once, by hand; it can take many minutes:

    nice .venv/bin/python bench/mclp_reference.py 20k_x_2k --time-limit 1800

HiGHS on the reduced instance (same objective), one thread, warm-started with the swap local-search
answer, with the in-budget options (`solver.FAST_OPTIONS`) unless `--highs-defaults`; prints the best
objective, the dual bound and the time.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--time-limit", type=float, default=1800.0)
    parser.add_argument("--highs-defaults", action="store_true",
                        help="HiGHS's own presolve, symmetry detection and heuristics (slow to start on dense instances)")
    args = parser.parse_args()
    matrix, weights = dense_instance(*DENSE[args.instance])
    start = time.perf_counter()
    quick = sv.solve(matrix, weights, args.k, time_limit_s=0.0)  # reduction, greedy (no time for more)
    red = sv.reduce_instance(matrix, weights)
    chosen, total, _, _, _ = sv.swap_search(red.csc, red.matrix, red.weights,
                                            [list(red.columns).index(c) for c in quick.chosen], args.k,
                                            red.undominated, time.perf_counter() + 600)
    found, bound, status, optimal = sv.mip(red, args.k, chosen, args.time_limit, True, defaults=args.highs_defaults, log=True)
    best = max(total, sv.covered_weight(red.csc, red.weights, found or []))
    print(f"instance {args.instance} k={args.k}: best {best:,.0f}, bound {bound:,.1f}, status {status}, "
          f"optimal {optimal}, {time.perf_counter() - start:,.0f} s (swap start {total:,.0f})")


if __name__ == "__main__":
    main()
