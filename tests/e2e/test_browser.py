"""The dashboard in real Chromium: every page renders, sliders move the headline to the model's
value, a scenario link reproduces the view, the language switches, and the console stays clean.

Expected numbers are computed in this process from the same functions the page calls
(`dashboard.core.results.scenario_results`), and compared as the text `Metric.formatted(lang)` shows.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from dashboard.core.metrics import Metric
from dashboard.core.results import scenario_results
from dashboard.core.scenario import Param, Scenario, params_by_key
from dashboard.core.text import t, unit_label
from tests import browser as common

pytestmark = pytest.mark.e2e

PAGES = common.app_pages()
SLIDER_PAGES = [p for p in PAGES if common.slider_params(p["page"])]


# ---------------------------------------------------------------- helpers


def open_app(page, url: str) -> None:
    """Navigate and wait for the first script run to finish (connected, not running)."""
    page.goto(url)
    common.wait_settled(page, 0, timeout_ms=60_000)
    assert_no_exception(page)


def assert_no_exception(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, "the app shows an exception:\n" + "\n".join(shown.all_inner_texts())


def expected_metrics(page_name: str, values: dict, lang: str) -> dict[str, tuple[str, str]]:
    """metric key -> (label, formatted value) the model gives for this scenario."""
    scenario, notices = Scenario.from_values(values)
    assert not notices, notices
    results = scenario_results(scenario, pages=[page_name], lang=lang)["pages"][page_name]
    out = {}
    for d in results["metrics"]:
        metric = Metric(**{**d, "source_ids": tuple(d["source_ids"])})
        out[metric.key] = (metric.label(lang), metric.formatted(lang))
    return out


def slider_label(param: Param, lang: str) -> str:
    """The label ui.param_widget gives a slider (its input's aria-label)."""
    return param.label(lang) + (f" ({unit_label(param.unit, lang)})" if param.unit else "")


def _moves(param: Param) -> list[tuple[list[str], float]]:
    """Keystrokes on a focused slider and the value each lands on: End, Home, then a few steps."""
    step = param.step or 1
    default = param.default
    moves = [(["End"], param.max), (["Home"], param.min)]
    for k in (1, 2, 3, 5):
        moves.append((["ArrowRight"] * k, default + k * step))
        moves.append((["ArrowLeft"] * k, default - k * step))
    cast = int if param.kind == "int" else float
    return [(keys, cast(round(v, 10))) for keys, v in moves
            if param.min <= v <= param.max and v != default]


def choose_move(page_name: str, visible: set[str] | None = None, lang: str = "zh"):
    """(param, keys, value, metric key, before, after): a slider move that changes a headline figure.

    `visible` limits the choice to sliders on screen (those in a closed expander are not in the page).
    """
    before = expected_metrics(page_name, {}, lang)
    for param in common.slider_params(page_name):
        if visible is not None and param.key not in visible:
            continue
        for keys, value in _moves(param):
            after = expected_metrics(page_name, {param.key: value}, lang)
            for key, shown in after.items():
                if key in before and before[key] != shown:
                    return param, keys, value, key, before[key], shown
    raise AssertionError(f"no slider on page {page_name!r} (visible: {sorted(visible or [])}) "
                         "changes a headline figure")


def visible_slider_keys(page, page_name: str, lang: str) -> set[str]:
    """Keys of the page's scenario sliders that are on screen now."""
    labels = set(page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stSlider"] input[type="range"]')]
                 .filter(i => i.closest('[data-testid="stSlider"]').checkVisibility())
                 .map(i => i.getAttribute('aria-label'))"""))
    return {p.key for p in common.slider_params(page_name) if slider_label(p, lang) in labels}


def slider_input(page, param: Param, lang: str):
    locator = page.locator(f'[data-testid="stSlider"] input[type="range"][aria-label="{slider_label(param, lang)}"]')
    assert locator.count() == 1, f"expected one slider labelled {slider_label(param, lang)!r}, found {locator.count()}"
    return locator


def query_of(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


# the footer's baseline comparison: [indicator, baseline, scenario, difference] per row (textContent: its
# expander may still be closing or opening)
COMPARISON_ROWS_JS = """() => [...document.querySelectorAll('[data-testid="stExpander"] [data-testid="stTable"] tbody tr')]
  .map((r) => [...r.cells].map((c) => c.textContent.trim()))"""


def page_url(info: dict, query: dict[str, str] | None = None) -> str:
    return info["url"] + (("?" + urlencode(query)) if query else "")


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("info", PAGES, ids=[p["page"] for p in PAGES])
def test_page(page, screenshot, info):
    """Each page loads with no exception and is photographed; on a page with sliders, moving one reruns
    the page and the headline tile shows the model's figure for the new value (and the URL carries it)."""
    name = info["page"]
    open_app(page, page_url(info))
    assert t(info["title_key"], "zh") in page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert page.locator('[data-testid="stMain"] h1').count() >= 1, "page has no title"
    common.wait_charts_drawn(page)
    screenshot(page, name)
    if not common.slider_params(name):
        return

    param, keys, value, key, (label, old_text), (_, new_text) = choose_move(
        name, visible_slider_keys(page, name, "zh"))
    assert (label, old_text) in common.metric_pairs(page), f"default {label!r} should read {old_text!r}"
    slider = slider_input(page, param, "zh")
    slider.focus()
    t0 = common.now_ms(page)
    for k in keys:
        page.keyboard.press(k)
    common.wait_settled(page, t0)
    assert_no_exception(page)

    assert float(slider.input_value()) == pytest.approx(value), f"slider {param.key} did not land on {value}"
    shown = common.metric_pairs(page)
    assert (label, new_text) in shown, f"{param.key}={value}: expected {label!r} = {new_text!r}, page shows {shown}"
    assert query_of(page).get(param.key) == param.to_text(value), f"URL does not carry {param.key}: {page.url}"
    # the footer's baseline comparison (ui.static_table, HTML rows) follows the step, its text shown literally
    rows = page.evaluate(COMPARISON_ROWS_JS)
    assert [r[2] for r in rows if r[0] == label] == [new_text], rows
    assert not any("\\" in cell for r in rows for cell in r), rows


@pytest.mark.parametrize("info", SLIDER_PAGES, ids=[p["page"] for p in SLIDER_PAGES])
def test_scenario_link_reproduces_view_in_english(page, info):
    """A shared link (URL query params, English) opens the page with that value, figure and language."""
    name = info["page"]
    param, _keys, value, key, _before, (label, text) = choose_move(name, lang="en")
    open_app(page, page_url(info, {param.key: param.to_text(value), "lang": "en"}))

    shown = common.metric_pairs(page)
    assert (label, text) in shown, f"link {param.key}={value}: expected {label!r} = {text!r}, page shows {shown}"
    if param.key in visible_slider_keys(page, name, "en"):  # a slider in a closed expander is not drawn
        assert float(slider_input(page, param, "en").input_value()) == pytest.approx(value)
    assert t(info["title_key"], "en") in page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert query_of(page).get(param.key) == param.to_text(value), page.url


def test_overview_full_hd_then_language_switch(page_factory, screenshot):
    """The Overview at 1920×1080 (photographed); the sidebar language select turns it English."""
    page = page_factory(1920, 1080)
    open_app(page, "/")
    common.wait_charts_drawn(page)
    screenshot(page, "overview-1920x1080")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t("overview.title", "zh")

    label = params_by_key()["lang"].label("zh")
    combo = page.locator(f'[data-testid="stSidebar"] input[role="combobox"][aria-label="{label}"]')
    assert combo.count() == 1, f"no language select labelled {label!r} in the sidebar"
    combo.click()
    t0 = common.now_ms(page)
    page.get_by_role("option", name="English").click()
    common.wait_settled(page, t0)
    assert_no_exception(page)

    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t("overview.title", "en")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert all(t(p["title_key"], "en") in nav for p in PAGES), nav
    assert query_of(page).get("lang") == "en", page.url


def test_navigation_keeps_scenario(page):
    """Moving between pages through the sidebar keeps the session's scenario (and its link)."""
    assert SLIDER_PAGES, "no page has a scenario slider"
    info = SLIDER_PAGES[0]
    param, _keys, value, *_ = choose_move(info["page"])
    open_app(page, page_url(info, {param.key: param.to_text(value)}))
    for target in (PAGES[0], info):
        t0 = common.now_ms(page)
        nav_link(page, target).click()
        common.wait_settled(page, t0)
        assert_no_exception(page)
        assert query_of(page).get(param.key) == param.to_text(value), page.url
    expected = expected_metrics(info["page"], {param.key: value}, "zh")
    shown = common.metric_pairs(page)
    assert any(pair in shown for pair in expected.values()), f"scenario lost after navigation: {shown}"


def nav_link(page, target: dict):
    """The sidebar link to a page (the default page's link is matched by its title)."""
    if target["default"]:
        return page.locator('[data-testid="stSidebarNav"] a').filter(
            has_text=re.compile(re.escape(t(target["title_key"], "zh")))).first
    return page.locator(f'[data-testid="stSidebarNav"] a[href$="{target["url"]}"]').first


def test_pay_ladder_view_toggle_redraws_the_heatmap(page):
    """The ladder's view toggle lives in an st.fragment (it reruns only its section): switching to yuan
    redraws the heat-map on the pay axis, and the headline tiles and the URL stay as they were."""
    info = next(p for p in PAGES if p["page"] == "pay")
    open_app(page, page_url(info))
    common.show_section(page, "pay", "ladder")
    common.wait_charts_drawn(page)
    tiles = common.metric_pairs(page)
    url = page.url
    ladder = page.locator(".st-key-pay_ladder")
    assert t("pay.axis_coefficient", "zh") in ladder.locator(".colorbar").text_content()
    page.evaluate(MARK_CHARTS_JS)
    t0 = common.now_ms(page)
    page.locator(".st-key-pay_ladder_view button").filter(has_text=t("pay.ladder_view_yuan", "zh")).click()
    common.wait_settled(page, t0)
    assert_no_exception(page)
    page.wait_for_function(
        "(title) => (document.querySelector('.st-key-pay_ladder .colorbar')?.textContent || '').includes(title)",
        arg=t("pay.axis_pay", "zh"), timeout=10_000)
    assert common.metric_pairs(page) == tiles
    assert page.url == url
    # the ladder's new figure went into its graph div in place: every chart keeps its DOM node
    kept, drawn_anew = page.evaluate(CHARTS_KEPT_JS)
    assert drawn_anew == [] and kept >= 2, (kept, drawn_anew)  # the ladder and the drivers


# Marks every plotly chart now on the page; CHARTS_KEPT_JS then counts the marked ones still in the page and
# names the charts (by element key) whose graph div is new since: a chart is updated in place by
# `Plotly.react` (dashboard/ui/plotly_react.py), so only a chart that appeared is new.
MARK_CHARTS_JS = """() => document.querySelectorAll('.cgd-plot').forEach(c => { c.__mark = 1; })"""
CHARTS_KEPT_JS = """() => {
  const charts = [...document.querySelectorAll('.cgd-plot')];
  return [charts.filter(c => c.__mark).length, charts.filter(c => !c.__mark).map(c => c.dataset.key || '?')];
}"""


def test_coverage_map_is_inline_svg_and_a_capacity_step_redraws_no_chart(page):
    """The coverage map is drawn on the server (inline SVG from the brief's figure), so a distance step sends
    markup rather than remounting a plotly map; a step of the GPs' panel size (capacity only) changes no
    chart's figure, and no plotly chart is drawn again."""
    info = next(p for p in PAGES if p["page"] == "coverage")
    open_app(page, page_url(info))
    common.wait_charts_drawn(page)
    svg = page.locator(".st-key-coverage_map svg.figure-map")
    assert svg.count() == 1 and page.locator('.st-key-coverage_map .cgd-plot').count() == 0
    assert svg.locator("title").count() > 100  # every shape and marker has its hover text as a tooltip
    before = svg.inner_html()
    common.show_section(page, "coverage", "capacity")  # the panel-size slider sits with the capacity figures
    assert svg.count() == 0  # one section at a time: the map is not built beside it
    common.wait_charts_drawn(page)
    page.evaluate(MARK_CHARTS_JS)
    slider = page.locator('.st-key-coverage__clinic_panel_per_gp input[type="range"], '
                          '[data-testid="stSlider"]:has-text("' + slider_label(params_by_key()["clinic_panel_per_gp"], "zh")
                          + '") input[type="range"]').first
    tiles = common.metric_pairs(page)
    slider.focus()
    t0 = common.now_ms(page)
    page.keyboard.press("ArrowRight")
    common.wait_settled(page, t0)
    assert_no_exception(page)
    assert common.metric_pairs(page) != tiles  # the capacity tiles moved
    kept, drawn_anew = page.evaluate(CHARTS_KEPT_JS)
    assert drawn_anew == [] and kept >= 1, (kept, drawn_anew)  # the drivers' chart
    common.show_section(page, "coverage", "map")
    assert svg.inner_html() == before  # the map does not depend on the panel size


def test_property_map_keeps_its_shapes_and_redraws_only_the_scenario_layer(page):
    """The property map is server-drawn SVG; the compounds a subsidy reaches are its scenario layer, laid over
    the map in an SVG of its own (same box): a subsidy step replaces that layer and keeps the map's nodes. The
    layer is an element of its own, so the step does not send the map's markup again (Streamlit sends an
    unchanged element as a reference to the browser's cached copy)."""
    info = next(p for p in PAGES if p["page"] == "property")
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    open_app(page, page_url(info))
    base = page.locator(".st-key-property_map svg.figure-map")
    layer = page.locator(".st-key-property_map svg.figure-map-layer")
    assert base.count() == 1 and layer.count() == 1
    assert base.bounding_box() == layer.bounding_box()  # the rings sit on their compounds
    before = layer.locator("circle").count()
    page.evaluate("() => { document.querySelector('.st-key-property_map svg.figure-map').__kept = 1; }")
    map_chars = len(base.evaluate("(svg) => svg.outerHTML"))
    slider = page.locator('[data-testid="stSlider"]:visible input[type="range"]').first  # the subsidy per household
    slider.focus()
    received.clear()
    t0 = common.now_ms(page)
    page.keyboard.press("End")
    common.wait_settled(page, t0)
    assert_no_exception(page)
    assert map_chars > 100_000 and sum(received) < map_chars / 2, (sum(received), map_chars)  # one element: ~500 kB
    assert page.evaluate("() => document.querySelector('.st-key-property_map svg.figure-map').__kept") == 1
    assert layer.locator("circle").count() > before  # the largest subsidy reaches more compounds


def test_a_link_opens_its_section_and_a_tap_names_the_section_in_the_url(page):
    """A page built one section at a time opens on the section its link names (by key, in any language); a
    tap on another section puts that section in the address bar, and the share link reopens it."""
    info = next(p for p in PAGES if p["page"] == "pay")
    open_app(page, page_url(info, {"lang": "en", "pay_section": "budget", "pay_coefficient": "1.1"}))
    assert page.locator(".st-key-pay_budget").count() == 1 and page.locator(".st-key-pay_distribution").count() == 0
    common.show_section(page, "pay", "retention", "en")
    assert_no_exception(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["pay_section"] == ["retention"] and query["pay_coefficient"] == ["1.1"]
    share = page.locator(".share-link a").first.get_attribute("href")
    assert "pay_section=retention" in share and "lang=en" in share
    common.show_section(page, "pay", "today", "en")
    assert "pay_section" not in parse_qs(urlparse(page.url).query)


def test_a_lazy_settings_expander_opens_with_its_sliders_and_keeps_their_values(page):
    """The pay page's "more assumptions" are built only while open (ui.lazy_expander): closed, its sliders
    are not in the page; a click opens it with them; a step there moves the URL; closed and opened again,
    the slider shows the value set."""
    info = next(p for p in PAGES if p["page"] == "pay")
    param = params_by_key()["pay_years"]
    open_app(page, page_url(info))
    label = slider_label(param, "zh")
    sliders = page.locator(f'[data-testid="stSlider"] input[type="range"][aria-label="{label}"]')
    assert sliders.count() == 0  # closed: not built
    summary = page.locator('.st-key-pay_more_settings_open summary')
    assert summary.count() == 1, "no 'more assumptions' expander on the pay page"

    def toggle():
        t0 = common.now_ms(page)
        summary.click()
        common.wait_settled(page, t0)
        assert_no_exception(page)

    toggle()
    assert sliders.count() == 1 and float(sliders.input_value()) == param.default
    sliders.focus()
    t0 = common.now_ms(page)
    page.keyboard.press("ArrowLeft")
    common.wait_settled(page, t0)
    assert query_of(page).get("pay_years") == param.to_text(param.default - param.step)
    toggle()  # closed: the slider leaves the page, its value stays in the scenario and the link
    assert sliders.count() == 0 and query_of(page).get("pay_years") == param.to_text(param.default - param.step)
    toggle()
    assert float(sliders.input_value()) == param.default - param.step


def test_the_websocket_is_compressed(server):
    """The server accepts permessage-deflate (.streamlit/config.toml): a step's elements travel compressed."""
    import base64
    import os
    import socket

    host, port = server.url.removeprefix("http://").split(":")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
               "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            assert chunk, head
            head += chunk
    lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    assert lines[0].split()[1] == "101", lines
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    assert headers.get("sec-websocket-extensions", "").startswith("permessage-deflate"), headers
