"""Scenario links: every parameter round-trips through the URL and JSON; hostile URLs never raise."""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core.scenario import (
    Param,
    Scenario,
    all_params,
    params_by_key,
    scenarios_from_json,
    scenarios_to_json,
)

PARAMS = all_params()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_strategy(param: Param) -> st.SearchStrategy:
    """Any valid value of one parameter (what a slider, select or toggle can produce, and more)."""
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "text":
        return st.text(max_size=int(param.max or 60)).map(lambda x: "".join(c for c in x if c.isprintable()).strip())
    if param.kind == "multi":
        return st.lists(st.sampled_from(param.choices), unique=True).map(
            lambda xs: tuple(c for c in param.choices if c in xs))
    lo = param.min if param.min is not None else -1e9
    hi = param.max if param.max is not None else 1e9
    if param.kind == "int":
        return st.integers(math.ceil(lo), math.floor(hi))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda v: v + 0.0)  # no -0.0


@st.composite
def scenarios(draw) -> Scenario:
    keys = draw(st.lists(st.sampled_from([p.key for p in PARAMS]), unique=True))
    known = params_by_key()
    values = {k: draw(value_strategy(known[k])) for k in keys}
    scenario, notices = Scenario.from_values(values)
    assert notices == [], notices
    return scenario


def through_browser_url(query: dict[str, str]) -> dict[str, list[str]]:
    """What a query string looks like after a real URL encode/decode (repeated keys become lists)."""
    url = "http://localhost:8501/beds?" + urlencode(query)
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_every_parameter_is_covered():
    kinds = {p.kind for p in PARAMS}
    assert {"bool", "choice"} <= kinds
    assert len(PARAMS) > 2, "model PARAMS are not registered"
    for p in PARAMS:
        assert p.kind in ("int", "float", "choice", "bool", "multi", "text"), p
        assert p.key.replace("_", "").isalnum() and p.key.islower(), f"unreadable URL key {p.key!r}"
        if p.kind in ("int", "float"):
            assert p.min is not None and p.max is not None and p.min <= p.default <= p.max, p
        if p.kind == "choice":
            assert p.default in p.choices, p


@pytest.mark.parametrize("param", PARAMS, ids=[p.key for p in PARAMS])
@SETTINGS
@given(data=st.data())
def test_each_field_round_trips_through_the_url(param: Param, data):
    value = data.draw(value_strategy(param))
    scenario, notices = Scenario.from_values({param.key: value})
    assert notices == []
    assert scenario.get(param.key) == value
    query = scenario.to_query_params()
    # only non-default values appear in the link, under the parameter's own key
    assert set(query) == ({param.key} if value != param.default else set())
    back, notices = Scenario.from_query_params(query)
    assert notices == [] and back == scenario
    back, notices = Scenario.from_query_params(through_browser_url(query))
    assert notices == [] and back == scenario


@SETTINGS
@given(scenario=scenarios())
def test_whole_scenarios_round_trip_url_and_json(scenario: Scenario):
    back, notices = Scenario.from_query_params(scenario.to_query_params())
    assert notices == [] and back == scenario
    back, notices = Scenario.from_query_params(through_browser_url(scenario.to_query_params()))
    assert notices == [] and back == scenario
    back, name, notices = Scenario.from_json(scenario.to_json("方案 A"))
    assert (back, name, notices) == (scenario, "方案 A", [])
    many, notices = scenarios_from_json(scenarios_to_json([("甲", scenario), ("b", Scenario.default())]))
    assert notices == [] and many == [("甲", scenario), ("b", Scenario.default())]
    # the baseline keeps only view selections, and is its own baseline
    assert scenario.baseline().baseline() == scenario.baseline()
    assert scenario.baseline().model_values().keys() <= {"beds_district"}


