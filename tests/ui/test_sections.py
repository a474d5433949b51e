"""Pages built one section at a time (`ui.sections`): the section shown is named in the URL by its key (the
same in every language) when it is not the first, the share link reopens it, another page's section leaves
the URL, and a section parameter is never read as a scenario setting."""

from __future__ import annotations

import pytest

from dashboard import registry
from dashboard.core.scenario import Scenario, params_by_key
from dashboard.exports import content
from dashboard.ui import widgets as ui
from tests.conftest import SECTIONS, assert_no_exception, run_page, show_section


def _query(at) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _share_links(at) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "share-link" in h.proto.body)


@pytest.mark.parametrize("page", sorted(SECTIONS))
def test_the_shown_section_is_in_the_url_and_the_share_link(page):
    first, other = SECTIONS[page][0], SECTIONS[page][-1]
    at = run_page(page, {"lang": "en"})
    assert_no_exception(at)
    assert f"{page}_section" not in _query(at)  # the first section: a clean link
    show_section(at, page, other)
    assert_no_exception(at)
    assert _query(at)[f"{page}_section"] == other  # the key, not the English label
    links = _share_links(at)
    assert f"{page}_section={other}" in links and "lang=en" in links
    show_section(at, page, first)
    assert f"{page}_section" not in _query(at) and f"{page}_section" not in _share_links(at)


def test_another_pages_section_leaves_the_url_and_the_scenario_is_kept():
    at = show_section(run_page("pay", {"pay_coefficient": "1.1"}), "pay", "budget")
    assert _query(at)["pay_section"] == "budget"
    at.switch_page(registry.page("coverage").script)
    at.run()
    assert_no_exception(at)
    query = _query(at)
    assert "pay_section" not in query and query["pay_coefficient"] == "1.1"


def test_a_section_parameter_is_not_a_scenario_setting():
    assert ui.is_section_param("pay_section") and ui.is_section_param("coverage_section")
    assert not ui.is_section_param("pay_coefficient") and not ui.is_section_param("nowhere_section")
    assert not [k for k in params_by_key() if ui.is_section_param(k)]  # no setting is mistaken for a section


def test_view_link_names_the_section_only_when_given():
    sc = Scenario.default().with_values(pay_coefficient=1.1)
    plain = content.view_link(sc, "pay", base="http://x")
    assert "pay_section" not in plain
    assert content.view_link(sc, "pay", base="http://x", section="budget") == plain + "&pay_section=budget"
