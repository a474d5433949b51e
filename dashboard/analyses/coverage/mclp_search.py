"""MCLP heuristics and bounds: greedy with its online bound, swap local search, the Lagrangian bound.

See `solver` for the whole method; pure numpy/scipy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

_REL_EPS = 1e-12


# ============================================================== greedy and its online bound


def _top_k_sum(values: np.ndarray, k: int) -> float:
    positive = values[values > 0]
    if k <= 0 or not len(positive):
        return 0.0
    if len(positive) > k:
        return float(np.partition(positive, len(positive) - k)[-k:].sum())
    return float(positive.sum())


def greedy(matrix: Any, weights: Any, k: int, allowed: np.ndarray | None = None,
           column_group: np.ndarray | None = None,
           bound_columns: np.ndarray | None = None) -> tuple[list[int], list[float], float]:
    """Greedy maximal cover: repeatedly take the column adding most weight (lowest index on ties).

    Stops early when no column adds anything. With `column_group`, at most one column per group.
    Returns (columns, the weight each adds, an upper bound on the best k columns): the online bound
    min over greedy prefixes S of f(S) + the k largest gains given S, taken over `bound_columns`
    (default: all columns; the bound holds when some optimal answer uses only those).
    """
    csc = matrix if sparse.isspmatrix_csc(matrix) else sparse.csc_matrix(matrix)
    weights = np.asarray(weights, dtype=float).copy()
    matrix_t = csc.T.tocsr()
    ok = np.ones(csc.shape[1], dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
    in_bound = ok.copy() if bound_columns is None else np.asarray(bound_columns, dtype=bool)
    k = max(int(k), 0)
    chosen: list[int] = []
    gains: list[float] = []
    total, bound = 0.0, math.inf
    for step in range(k + 1):
        gain = matrix_t @ weights
        bound = min(bound, total + _top_k_sum(gain[in_bound], k))
        gain[~ok] = -1.0
        if step == k or not ok.any():
            break
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        total += float(gain[best])
        weights[csc.indices[csc.indptr[best]:csc.indptr[best + 1]]] = 0.0
        ok[best] = False
        if column_group is not None:
            ok[column_group == column_group[best]] = False
    return chosen, gains, bound


def covered_weight(matrix: Any, weights: Any, chosen: Sequence[int]) -> float:
    """Total weight of rows reached by at least one chosen column."""
    if not len(chosen):
        return 0.0
    csc = matrix if sparse.isspmatrix_csc(matrix) else sparse.csc_matrix(matrix)
    hit = np.zeros(csc.shape[0], dtype=bool)
    for j in chosen:
        hit[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = True
    return float(np.asarray(weights, dtype=float)[hit].sum())


# ============================================================== swap local search


def _row_sums_to_columns(csr: sparse.csr_matrix, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Σ over the given rows of values[row] into every column the row has (a scatter-add): C[rows]ᵀ values."""
    lengths = np.diff(csr.indptr)[rows]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    entries = csr.indices[np.repeat(csr.indptr[rows], lengths) + offsets]
    return np.bincount(entries, weights=np.repeat(values, lengths), minlength=csr.shape[1])


