"""Clinic coverage at city and national-ish scale, and the site suggestion (issue 3).

Rows (each the median of several runs, data generated once with a fixed seed, outside the timing):

- `coverage_city`: population-weighted coverage of the shipped central city (1,790 compounds ×
  58 clinics, falling back to a seeded synthetic city of the same size when the data layer is
  absent): KD-tree, nearest-facility query, covered mask, residents by sub-district, district, new
  area and city. Nothing cached between runs. Target < 50 ms.
- `coverage_slider`: what moving the distance slider costs in the model: `scenario_result` for a
  distance not seen before (coverage, tables, the plan and a fresh MCLP solve for k = 5; the
  KD-tree and nearest distances are already cached). Own target < 0.5 s.
- `coverage_1m_x_40k`: 1,000,000 demand points × 40,000 facilities (seeded, clustered over
  200 km × 200 km), covered residents by 2,000 groups, KD-tree queries on both cores. Target < 3 s.
- `suggest_sites_k10`: k = 10 new centres over 300 candidate compounds × 1,790 compounds (seeded
  synthetic city with 58 existing facilities), `suggest_sites` with the default 1 s limit. Target
  < 2 s. `suggest_sites_k10_cbc`: the same instance through the solver as it was before issue 20
  (bench/mclp_cbc_baseline.py: PuLP model, CBC subprocess), run in a child process.
- `sites_dense_*` (issue 20): dense instances, 20,000 demand × 2,000 candidates (target < 2 s) and
  100,000 × 5,000 (target < 10 s), k = 10, radius 2.5 km (`dense_instance`). After: `solver.solve`
  under a time limit just below the target, median of 2-3 runs, with its objective, proven gap and
  the shortfall to the best objective known (`REFERENCE`, from bench/mclp_reference.py); met when
  in time and the median run within 0.1 % of the best known. The limit is wall-clock time: on a
  shared machine the CPU seconds the solver gets in it (reported per run) decide how far it gets. Before: the old PuLP/CBC path, and spopt's MCLP on
  the same instance (dense cost matrix, so 20k × 2k only), each in a child process killed after
  60 s and reported as timed out. spopt and PuLP come with the `bench` extra.

Runnable alone: `.venv/bin/python bench/bench_coverage.py`.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import mclp_cbc_baseline  # noqa: E402
from dashboard.analyses.coverage import cover, solver  # noqa: E402
from dashboard.analyses.coverage import model as cv  # noqa: E402

RADIUS_M = cover.reach_radius_m(1000, 1.3)  # the default: a 15-minute walk at detour 1.3


def _median_time(fn, runs: int) -> tuple[float, list[float], object]:
    out = fn()  # warm-up (imports, allocator, solver binary in the page cache)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def _row(name: str, median_s: float, runs: int, target_s: float, notes: str) -> dict:
    return {"name": name, "median_s": median_s, "runs": runs, "target_s": target_s, "met": median_s < target_s,
            "notes": notes}


def synthetic_city(n_demand: int = 1790, n_facilities: int = 58, extent_m: float = 20_000.0, clusters: int = 40,
                   seed: int = 2020) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clustered compounds with lognormal residents, and facilities placed at some of them (metres)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent_m, (clusters, 2))
    which = rng.integers(0, clusters, n_demand)
    xy = centres[which] + rng.normal(0, extent_m / 25, (n_demand, 2))
    residents = np.round(rng.lognormal(6.0, 0.6, n_demand))
    groups = which % 27  # about as many sub-districts as the central city
    facilities = xy[rng.choice(n_demand, n_facilities, replace=False)] + rng.normal(0, 300, (n_facilities, 2))
    return xy, residents, groups, facilities


def dense_instance(n_demand: int, n_candidates: int, extent_m: float, radius_m: float, clusters: int = 40,
                   seed: int = 2020):
    """A dense site-selection instance (issue 20): clustered demand with lognormal weights, candidates
    at a seeded sample of the demand points, a large radius (many candidates per point). Returns the
    demand × candidate coverage matrix (scipy CSC) and the weights; nothing is covered yet."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent_m, (clusters, 2))
    which = rng.integers(0, clusters, n_demand)
    xy = centres[which] + rng.normal(0, extent_m * 3 / 25, (n_demand, 2))
    weights = np.round(rng.lognormal(6.0, 0.6, n_demand))
    candidates = rng.choice(n_demand, n_candidates, replace=False)
    matrix = cover.coverage_matrix(xy, xy[candidates], radius_m)
    return matrix, weights


