"""The site-suggestion solver as it was before issue 20 (PuLP model, MPS file, CBC subprocess), kept
only for the before/after rows of bench/bench_coverage.py. Verbatim from dashboard/analyses/coverage/model.py
at b88f00a (`_greedy`, `_cbc_solver`, `_reduce`, `_exact_cover`, `max_cover`), returning plain values.
Needs PuLP (the `bench` extra).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

SOLVER_TIME_LIMIT_S = 1.0


def _covered_total(matrix: sparse.csc_matrix, weights: np.ndarray, chosen: Sequence[int]) -> float:
    if not len(chosen):
        return 0.0
    hit = np.asarray(matrix[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def _greedy(matrix: sparse.csc_matrix, weights: np.ndarray, k: int, allowed: np.ndarray | None = None,
            column_group: np.ndarray | None = None) -> tuple[list[int], list[float], float]:
    """Greedy cover plus an upper bound on the optimum of any k columns.

    The bound is the "online bound" of submodular maximisation (Leskovec et al. 2007): for every
    greedy prefix S, OPT ≤ f(S) + the sum of the k largest marginal gains given S. When greedy
    reaches the smallest such bound it is optimal and no solver is needed.
    """
    weights = np.asarray(weights, dtype=float).copy()
    matrix_t = matrix.T.tocsr()
    ok = np.ones(matrix.shape[1], dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
    k = max(int(k), 0)
    chosen: list[int] = []
    gains: list[float] = []
    total, bound = 0.0, math.inf
    for step in range(k + 1):
        gain = matrix_t @ weights
        gain[~ok] = -1.0
        positive = gain[gain > 0]
        if k == 0:
            top = 0.0
        elif len(positive) > k:
            top = np.partition(positive, len(positive) - k)[-k:].sum()
        else:
            top = positive.sum()
        bound = min(bound, total + float(top))
        if step == k or not ok.any():
            break
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        total += float(gain[best])
        weights[matrix.indices[matrix.indptr[best]:matrix.indptr[best + 1]]] = 0.0
        ok[best] = False
        if column_group is not None:
            ok[column_group == column_group[best]] = False
    return chosen, gains, bound


def _cbc_solver(time_limit_s: float):
    """A CBC solver for PuLP (the binary bundled with PuLP, else `cbc` on PATH); None if there is none."""
    try:
        import pulp
    except ImportError:  # pragma: no cover - pulp is a declared dependency
        return None
    bundled = getattr(getattr(pulp, "PULP_CBC_CMD", None), "pulp_cbc_path", None)
    for path in (bundled, None):
        try:
            solver = pulp.COIN_CMD(path=path, msg=False, timeLimit=time_limit_s, warmStart=True, threads=1)
        except Exception:  # noqa: BLE001 - any construction failure means "try the next"
            continue
        if solver.available():
            return solver
    return None


def _reduce(matrix: sparse.csc_matrix, weights: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Drop rows nobody can gain from and columns that cover nothing; merge identical rows and columns.

    Returns (group × column matrix, group weights, original column index of each kept column).
    """
    rows = np.asarray(matrix.sum(axis=1)).ravel() > 0
    rows &= weights > 0
    sub = matrix[rows].tocsc()
    w = weights[rows]
    col_keep: list[int] = []
    seen: set[bytes] = set()
    for j in range(sub.shape[1]):
        idx = sub.indices[sub.indptr[j]:sub.indptr[j + 1]]
        if len(idx) == 0:
            continue
        key = np.sort(idx).tobytes()
        if key in seen:  # same people as an earlier column: never better, keep the first
            continue
        seen.add(key)
        col_keep.append(j)
    cols = np.asarray(col_keep, dtype=np.int64)
    sub = sub[:, cols].tocsr()
    groups: dict[bytes, int] = {}
    group_rows: list[np.ndarray] = []
    group_w: list[float] = []
    for i in range(sub.shape[0]):
        idx = np.sort(sub.indices[sub.indptr[i]:sub.indptr[i + 1]])
        key = idx.tobytes()
        g = groups.get(key)
        if g is None:
            groups[key] = len(group_rows)
            group_rows.append(idx)
            group_w.append(float(w[i]))
        else:
            group_w[g] += float(w[i])
    if group_rows:
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in group_rows])])
        reduced = sparse.csr_matrix((np.ones(indptr[-1]), np.concatenate(group_rows), indptr),
                                    shape=(len(group_rows), len(cols)))
    else:
        reduced = sparse.csr_matrix((0, len(cols)))
    return reduced, np.asarray(group_w), cols


