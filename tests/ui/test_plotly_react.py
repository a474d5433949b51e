"""The chart component that updates a figure in place (dashboard/ui/plotly_react.py)."""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest

from dashboard.ui import plotly_react
from tests.conftest import assert_no_exception, charts, run_page, show_section

SOURCE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@pytest.fixture
def static_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(plotly_react, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(plotly_react, "ASSET", tmp_path / "static" / "plotly.min.js")
    plotly_react.available.cache_clear()
    yield tmp_path / "static"
    plotly_react.available.cache_clear()


def test_plotly_js_is_the_python_packages_own_copy(static_dir):
    """The browser gets the plotly.js the figures were built for, from the app's own static folder."""
    assert plotly_react.available()
    assert (static_dir / "plotly.min.js").read_bytes() == SOURCE.read_bytes()
    assert [p.name for p in static_dir.iterdir()] == ["plotly.min.js"]  # no temporary file left behind


def test_a_stale_copy_is_replaced(static_dir):
    static_dir.mkdir()
    (static_dir / "plotly.min.js").write_text("/* plotly.js of another version */")
    assert plotly_react.available()
    assert (static_dir / "plotly.min.js").read_bytes() == SOURCE.read_bytes()


def test_an_unwritable_folder_means_the_fallback(monkeypatch):
    monkeypatch.setattr(plotly_react, "STATIC_DIR", Path("/proc/cgd-no-such-dir"))
    monkeypatch.setattr(plotly_react, "ASSET", Path("/proc/cgd-no-such-dir/plotly.min.js"))
    plotly_react.available.cache_clear()
    try:
        assert plotly_react.available() is False
    finally:
        plotly_react.available.cache_clear()


def test_the_server_serves_the_static_folder():
    """`server.enableStaticServing` is what puts dashboard/static/ at app/static/ (the component loads plotly.js there)."""
    import tomllib

    from tests.conftest import REPO

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    assert plotly_react.STATIC_DIR == REPO / "dashboard" / "static"


def test_a_slider_step_keeps_every_charts_element_and_sends_the_new_figure():
    """The element id is the chart's key alone, so Streamlit keeps the node and the component's function
    runs again with the new figure (`Plotly.react`); st.plotly_chart's id hashes the figure (a remount)."""
    at = show_section(run_page("pay"), "pay", "budget")
    ids = {c.key: el.proto.id for c, el in zip(charts(at), _elements(at), strict=True)}
    specs = {c.key: c.spec for c in charts(at)}
    at.slider(key="pay__pay_coefficient").set_value(1.2).run()
    assert_no_exception(at)
    assert [c.key for c in charts(at)] == ["pay_budget", "pay_drivers"]  # the budget section and the drivers
    ids_after = {c.key: el.proto.id for c, el in zip(charts(at), _elements(at), strict=True)}
    assert ids == ids_after and len(ids) == 2
    changed = [c.key for c in charts(at) if c.spec != specs[c.key]]
    assert changed == ["pay_budget", "pay_drivers"]
    for chart in charts(at):
        assert json.loads(chart.spec)["data"], chart.key


def _elements(at):
    return [el for el in at.get("bidi_component") if el.proto.component_name == plotly_react.COMPONENT]