def test_floats_keep_every_digit_and_stay_readable():
    floats = [p for p in PARAMS if p.kind == "float"]
    if not floats:
        pytest.skip("no float parameter registered")
    p = floats[0]
    lo, hi = p.min, p.max
    for value in (lo + (hi - lo) / 3, (lo + hi) / 2, hi - 1e-9 * (hi - lo)):
        scenario, _ = Scenario.from_values({p.key: value})
        text = scenario.to_query_params().get(p.key)
        if text is not None:
            assert float(text) == scenario.get(p.key)
    scenario, _ = Scenario.from_values({p.key: (lo + hi) / 2})
    assert len(scenario.to_query_params().get(p.key, "")) < 12


# ---------------------------------------------------------------- hostile links

HOSTILE_VALUES = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e308", "9" * 5000, "", " ",
                  "0x10", "true", "[]", "{}", "null", "None", "1,2,3", "𝟙𝟚", "\x00", "' or 1=1 --",
                  "<script>alert(1)</script>", "%00", "a" * 100_000, "-0", "1_000", "١٢٣"]


@pytest.mark.parametrize("param", PARAMS, ids=[p.key for p in PARAMS])
def test_hostile_values_are_clamped_or_dropped_with_a_notice(param: Param):
    for raw in HOSTILE_VALUES + [["1", "2"], [], [["x"]], {"a": 1}, None, 10**400, float("nan"), True, -1e300]:
        scenario, notices = Scenario.from_values({param.key: raw})
        value = scenario.get(param.key)
        fixed, _ = param.coerce(value)
        assert fixed == value, (raw, value)  # whatever came in, what is kept is valid
        if param.kind in ("int", "float"):
            assert math.isfinite(value) and param.min <= value <= param.max
        for n in notices:
            assert len(n) < 300  # a notice quotes the bad value, never all of it
        Scenario.from_query_params(scenario.to_query_params())  # and it writes back out


@pytest.mark.parametrize("param", [p for p in PARAMS if p.kind in ("int", "float")], ids=lambda p: p.key)
def test_out_of_range_numbers_are_clamped_with_a_notice(param: Param):
    scenario, notices = Scenario.from_values({param.key: str(param.max * 1000 + 1e6)})
    assert scenario.get(param.key) == param.max and notices
    scenario, notices = Scenario.from_values({param.key: str(param.min - 1e6)})
    assert scenario.get(param.key) == param.min and notices
    scenario, notices = Scenario.from_values({param.key: "nan"})
    assert scenario.get(param.key) == param.default and notices


def test_unknown_keys_and_wrong_types_never_raise():
    query = {"no_such_key": "1", "x" * 10_000: "y", "lang": "fr", "present": "maybe", "": "", "__proto__": "1",
             "lang[]": "en", "present ": "1"}
    scenario, notices = Scenario.from_query_params(query)
    assert scenario == Scenario.default()
    assert len(notices) == len(query)
    assert all(len(n) < 300 for n in notices)


@SETTINGS
@given(query=st.dictionaries(
    st.one_of(st.sampled_from([p.key for p in PARAMS]), st.text(max_size=30)),
    st.one_of(st.text(max_size=200), st.lists(st.text(max_size=20), max_size=4), st.integers(),
              st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none()),
    max_size=12))
def test_random_garbage_never_raises(query):
    scenario, notices = Scenario.from_query_params(query)
    assert isinstance(notices, list)
    again, more = Scenario.from_query_params(scenario.to_query_params())
    assert again == scenario and more == []


@pytest.mark.parametrize("text", ["", "[]", "1", '"x"', "{", '{"values": []}', '{"scenarios": {}}',
                                  '{"scenarios": [1]}', b"\xff\xfe\x00", '{"values": {"lang": "en", "bogus": 1}}'])
def test_bad_scenario_files_raise_value_error_or_load_with_notices(text):
    try:
        named, notices = scenarios_from_json(text)
    except ValueError as exc:
        assert "scenario file" in str(exc)
    else:
        assert all(isinstance(s, Scenario) for _, s in named)


def test_scenario_file_with_many_items_is_capped():
    doc = json.dumps({"scenarios": [{"name": str(i), "values": {}} for i in range(500)]})
    named, notices = scenarios_from_json(doc)
    assert len(named) == 50 and notices
