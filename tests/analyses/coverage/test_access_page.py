"""The coverage page's capacity tiles and over-capacity table, and the walking-network upload (AppTest drives
st.file_uploader): a good network changes reach exactly as the model says, bad files get a clear message,
never a traceback, and a hostile file name is shown as plain text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dashboard.analyses.coverage import model as cv
from dashboard.analyses.coverage import network as nw
from dashboard.core import ranges
from dashboard.core.metrics import format_value
from dashboard.core.scenario import Scenario
from tests.conftest import assert_no_exception, metric_values, run_page, show_section

CAPACITY_ZH = ("容量内可获服务居民", "可及但超出容量的居民", "超出容量的机构", "每万居民可及全科医生(两步移动搜寻法)")


def _grid_geojson(n: int = 60) -> bytes:
    inputs = cv.load_inputs()
    d = inputs.demand
    lo = d[["lon", "lat"]].min().to_numpy() - 0.01
    hi = d[["lon", "lat"]].max().to_numpy() + 0.01
    xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    feats = [[[float(x), float(y)] for y in ys] for x in xs] + [[[float(x), float(y)] for x in xs] for y in ys]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in feats]}).encode()


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="coverage_network_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]  # a bad file is an error message, never a traceback
    return at


def _expected(network=None) -> dict[str, str]:
    """The tiles as the page shows them: with their ranges (core/ranges.py), or the network's own figures."""
    metrics = cv.headline(Scenario.default(), network=network) if network is not None else ranges.headline(
        "coverage", Scenario.default())
    return {m.label_zh: m.formatted("zh") for m in metrics}


@pytest.fixture(scope="module")
def page():
    at = run_page("coverage")
    assert_no_exception(at)
    return at


def test_capacity_tiles_and_over_capacity_table(page):
    show_section(page, "coverage", "capacity")
    shown = metric_values(page)
    expected = _expected()
    for label in CAPACITY_ZH:
        assert shown[label] == expected[label], label
    tables = [d.value for d in page.dataframe]
    over = next(t for t in tables if "负荷(%)" in t.columns)
    n_over = cv.scenario_result(Scenario.default()).city["facilities_over_capacity"]
    assert len(over) == n_over and (over["超出(人)"] > 0).all()
    show_section(page, "coverage", "table")  # the sub-district table has the capacity columns too
    subs = next(t.value for t in page.dataframe if "容量内获服务(%)" in t.value.columns)
    assert "每万居民可及全科医生(两步移动搜寻法)" in subs.columns


def test_panel_slider_changes_served_not_reach():
    at = show_section(run_page("coverage"), "coverage", "capacity")  # the panel slider sits with capacity
    before = metric_values(at)
    at.slider(key="coverage__clinic_panel_per_gp").set_value(6000).run()
    assert_no_exception(at)
    after = metric_values(at)
    assert after["可及覆盖率(现状)"] == before["可及覆盖率(现状)"]
    assert float(after["容量内可获服务居民"].rstrip("%")) > float(before["容量内可获服务居民"].rstrip("%"))
    assert at.query_params["clinic_panel_per_gp"] in (["6000"], "6000")


def test_network_upload_changes_reach_as_the_model_says():
    data = _grid_geojson()
    at = _upload(show_section(run_page("coverage"), "coverage", "capacity"), "jingzhou_grid.geojson", data)
    assert_no_exception(at)
    net = nw.read_network(data, "jingzhou_grid.geojson")
    expected = _expected(net)
    shown = metric_values(at)
    assert shown["可及覆盖率(现状)"] == expected["可及覆盖率(现状)"] != _expected()["可及覆盖率(现状)"]
    for label in CAPACITY_ZH:
        assert shown[label] == expected[label], label
    captions = "\n".join(c.value for c in at.caption)
    assert "jingzhou_grid.geojson" in captions and "3,600 个节点" in captions
    # the network stays for the session (a slider move keeps it) until dropped
    at.slider(key="coverage__clinic_service_distance_m").set_value(1500).run()
    assert_no_exception(at)
    r = cv.scenario_result(Scenario.default().with_values(clinic_service_distance_m=1500), network=net)
    assert metric_values(at)["可及覆盖率(现状)"] == format_value(round(r.city["covered_share_pct"], 1), "percent", 1, "zh")
    at.button(key="coverage_network_drop").click().run()
    assert_no_exception(at)
    ranged = {m.label_zh: m.formatted("zh")  # back to the default method: the figures with their ranges
              for m in ranges.headline("coverage", Scenario.default().with_values(clinic_service_distance_m=1500))}
    assert metric_values(at)["可及覆盖率(现状)"] == ranged["可及覆盖率(现状)"]


def test_network_far_from_the_compounds_warns():
    far = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "LineString", "coordinates": [[24.94, 60.17], [24.95, 60.17]]}}]}).encode()  # Helsinki
    at = _upload(run_page("coverage"), "helsinki.geojson", far)
    assert any("不覆盖" in w.value for w in at.warning)
    assert metric_values(at)["可及覆盖率(现状)"] == format_value(0.0, "percent", 1, "zh")


@pytest.mark.parametrize(("name", "data", "words"), [
    ("roads.geojson", b"{broken", "无法作为 GeoJSON 读取"),
    ("roads.osm.pbf", b"\x00\x00\x00\x0dnot a pbf", "不是 OpenStreetMap PBF"),
    ("points.geojson", json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                   "geometry": {"type": "Point", "coordinates": [112.2, 30.3]}}]}).encode(), "没有线要素"),
])
def test_bad_network_files_get_a_clear_message(name, data, words):
    at = _upload(run_page("coverage"), name, data)
    errors = [e.value for e in at.error]
    assert any(words in e and f"`{name}`" in e for e in errors), errors
    shown = metric_values(at)
    assert shown["可及覆盖率(现状)"] == _expected()["可及覆盖率(现状)"]  # the default method stays


def test_hostile_file_name_is_plain_text():
    name = "[x](javascript:alert(1))`<img src=x onerror=alert(1)>`.geojson"
    at = _upload(run_page("coverage"), name, b"{broken")
    (error,) = [e.value for e in at.error]
    # the name sits inside one code span (backticks in it replaced), so Markdown/HTML in it is not rendered
    assert "`[x](javascript:alert(1))'<img src=x onerror=alert(1)>'.geojson`" in error


def test_lazy_expanders_build_their_tables_only_when_opened():
    """The full facility list, the plan's sites and the drivers table are built (and sent) only while their
    expander is open (Streamlit lazy expanders): a slider step does not pay for three hidden tables."""
    from dashboard.ui import ranges_panel

    at = run_page("coverage")
    closed, opened = [], []
    for section in ("capacity", "plan"):  # the sections with lazy tables
        show_section(at, "coverage", section)
        closed += [list(d.value.columns) for d in at.dataframe]
    for section, key in (("capacity", "coverage_capacity_all_open"), ("plan", "coverage_plan_sites_open")):
        # an expander's state lives while it is drawn: open it with its section, as a member does
        for open_key in (key, ranges_panel.table_key("coverage")):
            at.session_state[open_key] = True
        show_section(at, "coverage", section)
        assert_no_exception(at)
        opened += [list(d.value.columns) for d in at.dataframe]
        if section == "capacity":
            downloads = {d.key for d in at.get("download_button")}
    assert len(opened) == len(closed) + 4  # the drivers table is on both sections' runs
    load_tables = sum("负荷(%)" in c for c in opened) - sum("负荷(%)" in c for c in closed)
    assert load_tables == 1  # the full facility-load list beside the over-capacity one
    assert downloads >= {"coverage_download_facilities", "coverage_download_compounds"}
