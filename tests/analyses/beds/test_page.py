"""Care-beds page in AppTest (runs, sliders move the numbers, the URL reproduces a view) and CLI parity."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dashboard.analyses.beds import model as beds
from dashboard.core import ranges
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from tests.conftest import REPO, SECTIONS, assert_no_exception, charts, metric_values, run_page

pytestmark = pytest.mark.slow


def _label(key: str, scenario: Scenario, lang: str = "zh") -> str:
    return next(m for m in ranges.headline("beds", scenario) if m.key == key).label(lang)


def each_section(at):
    """Show each of the page's sections in turn (one is built at a time); yields the section's key."""
    for section in SECTIONS["beds"]:
        at.button_group(key="beds_section").set_value(section).run()
        assert_no_exception(at)
        yield section


def test_page_runs_with_defaults():
    at = run_page("beds")
    assert_no_exception(at)
    tiles = metric_values(at)
    default = Scenario.default()
    metrics = {m.key: m for m in ranges.headline("beds", default)}
    assert metrics["supply"].value == 4515 and metrics["beds_per_1000_city"].value == 34.0
    for key in ("supply", "beds_per_1000_city", "met_share", "closing_year"):
        assert tiles[metrics[key].label("zh")] == metrics[key].formatted("zh")
    assert tiles[_label("closing_year", default)] == ">2035"
    assert beds.summary_sentence(default, "zh") in at.success[0].value
    # one section is built at a time (a slider step redraws only what is on screen): the first shows the supply bars
    assert [c.key for c in charts(at)] == ["beds_supply_chart", "beds_drivers"]
    assert len(at.button_group(key="beds_section").options) == len(SECTIONS["beds"])
    keys = {section: [c.key for c in charts(at)] for section in each_section(at)}
    assert keys["projection"] == ["beds_projection_chart", "beds_drivers"]
    assert keys["map"] == ["beds_map", "beds_drivers"] and keys["home_care"] == ["beds_coverage_chart", "beds_drivers"]
    assert at.dataframe and at.get("download_button")  # the data table and its CSV


def test_clicking_the_shown_section_again_keeps_a_section_on_screen():
    at = run_page("beds")
    at.button_group(key="beds_section").set_value(None).run()
    assert_no_exception(at)
    assert "beds_supply_chart" in [c.key for c in charts(at)]


def test_build_slider_moves_the_closing_year_and_the_url():
    at = run_page("beds")
    at.slider(key="beds__beds_new_per_year").set_value(3000).run()
    assert_no_exception(at)
    scenario = Scenario.default().with_values(beds_new_per_year=3000)
    expected = beds.compute(scenario).closing_year
    assert expected != beds.NOT_CLOSED
    assert metric_values(at)[_label("closing_year", scenario)] == str(expected)
    assert at.query_params["beds_new_per_year"] in ("3000", ["3000"])


def test_other_sliders_and_method_switch():
    at = run_page("beds")
    at.button_group(key="beds_section").set_value("projection").run()  # the growth sliders sit by the projection
    at.slider(key="beds__beds_growth_60_plus_pct_per_year").set_value(4.0).run()
    at.slider(key="beds__beds_target_year").set_value(2030).run()
    at.selectbox(key="beds__beds_demand_method").set_value("norm").run()
    assert not [s for s in at.slider if s.key == "beds__beds_norm_per_1000"]  # a lazy expander, closed
    at.session_state["beds_demand_params_open"] = True  # the member opens "demand assumptions"
    at.run()
    at.slider(key="beds__beds_norm_per_1000").set_value(40.0).run()
    assert_no_exception(at)
    scenario = Scenario.default().with_values(beds_growth_60_plus_pct_per_year=4.0, beds_target_year=2030,
                                              beds_demand_method="norm", beds_norm_per_1000=40.0)
    metric = next(m for m in ranges.headline("beds", scenario) if m.key == "required_per_year")
    assert metric_values(at)[metric.label("zh")] == metric.formatted("zh")


def test_url_reproduces_the_view_in_english():
    query = {"lang": "en", "beds_district": "421003", "beds_new_per_year": "1500", "beds_target_year": "2030"}
    at = run_page("beds", query)
    assert_no_exception(at)
    scenario, notices = Scenario.from_query_params(query)
    assert not notices
    for metric in ranges.headline("beds", scenario):
        if metric.key in ("supply", "demand", "closing_year", "required_per_year"):
            assert metric_values(at)[metric.label("en")] == metric.formatted("en")
    assert beds.summary_sentence(scenario, "en") in at.success[0].value


def test_presentation_mode_hides_controls():
    at = run_page("beds", {"present": "1", "beds_new_per_year": "2500"})
    assert_no_exception(at)
    assert not at.slider
    scenario = Scenario.from_values({"beds_new_per_year": 2500})[0]
    assert beds.summary_sentence(scenario, "zh") in at.success[0].value


def test_bad_url_value_is_clamped_not_a_crash():
    at = run_page("beds", {"beds_new_per_year": "999999", "beds_district": "nowhere"})
    assert_no_exception(at)


def test_cli_and_page_agree():
    settings = {"beds_district": "421002", "beds_new_per_year": "2500", "beds_growth_80_plus_pct_per_year": "4.5",
                "beds_closure_pct_per_year": "1"}
    cmd = [sys.executable, "-m", "dashboard", "scenario", "--page", "beds", "--format", "json"]
    for k, v in settings.items():
        cmd += ["--set", f"{k}={v}"]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180, check=True)
    cli = json.loads(out.stdout)["pages"]["beds"]
    at = run_page("beds", settings)
    assert_no_exception(at)
    tiles = metric_values(at)
    for _ in each_section(at):  # tiles of every section
        tiles |= metric_values(at)
    shown = 0
    for m in cli["metrics"]:
        if m["label_zh"] in tiles:
            assert tiles[m["label_zh"]] == Metric(**{**m, "source_ids": tuple(m["source_ids"])}).formatted("zh"), m["key"]
            shown += 1
    assert shown == len(cli["metrics"])
    assert cli["summary"] in at.success[0].value
    assert cli["details"]["closing_year"] == beds.compute(Scenario.from_values(settings)[0]).closing_year
