"""Map labels without collisions (dashboard/core/maplabels.py) and the shared map frame (core/mapframe.py):
known overlaps, priorities, the real maps' labels, water under the data, aggregated compounds."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from dashboard.analyses.coverage import charts as charts_coverage
from dashboard.analyses.coverage import model as coverage
from dashboard.core import mapframe, maplabels
from dashboard.core.maplabels import Label, overlaps, place, text_size
from dashboard.core.scenario import Scenario
from dashboard.data import geo
from dashboard.exports import content


def test_text_size_counts_cjk_as_one_em_and_latin_narrower():
    assert text_size("沙市", 10) == (20.0, 12.5)
    assert text_size("ab", 10) == (12.0, 12.5)
    assert text_size("荆州\nab", 10) == (20.0, 25.0)  # two lines: the wider one, twice as tall


def test_overlap_needs_positive_area():
    assert overlaps((0, 0, 10, 10), (5, 5, 15, 15))
    assert not overlaps((0, 0, 10, 10), (10, 0, 20, 10))  # touching edges
    assert not overlaps((0, 0, 10, 10), (0, 11, 10, 20))


def test_a_free_label_stays_at_its_anchor():
    (p,) = place([Label("沙市", 1.0, 2.0, 10)], 100.0, 100.0)
    assert (p.x, p.y) == (1.0, 2.0)
    assert p.box == (100 - 10 - 2, 200 - 6.25 - 2, 100 + 10 + 2, 200 + 6.25 + 2)


def test_a_colliding_label_moves_above_and_a_fixed_one_is_dropped():
    first, second, fixed = Label("荆州", 0, 0, 10), Label("沙市", 0, 0, 10), Label("江陵", 0, 0, 10, movable=False)
    placed = place([first, second, fixed], 1.0, 1.0, gap=0)
    assert [p.label for p in placed] == [first, second]
    assert (placed[0].x, placed[0].y) == (0, 0)
    assert (placed[1].x, placed[1].y) == (0, 12.5)  # one box height up (y grows upwards)


def test_priority_beats_input_order():
    low, high = Label("低", 0, 0, 10, priority=3), Label("高", 0, 0, 10, priority=0)
    placed = place([low, high], 1.0, 1.0, offsets=((0.0, 0.0),))
    assert [p.label.text for p in placed] == ["高"]


def test_labels_apart_in_pixels_both_stay_though_close_in_map_units():
    a, b = Label("A", 0.0, 0.0, 10), Label("B", 0.001, 0.0, 10)
    assert len(place([a, b], 1.0, 1.0, offsets=((0.0, 0.0),))) == 1  # 0.001 units apart: collide
    assert len(place([a, b], 1e5, 1e5, offsets=((0.0, 0.0),))) == 2  # at 100 px apart: both fit


def test_obstacles_and_blank_labels():
    blocked = place([Label("X", 0, 0, 10)], 1.0, 1.0, obstacles=[(-100, -100, 100, 100)])
    assert blocked == []
    assert place([Label("  ", 0, 0, 10)], 1.0, 1.0) == []
    with pytest.raises(ValueError, match="positive"):
        place([Label("X", 0, 0, 10)], 0.0, 1.0)


def test_grid_groups_by_cell():
    # three points: two 100 m apart in one 900 m cell, one 5 km away
    lon = [112.2000, 112.2010, 112.2500]
    lat = [30.3000, 30.3000, 30.3000]
    groups = mapframe.grid_groups(lon, lat, 900.0)
    assert groups[0] == groups[1] != groups[2]
    assert list(groups) == [0, 0, 1]  # numbered by first appearance
    assert len(mapframe.grid_groups([], [], 900.0)) == 0


def test_scale_bar_is_a_round_number_of_km_at_its_true_length():
    bounds = (111.9, 30.1, 112.5, 30.7)
    bar, ticks, text = mapframe.scale_bar(bounds, "zh")
    assert text.text == ("10 公里",)  # a fifth of ~60 km, rounded down to 1-2-5
    km = (bar.x[1] - bar.x[0]) * 111.32 * np.cos(np.radians(30.4))
    assert km == pytest.approx(10.0, rel=0.01)
    assert mapframe.scale_bar(bounds, "en")[2].text == ("10 km",)


# ---------------------------------------------------------------- the real maps


def _placed_boxes(fig) -> list[tuple[str, float, float]]:
    """Every name on a map: text traces and data-anchored annotations."""
    out = [(text, x, y) for tr in fig.data if tr.mode == "text" for text, x, y in zip(tr.text, tr.x, tr.y, strict=True)]
    return out + [(a.text, a.x, a.y) for a in fig.layout.annotations if a.xref == "x"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coverage_map_shows_the_yangtze_and_subdistrict_names_without_overlap(lang):
    fig = content.page_figure("coverage", "coverage_map", Scenario.default(), lang)
    texts = [t for t, _, _ in _placed_boxes(fig)]
    assert ("长江" if lang == "zh" else "Yangtze") in texts
    subs = geo.layer("subdistricts")
    street_names = [n.removesuffix("街道") for n in subs.loc[subs["kind"] == "street", "name"]]
    shown = [n for n in street_names if n in texts]
    assert len(shown) >= 0.8 * len(street_names), set(street_names) - set(shown)
    # water is drawn before (under) every marker trace and every label
    water = [i for i, tr in enumerate(fig.data) if getattr(tr.line, "color", None) == mapframe.WATER]
    marks = [i for i, tr in enumerate(fig.data)
             if tr.mode in ("markers", "markers+text", "text") and list(tr.x) != [None]]  # not legend-only
    assert water and marks and max(water) < min(marks)
    boxed = [a for a in fig.layout.annotations if a.xref == "x" and a.bgcolor]  # sub-district names
    assert len(boxed) >= 0.8 * len(street_names)
    # placed labels do not overlap at the map's pixel scale
    result = coverage.scenario_result(Scenario.default(), None)
    bounds = charts_coverage._focus_bounds(result, geo.layer("subdistricts"), geo.layer("new_areas"),
                                           geo.central_city_districts())
    placed = charts_coverage._map_labels(bounds, geo.central_city_districts(), geo.layer("subdistricts"),
                                         geo.layer("new_areas"), lang, 640)
    assert not any(overlaps(a.box, b.box) for a, b in itertools.combinations(placed, 2))


def test_compounds_are_aggregated_and_keep_every_resident():
    result = coverage.scenario_result(Scenario.default(), None)
    traces = charts_coverage._compound_traces(result, "en")
    markers = sum(len(tr.x) for tr in traces)
    assert markers < len(result.inputs.demand) / 4  # 1,790 compounds -> a few hundred markers
    residents = sum(int(m.group(1).replace(",", "")) for tr in traces for h in tr.text
                    for m in [re.search(r"([\d,]+) residents", h)])
    assert residents == int(result.inputs.demand["residents"].sum())
    within = sum(int(m.group(1).replace(",", "")) for tr in traces if tr.name == "Compound within reach"
                 for h in tr.text for m in [re.search(r"([\d,]+) residents", h)])
    covered = result.inputs.demand["residents"].to_numpy()[np.asarray(result.covered_before, bool)].sum()
    assert within == int(covered)


@pytest.mark.parametrize(("page", "name"), [("overview", "overview_map"), ("coverage", "coverage_map"),
                                            ("beds", "beds_map")])
def test_every_map_has_water_a_scale_bar_and_a_north_arrow(page, name):
    fig = content.page_figure(page, name, Scenario.default(), "zh")
    assert any(getattr(tr.line, "color", None) == mapframe.WATER for tr in fig.data if tr.mode == "lines")
    assert any(tr.mode == "text" and tr.text and str(tr.text[0]).endswith("公里") for tr in fig.data)
    assert any(a.text == "<b>北</b>" for a in fig.layout.annotations)


def test_facility_markers_have_a_white_edge_or_a_white_body():
    fig = content.page_figure("coverage", "coverage_map", Scenario.default(), "en")
    facilities = [tr for tr in fig.data if tr.name and tr.name.startswith(("Centre", "Station"))]
    assert facilities
    for tr in facilities:
        assert tr.marker.line.color == "white" or tr.marker.color == "white", tr.name
    centre = next(tr for tr in facilities if tr.name == "Centre (owned)")
    assert centre.marker.symbol == "diamond"
    assert all(c in (charts_coverage.CENTRE, charts_coverage.NOT_COUNTED) for c in centre.marker.color)


def test_maplabels_module_is_pure():
    import ast
    import inspect

    for module in (maplabels, mapframe):
        tree = ast.parse(inspect.getsource(module))
        imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "streamlit" not in imported
