"""The interactive HTML brief opened from file:// in Chromium with the network blocked: every chart draws.

Every request other than file: and data: is aborted and recorded; the test fails if any was attempted
(the brief must open on a phone with no network and no server), if a chart did not draw its SVG, or
if the page reported an error.
"""

from __future__ import annotations

import pytest

from dashboard.core.scenario import Scenario
from dashboard.exports import content
from dashboard.exports import html as exports_html

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def brief_file(tmp_path_factory):
    scenario, _ = Scenario.from_values({"new_centres": 8})
    return exports_html.write_html_brief(scenario, tmp_path_factory.mktemp("html") / "brief.html", lang="zh")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_html_brief_draws_every_chart_offline(browser, brief_file, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN",
                                  offline=True)
    attempted, errors = [], []

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:", "about:"))
            else attempted.append(r.url))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console.error: {m.text}") if m.type == "error" else None)
    try:
        page.goto(brief_file.resolve().as_uri())
        expected = sum(len(content.figure_names(p)) for p in content.available_pages())
        assert page.locator(".plotly-chart").count() == expected
        page.wait_for_function(
            """() => [...document.querySelectorAll('.plotly-chart')].every(d => d.querySelector('svg.main-svg'))""",
            timeout=90_000)
        # each chart drew its traces (not an empty frame): a plot area with at least one trace group
        drawn = page.evaluate("""() => [...document.querySelectorAll('.plotly-chart')].map(
            d => [d.id, d.querySelectorAll('.trace, .heatmaplayer image, .hm').length])""")
        assert all(n > 0 for _, n in drawn), drawn
        assert page.locator(".chart-note").count() == 0
        # tables and sources are there as text
        assert page.locator("section.slide").count() == len(content.available_pages())
        assert page.locator("table.metrics td.num").count() > 0
        # no sideways scroll of the page: wide tables scroll inside their own box
        width = page.evaluate("() => document.body.scrollWidth")
        assert width <= viewport[0], f"page is {width} px wide at {viewport[0]} px"
        assert not attempted, f"the brief tried to reach the network: {attempted[:5]}"
        assert not errors, errors
    finally:
        context.close()
