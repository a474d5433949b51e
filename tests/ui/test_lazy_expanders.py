"""Lazy expanders (ui.widgets.lazy_expander): closed, nothing inside is built or sent; opened, all of it is."""

from __future__ import annotations

import pytest

from dashboard import registry
from tests.conftest import SECTIONS, assert_no_exception, lazy_keys, run_page, show_section

PAGES = [p.key for p in registry.PAGES if lazy_keys(p.key)]


def _by_key(at) -> dict[str, object]:
    """Each keyed expander of the run by its state key (the widget id ends with it)."""
    return {e.proto.id.rsplit("-", 1)[-1]: e for e in at.expander if e.proto.id}


def test_every_analysis_page_with_settings_or_tables_has_lazy_expanders():
    assert set(PAGES) >= {"coverage", "beds", "pay", "grids", "property"}


@pytest.mark.parametrize("page", PAGES)
def test_closed_they_are_empty_and_opened_they_fill(page):
    at = run_page(page)
    assert_no_exception(at)
    keys, seen = lazy_keys(page), []
    for section in SECTIONS.get(page, (None,)):  # a page built one section at a time: each section's expanders
        if section is not None:
            show_section(at, page, section)
        closed = _by_key(at)
        shown = [k for k in keys if k in closed]  # some are drawn only when their content exists (no plan sites)
        for key in shown:
            assert not closed[key].children, f"{page}: {key} is closed but its content was sent"
        before = len(at.main.children)
        for key in shown:
            at.session_state[key] = True  # what a member's click does
        at.run()
        assert_no_exception(at)
        opened = _by_key(at)
        for key in shown:
            assert opened[key].children, f"{page}: {key} is open but empty"
        assert len(at.main.children) == before  # the same page around them: only the expanders filled
        for key in shown:
            at.session_state[key] = False
        seen += shown
    assert seen, f"{page}: none of its lazy expanders {keys} is on the page"
    if page in SECTIONS:  # the settings' expander is above the switch: on every section
        assert set(seen) == set(keys), f"{page}: lazy expanders never drawn: {set(keys) - set(seen)}"


def test_settings_behind_a_closed_expander_keep_their_values():
    """A slider inside a lazy expander is not drawn while it is closed; its value is the scenario's, so
    closing the expander loses nothing and reopening shows the value set."""
    at = run_page("pay")
    at.session_state["pay_more_settings_open"] = True
    at.run()
    at.slider(key="pay__pay_years").set_value(3).run()
    assert_no_exception(at)
    at.session_state["pay_more_settings_open"] = False
    at.run()
    assert not [s for s in at.slider if s.key == "pay__pay_years"]
    assert at.query_params.get("pay_years") == "3"
    at.session_state["pay_more_settings_open"] = True
    at.run()
    assert at.slider(key="pay__pay_years").value == 3