def greedy_fast(csc: sparse.csc_matrix, csr: sparse.csr_matrix, values: np.ndarray, k: int,
                addable: np.ndarray) -> list[int]:
    """Greedy on `values` with gains updated by scatter-adds over the newly covered rows (one sparse
    product in all): for the Lagrangian heuristic, where the values are multipliers."""
    gain = csc.T @ values
    gain[~addable] = -np.inf
    covered = np.zeros(csc.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(k):
        j = int(np.argmax(gain))
        if not gain[j] > 0:
            break
        chosen.append(j)
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        newly = rows[~covered[rows]]
        covered[newly] = True
        gain -= _row_sums_to_columns(csr, newly, values[newly])
        gain[j] = -np.inf
    return chosen


def swap_search(csc: sparse.csc_matrix, csr: sparse.csr_matrix, weights: np.ndarray, start: Sequence[int], k: int,
                addable: np.ndarray, deadline: float) -> tuple[list[int], float, float, int, bool]:
    """Best-improvement 1-swap local search (and filling up to k sites), from `start`.

    Each round evaluates every (chosen site out, other site in) pair: the weight only the chosen
    site reaches (its loss), what each other site adds now (its gain, kept up to date by
    scatter-adds over the rows whose cover changes) and what it would win back (a scatter-add over
    the rows only one chosen site reaches). Returns (columns, objective, online bound over the sets
    visited, rounds, finished) — `finished` is False when the deadline stopped it first.
    """
    n, m = csc.shape
    chosen = list(start)
    bound = math.inf
    rounds = 0
    tol = _REL_EPS * max(1.0, float(weights.sum()))
    count = np.bincount(np.concatenate([csc.indices[csc.indptr[j]:csc.indptr[j + 1]] for j in chosen])
                        if chosen else np.zeros(0, np.int64), minlength=n)
    gain = csc.T @ (weights * (count == 0))

    def cover(j: int, step: int) -> None:  # add (step 1) or remove (step -1) site j, keeping gain exact
        nonlocal gain
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        if step > 0:
            changed = rows[count[rows] == 0]
            count[rows] += 1
            gain = gain - _row_sums_to_columns(csr, changed, weights[changed])
        else:
            count[rows] -= 1
            changed = rows[count[rows] == 0]
            gain = gain + _row_sums_to_columns(csr, changed, weights[changed])

    while True:
        total = float(weights[count > 0].sum())
        bound = min(bound, total + _top_k_sum(gain[addable], k))
        if total >= bound - tol or time.perf_counter() >= deadline:
            return chosen, total, bound, rounds, total >= bound - tol
        can = addable.copy()
        can[chosen] = False
        if len(chosen) < k:  # room left (fewer useful sites than k so far): add the best
            best = int(np.argmax(np.where(can, gain, -1.0)))
            if gain[best] <= tol:
                return chosen, total, bound, rounds, True
            chosen.append(best)
            cover(best, 1)
            rounds += 1
            continue
        unique = np.flatnonzero(count == 1)
        owner_pos = np.full(n, -1, dtype=np.int64)
        for t, j in enumerate(chosen):
            rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
            owner_pos[rows[count[rows] == 1]] = t
        loss = np.bincount(owner_pos[unique], weights=weights[unique], minlength=len(chosen))
        # back[t, j]: weight only chosen site t reaches that site j reaches too
        lengths = np.diff(csr.indptr)[unique]
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        entries = csr.indices[np.repeat(csr.indptr[unique], lengths) + offsets]
        back = np.bincount(np.repeat(owner_pos[unique], lengths) * m + entries,
                           weights=np.repeat(weights[unique], lengths), minlength=len(chosen) * m).reshape(-1, m)
        delta = back + gain[None, :] - loss[:, None]
        delta[:, ~can] = -np.inf
        flat = int(np.argmax(delta))
        t, j_new = divmod(flat, m)
        if not delta[t, j_new] > tol:
            return chosen, total, bound, rounds, True
        cover(chosen[t], -1)
        chosen[t] = int(j_new)
        cover(int(j_new), 1)
        rounds += 1


def iterated_swaps(csc: sparse.csc_matrix, csr: sparse.csr_matrix, weights: np.ndarray, start: Sequence[int],
                   start_total: float, k: int, addable: np.ndarray, deadline: float,
                   seed: int = 0) -> tuple[list[int], float, float, int]:
    """Iterated local search: from the best set so far, drop 2-4 sites at random, refill from the
    sites adding most (a random pick among the best 20 per slot), swap to a local optimum again;
    keep the result when it covers at least as much (plateaus are crossed). Seeded; stops at the
    deadline. Returns (best columns, best objective, online bound over the sets visited, rounds)."""
    rng = np.random.default_rng(seed)
    best, best_total = list(start), float(start_total)
    current, current_total = list(best), best_total
    bound = math.inf
    t_cols = csc.T.tocsr()
    n = csc.shape[0]
    rounds = 0
    while time.perf_counter() < deadline and len(current) >= 2:
        rounds += 1
        trial = list(current)
        for _ in range(int(rng.integers(2, min(4, len(trial)) + 1))):
            trial.pop(int(rng.integers(len(trial))))
        while len(trial) < len(current):
            count = np.bincount(np.concatenate([csc.indices[csc.indptr[j]:csc.indptr[j + 1]] for j in trial]),
                                minlength=n)
            gain = t_cols @ (weights * (count == 0))
            gain[~addable] = -1.0
            gain[trial] = -1.0
            top = np.argpartition(gain, len(gain) - 20)[-20:] if len(gain) > 20 else np.arange(len(gain))
            top = top[gain[top] > 0]
            if not len(top):
                break
            trial.append(int(rng.choice(top)))
        trial, total, b, _, _ = swap_search(csc, csr, weights, trial, k, addable, deadline)
        bound = min(bound, b)
        if total >= current_total:
            current, current_total = trial, total
            if total > best_total:
                best, best_total = list(trial), total
    return best, best_total, bound, rounds


# ============================================================== Lagrangian bound


def lagrangian_bound(csc: sparse.csc_matrix, weights: np.ndarray, k: int, lower: float, deadline: float,
                     max_iter: int = 1000, columns: np.ndarray | None = None,
                     heuristic: Callable[[np.ndarray], float] | None = None, every: int = 10) -> tuple[float, int]:
    """An upper bound on the best k columns from the Lagrangian relaxation of y_i ≤ Σ_{j∈N_i} x_j.

    For any multipliers 0 ≤ λ ≤ w,  OPT ≤ L(λ) = Σ_i (w_i − λ_i) + (sum of the k largest Σ_{i∈N_j} λ_i),
    so every iterate is a valid bound; its minimum equals the LP relaxation's optimum. Subgradient
    steps (Polyak, towards `lower`, the best objective known), from λ = 0.8 w; stops at the deadline,
    after `max_iter` steps, when the step has shrunk away, or when the bound meets `lower`.
    Only `columns` (default all) are considered: valid when some optimal answer uses only those.
    With `heuristic`, every `every` steps it is called with the multipliers and returns the best
    objective known after using them (a Lagrangian heuristic: the multipliers point at sites).
    Returns (best bound, iterations).
    """
    g, m = csc.shape
    if g == 0 or m == 0 or k <= 0:
        return 0.0, 0
    ct = csc.T.tocsr()
    usable = np.ones(m, dtype=bool) if columns is None else np.asarray(columns, dtype=bool)
    kk = min(k, int(usable.sum()))
    lam = 0.8 * weights
    best = math.inf
    theta, stall = 1.5, 0
    tol = _REL_EPS * max(1.0, float(weights.sum()))
    it = 0
    while it < max_iter:
        it += 1
        c = ct @ lam
        c[~usable] = -math.inf
        top = np.argpartition(c, m - kk)[m - kk:]
        value = float(np.maximum(weights - lam, 0.0).sum() + c[top].sum())
        if value < best - tol:
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 8:
                theta, stall = theta / 2, 0
        if heuristic is not None and it % every == 0:
            lower = max(lower, heuristic(lam))
        if best <= lower + tol or theta < 1e-3 or time.perf_counter() >= deadline:
            break
        hits = np.bincount(np.concatenate([csc.indices[csc.indptr[j]:csc.indptr[j + 1]] for j in top]), minlength=g)
        sub = hits - (lam < weights)
        norm = float(sub @ sub)
        if norm == 0:  # λ is optimal
            break
        lam = np.clip(lam - theta * max(value - lower, tol) / norm * sub, 0.0, weights)
    return best * (1 + 1e-12), it


