"""Maximal covering (MCLP): choose k candidate sites that cover the most demand weight, near-exact
at scale, with a proven bound on how far the answer can be from the best possible.

Pure functions over numpy arrays and a scipy sparse 0/1 coverage matrix (demand × candidate: 1 where
the candidate reaches the demand point). No geometry, no Streamlit, no files.

    maximise   Σ_i w_i y_i
    subject to y_i ≤ Σ_{j ∈ N_i} x_j    (N_i: candidates that reach demand point i)
               Σ_j x_j ≤ k,   x_j ∈ {0, 1},   0 ≤ y_i ≤ 1

`solve` (this module) runs, all within one time budget for the whole call (reduction in `mclp_reduce`,
greedy, swaps and the Lagrangian bound in `mclp_search`):

1. **Reduction** (exact: the reduced instance has the same objective for every set of sites).
   Demand already covered, of zero weight or reached by no candidate is dropped; demand points
   with identical candidate sets are merged (weights summed); candidates that reach nobody left
   are dropped, candidates reaching exactly the same people as an earlier one are dropped (the
   first is kept), and candidates whose people are a strict subset of another candidate's are
   marked *dominated* (there is always an optimal answer without them). The dominance test is
   skipped when it would cost too much of the budget (`stats["dominance"]` says so).
2. **Greedy** (Nemhauser, Wolsey & Fisher 1978; lowest index on ties, so deterministic and nested
   in k), with the submodular "online bound" (Leskovec et al. 2007): for any set S,
   OPT ≤ f(S) + the k largest marginal gains given S.
3. **Swap local search**: the best exchange of one chosen site for one other site, repeated while
   it strictly improves (a round is one sparse product and one scatter-add). Every set visited
   tightens the online bound.
4. **Lagrangian bound** (relaxing y_i ≤ Σ x_j): every multiplier vector gives a valid bound, and
   subgradient steps take it down to the LP relaxation's value.
5. Reduced instances up to `MIP_MAX_NONZEROS`: **exact MIP** with HiGHS (`highspy`, the model passed
   as sparse arrays: no modelling layer, no MPS text, no subprocess), warm-started with the best set
   so far, under the time left; its dual bound tightens the bound, its set is used only if it
   covers strictly more. Larger ones (HiGHS's root LP alone would outlast the budget): the
   Lagrangian steps run with a Lagrangian heuristic (greedy on the multipliers, then swaps) and the
   time left goes to an iterated local search (seeded perturbations of the best set, then swaps).

The result reports the best set, its objective, the best proven upper bound, the relative gap
(bound − objective) / bound — the answer is within that fraction of the best possible — and
whether optimality is proven. With integer weights (residents) the bound is rounded down to an
integer, so a gap below one person is a proof.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dashboard.analyses.coverage.mclp_reduce import DOMINANCE_WORK_SHARE, Reduction, reduce_instance
from dashboard.analyses.coverage.mclp_search import (
    covered_weight,
    greedy,
    greedy_fast,
    iterated_swaps,
    lagrangian_bound,
    swap_search,
)

DEFAULT_TIME_LIMIT_S = 1.0
MIN_MIP_S = 0.05  # below this much time left, HiGHS is not started
MIP_MARGIN_S = 0.02  # HiGHS's time limit is the time left less this (its model is built outside its clock)
MIP_MAX_NONZEROS = 200_000  # larger reduced instances skip HiGHS: its root LP alone outlasts any page's budget
LAGRANGIAN_SHARE = 0.3  # share of the time left for the Lagrangian bound when HiGHS runs after it
_REL_EPS = 1e-12


@dataclass(frozen=True)
class Solution:
    """Best set found, how good it is, and how it was found.

    `chosen` are original candidate (column) indices, in the order greedy would add them is NOT
    implied: callers order them as they need. `gap` = (bound − objective) / bound (0 when the bound
    is 0): the objective is at least (1 − gap) × the optimum.
    """

    chosen: tuple[int, ...]
    objective: float
    bound: float
    gap: float
    method: str  # which step found the reported set: "greedy" | "swap" | "mip"
    optimal: bool
    proof: str  # how optimality was shown: "trivial" | "bound" (online bound) | "solver" (HiGHS) | ""
    status: str
    seconds: float
    greedy_objective: float
    stats: dict[str, Any] = field(default_factory=dict)


# ============================================================== HiGHS


def _highs():
    import highspy

    # the plain core object: silent from the start (the wrapper class prints a banner when built)
    h = getattr(highspy, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    return h, highspy


# HiGHS options of the in-budget solve. Off: the feasibility-jump heuristic and symmetry detection,
# which on dense instances ran for seconds before the first LP without looking at the time limit.
FAST_OPTIONS = {"presolve": "off", "mip_heuristic_run_feasibility_jump": False, "mip_detect_symmetry": False}


def mip(reduction: Reduction, k: int, start: Sequence[int], time_limit_s: float, integer_weights: bool,
        defaults: bool = False, log: bool = False) -> tuple[list[int] | None, float, str, bool]:
    """HiGHS on the reduced MCLP (undominated columns), warm-started with `start` (kept-column
    positions). Returns (kept-column positions or None, proven upper bound, status, optimal).
    `defaults` keeps HiGHS's own presolve and heuristics (for long reference runs); `log` prints its log."""
    h, highspy = _highs()
    if log:
        h.setOptionValue("output_flag", True)
    red = reduction.matrix
    cols = np.flatnonzero(reduction.undominated)
    sub = red[:, cols].tocsc()
    sub.sort_indices()
    g, m = sub.shape
    inf = highspy.kHighsInf
    # rows 0..g-1: y_i - Σ x_j ≤ 0; row g: Σ x_j ≤ k
    h.addRows(g + 1, np.full(g + 1, -inf), np.concatenate([np.zeros(g), [float(k)]]), 0,
              np.zeros(g + 1, np.int32), np.zeros(0, np.int32), np.zeros(0))
    deg = np.diff(sub.indptr)
    x_start = (sub.indptr[:-1] + np.arange(m)).astype(np.int32)
    x_index = np.empty(sub.nnz + m, dtype=np.int32)
    x_value = np.empty(sub.nnz + m)
    ends = sub.indptr[1:] + np.arange(1, m + 1) - 1  # slot of the cardinality entry of each column
    mask = np.ones(sub.nnz + m, dtype=bool)
    mask[ends] = False
    x_index[mask] = sub.indices
    x_value[mask] = -1.0
    x_index[ends] = g
    x_value[ends] = 1.0
    h.addCols(m, np.zeros(m), np.zeros(m), np.ones(m), len(x_index), x_start, x_index, x_value)
    h.addCols(g, reduction.weights, np.zeros(g), np.ones(g), g, np.arange(g, dtype=np.int32),
              np.arange(g, dtype=np.int32), np.ones(g))
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.ones(m, dtype=np.uint8))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    del deg
    options = {"threads": 1, "time_limit": max(float(time_limit_s), 1e-3), "mip_rel_gap": 0.0,
               "mip_abs_gap": 0.999 if integer_weights else 1e-9, "random_seed": 0}
    for name, value in {**options, **({} if defaults else FAST_OPTIONS)}.items():
        h.setOptionValue(name, value)
    position = {int(c): p for p, c in enumerate(cols)}
    x0 = np.zeros(m)
    x0[[position[c] for c in reduction.undominated_replacement(start)]] = 1.0
    y0 = np.minimum(1.0, sub @ x0)
    sol = highspy.HighsSolution()
    sol.col_value = np.concatenate([x0, y0]).tolist()
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    if not math.isfinite(bound):
        bound = math.inf
    optimal = status == highspy.HighsModelStatus.kOptimal
    found = None
    if info.primal_solution_status >= 2:  # feasible
        x = np.asarray(h.getSolution().col_value[:m])
        picked = np.flatnonzero(x > 0.5)
        if len(picked) <= k:
            found = [int(cols[p]) for p in picked]
    return found, bound, h.modelStatusToString(status), optimal


