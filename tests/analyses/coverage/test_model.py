"""Clinic-coverage model: hand-made geometries with known answers, solver properties, calibration.

Coordinates in the hand-made cases are metres (x_m/y_m), so distances are exact.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from dashboard.analyses.coverage import cover
from dashboard.analyses.coverage import evaluate as ev
from dashboard.analyses.coverage import inputs as cin
from dashboard.analyses.coverage import model as cv

# ---------------------------------------------------------------- helpers


def _demand(rows: list[tuple]) -> pd.DataFrame:
    """rows: (compound_id, x_m, y_m, residents, subdistrict_code, new_area_id)."""
    return pd.DataFrame(rows, columns=["compound_id", "x_m", "y_m", "residents", "subdistrict_code", "new_area_id"]).assign(
        district_code=lambda f: f["subdistrict_code"].str[:6])


def _clinics(rows: list[tuple]) -> pd.DataFrame:
    """rows: (clinic_id, x_m, y_m, kind, ownership, subdistrict_code, gps, nurses, meets_standard, premises)."""
    cols = ["clinic_id", "x_m", "y_m", "kind", "ownership", "subdistrict_code", "gps", "nurses", "meets_standard", "premises"]
    return pd.DataFrame(rows, columns=cols).assign(district_code=lambda f: f["subdistrict_code"].str[:6])


def _settings(**kw) -> cv.Settings:
    base = dict(service_distance_m=1000, detour_factor=1.0, kinds=cin.KINDS, ownership=cin.OWNERSHIPS,
                include_villages=False, new_centres=0, candidates="all", gps_per_centre=6, nurses_per_centre=9,
                centre_cost_million_yuan=6.0)
    base.update(kw)
    return cv.Settings(**base)


SUBS = pd.DataFrame({
    "subdistrict_code": ["421002001", "421002002", "421002100"],
    "subdistrict_name": ["甲街道", "乙街道", "丙镇"],
    "district_code": ["421002"] * 3,
    "district_name": ["沙市区"] * 3,
    "kind": ["street", "street", "town"],
})


# ---------------------------------------------------------------- distances and coverage


def test_reach_radius_divides_by_detour():
    assert cover.reach_radius_m(1300, 1.3) == pytest.approx(1000.0)
    assert cover.reach_radius_m(1000, 1.0) == 1000.0
    with pytest.raises(ValueError, match="detour factor"):
        cover.reach_radius_m(1000, 0.9)
    with pytest.raises(ValueError, match="service distance"):
        cover.reach_radius_m(-1, 1.3)


@pytest.mark.parametrize("radius, expected", [(5000.0, True), (5000.0 - 1e-3, False), (5000.0 + 1e-3, True)])
def test_point_exactly_at_the_radius_counts(radius, expected):
    # 3-4-5 triangle: the distance is exactly 5,000 m
    covered, got, total = cover.population_coverage([[3000.0, 4000.0]], [100], [[0.0, 0.0]], radius)
    assert bool(covered[0]) is expected
    assert got[0] == (100 if expected else 0)
    assert total[0] == 100


def test_radius_with_detour_at_the_boundary():
    # walk 6,500 m at detour 1.3 reaches 5,000 m straight line: the 3-4-5 point is exactly on it
    radius = cover.reach_radius_m(6500, 1.3)
    covered, _, _ = cover.population_coverage([[3000.0, 4000.0]], [1], [[0.0, 0.0]], radius)
    assert covered[0]


def test_compound_reached_by_two_facilities_counted_once():
    demand = [[0.0, 0.0], [5000.0, 0.0]]
    facilities = [[10.0, 0.0], [-10.0, 0.0], [0.0, 10.0]]  # three facilities reach the first compound
    covered, got, total = cover.population_coverage(demand, [100, 50], facilities, 100.0)
    assert covered.tolist() == [True, False]
    assert got[0] == 100 and total[0] == 150
    assert cover.share_pct(got[0], total[0]) == pytest.approx(100 * 100 / 150)


def test_zero_population_gives_no_share_not_an_error():
    covered, got, total = cover.population_coverage([[0.0, 0.0], [10.0, 0.0]], [0, 0], [[0.0, 0.0]], 50.0)
    assert covered.all() and got[0] == 0 and total[0] == 0
    assert cover.share_pct(got[0], total[0]) is None


def test_no_facilities_means_nobody_covered():
    nearest = cover.nearest_facility_m([[0.0, 0.0], [1.0, 1.0]], np.empty((0, 2)))
    assert np.isinf(nearest).all()
    covered, got, total = cover.population_coverage([[0.0, 0.0]], [10], np.empty((0, 2)), 1e9)
    assert not covered.any() and got[0] == 0 and total[0] == 10


def test_no_demand_points():
    covered, got, total = cover.population_coverage(np.empty((0, 2)), [], [[0.0, 0.0]], 100.0)
    assert len(covered) == 0 and got[0] == 0 and total[0] == 0


def test_groups_sum_to_the_whole():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 10_000, (500, 2))
    res = rng.integers(0, 2000, 500)
    groups = rng.integers(0, 7, 500)
    fac = rng.uniform(0, 10_000, (20, 2))
    covered, got, total = cover.population_coverage(xy, res, fac, 800.0, groups, 7)
    assert got.sum() == pytest.approx(res[covered].sum())
    assert total.sum() == pytest.approx(res.sum())


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 20_000, (800, 2))
    fac = rng.uniform(0, 20_000, (40, 2))
    brute = np.sqrt(((xy[:, None, :] - fac[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    np.testing.assert_allclose(cover.nearest_facility_m(xy, fac), brute)
    bounded = cover.nearest_facility_m(xy, fac, max_m=1500.0)
    within = brute <= 1500.0
    np.testing.assert_allclose(bounded[within], brute[within])
    assert np.isinf(bounded[~within]).all()


def test_negative_residents_are_rejected_by_name():
    with pytest.raises(ValueError, match="-5"):
        cover.population_coverage([[0.0, 0.0]], [-5], [[0.0, 0.0]], 1.0)
    frame = _demand([("C9", 0.0, 0.0, -5, "421002001", "")])
    with pytest.raises(ValueError, match="C9"):
        cin.prepare_inputs(frame, _clinics([]))


def test_missing_coordinates_are_rejected_by_name():
    frame = _demand([("C1", 0.0, 0.0, 5, "421002001", ""), ("C2", float("nan"), 0.0, 5, "421002001", "")])
    with pytest.raises(ValueError, match="C2"):
        cin.prepare_inputs(frame, _clinics([]))


def test_unknown_facility_kind_is_rejected_by_name():
    clinics = _clinics([("H1", 0.0, 0.0, "hospital", "public", "421002001", 1, 1, False, "owned")])
    with pytest.raises(ValueError, match="H1"):
        cin.prepare_inputs(_demand([("C1", 0.0, 0.0, 5, "421002001", "")]), clinics)


# ---------------------------------------------------------------- the model on a small town


def _town() -> cin.Inputs:
    """Two streets and a town. Street 001 has a public centre at the origin; street 002 has only a
    private station; the town has nothing. New area 'shabei' covers the compounds east of x = 5,000."""
    demand = _demand([
        ("A", 0.0, 0.0, 1000, "421002001", ""),
        ("B", 600.0, 0.0, 500, "421002001", ""),  # within 1,000 m of the centre
        ("C", 1000.0, 0.0, 200, "421002001", ""),  # exactly at 1,000 m
        ("D", 3000.0, 0.0, 800, "421002002", ""),  # 100 m from the station
        ("E", 6000.0, 0.0, 700, "421002002", "shabei"),
        ("F", 6500.0, 0.0, 300, "421002002", "shabei"),
        ("G", 20000.0, 0.0, 0, "421002100", ""),  # nobody lives here
    ])
    clinics = _clinics([
        ("H1", 0.0, 0.0, "centre", "public", "421002001", 4, 9, False, "rented"),
        ("H2", 3100.0, 0.0, "station", "private", "421002002", 2, 2, False, "rented"),
    ])
    return cin.prepare_inputs(demand, clinics, SUBS)


def test_evaluate_known_answers():
    inputs = _town()
    r = ev.evaluate(inputs, _settings())
    assert r.city["residents"] == 3500
    assert r.city["covered_residents"] == 1000 + 500 + 200 + 800
    assert r.city["covered_share_pct"] == pytest.approx(100 * 2500 / 3500)
    assert r.city["uncovered_points"] == 3  # E, F and the empty G
    subs = r.by_subdistrict.set_index("subdistrict_code")
    assert subs.loc["421002001", "covered_share_pct"] == pytest.approx(100.0)
    assert subs.loc["421002002", "covered_share_pct"] == pytest.approx(100 * 800 / 1800)
    assert pd.isna(subs.loc["421002100", "covered_share_pct"])  # zero population: no share (None in details)
    areas = r.by_new_area.set_index("area_id")
    assert areas.loc["shabei", "covered_share_pct"] == pytest.approx(0.0)
    assert areas.loc["shabei", "residents"] == 1000
    assert r.city["residents_per_gp"] == pytest.approx(3500 / 6)
    assert r.city["residents_per_centre"] == pytest.approx(3500)
    assert r.without_public_centre["subdistrict_code"].tolist() == ["421002002"]  # the town is not a street


def test_filters_by_kind_and_ownership():
    inputs = _town()
    only_public = ev.evaluate(inputs, _settings(ownership=("public",)))
    assert only_public.city["covered_residents"] == 1700  # the private station no longer counts
    only_stations = ev.evaluate(inputs, _settings(kinds=("station",)))
    assert only_stations.city["covered_residents"] == 800
    assert only_stations.city["residents_per_centre"] is None
    nothing = ev.evaluate(inputs, _settings(kinds=()))
    assert nothing.city["covered_residents"] == 0 and nothing.city["facilities_counted"] == 0


def test_suggest_sites_and_candidate_rules():
    inputs = _town()
    r = ev.evaluate(inputs, _settings(new_centres=1))
    # one centre at E or F reaches both (500 m apart): 1,000 residents; E comes first on ties
    assert r.sites["compound_id"].tolist() == ["E"]
    assert r.sites["marginal_residents"].tolist() == [1000]
    assert r.city["covered_residents_after"] == 3500
    assert r.by_subdistrict.set_index("subdistrict_code").loc["421002002", "new_sites"] == 1
    # more centres than anyone needs: only sites that add someone are returned
    many = ev.evaluate(inputs, _settings(new_centres=5))
    assert len(many.sites) == 1 and many.suggestion.optimal
    # candidates restricted to streets without a public centre / to new areas
    no_centre = ev.evaluate(inputs, _settings(new_centres=1, candidates="no_centre"))
    assert set(no_centre.sites["subdistrict_code"]) <= {"421002002"}
    new_areas = ev.evaluate(inputs, _settings(new_centres=1, candidates="new_areas"))
    assert set(new_areas.sites["new_area_id"]) == {"shabei"}
    with pytest.raises(ValueError, match="nowhere"):
        ev.candidate_indices(inputs, "nowhere")


def test_plan_one_public_centre_per_street():
    inputs = _town()
    r = ev.evaluate(inputs, _settings(gps_per_centre=6, nurses_per_centre=9, centre_cost_million_yuan=6.5))
    p = r.plan
    assert p["streets"] == 2
    assert [s["subdistrict_code"] for s in p["streets_without_public_centre"]] == ["421002002"]
    assert [s["subdistrict_code"] for s in p["streets_public_centre_below_standard"]] == ["421002001"]
    assert p["new_centres"] == 1 and p["centres_after"] == 2
    assert p["gps_required_in_centres"] == 12 and p["nurses_required_in_centres"] == 18
    # H1 has 4 of 6 GPs and 9 of 9 nurses; the new centre needs all of its staff
    assert p["gp_shortfall"] == 2 + 6
    assert p["nurse_shortfall"] == 0 + 9
    assert p["gps_today"] == 6
    assert p["build_cost_million_yuan"] == pytest.approx(6.5)
    assert r.plan_sites["subdistrict_code"].tolist() == ["421002002"]
    assert p["covered_share_after_plan_pct"] == pytest.approx(100.0)


def test_plan_places_a_centre_even_where_nobody_new_is_reached():
    demand = _demand([("A", 0.0, 0.0, 10, "421002001", ""), ("B", 50.0, 0.0, 30, "421002002", "")])
    clinics = _clinics([("H1", 0.0, 0.0, "centre", "public", "421002001", 6, 9, True, "owned")])
    r = ev.evaluate(cin.prepare_inputs(demand, clinics, SUBS), _settings())
    assert r.plan["new_centres"] == 1
    assert r.plan_sites["compound_id"].tolist() == ["B"]  # B is already within reach; it still gets one
    assert r.plan_sites["marginal_residents"].tolist() == [0]


# ---------------------------------------------------------------- the covering solver


def _matrix(sets: list[list[int]], n_rows: int) -> sparse.csc_matrix:
    dense = np.zeros((n_rows, len(sets)))
    for j, rows in enumerate(sets):
        dense[rows, j] = 1
    return sparse.csc_matrix(dense)


def test_exact_beats_greedy_where_greedy_is_myopic():
    # rows a b c d e f; s0 = {a,b,c,d} (4), s1 = {a,b,e} (3.5), s2 = {c,d,f} (3.5)
    weights = np.array([1, 1, 1, 1, 1.5, 1.5])
    matrix = _matrix([[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]], 6)
    greedy, gains = cover.greedy_cover(matrix, weights, 2)
    assert greedy == [0, 1] and sum(gains) == pytest.approx(5.5)
    sol = cover.max_cover(matrix, weights, 2)
    # one swap (s0 out, s2 in) reaches the online bound 7 + 0: optimal without the MIP
    assert sol.method == "swap" and sol.optimal and sol.proof == "bound" and sol.gap == 0
    assert sorted(sol.chosen) == [1, 2]
    assert sol.total == pytest.approx(7.0) and sol.greedy_total == pytest.approx(5.5)
    assert sum(sol.marginal) == pytest.approx(sol.total)


def test_greedy_proved_optimal_by_its_bound_without_a_solver(monkeypatch):
    # disjoint sites: greedy takes the k heaviest, which the online bound certifies
    weights = np.array([5, 4, 3, 2, 1.0])
    matrix = _matrix([[0], [1], [2], [3], [4]], 5)
    from dashboard.analyses.coverage import solver

    monkeypatch.setattr(solver, "swap_search", lambda *a, **k: pytest.fail("the local search should not run"))
    monkeypatch.setattr(solver, "mip", lambda *a, **k: pytest.fail("the solver should not run"))
    sol = cover.max_cover(matrix, weights, 2)
    assert sol.optimal and sol.proof == "bound" and sol.total == 9.0
    assert cover.max_cover(matrix, weights, 0).proof == "trivial"


def _random_instance(seed: int, n_rows: int = 120, n_cols: int = 40):
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_rows, n_cols)) < rng.uniform(0.03, 0.12)).astype(float)
    weights = rng.integers(0, 1000, n_rows).astype(float)
    return sparse.csc_matrix(dense), weights


@pytest.mark.parametrize("seed", range(12))
def test_exact_never_worse_than_greedy(seed):
    matrix, weights = _random_instance(seed)
    for k in (1, 3, 6):
        sol = cover.max_cover(matrix, weights, k)
        assert sol.total >= sol.greedy_total - 1e-9
        assert len(sol.chosen) <= k
        assert sol.total == pytest.approx(cover._covered_total(matrix, weights, sol.chosen))


def test_exact_is_optimal_on_small_instances():
    from itertools import combinations

    for seed in range(5):
        matrix, weights = _random_instance(100 + seed, n_rows=40, n_cols=10)
        best = max(cover._covered_total(matrix, weights, c) for c in combinations(range(10), 3))
        assert cover.max_cover(matrix, weights, 3).total == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_adding_centres_never_lowers_coverage(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 8000, (300, 2))
    res = rng.integers(0, 3000, 300).astype(float)
    fac = rng.uniform(0, 8000, (4, 2))
    covered = cover.is_covered(cover.nearest_facility_m(xy, fac), 700.0)
    cand = np.arange(0, 300, 3)
    totals = []
    for k in range(0, 8):
        s = cover.suggest_sites(xy, res, covered, cand, 700.0, k)
        assert s.added >= s.greedy_added - 1e-9
        totals.append(res[covered].sum() + s.added)
    assert all(b >= a - 1e-9 for a, b in zip(totals, totals[1:], strict=False))
    assert totals[0] == res[covered].sum()


def test_greedy_curve_falls_off():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 8000, (400, 2))
    res = rng.integers(1, 3000, 400).astype(float)
    s = cover.suggest_sites(xy, res, np.zeros(400, bool), np.arange(400), 600.0, 3, curve_to=15)
    assert len(s.curve) == 15
    assert all(b <= a + 1e-9 for a, b in zip(s.curve, s.curve[1:], strict=False))  # greedy gains never rise
    assert list(s.marginal) == sorted(s.marginal, reverse=True)


def test_site_suggestion_with_no_candidates_or_no_demand():
    s = cover.suggest_sites(np.zeros((0, 2)), [], [], [], 500.0, 3)
    assert s.sites == () and s.added == 0
    s = cover.suggest_sites([[0.0, 0.0]], [10], [False], [], 500.0, 3)
    assert s.sites == () and s.added == 0


# ---------------------------------------------------------------- parameters, sources, catalogue


def test_params_have_sources_labels_and_units():
    import csv

    from dashboard import REPO_ROOT
    from dashboard.core.text import catalog

    with open(REPO_ROOT / "data" / "sources.csv", encoding="utf-8") as fh:
        sources = {row["source_id"]: row for row in csv.DictReader(fh)}
    cat = catalog()
    keys = {p.key for p in cv.PARAMS}
    assert {"clinic_service_distance_m", "new_centres"} <= keys  # fixed by the issue (URL / CLI)
    for p in cv.PARAMS:
        assert p.page == "coverage"
        assert p.source_id in sources, p.key
        assert p.label_zh and p.label_en
        if p.unit:
            assert f"units.{p.unit}" in cat, p.unit
        for choice in p.choices:
            assert f"choices.{p.key}.{choice}" in cat, (p.key, choice)
    assert sources["std_chsc_staffing"]["kind"] == "standard"
    assert sources["asm_detour_factor"]["kind"] == "assumption"
    assert cv.DISTANCE_PRESETS["walk_15min"] == next(p.default for p in cv.PARAMS if p.key == "clinic_service_distance_m")


def test_coverage_catalogue_is_complete():
    from dashboard.core.text import catalog

    own = {k: v for k, v in catalog().items() if k.startswith("coverage.")}
    assert len(own) > 40
    for key, texts in own.items():
        assert texts.get("zh") and texts.get("en"), key


def test_query_headers_match_their_sql():
    from dashboard.data import db

    for name in ("coverage_demand", "coverage_facilities", "coverage_subdistricts", "coverage_new_areas"):
        spec = db.load_query(name)
        assert spec.description and spec.returns


# ---------------------------------------------------------------- the shipped (demonstration) data


@pytest.fixture(scope="module")
def default_details():
    from dashboard.core.scenario import Scenario

    return cv.details(Scenario.default())


def test_default_scenario_reproduces_the_reports_counts(default_details):
    city = default_details["city"]
    # 中心城区15家社区卫生服务中心和43家服务站仅配备全科医生213名 (report 二(三)一)
    assert city["centres"] == 15
    assert city["stations"] == 43
    assert city["gps"] == 213
    assert round(city["rented_share_pct"]) == 84  # 84%为租赁房屋
    assert city["demand_points"] == 1790  # 中心城区现有住宅小区1790个


def test_no_standard_centre_in_the_new_areas_and_zones(default_details):
    # 荆北、沙北以及三个功能区都没有按标准配置社区卫生服务中心
    from dashboard.data import city

    areas = {a["area_id"]: a for a in default_details["by_new_area"]}
    new_area_ids = [a.id for a in city.current().new_areas]  # data/city.toml
    assert new_area_ids == [a["area_id"] for a in default_details["by_new_area"]][:5]  # in the file's order
    assert set(new_area_ids) <= set(areas)
    kinds = [areas[a]["kind"] for a in new_area_ids]
    assert kinds.count("functional_zone") == 3
    for area_id in new_area_ids:
        assert areas[area_id]["standard_centres"] == 0, area_id


def test_default_details_are_consistent_and_json_ready(default_details):
    text = json.dumps(default_details, ensure_ascii=False)
    assert json.loads(text) == default_details
    city = default_details["city"]
    subs = default_details["by_subdistrict"]
    assert sum(s["residents"] for s in subs) == city["residents"]
    assert sum(s["covered_residents"] for s in subs) == city["covered_residents"]
    assert sum(d["residents"] for d in default_details["by_district"]) == city["residents"]
    assert 0 <= city["covered_share_pct"] <= city["covered_share_after_pct"] <= 100
    sites = default_details["suggested_sites"]
    assert len(sites) <= default_details["settings"]["new_centres"]
    assert sum(s["marginal_residents"] for s in sites) == default_details["suggestion"]["residents_added"]
    sg = default_details["suggestion"]
    assert sg["residents_added"] >= sg["greedy_residents_added"]
    assert math.isclose(default_details["settings"]["straight_line_radius_m"], 1000 / 1.3, rel_tol=1e-4)


def test_headline_and_summary_agree():
    from dashboard.core.scenario import Scenario

    scenario, _ = Scenario.from_values({"clinic_service_distance_m": 1200, "new_centres": 3})
    from dashboard.core import ranges as core_ranges

    metrics = {m.key: m for m in core_ranges.headline("coverage", scenario)}  # as the tiles show them
    for key in ("covered_share", "covered_share_after", "residents_per_gp", "streets_without_public_centre"):
        assert key in metrics and metrics[key].source_ids
    zh = cv.summary_sentence(scenario, "zh")
    assert metrics["covered_share"].formatted("zh") in zh
    assert metrics["covered_share_after"].formatted("zh") in zh
    assert metrics["covered_share"].formatted("en") in cv.summary_sentence(scenario, "en")


def test_more_distance_and_more_centres_never_lower_the_default_figures():
    from dashboard.core.scenario import Scenario

    previous = -1.0
    for distance in (500, 1000, 1500):
        share = cv.details(Scenario.from_values({"clinic_service_distance_m": distance})[0])["city"]["covered_share_pct"]
        assert share >= previous
        previous = share
    previous = -1.0
    for k in (0, 2, 5, 10):
        share = cv.details(Scenario.from_values({"new_centres": k})[0])["city"]["covered_share_after_pct"]
        assert share >= previous - 1e-9
        previous = share


def test_gap_text_rounds_up():
    assert cv.gap_text(0.0037, "en") == "0.4%"
    assert cv.gap_text(0.0004, "zh") == "0.04%"
    assert cv.gap_text(0.05546, "en") == "5.6%"
    assert cv.gap_text(0.0, "en") == "0.00%"


def test_the_gap_is_stated_when_optimality_is_not_proven(monkeypatch):
    import dataclasses

    from dashboard.analyses.coverage import solver
    from dashboard.core.scenario import Scenario

    real = solver.solve

    def unproven(*args, **kwargs):  # as if the time limit had stopped the solver short of a proof
        sol = real(*args, **kwargs)
        return dataclasses.replace(sol, optimal=False, proof="", gap=0.0037, bound=sol.objective / (1 - 0.0037))

    monkeypatch.setattr(solver, "solve", unproven)
    ev._suggest_cached.cache_clear()
    cv._result_cached.cache_clear()
    try:
        scenario, _ = Scenario.from_values({"new_centres": 4})
        assert "(选址与最优解相差不超过0.4%)" in cv.summary_sentence(scenario, "zh")
        assert "(sites within 0.4% of the best possible)" in cv.summary_sentence(scenario, "en")
        sg = cv.details(scenario)["suggestion"]
        assert sg["optimal"] is False and sg["proof"] == "" and sg["gap"] == pytest.approx(0.0037)
        assert sg["bound_residents"] > sg["residents_added"]
    finally:
        ev._suggest_cached.cache_clear()
        cv._result_cached.cache_clear()


def test_default_suggestion_is_unchanged_and_proven_optimal(default_details):
    # the default 5 new centres: the greedy set, proven optimal (docs/coverage.md: +71,544 residents)
    sg = default_details["suggestion"]
    assert sg["optimal"] is True and sg["gap"] == 0 and sg["method"] == "greedy"
    assert sg["residents_added"] == sg["bound_residents"] == 71544
    assert [s["compound_id"] for s in default_details["suggested_sites"]] == [
        "C421071003002006", "C421002006003011", "C421003106002011", "C421003005004015", "C421002003005002"]
    from dashboard.core.scenario import Scenario

    assert "best possible" not in cv.summary_sentence(Scenario.default(), "en")


def test_summary_uses_the_tiles_precision_not_its_own():
    """The sentence shows the shares as the tiles do (71%, range 58–75%), never 71.1%, and the residents
    beyond capacity as their range, not one exact-looking count."""
    from dashboard.core import ranges as core_ranges
    from dashboard.core.scenario import Scenario

    sc = Scenario.default()
    shown = {m.key: m for m in core_ranges.headline("coverage", sc)}
    from dashboard.analyses.coverage.model import summary_sentence

    text = summary_sentence(sc, "zh")
    tile = shown["covered_share"].formatted("zh")
    assert tile.endswith("%") and "." not in tile and f"中心城区{tile}的居民" in text
    beyond = shown["beyond_capacity_residents"]
    assert beyond.has_range() and beyond.range_text("zh").removesuffix("人") + "名可及居民超出容量" in text
