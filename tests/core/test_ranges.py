"""Ranges and drivers (issue 14), parameters as data and the cache discipline (issue 12, items 3-4)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import registry
from dashboard.core import params, ranges, ranges_chart
from dashboard.core import scenario as scenario_mod
from dashboard.core.metrics import Metric, range_decimals
from dashboard.core.scenario import Param, Scenario, param_values
from dashboard.core.text import t
from tests.conftest import REPO, assert_no_exception, charts, run_page, show_section

PAGES = ("coverage", "beds", "pay")
# a moved scenario per page, away from the defaults (ranges are per scenario)
MOVED = {
    "coverage": {"clinic_service_distance_m": 900, "new_centres": 3},
    "beds": {"beds_occupancy_pct": 90.0, "beds_new_per_year": 1500},
    "pay": {"pay_quit_elasticity": 1.5, "pay_coefficient": 1.0},
}


def _scenarios(page):
    return [Scenario.default(), Scenario.default().with_values(**MOVED[page])]


def _numeric(page: str, key: str, value):
    """A metric value as a number (the beds closing year '>2035' is NOT_CLOSED)."""
    if isinstance(value, str) and value.startswith(">"):
        return registry.model("beds").NOT_CLOSED
    return value


# ---------------------------------------------------------------- parameters as data


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[demo_rate]
kind = "float"
default = 1.3
min = 1.0
max = 2.0
label = { zh = "绕行系数", en = "Detour factor" }
source_id = "asm_detour_factor"
low = 1.2
high = 1.4
band_source = "asm_detour_factor"
band_reason = { zh = "理由", en = "reason" }
"""


def test_a_good_file_loads_with_its_band(tmp_path):
    (p,) = params.parse(_write(tmp_path, GOOD), "demo")
    assert (p.key, p.default, p.low, p.high, p.band_source, p.page) == ("demo_rate", 1.3, 1.2, 1.4, "asm_detour_factor", "demo")
    assert p.has_band and p.band_text() == "1.2–1.4" and p.band_reason("en") == "reason"


@pytest.mark.parametrize("change, message", [
    (("kind = \"float\"", "kind = \"float\"\ncolour = \"red\""), "unknown field(s) colour"),
    (("default = 1.3", "default = 2.5"), "default 2.5 is outside the bounds"),
    (("high = 1.4", "high = 2.4"), "outside the bounds"),
    (("low = 1.2", "low = 1.35"), "must contain the default"),
    (("band_source = \"asm_detour_factor\"", "band_source = \"no_such_source\""), "'no_such_source' is not a source_id"),
    (("source_id = \"asm_detour_factor\"", "source_id = \"nowhere\""), "'nowhere' is not a source_id"),
    (("band_reason = { zh = \"理由\", en = \"reason\" }", ""), "a band needs `band_source`"),
    (("label = { zh = \"绕行系数\", en = \"Detour factor\" }", "label = { zh = \"绕行系数\" }"), "`label` must be a table"),
])
def test_a_bad_file_names_the_file_and_the_parameter(tmp_path, change, message):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(params.ParamsError) as err:
        params.parse(path, "demo")
    assert "demo.toml [demo_rate]" in str(err.value)
    assert message in str(err.value)


def test_invalid_toml_is_a_clear_error(tmp_path):
    with pytest.raises(params.ParamsError, match="demo.toml: not valid TOML"):
        params.parse(_write(tmp_path, "[demo_rate\nkind = 1"), "demo")


def test_the_models_read_their_params_from_the_data_files():
    for page in PAGES:
        model = registry.model(page)
        for declared, used in zip(params.load(page), model.PARAMS, strict=True):
            if used.key == "beds_target_year":  # the one default that follows the calendar (beds model)
                assert dataclasses.replace(declared, default=used.default) == used
                assert used.default == model.default_target_year(model.BASE_YEAR, model.END_YEAR)
            else:
                assert declared == used
        assert (params.PARAMS_DIR / f"{page}.toml").exists()


@pytest.mark.parametrize("key", [
    "pay_social_wage_yuan", "pay_wage_growth_pct", "pay_quit_elasticity", "pay_quits_per_year",
    "pay_turnover_cost_yuan", "pay_households_per_worker", "clinic_service_distance_m", "clinic_detour_factor",
    "clinic_centre_cost_million_yuan", "beds_demand_method", "beds_bed_use_pct", "beds_occupancy_pct",
    "beds_ltc_need_60_79_pct", "beds_ltc_need_80_plus_pct", "beds_norm_per_1000"])
def test_every_named_assumption_has_a_sourced_band(key):
    p = scenario_mod.params_by_key()[key]
    assert p.has_band and p.band_source in params.shipped_source_ids() and p.band_reason("zh") and p.band_reason("en")