# (name, demand, candidates, extent m, radius m): mean candidates per demand point 77 and 49
DENSE = {"20k_x_2k": (20_000, 2_000, 20_000.0, 2_500.0), "100k_x_5k": (100_000, 5_000, 40_000.0, 2_500.0)}


def _city_inputs():
    """The shipped central city as arrays, or None when the demonstration layer is not there."""
    try:
        inputs = cv.load_inputs()
    except Exception:  # noqa: BLE001 - no data layer yet: the synthetic city stands in
        return None
    if len(inputs.demand) == 0:
        return None
    return inputs


def bench_city(runs: int = 25) -> list[dict]:
    inputs = _city_inputs()
    if inputs is not None:
        xy, res, fac = inputs.demand_xy, inputs.residents, inputs.facility_xy
        group_sets = [(inputs.sub_group, len(inputs.subdistricts)), (inputs.district_group, len(inputs.districts)),
                      (inputs.area_group, len(inputs.new_areas))]
        what = f"shipped data: {len(xy):,} compounds × {len(fac)} clinics"
    else:
        xy, res, groups, fac = synthetic_city()
        group_sets = [(groups, 27), (groups % 3, 3), (groups % 5, 5)]
        what = f"synthetic city: {len(xy):,} compounds × {len(fac)} clinics (data layer absent)"

    def once():
        covered, got, total = cover.population_coverage(xy, res, fac, RADIUS_M)
        for groups, n in group_sets:
            ok = groups >= 0
            np.bincount(groups[ok], weights=res[ok] * covered[ok], minlength=n)
            np.bincount(groups[ok], weights=res[ok], minlength=n)
        return float(got[0] / total[0])

    median, _, share = _median_time(once, runs)
    rows = [_row("coverage_city: coverage at city scale", median, runs, 0.050,
                 f"{what}; by sub-district, district, new area and city; covered share {share:.1%}")]
    if inputs is not None:
        from dashboard.core.scenario import Scenario

        distances = iter(range(1005, 3000, 10))  # each run a distance not seen before (no cache hit)

        def slider():
            scenario, _ = Scenario.from_values({"clinic_service_distance_m": next(distances)})
            return cv.scenario_result(scenario)

        runs_s = 7
        median_s, _, result = _median_time(slider, runs_s)
        rows.append(_row("coverage_slider: new distance, full model (k = 5)", median_s, runs_s, 0.5,
                         f"coverage, tables, plan and a fresh MCLP solve; last solve: {result.suggestion.status}"))
    return rows


def bench_large(runs: int = 5) -> list[dict]:
    rng = np.random.default_rng(1_000_000)
    n, m, extent = 1_000_000, 40_000, 200_000.0
    centres = rng.uniform(0, extent, (2_000, 2))
    which = rng.integers(0, len(centres), n)
    xy = centres[which] + rng.normal(0, 1_500, (n, 2))
    residents = np.round(rng.lognormal(6.0, 0.6, n))
    fac = xy[rng.choice(n, m, replace=False)] + rng.normal(0, 300, (m, 2))

    def once():
        covered, got, total = cover.population_coverage(xy, residents, fac, RADIUS_M, which, len(centres), workers=-1)
        return float(got.sum() / total.sum())

    median, _, share = _median_time(once, runs)
    return [_row("coverage_1m_x_40k: 1,000,000 compounds × 40,000 facilities", median, runs, 3.0,
                 f"seeded clustered points over 200 km × 200 km, 2,000 groups, 2 worker threads; "
                 f"covered share {share:.1%}")]


