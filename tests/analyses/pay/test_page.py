"""Worker-pay page under AppTest (sliders, URL, language) and CLI/page/model parity."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.analyses.pay import model as pay
from dashboard.core import ranges
from dashboard.core.scenario import Scenario
from tests.conftest import (
    REPO,
    SECTIONS,
    assert_no_exception,
    charts,
    expected_tiles,
    metric_values,
    run_page,
    show_section,
)


def test_page_runs_and_shows_the_model_figures():
    at = run_page("pay")
    assert_no_exception(at)
    assert len(charts(at)) == 2  # one section at a time: today's chart, and the drivers (tornado)
    tiles, keys = {}, []
    for section in SECTIONS["pay"]:  # every section, as a member's clicks on the switch show them
        show_section(at, "pay", section)
        assert_no_exception(at)
        tiles |= metric_values(at)
        keys += [c.key for c in charts(at) if c.key != "pay_drivers"]
    assert keys == ["pay_distribution", "pay_ladder", "pay_budget", "pay_retention", "pay_workload"]
    expected = expected_tiles("pay", Scenario.default())
    for label in ("阶梯薪酬首年增支", "现行人均薪酬占社平工资", "0.94×社平工资(报告口径50,000元)", "核定社区工作者岗位"):
        assert tiles[label] == expected[label], label
    assert tiles["核定社区工作者岗位"] == "925"
    text = " ".join(m.value for m in at.markdown)
    assert pay.summary_sentence(Scenario.default(), "zh") in text
    captions = " ".join(c.value for c in at.caption)
    assert "假设" in captions and "调研报告" in captions


def test_slider_change_updates_headline_and_url():
    at = run_page("pay")
    before = metric_values(at)["阶梯薪酬首年增支"]
    at.slider(key="pay__pay_coefficient").set_value(1.0).run()
    assert_no_exception(at)
    after = metric_values(at)
    assert after["阶梯薪酬首年增支"] != before
    changed = Scenario.default().with_values(pay_coefficient=1.0)
    assert after["阶梯薪酬首年增支"] == expected_tiles("pay", changed)["阶梯薪酬首年增支"]
    assert at.query_params["pay_coefficient"] in ("1", ["1"])
    show_section(at, "pay", "retention")  # the quits tile sits with the retention chart
    at.slider(key="pay__pay_quit_elasticity").set_value(2.0).run()
    at.slider(key="pay__pay_oncost_pct").set_value(30.0).run()
    assert_no_exception(at)
    both = Scenario.default().with_values(pay_coefficient=1.0, pay_quit_elasticity=2.0, pay_oncost_pct=30.0)
    assert metric_values(at)["阶梯下年离职人数(估)"] == expected_tiles("pay", both)["阶梯下年离职人数(估)"]
    assert metric_values(at)["阶梯薪酬首年增支"] == expected_tiles("pay", both)["阶梯薪酬首年增支"]


def test_anchor_select_and_ladder_view():
    at = run_page("pay")
    at.selectbox(key="pay__pay_ladder_anchor").set_value("floor").run()
    assert_no_exception(at)
    floor = Scenario.default().with_values(pay_ladder_anchor="floor")
    assert metric_values(at)["阶梯人均薪酬(首年)"] == expected_tiles("pay", floor)["阶梯人均薪酬(首年)"]
    show_section(at, "pay", "ladder")
    at.segmented_control(key="pay_ladder_view").set_value("yuan").run()
    assert_no_exception(at)


def test_url_reproduces_the_view_in_english():
    query = {"lang": "en", "pay_coefficient": "1.05", "pay_grade_step_pct": "4", "pay_wage_growth_pct": "3",
             "pay_years": "3", "pay_entry_grade_member": "3"}
    at = show_section(run_page("pay", query), "pay", "budget")  # the multi-year tile sits with the budget
    assert_no_exception(at)
    scenario, notices = Scenario.from_query_params(query)
    assert not notices
    expected = expected_tiles("pay", scenario, "en")
    tiles = metric_values(at)
    for label in ("Extra cost of the ladder, year 1", "Ladder average pay, year 1", "Extra cost over 3 years"):
        assert tiles[label] == expected[label], label
    assert at.slider(key="pay__pay_coefficient").value == pytest.approx(1.05)


def test_bad_pay_url_values_are_clamped_not_fatal():
    at = run_page("pay", {"pay_coefficient": "9", "pay_years": "banana", "pay_ladder_anchor": "zzz"})
    assert_no_exception(at)
    assert at.slider(key="pay__pay_coefficient").value == pytest.approx(1.5)


def test_cli_matches_model_and_page():
    sets = ["pay_coefficient=1.0", "pay_ladder_anchor=floor", "pay_oncost_pct=30", "pay_quit_elasticity=1.5"]
    cmd = [sys.executable, "-m", "dashboard", "--lang", "en", "scenario", "--page", "pay", "--format", "json"]
    for item in sets:
        cmd += ["--set", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["pages"]["pay"]
    scenario = Scenario.default().with_values(pay_coefficient=1.0, pay_ladder_anchor="floor", pay_oncost_pct=30.0,
                                              pay_quit_elasticity=1.5)
    model = {m.key: m for m in ranges.headline("pay", scenario)}
    for m in out["metrics"]:
        assert m["value"] == pytest.approx(model[m["key"]].value), m["key"]
        assert (m["low"], m["high"]) == (model[m["key"]].low, model[m["key"]].high), m["key"]  # the same range
    assert out["summary"] == pay.summary_sentence(scenario, "en")
    assert out["details"]["headline"]["increment_year1_yuan"] == pytest.approx(
        pay.details(scenario)["headline"]["increment_year1_yuan"])
    # and the page shows the same numbers for the same URL
    at = run_page("pay", {"lang": "en", **dict(item.split("=") for item in sets)})
    assert_no_exception(at)
    tiles = metric_values(at)
    for key in ("pay_increment_year1", "pay_ladder_mean_yuan"):
        m = model[key]
        assert tiles[m.label("en")] == m.formatted("en")
