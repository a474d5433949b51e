"""Grids page under AppTest (sliders, URL, language, presentation), and CLI/brief parity."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.analyses.grids import model as grids
from dashboard.core.scenario import Scenario
from dashboard.exports import content
from tests.conftest import (
    REPO,
    assert_no_exception,
    charts,
    every_section_metrics,
    expected_tiles,
    run_page,
)


def test_page_shows_the_report_figures_and_the_model():
    at = run_page("grids")
    assert_no_exception(at)
    assert [c.key for c in charts(at)] == ["grids_sizes"]  # one section at a time
    text = " ".join(m.value for m in at.markdown)
    assert grids.summary_sentence(Scenario.default(), "zh") in text
    tiles = every_section_metrics(at, "grids")
    for label, value in expected_tiles("grids", Scenario.default()).items():
        assert tiles[label] == value, label
    assert tiles["沙市区社区承担的工作(项)"] == "130多"
    assert tiles["法定工作项目(18项+协助65项)"] == "83"
    assert tiles["每个小区(网格)党支部编入党员干部"] == "91人"
    assert "130多项" in " ".join(m.value for m in at.markdown) + text  # the tasks section or the summary


def test_sliders_update_tiles_and_url_and_the_pay_wage_carries_over():
    at = run_page("grids", {"pay_coefficient": "1.2"})
    at.slider(key="grids__grids_target_households").set_value(300).run()
    at.slider(key="grids__grids_access_removed_pct").set_value(50.0).run()
    assert_no_exception(at)
    changed = Scenario.default().with_values(pay_coefficient=1.2, grids_target_households=300,
                                             grids_access_removed_pct=50.0)
    tiles = every_section_metrics(at, "grids")
    for key in ("重新划分网格需增配网格员", "增配网格员每年人员经费", "实行准入制度后的工作(项)"):
        assert tiles[key] == expected_tiles("grids", changed)[key], key
    assert at.query_params["grids_target_households"] in ("300", ["300"])
    assert at.query_params["pay_coefficient"] in ("1.2", ["1.2"])


def test_url_in_english_and_presentation_mode():
    query = {"lang": "en", "grids_workers_per_grid": "2"}
    at = run_page("grids", query)
    assert_no_exception(at)
    scenario, _ = Scenario.from_query_params(query)
    tiles = every_section_metrics(at, "grids")
    for label, value in expected_tiles("grids", scenario, "en").items():
        assert tiles[label] == value, label
    at = run_page("grids", {**query, "present": "1"})
    assert_no_exception(at)
    assert len(charts(at)) == 4 and not at.get("button_group")  # on a projector: every section, no switch
    assert not [s for s in at.slider if s.key and s.key.startswith("grids__")]


def test_cli_and_brief():
    cmd = [sys.executable, "-m", "dashboard", "scenario", "--page", "grids", "--format", "json",
           "--set", "grids_target_households=500"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["pages"]["grids"]
    scenario = Scenario.default().with_values(grids_target_households=500)
    model = {m.key: m for m in grids.headline(scenario)}
    for m in out["metrics"]:
        want = model[m["key"]].value
        assert m["value"] == (want if isinstance(want, str) else pytest.approx(want)), m["key"]
    assert out["summary"] == grids.summary_sentence(scenario, "zh")
    assert content.figure_names("grids")[0] == "grids_sizes"
    (slide,) = content.build_slides(Scenario.default(), "en", pages=["grids"], with_figures=False)
    assert "more than 130" in slide.summary and slide.illustrative
    assert {"report2020", "demo_layer", "std_wuhan_staffing"} <= {row[0] for row in slide.sources}
