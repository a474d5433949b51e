"""Walking distance over a real street network (issue 17, item 3). Pure: numpy/scipy/pyproj, no Streamlit.

A network is read from an OpenStreetMap extract (`.osm.pbf`, with `pyrosm`, BSD/MIT) or from road lines
in GeoJSON, and becomes an undirected graph in metres:

- **Projection.** Coordinates are projected to the UTM zone of the network's median longitude/latitude
  (WGS84 / UTM, EPSG:326zz north, 327zz south); for Jingzhou that is zone 49N, EPSG:32649, the same
  projection as the rest of the coverage model.
- **Nodes and edges.** Every vertex of every line is a node; vertices within 1 cm of each other (after
  projection) are the same node. Every pair of consecutive vertices is an edge weighted by its length in
  metres. Lines that cross without sharing a vertex do not connect: in OpenStreetMap a bridge or a tunnel
  crosses the road or the water below it without a shared node, so **water is a barrier automatically
  except where the network has a crossing** (a bridge, a ferry way if included, a ford). Walking is
  two-way: one-way streets are one-way for vehicles only. Parallel edges keep the shorter length.
- **Snapping.** Demand points and facilities join the network at their nearest node (KD-tree); the
  straight-line snap distance is walked too, and reported (largest, median).
- **Shortest paths.** `nearest_walk_m`: multi-source Dijkstra (`scipy.sparse.csgraph.dijkstra`) from every
  facility at once through a virtual source joined to each facility's node by its snap distance, with a
  limit (the service distance); `facility_walk_m`: one bounded Dijkstra per facility node (in chunks), the
  facility × demand walking distances that capacity allocation and 2SFCA need. A demand point whose node
  lies in a component without any facility, or farther than the limit, gets `inf`: not covered.

Default elsewhere stays the straight-line × detour-factor method; this module is used only when a network
is loaded. No AGPL code (pandana, cityseer, UrbanAccess are not used).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

MAX_BYTES = 20 * 1024 * 1024  # uploads above 20 MB are refused (a city's walking network is a few MB of PBF)
NODE_MERGE_M = 0.01  # vertices closer than 1 cm after projection are one node
ZERO_EDGE_M = 1e-9  # scipy's csgraph drops explicit zeros: a zero-length hop weighs this much instead
TOLERANCE_M = 1e-6  # a point at the limit up to floating-point noise is within it
FACILITY_CHUNK = 64  # facility nodes per bounded Dijkstra call (memory: chunk × nodes floats)
FORMATS = ("osm.pbf", "geojson")


class NetworkError(ValueError):
    """A network file that cannot be used, with a message a user can act on (no traceback).

    `key` and `params` let a page show the message in its language (catalog `coverage.network_error.<key>`).
    """

    def __init__(self, message: str, key: str = "other", **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


@dataclass(frozen=True, eq=False)
class Network:
    """An undirected walking graph in metres (UTM), its nodes, components and provenance.

    Equality and hashing go by `token` (a digest of the edges, CRS, format and file name), so a network can
    key a cache.
    """

    node_xy: np.ndarray  # (n, 2) metres in `epsg`
    graph: sparse.csr_matrix  # symmetric n × n, edge lengths in metres
    epsg: int  # the metric CRS of node_xy (0 = given in metres, no geographic reference)
    n_edges: int  # undirected edges after merging parallels
    length_m: float  # total length of the undirected edges
    n_components: int
    component: np.ndarray  # component number per node
    source: str = ""  # file name or description
    fmt: str = ""  # "osm.pbf" | "geojson" | "edges"
    token: str = ""
    _tree: list = field(default_factory=list, repr=False)

    def __hash__(self) -> int:
        return hash(self.token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and other.token == self.token

    @property
    def n_nodes(self) -> int:
        return int(len(self.node_xy))

    @property
    def tree(self) -> cKDTree:
        if not self._tree:
            self._tree.append(cKDTree(self.node_xy))
        return self._tree[0]

    def project(self, lon: Any, lat: Any) -> np.ndarray:
        """(n, 2) metres in this network's CRS for WGS84 lon/lat."""
        if not self.epsg:
            raise NetworkError("this network has no geographic reference; give points in its metres")
        return _project(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), self.epsg)

    def snap(self, xy: Any) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point and the straight-line distance to it (m)."""
        xy = _xy(xy)
        if len(xy) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        dist, node = self.tree.query(xy, k=1)
        return np.asarray(node, dtype=np.int64), np.asarray(dist, dtype=float)

    def summary(self) -> dict[str, Any]:
        sizes = np.bincount(self.component) if self.n_nodes else np.zeros(0, dtype=np.int64)
        return {"source": self.source, "format": self.fmt, "epsg": self.epsg, "nodes": self.n_nodes,
                "edges": self.n_edges, "length_km": round(self.length_m / 1000.0, 3),
                "components": self.n_components,
                "largest_component_share_pct": round(100.0 * float(sizes.max()) / self.n_nodes, 2) if self.n_nodes else None}


# ============================================================== building the graph


def _xy(points: Any) -> np.ndarray:
    arr = np.asarray(points, dtype=float)
    return arr.reshape(-1, 2) if arr.size else np.empty((0, 2))


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 / UTM zone containing lon/lat (326zz north, 327zz south)."""
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def _project(lon: np.ndarray, lat: np.ndarray, epsg: int) -> np.ndarray:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def from_edges(node_xy: Any, u: Any, v: Any, length_m: Any = None, epsg: int = 0, source: str = "edges",
               fmt: str = "edges") -> Network:
    """A network from node coordinates (metres) and edge end nodes; lengths default to straight segments.

    Undirected; self-loops dropped; of parallel edges the shortest is kept.
    """
    node_xy = _xy(node_xy)
    n = len(node_xy)
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    if len(u) != len(v):
        raise NetworkError(f"{len(u)} edge starts but {len(v)} edge ends")
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise NetworkError(f"edge end outside 0..{n - 1}")
    if length_m is None:
        w = np.hypot(*(node_xy[u] - node_xy[v]).T) if len(u) else np.empty(0)
    else:
        w = np.asarray(length_m, dtype=float).ravel()
        if len(w) != len(u) or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise NetworkError("edge lengths must be finite numbers ≥ 0, one per edge")
    keep = u != v
    a, b, w = np.minimum(u, v)[keep], np.maximum(u, v)[keep], w[keep]
    order = np.lexsort((w, b, a))  # by pair, shortest first
    a, b, w = a[order], b[order], w[order]
    if len(a):
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w = a[first], b[first], w[first]
    weight = np.maximum(w, ZERO_EDGE_M)
    graph = sparse.csr_matrix((np.r_[weight, weight], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    n_comp, comp = connected_components(graph, directed=False) if n else (0, np.empty(0, dtype=np.int32))
    digest = hashlib.sha256()
    for arr in (node_xy.round(3), a, b, w.round(3)):
        digest.update(np.ascontiguousarray(arr).tobytes())
    digest.update(f"{epsg}|{fmt}|{source}".encode())  # the name is shown with the figures: part of the key
    return Network(node_xy=node_xy, graph=graph, epsg=int(epsg), n_edges=int(len(a)), length_m=float(w.sum()),
                   n_components=int(n_comp), component=np.asarray(comp, dtype=np.int64), source=source, fmt=fmt,
                   token=digest.hexdigest()[:24])


def from_lines(lines: Any, source: str = "lines", fmt: str = "lines", epsg: int | None = None) -> Network:
    """A network from WGS84 line geometries (shapely LineStrings / MultiLineStrings).

    Vertices shared (within 1 cm) are junctions; consecutive vertices are edges.
    """
    import shapely

    geoms = np.asarray(lines, dtype=object).ravel()
    if len(geoms):
        geoms = shapely.get_parts(geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)])
    if len(geoms):
        geoms = geoms[np.isin(shapely.get_type_id(geoms), [1, 2])]  # LineString, LinearRing
    if not len(geoms):
        raise NetworkError(f"{source}: no line features (LineString/MultiLineString) to walk on", "no_lines",
                           name=source)
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = coords[:, 0], coords[:, 1]
    if not (np.all(np.isfinite(coords)) and np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        raise NetworkError(f"{source}: coordinates must be WGS84 longitude/latitude (found values outside "
                           "±180/±90; is the file in a projected CRS without a declared crs?)", "not_wgs84",
                           name=source)
    if epsg is None:
        epsg = utm_epsg(float(np.median(lon)), float(np.median(lat)))
    xy = _project(lon, lat, epsg)
    key = np.round(xy / NODE_MERGE_M).astype(np.int64)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    node_xy = np.zeros((len(uniq), 2))
    np.add.at(node_xy, inverse, xy)
    node_xy /= np.bincount(inverse, minlength=len(uniq))[:, None]
    same_line = line[1:] == line[:-1]
    u, v = inverse[:-1][same_line], inverse[1:][same_line]
    seg = np.hypot(*(xy[1:] - xy[:-1]).T)[same_line]  # the segment as drawn, not between merged nodes
    return from_edges(node_xy, u, v, seg, epsg=epsg, source=source, fmt=fmt)


# ============================================================== reading files


def _check_size(data: bytes, name: str) -> None:
    if len(data) == 0:
        raise NetworkError(f"{name}: the file is empty", "empty", name=name)
    if len(data) > MAX_BYTES:
        limit = MAX_BYTES // (1024 * 1024)
        raise NetworkError(f"{name}: {len(data) / 1e6:.1f} MB is more than the {limit} MB "
                           "limit; cut the extract to the central city (e.g. osmium extract -b ...)", "too_large",
                           name=name, size=f"{len(data) / 1e6:.1f}", limit=limit)


def read_osm_pbf(path: str | os.PathLike, source: str | None = None) -> Network:
    """The walking network (pyrosm `network_type="walking"`) of an OpenStreetMap `.osm.pbf` extract."""
    name = source or os.path.basename(str(path))
    try:
        from pyrosm import OSM
    except ImportError as exc:  # pragma: no cover - pyrosm is a declared dependency
        raise NetworkError("reading .osm.pbf needs the pyrosm package, which is not installed",
                           "no_reader") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            edges = OSM(str(path)).get_network(network_type="walking")
    except NetworkError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise NetworkError(f"{name}: not a readable OpenStreetMap PBF extract ({type(exc).__name__})",
                           "pbf_unreadable", name=name) from exc
    if edges is None or len(edges) == 0:
        raise NetworkError(f"{name}: the extract has no walkable ways (highway=* open to pedestrians)",
                           "no_walkable", name=name)
    return from_lines(edges.geometry.to_numpy(), source=name, fmt="osm.pbf")


def read_geojson(data: bytes, source: str = "network.geojson") -> Network:
    """Road lines from GeoJSON bytes (WGS84, or any CRS the file declares)."""
    import geopandas as gpd

    try:
        frame = gpd.read_file(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise NetworkError(f"{source}: not readable as GeoJSON ({type(exc).__name__})", "geojson_unreadable",
                           name=source) from exc
    if len(frame) == 0:
        raise NetworkError(f"{source}: the file has no features", "no_features", name=source)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        try:
            frame = frame.to_crs(4326)
        except Exception as exc:  # noqa: BLE001
            raise NetworkError(f"{source}: cannot convert its CRS {frame.crs} to WGS84", "crs", name=source) from exc
    return from_lines(frame.geometry.to_numpy(), source=source, fmt="geojson")


def read_network(data: bytes, filename: str) -> Network:
    """A network from uploaded bytes; the format comes from the file name (`.osm.pbf`/`.pbf` or `.geojson`/`.json`).

    Raises `NetworkError` with a message naming the file and the problem.
    """
    name = os.path.basename(filename or "upload")
    _check_size(data, name)
    lower = name.lower()
    if lower.endswith(".pbf"):
        if data[4:8] != b"\x0a\x09OS" and b"OSMHeader" not in data[:64]:
            raise NetworkError(f"{name}: not an OpenStreetMap PBF file (no OSMHeader block at the start)", "not_pbf",
                               name=name)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "network.osm.pbf")
            with open(path, "wb") as fh:
                fh.write(data)
            return read_osm_pbf(path, source=name)
    if lower.endswith((".geojson", ".json")):
        return read_geojson(data, source=name)
    raise NetworkError(f"{name}: expected an OpenStreetMap extract (.osm.pbf) or road lines (.geojson)",
                       "wrong_type", name=name)


# ============================================================== walking distances


@dataclass(frozen=True)
class Snap:
    """Where points join the network: node, straight-line snap distance (m), component."""

    node: np.ndarray
    dist_m: np.ndarray
    component: np.ndarray

    def stats(self) -> dict[str, float | None]:
        if len(self.dist_m) == 0:
            return {"max_m": None, "median_m": None}
        return {"max_m": float(self.dist_m.max()), "median_m": float(np.median(self.dist_m))}


def snap(network: Network, xy: Any) -> Snap:
    node, dist = network.snap(xy)
    return Snap(node, dist, network.component[node] if len(node) else np.empty(0, dtype=np.int64))


def nearest_walk_m(network: Network, demand_xy: Any, facility_xy: Any, limit_m: float = math.inf) -> np.ndarray:
    """Walking distance (m) from each demand point to its nearest facility over the network.

    Snap (demand) + shortest path + snap (facility), by one multi-source Dijkstra from a virtual source
    joined to every facility node by that facility's snap distance. `inf` where no facility is within
    `limit_m` (or none is connected at all).
    """
    demand_xy, facility_xy = _xy(demand_xy), _xy(facility_xy)
    out = np.full(len(demand_xy), np.inf)
    if len(demand_xy) == 0 or len(facility_xy) == 0 or network.n_nodes == 0:
        return out
    d = snap(network, demand_xy)
    f = snap(network, facility_xy)
    n = network.n_nodes
    graph = _with_virtual_source(network.graph.tocoo(), f, n)
    reach = limit_m - d.dist_m.min() if math.isfinite(limit_m) else math.inf
    dist = dijkstra(graph, directed=True, indices=n, limit=max(reach, 0.0) + TOLERANCE_M)
    out = dist[d.node] + d.dist_m
    if math.isfinite(limit_m):
        out[out > limit_m + TOLERANCE_M] = np.inf
    return out


def _with_virtual_source(base: sparse.coo_matrix, f: Snap, n: int) -> sparse.csr_matrix:
    """The graph plus node n joined to each facility node by its snap distance (the shortest where two share a node)."""
    order = np.lexsort((f.dist_m, f.node))
    nodes, dists = f.node[order], f.dist_m[order]
    first = np.r_[True, nodes[1:] != nodes[:-1]]
    nodes, dists = nodes[first], dists[first]
    return sparse.csr_matrix(
        (np.r_[base.data, np.maximum(dists, ZERO_EDGE_M)], (np.r_[base.row, np.full(len(nodes), n)],
                                                            np.r_[base.col, nodes])), shape=(n + 1, n + 1))


def facility_walk_m(network: Network, demand_xy: Any, facility_xy: Any, limit_m: float = math.inf,
                    demand_snap: Snap | None = None, facility_snap: Snap | None = None) -> np.ndarray:
    """(facilities × demand points) walking distances in metres; `inf` beyond `limit_m` or unconnected.

    One bounded Dijkstra per distinct facility node, `FACILITY_CHUNK` at a time, keeping only the
    demand points' columns.
    """
    demand_xy, facility_xy = _xy(demand_xy), _xy(facility_xy)
    out = np.full((len(facility_xy), len(demand_xy)), np.inf)
    if len(demand_xy) == 0 or len(facility_xy) == 0 or network.n_nodes == 0:
        return out
    d = demand_snap or snap(network, demand_xy)
    f = facility_snap or snap(network, facility_xy)
    nodes, inverse = np.unique(f.node, return_inverse=True)
    inverse = inverse.ravel()
    limit = limit_m - d.dist_m.min() - f.dist_m.min() if math.isfinite(limit_m) else math.inf
    limit = max(limit, 0.0) + TOLERANCE_M
    path = np.empty((len(nodes), len(demand_xy)))
    for start in range(0, len(nodes), FACILITY_CHUNK):
        block = dijkstra(network.graph, directed=False, indices=nodes[start:start + FACILITY_CHUNK], limit=limit)
        path[start:start + FACILITY_CHUNK] = block[:, d.node]
    out = path[inverse] + f.dist_m[:, None] + d.dist_m[None, :]
    if math.isfinite(limit_m):
        out[out > limit_m + TOLERANCE_M] = np.inf
    return out


def snap_report(network: Network, demand_xy: Any, facility_xy: Any) -> dict[str, Any]:
    """Snap distances (largest, median) of demand points and facilities, and who sits in a component
    without any facility (they can reach none, however near in a straight line)."""
    d, f = snap(network, demand_xy), snap(network, facility_xy)
    with_facility = np.isin(d.component, np.unique(f.component)) if len(f.node) else np.zeros(len(d.node), bool)
    return {
        "demand_snap_max_m": d.stats()["max_m"], "demand_snap_median_m": d.stats()["median_m"],
        "facility_snap_max_m": f.stats()["max_m"], "facility_snap_median_m": f.stats()["median_m"],
        "demand_points_without_facility_component": int((~with_facility).sum()),
    }
