"""Maximal covering (MCLP): choose k candidate sites that cover the most demand weight, near-exact
at scale, with a proven bound on how far the answer can be from the best possible.

Pure functions over numpy arrays and a scipy sparse 0/1 coverage matrix (demand × candidate: 1 where
the candidate reaches the demand point). No geometry, no Streamlit, no files.

    maximise   Σ_i w_i y_i
    subject to y_i ≤ Σ_{j ∈ N_i} x_j    (N_i: candidates that reach demand point i)
               Σ_j x_j ≤ k,   x_j ∈ {0, 1},   0 ≤ y_i ≤ 1

`solve` runs, all within one time budget for the whole call:

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

DEFAULT_TIME_LIMIT_S = 1.0
MIN_MIP_S = 0.05  # below this much time left, HiGHS is not started
MIP_MARGIN_S = 0.02  # HiGHS's time limit is the time left less this (its model is built outside its clock)
MIP_MAX_NONZEROS = 200_000  # larger reduced instances skip HiGHS: its root LP alone outlasts any page's budget
LAGRANGIAN_SHARE = 0.3  # share of the time left for the Lagrangian bound when HiGHS runs after it
DOMINANCE_WORK_SHARE = 0.15  # the dominance test may take about this share of the budget
DOMINANCE_PAIRS_PER_S = 4e7  # rough speed of the dominance test (pair-row checks per second)
DOMINANCE_MAX_BITMAP_BYTES = 64 * 2**20
_REL_EPS = 1e-12


@dataclass(frozen=True)
class Reduction:
    """The reduced instance: merged demand groups × distinct useful candidates."""

    matrix: sparse.csr_matrix  # groups × kept candidates, 0/1, sorted indices
    weights: np.ndarray  # weight of each group (sum over the demand points merged into it)
    columns: np.ndarray  # original candidate index of each kept column (ascending)
    undominated: np.ndarray  # bool per kept column: False where another column reaches a strict superset
    stats: dict[str, Any]
    dominator: np.ndarray | None = None  # per kept column: a kept column reaching a strict superset, or -1
    by_column: sparse.csc_matrix | None = None  # the same matrix in CSC form

    def undominated_replacement(self, positions: Sequence[int]) -> list[int]:
        """The same sets with each dominated column replaced by an undominated one containing it
        (never covers less); duplicates dropped, order kept."""
        out: list[int] = []
        for p in positions:
            p = int(p)
            while self.dominator is not None and self.dominator[p] >= 0:
                p = int(self.dominator[p])
            if p not in out:
                out.append(p)
        return out

    @property
    def csc(self) -> sparse.csc_matrix:
        return self.by_column if self.by_column is not None else self.matrix.tocsc()


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


# ============================================================== reduction


def _as_csc(matrix: Any) -> sparse.csc_matrix:
    m = sparse.csc_matrix(matrix)
    if m.nnz and (m.data != 1).any():
        m = m.copy()
        m.data = (m.data != 0).astype(float)
        m.eliminate_zeros()
    m.sum_duplicates()
    m.sort_indices()
    return m


def _group_identical(mat: sparse.csr_matrix) -> np.ndarray:
    """Group number per row of a 0/1 CSR matrix (sorted indices, no empty rows): equal rows, equal
    group; groups numbered by their first row. Exact: hashing proposes, a full comparison confirms."""
    n = mat.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(20201)
    keys = rng.integers(1, np.iinfo(np.int64).max, size=(2, mat.shape[1]), dtype=np.int64).view(np.uint64)
    starts = mat.indptr[:-1]
    deg = np.diff(mat.indptr)
    h1 = np.add.reduceat(keys[0][mat.indices], starts)  # wraps modulo 2**64: an order-free set hash
    h2 = np.add.reduceat(keys[1][mat.indices], starts)
    order = np.lexsort((np.arange(n), h2, h1, deg))
    d, a, b = deg[order], h1[order], h2[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (d[1:] != d[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    first = order[np.flatnonzero(new)][np.cumsum(new) - 1]  # first row (lowest index) of each run
    rep = np.empty(n, dtype=np.int64)
    rep[order] = first
    # confirm: every row's indices equal its representative's
    moved = np.flatnonzero(rep != np.arange(n))
    if len(moved):
        lengths = deg[moved]
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        p = np.repeat(mat.indptr[moved], lengths) + offsets
        q = np.repeat(mat.indptr[rep[moved]], lengths) + offsets
        if not np.array_equal(mat.indices[p], mat.indices[q]):  # a hash collision: group exactly
            seen: dict[bytes, int] = {}
            for i in range(n):
                rep[i] = seen.setdefault(mat.indices[mat.indptr[i]:mat.indptr[i + 1]].tobytes(), i)
    _, group = np.unique(rep, return_inverse=True)  # representatives ascending = first-row order
    return group.astype(np.int64)


def _bitmap(csr: sparse.csr_matrix) -> np.ndarray:
    """The 0/1 matrix as packed bits, row-major: bit (row * n_cols + col)."""
    g, m = csr.shape
    keys = np.repeat(np.arange(g, dtype=np.int64), np.diff(csr.indptr)) * m + csr.indices  # ascending
    out = np.zeros((g * m + 7) // 8, dtype=np.uint8)
    if len(keys):
        byte = keys >> 3
        starts = np.flatnonzero(np.concatenate([[True], byte[1:] != byte[:-1]]))
        out[byte[starts]] = np.add.reduceat((1 << (keys & 7)).astype(np.uint8), starts)  # distinct bits: sum = or
    return out


def _dominated(csc: sparse.csc_matrix, csr: sparse.csr_matrix, budget_s: float) -> tuple[np.ndarray, str]:
    """For each column, a column reaching a strict superset of its rows (-1 if none); distinct columns assumed.

    Only columns through a column's rarest row can contain it. Each such pair is first screened on a
    few of the column's rows, then the survivors are checked on every row (membership of (row, column)
    in a packed bitmap of the matrix). Skipped when the estimated work exceeds `budget_s` or the
    bitmap would exceed `DOMINANCE_MAX_BITMAP_BYTES`.
    """
    g, m = csc.shape
    out = np.full(m, -1, dtype=np.int64)
    if m < 2 or csc.nnz == 0:
        return out, "done"
    row_deg = np.diff(csr.indptr)
    col_deg = np.diff(csc.indptr)
    # the rarest row of each column (of least degree; the lowest such row)
    key = row_deg[csc.indices].astype(np.int64) * g + csc.indices
    rarest = np.minimum.reduceat(key, csc.indptr[:-1]) % g
    n_pairs = int(row_deg[rarest].sum())
    if n_pairs > budget_s * DOMINANCE_PAIRS_PER_S or g * m > 8 * DOMINANCE_MAX_BITMAP_BYTES:
        return out, "skipped (too large for the time budget)"
    bits = _bitmap(csr)

    def reaches(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        q = rows * m + cols
        return (bits[q >> 3] >> (q & 7).astype(np.uint8)) & 1 == 1

    counts = row_deg[rarest]
    pair_j = np.repeat(np.arange(m), counts)
    offsets = np.arange(n_pairs) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_c = csr.indices[np.repeat(csr.indptr[rarest], counts) + offsets]
    keep = (pair_c != pair_j) & (col_deg[pair_c] > col_deg[pair_j])  # a strict superset has more rows
    pair_j, pair_c = pair_j[keep], pair_c[keep]
    for step in range(8):  # screen on a few spread-out rows of each column
        if not len(pair_j):
            return out, "done"
        at = (np.int64(step) * 2654435761 + pair_j * 40503) % col_deg[pair_j]
        ok = reaches(csc.indices[csc.indptr[pair_j] + at], pair_c)
        pair_j, pair_c = pair_j[ok], pair_c[ok]
    if not len(pair_j):
        return out, "done"
    if float(col_deg[pair_j].sum()) > budget_s * DOMINANCE_PAIRS_PER_S:
        return out, "skipped (too large for the time budget)"
    lengths = col_deg[pair_j]
    pair_of = np.repeat(np.arange(len(pair_j)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    hit = reaches(csc.indices[np.repeat(csc.indptr[pair_j], lengths) + offsets], np.repeat(pair_c, lengths))
    full = np.bincount(pair_of, weights=hit, minlength=len(pair_j)) == lengths
    for j, c in zip(pair_j[full][::-1], pair_c[full][::-1], strict=True):  # the first dominator listed wins
        out[j] = c
    return out, "done"


def reduce_instance(matrix: Any, weights: Any, covered: Any = None, dominance_budget_s: float = math.inf) -> Reduction:
    """The reduced instance (see the module text). `covered` marks demand already within reach."""
    started = time.perf_counter()
    csc = _as_csc(matrix)
    n, m = csc.shape
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != n:
        raise ValueError(f"{n} demand rows in the coverage matrix but {len(w)} weights")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        bad = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
        raise ValueError(f"weights must be finite and ≥ 0, got {w[bad]!r} at demand row {bad}")
    if covered is not None:
        covered = np.asarray(covered, dtype=bool).ravel()
        if len(covered) != n:
            raise ValueError(f"{n} demand rows but {len(covered)} covered flags")
        w = np.where(covered, 0.0, w)
    csr = csc.tocsr()
    rows = (np.diff(csr.indptr) > 0) & (w > 0)
    sub = csr[rows]
    sub.sort_indices()
    sw = w[rows]
    group = _group_identical(sub)
    n_groups = int(group.max()) + 1 if len(group) else 0
    gw = np.bincount(group, weights=sw, minlength=n_groups)
    first_of_group = np.zeros(n_groups, dtype=np.int64)
    first_of_group[group[::-1]] = np.arange(len(group))[::-1]
    grouped = sub[first_of_group]  # one row per group (csr, sorted)
    # columns: drop empty, keep the first of identical ones
    gcsc = grouped.tocsc()
    gcsc.sort_indices()
    nonempty = np.flatnonzero(np.diff(gcsc.indptr) > 0)
    cols = nonempty
    if len(nonempty):
        cgroup = _group_identical(gcsc[:, nonempty].T)  # the transpose of a CSC matrix is CSR: no copy
        _, first = np.unique(cgroup, return_index=True)
        cols = nonempty[np.sort(first)]
    red_csc = gcsc[:, cols]  # selecting columns of a CSC matrix copies them in order (sorted rows)
    red = red_csc.tocsr()
    red.sort_indices()
    dominator = np.full(len(cols), -1, dtype=np.int64)
    dom_status = "not needed"
    if len(cols) > 1:
        dominator, dom_status = _dominated(red_csc, red, dominance_budget_s)
    undominated = dominator < 0
    stats = {
        "demand_in": int(n), "candidates_in": int(m), "demand_kept": int(rows.sum()), "groups": int(n_groups),
        "candidates_kept": int(len(cols)), "candidates_undominated": int(undominated.sum()),
        "nonzeros_in": int(csc.nnz), "nonzeros_kept": int(red.nnz), "dominance": dom_status,
        "reduce_s": time.perf_counter() - started,
    }
    return Reduction(red, gw, cols.astype(np.int64), undominated, stats, dominator, red_csc)


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