def test_bands_restate_their_sources():
    by = scenario_mod.params_by_key()
    assert (by["pay_social_wage_yuan"].low, by["pay_social_wage_yuan"].high) == (50000, 65000)  # report's 5万 and up
    assert (by["clinic_service_distance_m"].low, by["clinic_service_distance_m"].high) == (800, 1000)  # GB 50180
    assert (by["pay_households_per_worker"].low, by["pay_households_per_worker"].high) == (300, 500)  # Wuhan
    assert by["beds_demand_method"].band_choices == ("need", "norm")
    assert not by["pay_coefficient"].has_band and not by["new_centres"].has_band  # policy choices are not varied


def test_params_cli_shows_bands_and_their_sources():
    out = subprocess.run([sys.executable, "-m", "dashboard", "--lang", "en", "params", "--bands", "--format", "json"],
                         capture_output=True, text=True, cwd=REPO, timeout=300, check=True)
    rows = {r["key"]: r for r in json.loads(out.stdout)}
    assert rows["pay_social_wage_yuan"]["band"] == "50000–65000"
    assert rows["pay_social_wage_yuan"]["band_source"] == "asm_band_pay_wage_base"
    assert "pay_coefficient" not in rows  # --bands lists only the varied assumptions


# ---------------------------------------------------------------- one cache discipline


@pytest.fixture
def fake_param(monkeypatch):
    """Declare one more coverage parameter (as a new slider would) and return its key."""
    fake = "zz_fake_setting"
    model = registry.model("coverage")
    monkeypatch.setattr(model, "PARAMS", [*model.PARAMS, Param(fake, 1, "int", "假", "fake", "report2020", "coverage",
                                                               min=0, max=10)])
    scenario_mod.all_params.cache_clear()
    yield fake
    scenario_mod.all_params.cache_clear()


def test_a_new_parameter_is_in_the_cache_key_without_touching_the_cache(fake_param):
    model = registry.model("coverage")
    base = Scenario.default()
    moved = base.with_values(**{fake_param: 2})
    assert param_values(base, model.PARAMS) != param_values(moved, model.PARAMS)
    assert model.scenario_result(base) is model.scenario_result(base)  # cached...
    assert model.scenario_result(moved) is not model.scenario_result(base)  # ...and the new value is a new entry
    assert ranges.for_scenario("coverage", moved) is not ranges.for_scenario("coverage", base)


@pytest.mark.parametrize("page, cached", [("beds", "compute"), ("pay", "_shared")])
def test_other_models_key_on_every_param(monkeypatch, page, cached):
    model = registry.model(page)
    fake = f"zz_fake_{page}"
    monkeypatch.setattr(model, "PARAMS", [*model.PARAMS, Param(fake, 1, "int", "假", "fake", "report2020", page,
                                                               min=0, max=10)])
    scenario_mod.all_params.cache_clear()
    try:
        base = Scenario.default()
        moved = base.with_values(**{fake: 2})
        fn = getattr(model, cached)
        assert fn(base, None) is fn(base, None)
        assert fn(moved, None) is not fn(base, None)
    finally:
        scenario_mod.all_params.cache_clear()


# ---------------------------------------------------------------- the ranges


@pytest.mark.parametrize("page", PAGES)
def test_low_le_value_le_high_for_every_metric(page):
    for sc in _scenarios(page):
        for m in ranges.headline(page, sc):
            if m.value is None:
                continue
            lo, v, hi = (_numeric(page, m.key, x) for x in (m.low, m.value, m.high))
            assert lo <= v + 1e-9 and v <= hi + 1e-9, (m.key, lo, v, hi)


@pytest.mark.parametrize("page, keys", [
    ("pay", ("pay_posts_budgeted",)),
    ("beds", ("beds_per_1000_city", "supply", "nursing_share", "without_centre")),
    ("coverage", ("residents_per_gp", "streets_without_public_centre", "plan_new_centres", "plan_gp_shortfall")),
])
def test_a_metric_no_assumption_moves_has_no_spread(page, keys):
    metrics = {m.key: m for m in ranges.headline(page, Scenario.default())}
    for key in keys:
        m = metrics[key]
        assert m.low == m.value == m.high, key
        assert m.range_text("zh") == "" and m.formatted("zh") == Metric(**{**dataclasses.asdict(m), "low": None,
                                                                             "high": None}).formatted("zh")


def _ranges_with_band(page: str, key: str, low, high) -> ranges.Ranges:
    model = registry.model(page)
    moved = [dataclasses.replace(p, low=low, high=high) if p.key == key else p for p in model.PARAMS]
    sc = Scenario.default()
    return ranges.compute(page, moved, sc, model.headline(sc), model.range_evaluator(sc), model.RANGE_MAIN)


