"""The demonstration layer's geometry: seeded points inside polygons and Voronoi cells (metres). No Streamlit."""

from __future__ import annotations

import numpy as np


def _sample_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    out, have = [], 0
    while have < n:
        k = max(64, 8 * n)
        xs, ys = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(poly, xs, ys)
        out.append(np.column_stack([xs[ok], ys[ok]]))
        have += int(ok.sum())
    return np.vstack(out)[:n]


def _jitter_in(poly, x0: float, y0: float, sigma: float, rng: np.random.Generator) -> tuple[float, float]:
    import shapely

    for _ in range(200):
        x, y = x0 + rng.normal(0, sigma), y0 + rng.normal(0, sigma)
        if shapely.contains_xy(poly, x, y):
            return float(x), float(y)
    return x0, y0


def _parts(geom) -> list:
    from shapely.geometry import Polygon

    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]


def voronoi_cells(region, seeds: dict[str, tuple[float, float]]) -> dict[str, object]:
    """Split region among seed points (metres) by Voronoi cells; detached fragments join their neighbour."""
    import shapely
    from shapely.geometry import Point

    codes = sorted(seeds)
    pts = [Point(seeds[c]) for c in codes]
    if len(pts) == 1:
        return {codes[0]: region}
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=region.envelope.buffer(100_000)).geoms
    out = {}
    for code, p in zip(codes, pts, strict=True):
        cell = next(c for c in cells if c.contains(p))
        out[code] = cell.intersection(region)
    main, moved = {}, {c: [] for c in codes}
    for code in codes:
        parts = sorted(_parts(out[code]), key=lambda g: -g.area)
        main[code] = parts[0]
        for frag in parts[1:]:
            best = max(codes, key=lambda o: (o != code) * frag.buffer(1.0).intersection(out[o]).area)
            moved[best].append(frag)
    return {c: shapely.union_all([main[c], *moved[c]]) for c in codes}
