"""The first page is cheap to open: the Overview's map is a server-drawn SVG and the share link is a
plain link with a copy button, so the browser loads neither plotly's chunk (4.7 MB) nor the syntax
highlighter's (1.5 MB). Other pages still use plotly."""

from __future__ import annotations

import pytest

from dashboard.core.text import t
from tests import browser as common

pytestmark = pytest.mark.e2e

HEAVY_CHUNKS = ("PlotlyChart", "StreamlitSyntaxHighlighter")


def test_overview_loads_no_plotly_and_no_highlighter(page, server, screenshot):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url.rsplit("/", 1)[-1]))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.goto("/")
    common.wait_settled(page, 0, timeout_ms=60_000, quiet_ms=300)
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="stException"]').count() == 0
    heavy = [u for u in requested if u.startswith(HEAVY_CHUNKS)]
    assert not heavy, f"the Overview made the browser load {heavy}"

    # the map: inline SVG, one titled shape per sub-district, district and new area
    svg = page.locator("svg.overview-map")
    assert svg.count() == 1
    assert svg.get_attribute("role") == "img"
    box = svg.bounding_box()
    assert box["width"] > 500 and box["height"] > 400, box
    svg.evaluate("e => e.scrollIntoView({block: 'end'})")
    screenshot(page, "overview-map")
    titled = page.locator("svg.overview-map path:has(title)")
    assert titled.count() >= 30
    street = page.locator("svg.overview-map path.sd").filter(has_text="中山街道").first
    street.scroll_into_view_if_needed()
    b = street.bounding_box()
    # the pointer over a street lands on its shape (labels let it through), whose <title> is the tooltip
    hit = page.evaluate("""([x, y]) => { const e = document.elementFromPoint(x, y);
                                         return e && e.querySelector('title') && e.querySelector('title').textContent; }""",
                        [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
    assert hit and hit.startswith("中山街道"), hit

    # the share link: shown as text, copied by its button
    share = page.locator(".share-link").first
    share.scroll_into_view_if_needed()
    href = share.locator("a").get_attribute("href")
    assert href.startswith(server.url), href
    assert share.locator("a").inner_text().strip() == href
    button = share.locator("button")
    assert button.inner_text().strip() == t("hearing.copy_button", "zh")
    button.click()
    page.wait_for_function("(b) => b.textContent.includes('✓')", arg=button.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == href