def bench_sites(runs: int = 5) -> list[dict]:
    xy, res, _, fac = synthetic_city()
    covered = cover.is_covered(cover.nearest_facility_m(xy, fac), RADIUS_M)
    candidates = np.random.default_rng(300).choice(len(xy), 300, replace=False)

    def once():
        return cover.suggest_sites(xy, res, covered, candidates, RADIUS_M, 10)

    median, _, s = _median_time(once, runs)
    rows = [_row("suggest_sites_k10: k = 10, 300 candidates × 1,790 compounds", median, runs, 2.0,
                 f"{s.method}, {s.status}; adds {s.added:,.0f} residents (greedy {s.greedy_added:,.0f})")]

    matrix = cover.coverage_matrix(xy, xy[candidates], RADIUS_M)
    weights = np.where(covered, 0.0, res)
    old, old_s, timed_out = _capped(lambda: mclp_cbc_baseline.max_cover(matrix, weights, 10), OLD_CAP_S)
    rows.append(_side("suggest_sites_k10_cbc: the same, before (PuLP + CBC, 1 s limit)", old_s,
                      "timed out" if timed_out else f"{old['method']}, {old['status']}; {old['objective']:,.0f} residents"))
    return rows


# ---------------------------------------------------------------- dense instances (issue 20, item 5)

OLD_CAP_S = 60.0  # the old PuLP/CBC path and spopt run in a child process killed after this long
K_DENSE = 10
# (target s, time limit given to the solver s, runs)
DENSE_TARGETS = {"20k_x_2k": (2.0, 1.9, 3), "100k_x_5k": (10.0, 9.5, 2)}
# Best objective and best proven bound known for k = 10, from `bench/mclp_reference.py` (long
# searches and Lagrangian runs; see bench/RESULTS.md). Not proven optima unless the two meet.
# 2026-12-04, `nice .venv/bin/python bench/mclp_reference.py NAME --seconds 240|300 --ils-seconds 60`:
# 20k × 2k: 4,950,443 (also the best of a 120 s iterated search and a 30 s Lagrangian heuristic run
# by hand), bound 5,003,723; 100k × 5k: 7,610,228, bound 7,663,931.
REFERENCE: dict[str, tuple[float, float]] = {"20k_x_2k": (4_950_443.0, 5_003_723.0),
                                             "100k_x_5k": (7_610_228.0, 7_663_931.0)}


def _skipped(name: str, notes: str) -> dict:
    return {"name": name, "median_s": None, "runs": 0, "target_s": None, "met": None, "notes": notes}


def _side(name: str, seconds: float, notes: str) -> dict:
    """A before/comparison figure shown beside a target row (one run, no target of its own)."""
    return {"name": name, "median_s": seconds, "runs": 1, "target_s": None, "met": None, "notes": notes}


def _capped(fn, cap_s: float):
    """Run fn() in a forked child in its own process group; kill the group (the child and any solver
    process it started) after cap_s. Returns (result or None, wall seconds, timed out)."""
    import multiprocessing as mp
    import signal

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child():
        os.setsid()
        try:
            send.send(("ok", fn()))
        except Exception as exc:  # noqa: BLE001 - reported in the row
            send.send(("error", f"{type(exc).__name__}: {exc}"[:200]))

    proc = ctx.Process(target=child)
    t0 = time.perf_counter()
    proc.start()
    ready = receive.poll(cap_s)
    elapsed = time.perf_counter() - t0
    result = None
    if ready:
        kind, value = receive.recv()
        result = value if kind == "ok" else {"method": "failed", "status": value, "objective": float("nan"),
                                             "optimal": False}
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.join(5)
    return result, elapsed, not ready


def _spopt(matrix, weights, radius_m: float):
    """spopt's MCLP (PuLP + CBC) on the same instance; its objective recomputed from its sites."""
    import pulp
    from spopt.locate import MCLP

    cost = np.where(matrix.toarray() > 0, 0.0, 2 * radius_m)  # dense demand × candidate cost matrix
    model = MCLP.from_cost_matrix(cost, weights, radius_m, p_facilities=K_DENSE, name="mclp")
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=1))
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    return {"chosen": chosen, "objective": solver.covered_weight(matrix, weights, chosen), "method": "spopt",
            "optimal": model.problem.status == 1, "status": pulp.LpStatus[model.problem.status]}


def _versus(name: str, objective: float) -> str:
    best, bound = REFERENCE.get(name, (math.nan, math.nan))
    if not math.isfinite(best):
        return "no reference"
    return f"{(best - objective) / best:.3%} below the best known {best:,.0f} (proven bound {bound:,.0f})"


