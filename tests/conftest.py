"""Shared fixtures: the app under AppTest, the shipped data, the repo paths."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest

# "Today" is pinned before the app is imported: the beds page's default target year follows it
# (dashboard/core/clock.py). 2025 is the report's own horizon (end of the 14th five-year plan), so the
# default scenario reproduces the figures docs/beds.md quotes. A test that wants another day sets it itself.
os.environ.setdefault("DASHBOARD_TODAY", "2025-06-30")

from dashboard import registry  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"


def run_page(page: str | None = None, query: dict[str, str] | None = None, timeout: float = 60):
    """Run the app in AppTest on `page` (e.g. 'coverage') with optional URL query params."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(registry.page(page).script)
        at.run()
    return at


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """Validated-data caches (dashboard/data/db.py) go to a temporary folder, not the repo's .cache/."""
    if os.environ.get("DASHBOARD_CACHE_DIR"):
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DASHBOARD_CACHE_DIR", str(tmp_path_factory.mktemp("dashboard-cache")))
        yield


@pytest.fixture
def app_page():
    """Factory fixture: app_page('coverage', {'clinic_service_distance_m': '1200'}) -> AppTest after run."""
    return run_page


def lazy_keys(page: str) -> tuple[str, ...]:
    """State keys of the page's own lazy expanders (`ui.lazy_expander(..., key="<page>_..._open")` in its
    page.py): tests set them True to open them, as a member's click does. The footer's and the drivers
    table's keys come from their modules (`hearing.lazy_keys`, `ranges_panel.table_key`)."""
    import re

    source = (REPO / "dashboard" / "analyses" / page / "page.py")
    if not source.is_file():
        return ()
    return tuple(re.findall(r'lazy_expander\([^\n]*key="(' + page + r'_\w+_open)"', source.read_text("utf-8")))


# Pages that build one section at a time (`ui.sections`: a segmented control keyed `<page>_section`), with
# their sections; the first is shown when a page opens.
SECTIONS = {"beds": ("supply", "projection", "map", "home_care", "assumptions", "table"),
            "pay": ("today", "ladder", "budget", "retention", "workload"),
            "property": ("today", "shares", "scheme", "priority", "oc"),
            "coverage": ("map", "capacity", "sites", "plan", "table"),
            "grids": ("sizes", "communities", "redivision", "tasks")}


def show_section(at, page: str, section: str):
    """Show another section of a page that builds one at a time, as a member's click on its switch does."""
    at.button_group(key=registry.section_param(page)).set_value(section).run()
    return at


class Chart(NamedTuple):
    """One chart of an AppTest run: its element key and the figure sent to the browser."""

    key: str
    spec: str  # plotly JSON, as sent

    @property
    def figure(self) -> dict:
        return json.loads(self.spec)


def charts(at) -> list[Chart]:
    """The plotly charts of an AppTest run (drawn by the ui/plotly_react.py component), in page order."""
    from dashboard.ui import plotly_react

    out = []
    for el in at.get("bidi_component"):
        if el.proto.component_name == plotly_react.COMPONENT:
            data = json.loads(el.proto.json)
            out.append(Chart(data["key"], data["spec"]))
    return out


def svg_markups(at) -> list[str]:
    """The server-drawn SVG maps of an AppTest run (ui/plotly_react.py `svg_markup`), in page order, each as
    the browser shows it: the map with its scenario layer in place (core/figsvg.py `map_svg_parts`)."""
    from dashboard.core import figsvg
    from dashboard.ui import plotly_react

    maps, layers = {}, {}
    for el in at.get("bidi_component"):
        data = json.loads(el.proto.json) if el.proto.component_name in (
            plotly_react.SVG_COMPONENT, plotly_react.SVG_LAYER_COMPONENT) else None
        if el.proto.component_name == plotly_react.SVG_COMPONENT:
            maps[data["key"]] = data["svg"]
        elif el.proto.component_name == plotly_react.SVG_LAYER_COMPONENT:
            layers[data["map"]] = data["layer"]
    assert set(layers) <= set(maps), "a scenario layer without its map"
    return [figsvg.with_scenario_layer(svg, layers.get(key)) for key, svg in maps.items()]


def expected_tiles(page: str, scenario, lang: str = "zh") -> dict[str, str]:
    """label -> value of every headline tile of `page` for `scenario`, as the page shows them (the model's own)."""
    from dashboard.core import ranges

    return {m.label(lang): m.formatted(lang) for m in ranges.headline(page, scenario)}


def metric_values(at) -> dict[str, str]:
    """label -> displayed value of every st.metric tile of an AppTest run."""
    return {m.label: m.value for m in at.metric}


def every_section_metrics(at, page: str) -> dict[str, str]:
    """`metric_values` over every section of a page built one section at a time, shown in turn."""
    tiles = metric_values(at)
    for section in SECTIONS.get(page, ()):
        tiles |= metric_values(show_section(at, page, section))
        assert_no_exception(at)
    return tiles


def assert_no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert not errors, errors