def _exact_cover(matrix: sparse.csc_matrix, weights: np.ndarray, k: int, warm: Sequence[int],
                 time_limit_s: float) -> tuple[list[int] | None, bool, str]:
    """CBC on the MCLP: max Σ w_i y_i, y_i ≤ Σ_{j covers i} x_j, Σ x_j ≤ k. Returns (columns, optimal, status)."""
    reduced, w, cols = _reduce(matrix, weights)
    if len(cols) <= k:  # every useful column fits: trivially optimal
        return [int(c) for c in cols], True, "all useful sites fit"
    solver = _cbc_solver(time_limit_s)
    if solver is None:
        return None, False, "no CBC solver available"
    import pulp

    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    add_var = getattr(prob, "add_variable", None) or (lambda name, lo, up, cat: pulp.LpVariable(name, lo, up, cat))
    x = [add_var(f"x{j}", 0, 1, pulp.LpBinary) for j in range(len(cols))]
    y = [add_var(f"y{i}", 0, 1, pulp.LpContinuous) for i in range(reduced.shape[0])]
    prob += pulp.lpSum(float(w[i]) * y[i] for i in range(len(y)))
    for i in range(len(y)):
        idx = reduced.indices[reduced.indptr[i]:reduced.indptr[i + 1]]
        prob += y[i] <= pulp.lpSum(x[j] for j in idx)
    prob += pulp.lpSum(x) <= k
    position = {int(c): p for p, c in enumerate(cols)}
    warm_set = {position[c] for c in warm if c in position}
    for p, var in enumerate(x):
        var.setInitialValue(1 if p in warm_set else 0)
    for i, var in enumerate(y):
        idx = reduced.indices[reduced.indptr[i]:reduced.indptr[i + 1]]
        var.setInitialValue(1 if warm_set.intersection(idx.tolist()) else 0)
    try:
        prob.solve(solver)
    except Exception as exc:  # noqa: BLE001 - a solver crash falls back to greedy
        return None, False, f"solver failed: {type(exc).__name__}"
    sol = getattr(prob, "sol_status", None)
    if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None, False, f"no solution ({pulp.LpStatus.get(prob.status, prob.status)})"
    chosen = [int(cols[p]) for p, var in enumerate(x) if (var.value() or 0) > 0.5]
    optimal = sol == pulp.LpSolutionOptimal
    return chosen, optimal, "optimal" if optimal else "time limit: best found"


def max_cover(matrix: sparse.csc_matrix, weights: Any, k: int,
              time_limit_s: float = SOLVER_TIME_LIMIT_S) -> dict[str, Any]:
    """The old path: greedy, its online bound, then CBC on the reduced model (returns a dict)."""
    weights = np.asarray(weights, dtype=float)
    greedy, _, bound = _greedy(matrix, weights, k)
    greedy_total = _covered_total(matrix, weights, greedy)
    chosen, method, optimal, status = greedy, "greedy", False, "greedy only"
    if greedy_total >= bound - 1e-9 * max(1.0, bound):
        optimal, status = True, "greedy reaches the upper bound: optimal"
    else:
        found, optimal, status = _exact_cover(matrix, weights, k, greedy, time_limit_s)
        if found is not None and _covered_total(matrix, weights, found) > greedy_total + 1e-9:
            chosen, method = found, "exact"
    return {"chosen": list(chosen), "objective": _covered_total(matrix, weights, chosen), "method": method,
            "optimal": optimal, "status": status, "greedy": greedy_total}