def bench_dense() -> list[dict]:
    rows = []
    for name, spec in DENSE.items():
        target, limit, runs = DENSE_TARGETS[name]
        t0 = time.perf_counter()
        matrix, weights = dense_instance(*spec)
        build_s = time.perf_counter() - t0
        what = (f"{spec[0]:,} demand × {spec[1]:,} candidates, radius {spec[3]:,.0f} m, k = {K_DENSE}, "
                f"{matrix.nnz / spec[0]:.0f} candidates per demand point (geometry {build_s:.2f} s)")
        times, cpu, shorts, sol = [], [], [], None
        load_before = os.getloadavg()[0]
        for _ in range(runs):
            c0, w0 = time.process_time(), time.perf_counter()
            sol = solver.solve(matrix, weights, K_DENSE, time_limit_s=limit)
            times.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
            if name in REFERENCE:
                shorts.append((REFERENCE[name][0] - sol.objective) / REFERENCE[name][0])
        median = statistics.median(times)
        short = statistics.median(shorts) if shorts else math.nan
        rows.append({**_row(f"sites_dense_{name}: after (solver.solve, limit {limit:g} s)", median, runs, target,
                            f"{what}; {sol.method}, objective {sol.objective:,.0f} (greedy {sol.greedy_objective:,.0f}, "
                            f"{sol.objective / sol.greedy_objective - 1:+.2%}), proven gap {sol.gap:.2%}, "
                            f"CPU per run {', '.join(f'{c:.2f}' for c in cpu)} s; last run {_versus(name, sol.objective)}; "
                            f"each run below the best known by {', '.join(f'{x:.3%}' for x in shorts)}; "
                            f"reduction {sol.stats.get('groups'):,} groups × {sol.stats.get('candidates_undominated'):,} "
                            f"candidates, {sol.stats.get('ils_rounds', 0)} ILS rounds, "
                            f"{sol.stats.get('lagrangian_iterations', 0)} Lagrangian steps; load average "
                            f"{load_before:.1f} before the runs (2 cores, shared)"),
                     "met": median < target and short <= 0.001})
        old, old_s, timed_out = _capped(lambda m=matrix, w=weights: mclp_cbc_baseline.max_cover(m, w, K_DENSE),
                                        OLD_CAP_S)
        rows.append(_side(f"sites_dense_{name}: before (PuLP + CBC, '1 s' limit)", old_s,
                          f"timed out: killed after {OLD_CAP_S:.0f} s" if timed_out else
                          f"{old['method']}, {old['status']}, objective {old['objective']:,.0f}; "
                          f"{_versus(name, old['objective'])}"))
        if spec[0] * spec[1] <= 50_000_000:  # spopt takes a dense cost matrix
            try:
                import spopt  # noqa: F401
            except ImportError:
                rows.append(_skipped(f"sites_dense_{name}: spopt", "spopt not installed (the bench extra)"))
                continue
            res, sp_s, sp_out = _capped(lambda m=matrix, w=weights, r=spec[3]: _spopt(m, w, r), OLD_CAP_S)
            rows.append(_side(f"sites_dense_{name}: spopt MCLP (PuLP + CBC)", sp_s,
                              f"timed out: killed after {OLD_CAP_S:.0f} s" if sp_out else
                              f"{res['status']}, objective {res['objective']:,.0f}; {_versus(name, res['objective'])}"))
        else:
            rows.append(_skipped(f"sites_dense_{name}: spopt MCLP", "not run: spopt needs a dense cost matrix "
                                 f"({spec[0] * spec[1] * 8 / 2**30:.1f} GB of float64 here)"))
    return rows


def run() -> list[dict]:
    return bench_city() + bench_large() + bench_sites() + bench_dense()


if __name__ == "__main__":
    for row in run():
        took = "—" if row["median_s"] is None else f"{row['median_s'] * 1000:.1f}"
        target = "—" if row["target_s"] is None else f"< {row['target_s'] * 1000:,.0f} ms"
        verdict = {True: "met", False: "NOT MET", None: ""}[row["met"]]
        print(f"{row['name'][:62]:<62} {took:>9} ms  {target}  {verdict}  ({row['runs']} runs) {row['notes']}")
