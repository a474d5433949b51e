"""MCLP instance reduction (exact: the reduced instance has the same objective for every set of sites).

See `solver` for the whole method; pure numpy/scipy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

DOMINANCE_WORK_SHARE = 0.15  # the dominance test may take about this share of the budget
DOMINANCE_PAIRS_PER_S = 4e7  # rough speed of the dominance test (pair-row checks per second)
DOMINANCE_MAX_BITMAP_BYTES = 64 * 2**20


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


