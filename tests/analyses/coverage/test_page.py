"""Clinic-coverage page under AppTest (widgets, URL, headline) and parity with the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.analyses.coverage import evaluate as ev
from dashboard.analyses.coverage import inputs as cin
from dashboard.analyses.coverage import model as cv
from dashboard.core import ranges
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from tests.conftest import REPO, assert_no_exception, metric_values, run_page, show_section

HEADLINE_ZH = ("可及覆盖率(现状)", "新建后覆盖率", "每名全科医生服务居民", "无公办中心的街道")


@pytest.fixture(scope="module")
def default_page():
    at = run_page("coverage")
    assert_no_exception(at)
    return at


def test_page_runs_and_shows_the_headline(default_page):
    shown = metric_values(default_page)
    for label in HEADLINE_ZH:
        assert label in shown, label
    expected = {m.label_zh: m.formatted("zh") for m in ranges.headline("coverage", Scenario.default())}
    for label, value in shown.items():
        if label in expected:
            assert value == expected[label], label
    assert any("示意" in i.value for i in default_page.info), "the illustrative-data banner is missing"


def test_the_by_sub_district_section_shows_the_sub_district_table():
    at = show_section(run_page("coverage"), "coverage", "table")
    assert_no_exception(at)
    tables = [d.value for d in at.dataframe]
    assert len(tables) == 1, "the sub-district table is missing"
    table = tables[0]
    assert list(table.columns[:2]) == ["街道/镇", "覆盖率(%)"]  # key columns first (pinned on a phone)
    codes = table["区划代码"].astype(str)
    assert len(table) >= 20 and codes.is_unique and codes.str.startswith("4210").all()  # Jingzhou's streets and towns


def test_distance_slider_updates_headline_and_url(default_page):
    at = default_page
    before = metric_values(at)["可及覆盖率(现状)"]
    at.slider(key="coverage__clinic_service_distance_m").set_value(1500).run()
    assert_no_exception(at)
    after = metric_values(at)["可及覆盖率(现状)"]
    assert float(after.rstrip("%")) > float(before.rstrip("%"))
    assert at.query_params["clinic_service_distance_m"] == ["1500"] or at.query_params["clinic_service_distance_m"] == "1500"
    # the same URL, opened fresh, reproduces the figure
    fresh = run_page("coverage", {"clinic_service_distance_m": "1500"})
    assert_no_exception(fresh)
    assert metric_values(fresh)["可及覆盖率(现状)"] == after


def test_more_sliders_and_preset():
    at = run_page("coverage")
    base = metric_values(at)
    at.slider(key="coverage__clinic_detour_factor").set_value(1.6).run()
    assert_no_exception(at)
    assert float(metric_values(at)["可及覆盖率(现状)"].rstrip("%")) <= float(base["可及覆盖率(现状)"].rstrip("%"))
    at.slider(key="coverage__new_centres").set_value(10).run()
    assert_no_exception(at)
    assert float(metric_values(at)["新建后覆盖率"].rstrip("%")) >= float(base["新建后覆盖率"].rstrip("%")) - 5
    at.multiselect(key="coverage__clinic_kinds").set_value(["centre"]).run()
    assert_no_exception(at)
    assert at.query_params["clinic_kinds"] in ("centre", ["centre"])
    at.selectbox(key="coverage__clinic_candidates").set_value("new_areas").run()
    assert_no_exception(at)
    at.pills(key="coverage_preset").set_value("walk_5min").run()
    assert_no_exception(at)
    assert at.slider(key="coverage__clinic_service_distance_m").value == 300
    assert at.query_params["clinic_service_distance_m"] in ("300", ["300"])


def test_page_in_english_and_with_no_facilities_counted():
    at = run_page("coverage", {"lang": "en", "clinic_ownership": "private", "clinic_kinds": "station",
                               "new_centres": "0"})
    assert_no_exception(at)
    shown = metric_values(at)
    assert "Residents within reach (today)" in shown
    at.multiselect(key="coverage__clinic_kinds").set_value([]).run()
    assert_no_exception(at)
    assert metric_values(at)["Residents within reach (today)"] == "0.0%"


def _cli(*args: str) -> dict:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-m", "dashboard", "scenario", *args, "--format", "json"], cwd=REPO,
                         capture_output=True, text=True, env=env, timeout=300, check=True)
    return json.loads(out.stdout)


def test_cli_prints_the_same_figures_and_sites_as_the_model_and_page():
    doc = _cli("--set", "clinic_service_distance_m=1200", "--set", "new_centres=5", "--page", "coverage")
    page = doc["pages"]["coverage"]
    scenario, _ = Scenario.from_values({"clinic_service_distance_m": 1200, "new_centres": 5})
    assert page["metrics"] == [m.to_dict() for m in ranges.headline("coverage", scenario)]
    assert page["details"] == json.loads(json.dumps(cv.details(scenario)))
    assert page["summary"] == cv.summary_sentence(scenario, "zh")
    sites = page["details"]["suggested_sites"]
    assert 0 < len(sites) <= 5
    # what the browser shows for the same link
    at = run_page("coverage", {"clinic_service_distance_m": "1200", "new_centres": "5"})
    assert_no_exception(at)
    shown = metric_values(at)
    for m in page["metrics"]:
        if m["label_zh"] in shown:
            assert shown[m["label_zh"]] == Metric(**{**m, "source_ids": tuple(m["source_ids"])}).formatted("zh"), m["key"]
    show_section(at, "coverage", "sites")
    tables = [d.value for d in at.dataframe]
    site_table = next(t for t in tables if "位置(小区)" in t.columns)
    assert site_table["位置(小区)"].tolist() == [s["name"] for s in sites]


def test_csv_download_neutralises_formulas():
    import pandas as pd

    from dashboard.analyses.coverage import charts as charts_coverage
    from dashboard.exports.tables import csv_bytes

    demand = pd.DataFrame({"compound_id": ["C1"], "x_m": [0.0], "y_m": [0.0], "residents": [10],
                           "subdistrict_code": ["421002001"], "district_code": ["421002"]})
    clinics = pd.DataFrame({"clinic_id": ["H1"], "x_m": [0.0], "y_m": [0.0], "kind": ["centre"], "ownership": ["public"],
                            "subdistrict_code": ["421002001"], "district_code": ["421002"]})
    subs = pd.DataFrame({"subdistrict_code": ["421002001"], "subdistrict_name": ["=HYPERLINK(\"http://x\")"],
                         "district_code": ["421002"], "district_name": ["@SUM(1)"], "kind": ["street"]})
    result = ev.evaluate(cin.prepare_inputs(demand, clinics, subs), cv.Settings(
        1000, 1.3, cin.KINDS, cin.OWNERSHIPS, False, 0, "all", 6, 9, 6.0))
    text = csv_bytes(charts_coverage.subdistrict_table(result, "zh")).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text
    assert "\n=" not in text and ",=" not in text and ",@" not in text
