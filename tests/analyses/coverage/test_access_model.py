"""The coverage model with capacity and a walking network: small towns with known answers, and the
shipped data's capacity figures agreeing with themselves (tables, city, tiles, CLI-ready details)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.analyses.coverage import evaluate as ev
from dashboard.analyses.coverage import inputs as cin
from dashboard.analyses.coverage import model as cv
from dashboard.analyses.coverage import network as nw
from dashboard.core.scenario import Scenario
from tests.analyses.coverage.test_model import SUBS, _clinics, _demand, _settings


def _town():
    # street 甲: centre A (1 GP) at 0 m; street 乙: centre B (2 GPs) at 2,000 m
    demand = _demand([
        ("C1", 100, 0, 2000, "421002001", ""),
        ("C2", 300, 0, 2000, "421002001", ""),
        ("C3", 1900, 0, 1000, "421002002", ""),
        ("C4", 5000, 0, 500, "421002002", ""),  # out of everyone's reach
    ])
    clinics = _clinics([
        ("A", 0, 0, "centre", "public", "421002001", 1, 2, False, "rented"),
        ("B", 2000, 0, "centre", "public", "421002002", 2, 3, True, "owned"),
    ])
    return cin.prepare_inputs(demand, clinics, SUBS)


def test_two_centres_one_over_capacity_through_the_model():
    r = ev.evaluate(_town(), _settings(panel_per_gp=3000), exact=False)
    c = r.city
    assert c["covered_residents"] == c["within_reach_residents"] == 5000
    assert c["capacity_residents"] == 9000
    assert c["served_residents"] == 4000 and c["beyond_capacity_residents"] == 1000
    assert c["served_share_pct"] == pytest.approx(100 * 4000 / 5500)
    assert c["facilities_over_capacity"] == 1 and c["centres_over_capacity"] == 1
    load = r.facility_load.set_index("clinic_id")
    assert load.loc["A", ["capacity_residents", "first_choice_residents", "served_residents", "excess_residents"]].tolist() == [
        3000, 4000, 3000, 1000]
    assert bool(load.loc["A", "over_capacity"]) and not bool(load.loc["B", "over_capacity"])
    assert load.index[0] == "A"  # most over capacity first
    subs = r.by_subdistrict.set_index("subdistrict_code")
    assert subs.loc["421002001", "served_residents"] == 3000 and subs.loc["421002001", "beyond_capacity_residents"] == 1000
    assert subs.loc["421002002", "served_residents"] == 1000
    # 2SFCA: R_A = 1/4,000, R_B = 2/1,000; 甲 = 0.25 per 100 → 2.5 per 10,000; 乙 = (1,000 × 20) / 1,500
    assert subs.loc["421002001", "access_gps_per_10k"] == pytest.approx(2.5)
    assert subs.loc["421002002", "access_gps_per_10k"] == pytest.approx(1000 * 20 / 1500)
    assert c["access_gps_per_10k"] == pytest.approx(3 / 5500 * 10_000)
    # a larger panel serves everyone within reach
    roomy = ev.evaluate(_town(), _settings(panel_per_gp=5000), exact=False).city
    assert roomy["served_residents"] == 5000 and roomy["facilities_over_capacity"] == 0


def test_a_river_without_a_bridge_cuts_reach_that_the_detour_factor_keeps():
    # a street along y = 0 from x = 0 to 2,000 m, and a second street along y = 300 m across a river;
    # the only crossing (bridge) is at x = 2,000 m. Compound C1 (0, 300) is 300 m from centre A (0, 0)
    # in a straight line, 2,000 + 300 + 2,000 = 4,300 m on foot.
    demand = _demand([("C1", 0, 300, 1000, "421002001", ""), ("C2", 500, 0, 1000, "421002001", "")])
    clinics = _clinics([("A", 0, 0, "centre", "public", "421002001", 6, 9, True, "owned")])
    inputs = cin.prepare_inputs(demand, clinics, SUBS)
    xy = [(0, 0), (500, 0), (2000, 0), (0, 300), (2000, 300)]
    net = nw.from_edges(xy, [0, 1, 3, 2], [1, 2, 4, 4])  # y=0 street, y=300 street, bridge 2-4
    detour = ev.evaluate(inputs, _settings(detour_factor=1.3), exact=False)
    walk = ev.evaluate(inputs, _settings(detour_factor=1.3), exact=False, network=net)
    assert detour.covered_before.tolist() == [True, True]
    assert walk.covered_before.tolist() == [False, True]
    assert walk.access.walk_nearest_m[1] == pytest.approx(500.0)
    assert walk.city["distance_method"] == "network" and walk.network["components"] == 1
    assert walk.network["demand_snap_max_m"] == pytest.approx(0.0)
    # with a service distance of 4,300 m the walk round the bridge reaches it
    far = ev.evaluate(inputs, _settings(service_distance_m=4300, detour_factor=1.3), exact=False, network=net)
    assert far.covered_before.tolist() == [True, True]
    # without the bridge the far bank is another component: never reached
    cut = nw.from_edges(xy, [0, 1, 3], [1, 2, 4])
    never = ev.evaluate(inputs, _settings(service_distance_m=3000, detour_factor=1.3), exact=False, network=cut)
    assert never.covered_before.tolist() == [False, True]
    assert never.network["demand_points_without_facility_component"] == 1


@pytest.fixture(scope="module")
def default_result():
    return cv.scenario_result(Scenario.default())


def test_default_figures_unchanged_and_capacity_consistent(default_result):
    r = default_result
    c = r.city
    assert c["distance_method"] == "detour" and r.network is None
    assert round(c["covered_share_pct"], 1) == 71.1  # docs/coverage.md: unchanged by the capacity work
    assert c["within_reach_residents"] == c["covered_residents"]
    assert 0 < c["served_residents"] <= c["covered_residents"]
    assert c["served_residents"] <= c["capacity_residents"] == 213 * cin.PANEL_PER_GP
    assert c["beyond_capacity_residents"] == c["covered_residents"] - c["served_residents"]
    assert r.by_subdistrict["served_residents"].sum() == pytest.approx(c["served_residents"], abs=30)
    load = r.facility_load
    assert (load["served_residents"] <= load["capacity_residents"]).all()
    assert int(load["over_capacity"].sum()) == c["facilities_over_capacity"]
    # 2SFCA conserves supply: residents × score summed = GPs of facilities anyone reaches
    reached = load["within_reach_residents"] > 0
    assert c["access_gps_per_10k"] * c["residents"] / 10_000 == pytest.approx(float(load.loc[reached, "gps"].sum()))


def test_capacity_tiles_cli_details_and_sentence_agree(default_result):
    scenario = Scenario.default()
    metrics = {m.key: m for m in cv.headline(scenario)}
    c = default_result.city
    assert metrics["served_share"].value == round(c["served_share_pct"], 1)
    assert metrics["beyond_capacity_residents"].value == c["beyond_capacity_residents"]
    assert metrics["facilities_over_capacity"].value == c["facilities_over_capacity"]
    assert "asm_gp_panel" in metrics["served_share"].source_ids
    details = json.loads(json.dumps(cv.details(scenario)))
    assert details["settings"]["panel_per_gp"] == cin.PANEL_PER_GP and details["network"] is None
    assert len(details["facility_load"]) == 58
    assert details["city"]["served_residents"] == c["served_residents"]
    assert f"{c['beyond_capacity_residents']:,}" in cv.summary_sentence(scenario)
    # a larger panel never serves fewer
    more = cv.scenario_result(scenario.with_values(clinic_panel_per_gp=6000)).city
    assert more["served_residents"] >= c["served_residents"] and more["covered_residents"] == c["covered_residents"]


def test_network_on_the_shipped_data_changes_reach_and_says_so():
    inputs = cv.load_inputs()
    d = inputs.demand
    lo = d[["lon", "lat"]].min().to_numpy() - 0.01
    hi = d[["lon", "lat"]].max().to_numpy() + 0.01
    xs, ys = np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60)
    lines = [shapely.LineString([(x, y) for y in ys]) for x in xs] + [shapely.LineString([(x, y) for x in xs]) for y in ys]
    net = nw.from_lines(lines, source="grid")
    scenario = Scenario.default()
    r = cv.scenario_result(scenario, network=net)
    assert r.city["distance_method"] == "network" and r.network["source"] == "grid"
    # a coarse grid walk is longer than straight line × 1.3 here: fewer within reach
    assert r.city["covered_share_pct"] < cv.scenario_result(scenario).city["covered_share_pct"]
    walk = r.access.walk_nearest_m
    assert np.array_equal(np.isfinite(walk), r.covered_before)
    metrics = {m.key: m for m in cv.headline(scenario, network=net)}
    assert "asm_walk_network" in metrics["covered_share"].source_ids
    assert "asm_detour_factor" not in metrics["covered_share"].source_ids
    assert "路网" in cv.summary_sentence(scenario, network=net)
    assert cv.details(scenario, network=net)["network"]["nodes"] == 3600
    assert isinstance(pd.DataFrame(cv.details(scenario, network=net)["facility_load"]), pd.DataFrame)


def test_compound_access_csv_rows_agree_with_the_model(default_result):
    from dashboard.analyses.coverage import charts as charts_coverage
    from dashboard.exports.tables import csv_bytes

    table = charts_coverage.compound_access_table(default_result, "en")
    assert len(table) == default_result.city["demand_points"]
    assert table["Served (residents)"].sum() == pytest.approx(default_result.city["served_residents"], abs=30)
    assert int(table["Within reach"].sum()) == int(default_result.covered_before.sum())
    assert table["Walk to nearest (m)"].isna().sum() == int((~default_result.covered_before).sum())
    assert csv_bytes(table).decode("utf-8-sig").count("\n") == len(table) + 1
    load = charts_coverage.facility_load_table(default_result, "zh", over_only=True)
    assert len(load) == default_result.city["facilities_over_capacity"]
