"""Property page under AppTest (sliders, URL, language, presentation), and CLI/brief parity."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.analyses.property import model as prop
from dashboard.core.scenario import Scenario
from dashboard.exports import content
from tests.conftest import (
    REPO,
    SECTIONS,
    assert_no_exception,
    charts,
    every_section_metrics,
    expected_tiles,
    metric_values,
    run_page,
    show_section,
    svg_markups,
)


def test_page_shows_the_report_figures_and_the_model():
    at = run_page("property")
    assert_no_exception(at)
    assert [c.key for c in charts(at)] == ["property_drivers"]  # one section at a time: the map is an SVG
    assert len(svg_markups(at)) == 1 and "<title>" in svg_markups(at)[0]  # each compound's hover text
    tiles, keys = {}, []
    for section in SECTIONS["property"]:  # every section, as a member's clicks on the switch show them
        show_section(at, "property", section)
        assert_no_exception(at)
        tiles |= metric_values(at)
        keys += [c.key for c in charts(at) if c.key != "property_drivers"]
    assert keys == ["property_shares", "property_rollout", "property_priority",
                    "property_owners_committees"]
    expected = expected_tiles("property", Scenario.default())
    for label, value in expected.items():
        assert tiles[label] == value, label
    assert tiles["中心城区住宅小区"] == "1,790"
    assert tiles["有物业管理的小区占比(报告)"] == "39.8%"
    assert tiles["沙市区成立业委会的小区占比"] == "14.5%"
    text = " ".join(m.value for m in at.markdown)
    assert prop.summary_sentence(Scenario.default(), "zh") in text


def test_sliders_update_tiles_and_url():
    at = run_page("property")
    at.slider(key="property__prop_subsidy_yuan").set_value(30.0).run()
    at.slider(key="property__prop_min_revenue_yuan").set_value(2000).run()
    assert_no_exception(at)
    changed = Scenario.default().with_values(prop_subsidy_yuan=30.0, prop_min_revenue_yuan=2000)
    tiles = metric_values(at)
    for key in ("获得基本物业服务的老旧小区住户(户)", "全面推开后每年财政补贴"):
        assert tiles[key] == expected_tiles("property", changed)[key]
    assert at.query_params["prop_subsidy_yuan"] in ("30", ["30"])


def test_url_reproduces_the_view_in_english_and_presentation_hides_the_sliders():
    query = {"lang": "en", "prop_resident_yuan": "20", "prop_years": "5", "prop_oc_target_pct": "30"}
    at = run_page("property", query)
    assert_no_exception(at)
    scenario, notices = Scenario.from_query_params(query)
    assert not notices
    tiles = every_section_metrics(at, "property")
    for label, value in expected_tiles("property", scenario, "en").items():
        assert tiles[label] == value, label
    at = run_page("property", {**query, "present": "1"})
    assert_no_exception(at)  # on a projector: every section, no switch
    assert len(charts(at)) == 4 and len(svg_markups(at)) == 1 and not at.get("button_group")
    assert not [s for s in at.slider if s.key and s.key.startswith("property__")]


def test_cli_and_brief():
    cmd = [sys.executable, "-m", "dashboard", "--lang", "en", "scenario", "--page", "property", "--format", "json",
           "--set", "prop_subsidy_yuan=20"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["pages"]["property"]
    scenario = Scenario.default().with_values(prop_subsidy_yuan=20.0)
    model = {m.key: m for m in prop.headline(scenario)}
    for m in out["metrics"]:
        want = model[m["key"]].value
        assert m["value"] == (want if isinstance(want, str) else pytest.approx(want)), m["key"]
    assert out["summary"] == prop.summary_sentence(scenario, "en")
    assert "property" in content.available_pages()
    assert content.figure_names("property")[0] == "property_map"
    (slide,) = content.build_slides(Scenario.default(), "zh", pages=["property"], with_figures=False)
    assert "1,790" in slide.summary and slide.illustrative
    assert {"report2020", "demo_layer", "cnmaps_boundaries"} <= {row[0] for row in slide.sources}
    assert 2020 in slide.years
