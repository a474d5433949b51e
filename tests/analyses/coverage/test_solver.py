"""The site-selection solver (dashboard/analyses/coverage/solver.py): exact, reduced and greedy answers
against brute force on small instances, bounds that hold, and the time limit."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from dashboard.analyses.coverage import solver


def _matrix(sets: list[list[int]], n_rows: int) -> sparse.csc_matrix:
    dense = np.zeros((n_rows, len(sets)))
    for j, rows in enumerate(sets):
        dense[rows, j] = 1
    return sparse.csc_matrix(dense)


def _random(seed: int, n_rows: int = 40, n_cols: int = 10, integer: bool = True):
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_rows, n_cols)) < rng.uniform(0.08, 0.3)).astype(float)
    dense[rng.integers(0, n_rows, 3)] = dense[0]  # some identical rows to merge
    dense[:, 1] = dense[:, 0] * (rng.random(n_rows) < 0.7)  # a column contained in another
    dense[:, 2] = dense[:, 3]  # two identical columns
    weights = rng.integers(0, 1000, n_rows).astype(float)
    if not integer:
        weights = weights + rng.random(n_rows)
    return sparse.csc_matrix(dense), weights


def _brute_force(matrix, weights, k: int) -> float:
    m = matrix.shape[1]
    return max((solver.covered_weight(matrix, weights, c) for c in combinations(range(m), min(k, m))), default=0.0)


# the classic instance where greedy is myopic: rows a b c d e f;
# s0 = {a,b,c,d} (4), s1 = {a,b,e} (3.5), s2 = {c,d,f} (3.5); best pair s1 + s2 = 7, greedy 5.5
MYOPIC = (_matrix([[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]], 6), np.array([1, 1, 1, 1, 1.5, 1.5]))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_exact_reduced_and_greedy_against_brute_force(seed, k):
    matrix, weights = _random(seed, integer=seed % 2 == 0)
    best = _brute_force(matrix, weights, k)
    sol = solver.solve(matrix, weights, k, time_limit_s=30)
    assert sol.objective == pytest.approx(best)
    assert sol.optimal and sol.gap == 0 and sol.bound == pytest.approx(best)
    assert len(sol.chosen) <= k
    assert solver.covered_weight(matrix, weights, sol.chosen) == pytest.approx(sol.objective)
    # greedy: never better than the optimum, and what exact=False returns
    chosen, gains, bound = solver.greedy(matrix, weights, k)
    assert sum(gains) <= best + 1e-9 and bound >= best - 1e-9
    quick = solver.solve(matrix, weights, k, exact=False)
    assert quick.objective == pytest.approx(sum(gains)) and quick.greedy_objective == pytest.approx(sum(gains))
    assert quick.bound >= best - 1e-9
    assert sol.objective >= sol.greedy_objective - 1e-9
    # the reduced instance has the same optimum
    red = solver.reduce_instance(matrix, weights)
    assert _brute_force(red.matrix.tocsc(), red.weights, k) == pytest.approx(best)
    undominated = red.matrix.tocsc()[:, np.flatnonzero(red.undominated)]
    assert _brute_force(undominated, red.weights, k) == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_reduction_preserves_the_objective_of_every_set(seed):
    matrix, weights = _random(100 + seed, n_rows=60, n_cols=9)
    covered = np.random.default_rng(seed).random(60) < 0.2
    red = solver.reduce_instance(matrix, weights, covered)
    effective = np.where(covered, 0.0, weights)
    rcsc = red.matrix.tocsc()
    for size in (1, 2, 3):
        for subset in combinations(range(len(red.columns)), size):
            original = [int(red.columns[p]) for p in subset]
            assert solver.covered_weight(rcsc, red.weights, subset) == pytest.approx(
                solver.covered_weight(matrix, effective, original))
    # merged groups carry all the weight anyone can gain; nothing twice
    reachable = np.asarray(matrix.sum(axis=1)).ravel() > 0
    assert red.weights.sum() == pytest.approx(effective[reachable].sum())
    assert red.stats["groups"] == red.matrix.shape[0] <= red.stats["demand_kept"]


def test_reduction_merges_identical_rows_and_columns_and_finds_dominated_ones():
    # rows 0 and 2 have the same candidate set {0, 1, 3}, rows 1 and 4 the same {1, 3};
    # column 3 = column 1; column 0 ⊂ column 1
    matrix = _matrix([[0, 2], [0, 1, 2, 4], [3], [0, 1, 2, 4], []], 5)
    weights = np.array([10.0, 5, 20, 7, 3])
    red = solver.reduce_instance(matrix, weights)
    assert red.columns.tolist() == [0, 1, 2]  # column 3 (same as 1) and empty column 4 dropped
    assert red.matrix.shape[0] == 3 and sorted(red.weights.tolist()) == [7, 8, 30]
    assert red.undominated.tolist() == [False, True, True]  # column 0's people are a strict subset of 1's
    assert red.undominated_replacement([0, 2]) == [1, 2]
    assert red.stats["dominance"] == "done"


def test_dominance_against_a_dense_check():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 5000, (400, 2))
    cand = rng.choice(400, 80, replace=False)
    d = np.hypot(*(xy[:, None, :] - xy[None, cand, :]).transpose(2, 0, 1))
    matrix = sparse.csc_matrix((d <= 700).astype(float))
    red = solver.reduce_instance(matrix, rng.integers(1, 100, 400))
    c = red.matrix.toarray()
    inter = c.T @ c
    size = np.diag(inter)
    dominated = ((inter >= size[:, None]) & (size[None, :] > size[:, None])).any(axis=1)
    assert np.array_equal(~red.undominated, dominated)
    assert dominated.any()


def test_greedy_is_myopic_and_the_solver_is_not():
    matrix, weights = MYOPIC
    chosen, gains, bound = solver.greedy(matrix, weights, 2)
    assert chosen == [0, 1] and sum(gains) == pytest.approx(5.5) and bound == pytest.approx(7.0)
    sol = solver.solve(matrix, weights, 2)
    assert sorted(sol.chosen) == [1, 2] and sol.objective == pytest.approx(7.0)
    assert sol.method == "swap" and sol.optimal and sol.greedy_objective == pytest.approx(5.5)


def test_highs_finds_and_proves_the_optimum():
    matrix, weights = MYOPIC
    red = solver.reduce_instance(matrix, weights)
    found, bound, status, optimal = solver.mip(red, 2, [0, 1], 10.0, integer_weights=False)
    assert optimal and status == "Optimal"
    assert sorted(int(red.columns[p]) for p in found) == [1, 2]
    assert bound == pytest.approx(7.0, abs=1e-6)


def test_the_mip_runs_when_nothing_cheaper_proves_optimality(monkeypatch):
    matrix, weights = MYOPIC
    # no local search, no Lagrangian help: the proof has to come from HiGHS
    monkeypatch.setattr(solver, "swap_search",
                        lambda csc, csr, w, start, k, addable, deadline: (list(start), 5.5, math.inf, 0, True))
    monkeypatch.setattr(solver, "lagrangian_bound", lambda *a, **k: (math.inf, 0))
    sol = solver.solve(matrix, weights, 2, time_limit_s=30)
    assert sol.method == "mip" and sol.proof == "solver" and sol.optimal
    assert sorted(sol.chosen) == [1, 2] and sol.objective == pytest.approx(7.0)


@pytest.mark.parametrize("seed", range(5))
def test_lagrangian_bound_is_an_upper_bound(seed):
    matrix, weights = _random(200 + seed, n_rows=50, n_cols=12)
    for k in (1, 3):
        best = _brute_force(matrix, weights, k)
        bound, iterations = solver.lagrangian_bound(matrix.tocsc(), weights, k, 0.0, math.inf, max_iter=50)
        assert bound >= best - 1e-6 and iterations >= 1


def test_a_tiny_time_limit_returns_greedy_with_a_valid_bound():
    matrix, weights = MYOPIC
    sol = solver.solve(matrix, weights, 2, time_limit_s=0.0)
    assert not sol.optimal and sol.proof == ""
    assert sol.objective == pytest.approx(5.5)  # greedy: no time for anything else
    assert sol.bound >= 7.0 - 1e-9  # the optimum is 7
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / sol.bound)
    assert "time" in sol.status or "skipped" in sol.status


def test_a_small_budget_on_a_larger_instance_still_returns_a_valid_answer():
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 20_000, (3000, 2))
    cand = rng.choice(3000, 300, replace=False)
    from scipy.spatial import cKDTree

    lists = cKDTree(xy).query_ball_point(xy[cand], 2500.0)
    rows = np.concatenate(lists)
    cols = np.repeat(np.arange(300), [len(x) for x in lists])
    matrix = sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(3000, 300))
    weights = np.round(rng.lognormal(6, 0.6, 3000))
    sol = solver.solve(matrix, weights, 10, time_limit_s=0.01)
    chosen, gains, greedy_bound = solver.greedy(matrix, weights, 10)
    assert sol.objective >= sum(gains) - 1e-9
    assert sol.bound >= sol.objective and 0 <= sol.gap < 1
    assert sol.bound <= greedy_bound + 1e-6
    assert sol.objective == pytest.approx(solver.covered_weight(matrix, weights, sol.chosen))
    if not sol.optimal:
        assert sol.gap > 0 and sol.proof == ""


@pytest.mark.parametrize("seed", range(4))
def test_gap_and_bound_are_consistent(seed):
    matrix, weights = _random(300 + seed, n_rows=80, n_cols=25)
    for k in (2, 5):
        for limit in (0.0, 5.0):
            sol = solver.solve(matrix, weights, k, time_limit_s=limit)
            assert sol.gap >= 0 and sol.bound >= sol.objective - 1e-9
            assert sol.optimal == (sol.gap == 0)
            assert sol.objective >= sol.greedy_objective - 1e-9


def test_covered_demand_is_not_counted_again():
    matrix, weights = MYOPIC
    covered = np.array([True, True, False, False, False, False])  # a and b already within reach
    sol = solver.solve(matrix, weights, 1, covered=covered)
    # s0 now adds c, d (2); s1 adds e (1.5); s2 adds c, d, f (3.5)
    assert sol.chosen == (2,) and sol.objective == pytest.approx(3.5) and sol.optimal


def test_trivial_cases():
    matrix, weights = MYOPIC
    assert solver.solve(matrix, weights, 0).proof == "trivial"
    assert solver.solve(matrix, np.zeros(6), 2).chosen == ()
    empty = solver.solve(sparse.csc_matrix((0, 0)), [], 3)
    assert empty.chosen == () and empty.objective == 0 and empty.optimal
    everything = solver.solve(matrix, weights, 3)  # more sites than useful: every row is reached
    assert everything.optimal and everything.objective == pytest.approx(weights.sum())


def test_bad_input_is_named():
    matrix, weights = MYOPIC
    with pytest.raises(ValueError, match="k must be"):
        solver.solve(matrix, weights, -1)
    with pytest.raises(ValueError, match="5 weights"):
        solver.solve(matrix, weights[:5], 2)
    bad = weights.copy()
    bad[3] = -1
    with pytest.raises(ValueError, match="demand row 3"):
        solver.solve(matrix, bad, 2)
