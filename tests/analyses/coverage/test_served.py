"""'Add k centres' maximising residents served within capacity (served.py), on a hand-computed case."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analyses.coverage import capacity as cap
from dashboard.analyses.coverage import cover
from dashboard.analyses.coverage import evaluate as ev
from dashboard.analyses.coverage import inputs as cin
from dashboard.analyses.coverage import model as coverage
from dashboard.analyses.coverage import served as sv

# One existing centre F at 0 m, capacity 1,000. Compounds on a line (reach 500 m, detour 1):
#   d0 at 100 m, 1,000 residents (F serves it: 100 m)
#   d1 at 520 m, 500 residents, and d2 at 600 m, 1,000 residents (out of F's reach)
#   y  at 1,050 m, nobody (a candidate site only)
# Candidate X = d0: reaches d0 (0 m), d1 (420 m), d2 (500 m) -> 1,500 residents newly within reach (the most),
#   but nearest-first puts d0 (0 m) into X first, filling it (capacity 1,000); F's room goes unused and
#   d1, d2 get nothing: 0 residents newly served.
# Candidate Y = y: reaches d2 (450 m) only -> 1,000 newly within reach, and serves all 1,000 of them.
XS = [100.0, 520.0, 600.0, 1050.0]
RESIDENTS = [1000.0, 500.0, 1000.0, 0.0]


def _case():
    demand = np.column_stack([XS, np.zeros(4)])
    base = cap.pairs_straight(demand, np.array([[0.0, 0.0]]), 500.0, 1.0)
    candidates = cap.pairs_straight(demand, demand[[0, 3]], 500.0, 1.0)  # column 0 = X (d0), 1 = Y (y)
    return demand, base, candidates


def test_reach_and_served_pick_different_sites():
    demand, base, candidates = _case()
    covered = cap.allocate_nearest_first(base, RESIDENTS, [1000.0]).reachable
    reach = cover.suggest_sites(demand, RESIDENTS, covered, [0, 3], 500.0, 1)
    assert reach.sites == (0,) and reach.added == 1500.0  # X: most residents newly within reach
    served = sv.suggest_served(base, RESIDENTS, [1000.0], candidates, 1000.0, 1)
    assert served.served_before == 1000.0
    assert served.sites == (1,) and served.marginal == (1000.0,)  # Y
    assert served.served_after == 2000.0


def test_a_site_adding_nobody_is_not_suggested_and_the_curve_is_greedy():
    _, base, candidates = _case()
    served = sv.suggest_served(base, RESIDENTS, [1000.0], candidates, 1000.0, 2)
    # after Y, X would still add nobody: d0 moves to X, F's room is reached by no one else (d1 is 520 m away)
    assert served.sites == (1,) and served.curve == (1000.0,)


def _inputs():
    demand = pd.DataFrame({"compound_id": ["d0", "d1", "d2", "y"], "residents": RESIDENTS, "x_m": XS,
                           "y_m": [0.0] * 4})
    facilities = pd.DataFrame({"clinic_id": ["F"], "kind": ["centre"], "ownership": ["public"], "gps": [1],
                               "x_m": [0.0], "y_m": [0.0]})
    return cin.prepare_inputs(demand, facilities)


def _settings(objective: str) -> coverage.Settings:
    return coverage.Settings(500, 1.0, ("centre", "station"), ("public", "private"), False, 1, "all", 1, 9, 6.0,
                             1000, objective)


def test_model_served_objective_known_answer():
    inputs = _inputs()
    r = ev.evaluate(inputs, _settings("served"))
    # candidates d0 (0 added), d1 (at 520 m: d1 0 m and d2 80 m fill it, +1,000), d2 (+1,000), y (+1,000):
    # ties go to the lowest index, so d1
    assert r.suggestion.method == sv.METHOD and not r.suggestion.optimal
    assert [inputs.demand["compound_id"][i] for i in r.suggestion.sites] == ["d1"]
    assert r.city["served_residents"] == 1000 and r.city["served_residents_after"] == 2000
    assert r.city["served_share_after_pct"] == 80.0
    assert r.sites["marginal_residents"].tolist() == [1000]


def test_model_reach_objective_reports_served_after_its_sites():
    inputs = _inputs()
    r = ev.evaluate(inputs, _settings("reach"))
    chosen = [inputs.demand["compound_id"][i] for i in r.suggestion.sites]
    assert r.city["covered_share_after_pct"] == 100.0  # every site reaching d1 and d2 reaches 1,500 more
    expected = {"d0": 1000, "d1": 2000, "d2": 2000}[chosen[0]]
    assert r.city["served_residents_after"] == expected


def test_returns_chart_names_what_the_objective_counts():
    """With the served objective the bars are residents newly served within capacity, not 'within reach'."""
    from dashboard.analyses.coverage import charts
    from dashboard.core.scenario import Scenario
    from dashboard.core.text import t

    served = coverage.scenario_result(Scenario.default().with_values(clinic_site_objective="served"))
    reach = coverage.scenario_result(Scenario.default())
    for lang in ("zh", "en"):
        fig = charts.returns_chart(served, lang)
        assert fig.layout.yaxis.title.text == t("coverage.returns.y_served", lang)
        assert {tr.name for tr in fig.data} <= {t("coverage.returns.curve_served", lang),
                                                t("coverage.returns.chosen_served", lang)}
        assert charts.returns_chart(reach, lang).layout.yaxis.title.text == t("coverage.returns.y", lang)
    assert t("coverage.returns.y_served", "en") != t("coverage.returns.y", "en")