@pytest.mark.parametrize("page, key, metric, wider, direction", [
    ("pay", "pay_social_wage_yuan", "pay_increment_year1", (50000, 80000), "up"),  # dearer wage, dearer ladder
    ("pay", "pay_quit_elasticity", "pay_quits_ladder", (0.2, 2.0), "up"),  # less responsive quits: more quits
    ("beds", "beds_occupancy_pct", "gap", (60.0, 95.0), "up"),  # lower occupancy needs more beds
    ("coverage", "clinic_detour_factor", "covered_share", (1.2, 1.8), "down"),  # longer detours reach fewer
])
def test_moving_a_band_moves_the_range_the_right_way(page, key, metric, wider, direction):
    p = scenario_mod.params_by_key()[key]
    before = _ranges_with_band(page, key, p.low, p.high)
    after = _ranges_with_band(page, key, *wider)
    if direction == "up":
        assert after.high[metric] > before.high[metric]
        assert after.low[metric] == before.low[metric]
    else:
        assert after.low[metric] < before.low[metric]
        assert after.high[metric] == before.high[metric]


@pytest.mark.parametrize("page", PAGES)
def test_tornado_bars_equal_one_at_a_time_model_runs(page):
    model = registry.model(page)
    held = set(getattr(model, "RANGE_HELD", ()))
    for sc in _scenarios(page):
        r = ranges.for_scenario(page, sc)
        decimals = {m.key: m.decimals for m in model.headline(sc)}
        for key, drivers in r.drivers.items():
            for d in drivers:
                for end, result in zip(d.ends, d.results, strict=True):
                    if key in held:
                        continue
                    variant = {m.key: m.value for m in model.headline(sc.with_values(**{d.key: end}))}
                    expected = _numeric(page, key, variant[key])
                    expected = None if expected is None else round(float(expected), decimals[key])
                    assert result == expected, (page, key, d.key, end)
        # and the figure draws exactly those bars: base + length = the figure at each end
        fig = ranges_chart.tornado_figure(page, sc, "en")
        main = r.main_drivers()
        shown = {}
        for trace in fig.data:
            for y, x in zip(trace.y, trace.x, strict=True):
                shown.setdefault(y, []).append(round(trace.base + x, 6))
        hover = " ".join(h for trace in fig.data for h in trace.hovertext)
        for d in main:
            # every end's result is a bar, except a choice parameter's own choice (no bar from itself)
            own = sc.get(d.key) if d.ends and isinstance(d.ends[0], str) else object()
            expected = sorted(round(v, 6) for e, v in zip(d.ends, d.results, strict=True) if v is not None and e != own)
            assert sorted(shown.get(d.label("en"), [])) == expected, d.key
            assert d.band in hover and d.band_source in hover, d.key


def test_drivers_are_sorted_and_the_summary_names_the_top_one():
    for page in PAGES:
        r = ranges.for_scenario(page, Scenario.default())
        swings = [d.swing for d in r.main_drivers()]
        assert swings == sorted(swings, reverse=True)
        top = r.top_drivers(1)[0]
        model = registry.model(page)
        assert "主要取决于：" + top.label("zh") in model.summary_sentence(Scenario.default(), "zh")
        assert "depends most on " + top.label("en") in model.summary_sentence(Scenario.default(), "en")
    assert ranges.for_scenario("pay", Scenario.default()).top_drivers(1)[0].key == "pay_social_wage_yuan"
    table = ranges_chart.drivers_table("pay", Scenario.default(), "en")
    assert list(table[t("ranges.col_band_source", "en")])[0] == "asm_band_pay_wage_base"


def test_a_conclusion_that_flips_inside_the_bands_is_said_in_words():
    sc = Scenario.default()  # 沙市区, need-based demand: a gap; the per-1,000 norm gives a surplus
    r = ranges.for_scenario("beds", sc)
    flips = {(f.metric, f.key, f.end) for f in r.flips}
    assert ("gap", "beds_demand_method", "norm") in flips
    text = registry.model("beds").summary_sentence(sc, "en")
    assert "the conclusion changes inside the bands" in text and "Per-1,000 norm" in text
    # pay: no conclusion declared, no flip sentence
    assert not ranges.for_scenario("pay", sc).flips