# ============================================================== the whole solve


def solve(matrix: Any, weights: Any, k: int, covered: Any = None, time_limit_s: float = DEFAULT_TIME_LIMIT_S,
          exact: bool = True) -> Solution:
    """Up to k columns covering most weight, within `time_limit_s` for the whole call (checked between
    steps and inside the searches; HiGHS gets the time left as its own limit).

    Never worse than greedy (the greedy set is kept unless another covers strictly more, so the
    answer is deterministic and nested in k whenever greedy is optimal). `exact=False` stops after
    greedy. See the module text for the steps.
    """
    started = time.perf_counter()
    budget = max(float(time_limit_s), 0.0)
    deadline = started + budget
    k = int(k)
    if k < 0:
        raise ValueError(f"k must be ≥ 0, got {k!r}")
    red = reduce_instance(matrix, weights, covered, dominance_budget_s=DOMINANCE_WORK_SHARE * budget if exact else 0.0)
    cols = red.columns
    w = red.weights
    integer_weights = bool(np.all(w == np.round(w)) and w.sum() < 2 ** 52)
    tol = _REL_EPS * max(1.0, float(w.sum()))
    csc = red.csc
    g_chosen, g_gains, bound = greedy(csc, w, k, bound_columns=red.undominated)
    g_total = float(sum(g_gains))
    stats = dict(red.stats)
    best, best_total, method, status = list(g_chosen), g_total, "greedy", "greedy only"

    def proven(bound: float) -> float:
        """The bound as reported: an integer objective cannot exceed the bound's integer part."""
        return math.floor(bound + 1e-9) if integer_weights and math.isfinite(bound) else bound

    def done(proof: str = "", status: str = status) -> Solution:
        top = max(proven(bound), best_total)
        optimal = bool(proof) or best_total >= top - tol
        if optimal and not proof:
            proof = "bound"
        gap = 0.0 if optimal or top <= 0 else (top - best_total) / top
        return Solution(tuple(int(cols[p]) for p in best), best_total, best_total if optimal else top, gap, method,
                        optimal, proof, status, time.perf_counter() - started, g_total, stats)

    if k == 0:
        return done("trivial", "no new sites asked for")
    if not g_chosen:
        return done("trivial", "no candidate adds anyone")
    if g_total >= proven(bound) - tol:
        return done("bound", "greedy reaches the upper bound: optimal")
    if not exact:
        return done("", "greedy only")

    # 1. swap local search from greedy
    t0 = time.perf_counter()
    s_chosen, s_total, s_bound, rounds, finished = swap_search(csc, red.matrix, w, g_chosen, k, red.undominated,
                                                               deadline)
    stats.update(swap_rounds=rounds, swap_finished=finished, swap_s=time.perf_counter() - t0)
    bound = min(bound, s_bound)
    if s_total > best_total + tol:
        best, best_total, method = s_chosen, s_total, "swap"
    if best_total >= proven(bound) - tol:
        return done("", "an upper bound is reached: optimal")

    use_mip = red.matrix.nnz <= MIP_MAX_NONZEROS
    if not use_mip:
        # 2. too large for HiGHS: the Lagrangian bound, with a Lagrangian heuristic (greedy on the
        # multipliers as weights, then swaps) every 10 steps; then iterated local search in the time left
        def from_multipliers(lam: np.ndarray) -> float:
            nonlocal best, best_total, method
            start = greedy_fast(csc, red.matrix, lam, k, red.undominated)
            found, total, _, _, _ = swap_search(csc, red.matrix, w, start, k, red.undominated, deadline)
            stats["heuristic_runs"] = stats.get("heuristic_runs", 0) + 1
            if total > best_total + tol:
                best, best_total, method = found, total, "swap"
            return best_total

        t0 = time.perf_counter()
        l_bound, iters = lagrangian_bound(csc, w, k, best_total, deadline, columns=red.undominated,
                                          heuristic=from_multipliers)
        stats.update(lagrangian_iterations=iters, lagrangian_s=time.perf_counter() - t0)
        bound = min(bound, l_bound)
        if best_total < proven(bound) - tol and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            i_chosen, i_total, i_bound, i_rounds = iterated_swaps(csc, red.matrix, w, best, best_total, k,
                                                                  red.undominated, deadline)
            stats.update(ils_rounds=i_rounds, ils_s=time.perf_counter() - t0)
            bound = min(bound, i_bound)
            if i_total > best_total + tol:
                best, best_total, method = i_chosen, i_total, "swap"
        if best_total >= proven(bound) - tol:
            return done("", "an upper bound is reached: optimal")
        return done("", "time limit: best found (MIP skipped: too large for the time limit; bound from the Lagrangian)")

    # 3. Lagrangian bound in a share of the time left
    left = deadline - time.perf_counter()
    t0 = time.perf_counter()
    l_bound, iters = lagrangian_bound(csc, w, k, best_total, time.perf_counter() + LAGRANGIAN_SHARE * left,
                                      columns=red.undominated)
    stats.update(lagrangian_iterations=iters, lagrangian_s=time.perf_counter() - t0)
    bound = min(bound, l_bound)
    if best_total >= proven(bound) - tol:
        return done("", "an upper bound is reached: optimal")

    # 4. exact MIP (HiGHS) in the time left
    left = deadline - time.perf_counter()
    if left < MIN_MIP_S:
        return done("", "time limit: best found")
    t0 = time.perf_counter()
    try:
        found, mip_bound, mip_status, optimal = mip(red, k, best, left - MIP_MARGIN_S, integer_weights)
    except ImportError:
        return done("", "HiGHS (highspy) is not installed: best found")
    except Exception as exc:  # noqa: BLE001 - a solver failure keeps the best set so far
        return done("", f"solver failed ({type(exc).__name__}): best found")
    stats["mip_s"] = time.perf_counter() - t0
    if found is not None:
        total = covered_weight(csc, w, found)
        if total > best_total + tol:
            best, best_total, method = found, total, "mip"
    bound = min(bound, mip_bound)
    if optimal:
        bound = min(bound, best_total)
        return done("solver", "optimal")
    return done("", f"time limit: best found ({mip_status})")
