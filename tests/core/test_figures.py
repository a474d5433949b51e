"""Every chart of every page is a valid plotly figure, although the builders skip plotly's value checks.

The builders pass `**charts.NO_CHECK` (plotly's `_validate=False`) because checking every value is
most of a figure's build time. These tests rebuild each figure through plotly's full validation and
require the same JSON, so a value plotly would reject or coerce differently fails here.
"""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import registry
from dashboard.core import charts, figsvg
from dashboard.core.scenario import Scenario
from dashboard.exports import content

SCENARIOS = {
    "default": Scenario.default(),
    "changed": Scenario.from_values({
        "clinic_service_distance_m": 1500, "new_centres": 8, "beds_district": "421002",
        "beds_demand_method": "norm", "pay_social_wage_yuan": 60000,
    })[0],
}
CASES = [(page, name, scenario, lang)
         for page in registry.keys(analysis=True)
         for name in content.figure_names(page)
         for scenario in SCENARIOS
         for lang in ("zh", "en")]


def _json(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


@pytest.mark.parametrize(("page", "name", "scenario", "lang"), CASES,
                         ids=[f"{p}-{n}-{s}-{lang}" for p, n, s, lang in CASES])
def test_figure_passes_plotly_validation_unchanged(page, name, scenario, lang):
    fig = content.page_figure(page, name, SCENARIOS[scenario], lang)
    built = _json(fig)
    assert built["data"], f"{name} has no traces"
    validated = go.Figure(fig.to_dict())  # full validation: raises on a bad value
    assert _json(validated) == built


def test_builders_skip_value_checks():
    fig = content.page_figure("coverage", "coverage_map", Scenario.default())
    assert fig._validate is False
    assert all(trace._validate is False for trace in fig.data)


def test_validation_catches_a_misspelt_property_that_no_check_lets_through():
    fig = go.Figure([go.Scatter(x=[1], y=[2], colour="red", **charts.NO_CHECK)], **charts.NO_CHECK)
    with pytest.raises(ValueError, match="Invalid property"):
        go.Figure(fig.to_dict())


def test_validation_catches_a_bad_value_that_no_check_lets_through():
    fig = go.Figure([go.Scatter(x=[1], y=[2], mode="dots", **charts.NO_CHECK)], **charts.NO_CHECK)
    with pytest.raises(ValueError):
        go.Figure(fig.to_dict())


def _page_chart_specs(page: str) -> list[dict]:
    from tests.conftest import charts, run_page

    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return [c.figure for c in charts(at)]


@pytest.mark.parametrize("page", [p for p in registry.keys(analysis=True) if p != "overview"])
def test_every_chart_on_a_page_is_the_registered_figure(page):
    """What the browser is sent is exactly a figure of an analysis's charts.figures (the brief's and the
    CLI's source), one per registered chart: no page draws a chart the registry, and so these
    validation tests and the brief, do not know about."""
    from tests.conftest import SECTIONS, charts, run_page, show_section, svg_markups

    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    shown = {c.key: c.figure for c in charts(at)}
    # maps drawn on the server as inline SVG from the registered figure (core/figsvg.py)
    svgs = {_no_aria(svg) for svg in svg_markups(at)}
    for section in SECTIONS.get(page, ()):  # a page that builds one section at a time: every section's charts
        show_section(at, page, section)
        assert not at.exception, [e.value for e in at.exception]
        shown |= {c.key: c.figure for c in charts(at)}
        svgs |= {_no_aria(svg) for svg in svg_markups(at)}
    shown = list(shown.values())
    figures = content.page_figures(page, Scenario.default())
    registered = [json.loads(pio.to_json(fig.to_dict(), validate=False)) for fig in figures.values()]
    assert len(shown) + len(svgs) == len(registered), \
        f"{page}: {len(shown)} charts and {len(svgs)} SVG maps on the page, {len(registered)} registered"
    for spec in shown:
        assert spec in registered, f"{page}: a chart on the page is not one of {content.figure_names(page)}"
    as_svg = [_no_aria(_svg_or_empty(fig)) for fig in figures.values()]
    for svg in svgs:
        assert svg in as_svg, f"{page}: an SVG map on the page is not drawn from one of {content.figure_names(page)}"


def _no_aria(svg: str) -> str:
    return re.sub(r'aria-label="[^"]*"', "", svg)


def _svg_or_empty(fig: go.Figure) -> str:
    try:
        return figsvg.map_svg(fig)
    except ValueError:  # not a map figure
        return ""


def test_overview_draws_no_plotly_chart():
    """The Overview's map is server-drawn SVG (dashboard/analyses/overview/svgmap.py); its plotly twin is only for the brief."""
    assert _page_chart_specs("overview") == []