def test_precision_follows_the_range():
    wide = Metric("x", 20.4321, "million_yuan", "x", "x", (), 2, low=18.2, high=31.0)
    # money: never coarser than whole 万 in either language (2,043万元 = 20.43 million yuan)
    assert wide.formatted("en") == "20.43 million yuan" and wide.range_text("en") == "18.20–31.00 million yuan"
    assert wide.formatted("zh") == "2,043万元"
    share = Metric("s", 71.05, "percent", "x", "x", (), 1, low=58.0, high=75.0)
    assert share.formatted("zh") == "71%"
    narrow = Metric("x", 20.4321, "million_yuan", "x", "x", (), 2, low=20.41, high=20.45)
    assert narrow.formatted("en") == "20.43 million yuan"
    assert range_decimals(0.05, 0.12, 2) <= 1  # a factor of two: never two decimals
    assert range_decimals(0.2, 1.3, 2) == 1  # a small figure keeps one significant digit
    assert range_decimals(None, None, 2) == 2


def test_cli_json_brief_and_page_print_the_same_ranges():
    from dashboard.exports import brief

    sc = Scenario.default().with_values(pay_quit_elasticity=1.5)
    out = subprocess.run([sys.executable, "-m", "dashboard", "scenario", "--set", "pay_quit_elasticity=1.5",
                          "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=300, check=True)
    doc = json.loads(out.stdout)["pages"]
    slides = {s.page: s for s in brief.build_slides(sc, "zh", with_figures=False)}
    for page in PAGES:
        model_metrics = {m.key: m for m in ranges.headline(page, sc)}
        cli = {m["key"]: m for m in doc[page]["metrics"]}
        for key, m in model_metrics.items():
            assert (cli[key]["low"], cli[key]["value"], cli[key]["high"]) == (m.low, m.value, m.high), key
        for m in slides[page].metrics:
            assert (m.low, m.high) == (model_metrics[m.key].low, model_metrics[m.key].high)
        main = model_metrics[doc[page]["ranges"]["main"]]
        assert main.range_text("zh") in slides[page].drivers  # the slide shows the headline range...
        for d in ranges.for_scenario(page, sc).top_drivers(3):  # ...and its top three drivers
            assert d.label("zh") in slides[page].drivers
        assert doc[page]["ranges"]["runs"] > 0 and doc[page]["ranges"]["method"] == ranges.METHOD
    # the page shows the same range under its tile
    at = show_section(run_page("pay", {"pay_quit_elasticity": "1.5"}), "pay", "retention")  # the quits tile
    assert_no_exception(at)
    captions = " ".join(c.value for c in at.caption)
    quits = {m.key: m for m in ranges.headline("pay", sc)}["pay_quits_ladder"]
    assert f"{t('ranges.range', 'zh')} {quits.range_text('zh')}" in captions
    assert any(c.key == "pay_drivers" for c in charts(at))


@pytest.mark.parametrize("page", PAGES)
def test_a_fast_evaluator_gives_every_headline_figure(page):
    """A model's `range_evaluator` must give every headline key: one it lacks makes `with_fallback` run the
    full model for every variant (beds' `met_share_other` did: ~40 full runs, seconds, per slider step)."""
    model = registry.model(page)
    maker = getattr(model, "range_evaluator", None)
    if maker is None:
        pytest.skip(f"{page} has no fast evaluator")
    for sc in _scenarios(page):
        values = maker(sc)(sc)
        missing = [m.key for m in model.headline(sc) if m.key not in values]
        assert not missing, f"{page}: the fast evaluator lacks {missing}"


@pytest.mark.parametrize("page", [p.key for p in registry.ANALYSES])
def test_a_fast_evaluator_gives_the_full_models_numbers(page):
    """Every variant the ranges try (each varied parameter at its band's ends, and all at once): the fast
    evaluator's figures equal the model's headline, in the decimals the page prints."""
    model = registry.model(page)
    maker = getattr(model, "range_evaluator", None)
    if maker is None:
        pytest.skip(f"{page} has no fast evaluator")
    sc = Scenario.default()
    evaluate = maker(sc)
    moved = ranges.varied(model.PARAMS)
    variants = [sc.with_values(**{p.key: end}) for p in moved for end in ranges.ends(p, sc.get(p.key))]
    variants.append(sc.with_values(**{p.key: ranges.ends(p, sc.get(p.key))[-1] for p in moved}))
    held, display = set(getattr(model, "RANGE_HELD", ())), getattr(model, "RANGE_DISPLAY", {})
    for variant in variants:
        fast = evaluate(variant)
        for m in model.headline(variant):
            if m.key in held:  # held at the scenario's own answer on purpose (e.g. coverage's suggested sites)
                continue
            want, got = m.value, fast[m.key]
            if m.key in display:
                got = display[m.key](got)
            if isinstance(want, int | float) and got is not None:
                assert round(float(got), m.decimals) == round(float(want), m.decimals), (m.key, variant.changes())
            else:
                assert got == want, (m.key, variant.changes())
