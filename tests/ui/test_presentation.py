"""Presentation mode and the hearing pieces under every page, run in AppTest."""

from __future__ import annotations

import html
import json

import pytest

from dashboard.core.results import page_modules
from dashboard.core.scenario import Scenario, params_by_key
from dashboard.core.text import t
from dashboard.exports import content, images
from dashboard.ui import hearing
from tests.conftest import assert_no_exception, run_page

ALL_PAGES = ("overview", "coverage", "beds", "pay", "data", "sources")
MODEL_PAGES = tuple(p for p in ("coverage", "beds", "pay") if p in page_modules())
CHANGED = {"coverage": ("new_centres", "8"), "beds": ("beds_new_per_year", "1500"), "pay": ("pay_coefficient", "1")}


def open_page(page: str, query: dict[str, str] | None = None):
    return run_page(None if page == "overview" else page, query)


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [a.value for kind in ("success", "info", "warning") for a in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_runs_in_presentation_mode(page, lang):
    at = open_page(page, {"present": "1", "lang": lang})
    assert_no_exception(at)
    # controls hidden: no scenario widget is drawn, the sidebar holds nothing of the scenario manager
    model_keys = {f"{p.page}__{p.key}" for p in params_by_key().values() if p.page != "app"}
    drawn = {w.key for kind in ("slider", "selectbox", "multiselect", "toggle") for w in at.get(kind)}
    assert not drawn & model_keys, drawn & model_keys
    assert not [b for b in at.button if b.key == "hearing_save"]
    assert not [d for d in at.get("download_button") if (d.key or "").startswith("hearing_")]
    # the way out, and the styles that make it large
    assert [b for b in at.button if b.key == "hearing_exit"]
    assert any("stMetricValue" in str(h.proto.body) for h in at.get("html"))
    assert at.query_params.get("present") in (["1"], "1")
    if page in MODEL_PAGES or page == "overview":
        assert len(at.metric) >= 4


@pytest.mark.parametrize("page", ["overview", *MODEL_PAGES])
def test_presentation_leads_with_a_summary_sentence(page):
    at = open_page(page, {"present": "1"})
    assert_no_exception(at)
    summary = content.page_results(page, Scenario.from_values({"present": "1"})[0], "zh")["summary"]
    assert summary[:20] in texts(at)


@pytest.mark.parametrize("page", MODEL_PAGES)
def test_presentation_shows_baseline_against_scenario(page):
    key, value = CHANGED[page]
    at = open_page(page, {"present": "1", key: value})
    assert_no_exception(at)
    assert t("hearing.compare_title", "zh") in [s.value for s in at.subheader]
    table = at.table[-1].value  # ui.static_table: HTML rows, updated with the rest of the page
    assert list(table.columns) == [t(f"hearing.col_{c}", "zh") for c in ("indicator", "baseline", "scenario",
                                                                          "difference")]
    assert (table[t("hearing.col_difference", "zh")] != "—").any()


def test_presentation_next_and_exit():
    at = open_page("overview", {"present": "1"})
    links = [(p.proto.page, p.proto.label) for p in at.get("page_link")]
    assert ("coverage", t("nav.coverage", "zh") + " ▶") in links
    next(b for b in at.button if b.key == "hearing_exit").click().run()
    assert_no_exception(at)
    assert "present" not in at.query_params
    assert [e for e in at.sidebar.get("expander") if e.proto.id.endswith(hearing.SCENARIOS_KEY)]
    at.session_state[hearing.SCENARIOS_KEY] = True
    at.run()
    assert [b for b in at.button if b.key == "hearing_save"]  # the scenario manager is back


# ---------------------------------------------------------------- normal mode: the footer


@pytest.mark.parametrize("page", ["overview", *MODEL_PAGES])
def test_footer_has_link_comparison_and_downloads(page):
    query = dict([CHANGED[page]]) if page in CHANGED else {}
    at = open_page(page, query)
    assert_no_exception(at)
    link = content.view_link(Scenario.from_values(query)[0], page, lang="zh", present=False)
    present = content.view_link(Scenario.from_values(query)[0], page, lang="zh", present=True)
    boxes = [h.proto.body for h in at.get("html") if "share-link" in h.proto.body]
    assert [b for b in boxes if f'href="{html.escape(link)}"' in b]
    assert [b for b in boxes if f'data-copy="{html.escape(present)}"' in b]
    assert not at.code  # st.code would load the 1.5 MB syntax highlighter in the browser
    # the downloads are built only once their expander is opened (ui/hearing.py footer_extras)
    hearing_keys = [d.key for d in at.get("download_button") if (d.key or "").startswith(f"hearing_{page}_")]
    assert not hearing_keys, hearing_keys
    at.session_state[hearing.lazy_keys(page)["downloads"]] = True
    at.run()
    labels = [d.proto.label for d in at.get("download_button")]
    assert t("hearing.brief_pptx", "zh") in labels and t("hearing.brief_pdf", "zh") in labels
    assert t("hearing.brief_html", "zh") in labels  # the offline interactive brief
    assert t("hearing.xlsx_all", "zh") in labels
    assert f"{t(f'downloads.{page}_headline', 'zh')} · CSV" in labels  # a name, not an internal id
    if images.renderer_problem() is None:
        assert labels.count("PNG") == len(content.figure_names(page)) == labels.count("SVG")


def test_copy_box_escapes_the_link():
    from dashboard.ui.hearing import copy_box_html

    box = copy_box_html('http://h/?a=1&b="<x>', "复制", "已复制")
    assert "<x>" not in box and 'href="http://h/?a=1&amp;b=&quot;&lt;x&gt;"' in box
    assert 'data-copy="http://h/?a=1&amp;b=&quot;&lt;x&gt;"' in box and 'data-done="已复制"' in box


def test_tiles_show_the_baseline_and_the_difference():
    if "beds" not in MODEL_PAGES:
        pytest.skip("beds model not present")
    at = open_page("beds", {"beds_new_per_year": "1500"})
    assert_no_exception(at)
    deltas = [m for m in at.metric if m.proto.delta_description]
    assert deltas
    assert all(t("common.vs_baseline", "zh") in m.proto.delta_description for m in deltas)


def test_save_compare_and_apply_named_scenarios():
    page = MODEL_PAGES[0] if MODEL_PAGES else "overview"
    key, value = CHANGED.get(page, ("lang", "en"))
    at = open_page(page, {key: value})
    at.session_state[hearing.SCENARIOS_KEY] = True  # the member opens "saved scenarios" in the sidebar
    at.run()
    at.text_input(key="hearing_name").input("方案甲").run()
    next(b for b in at.button if b.key == "hearing_save").click().run()
    assert_no_exception(at)
    assert at.session_state["hearing_saved"][0][0] == "方案甲"
    # the comparison table (built once its expander is open): baseline, current, 方案甲
    at.session_state[hearing.lazy_keys(page)["saved"]] = True
    at.run()
    frames = [d.value for d in at.dataframe if t("hearing.col_name", "zh") in d.value.columns]
    assert frames and list(frames[-1][t("hearing.col_name", "zh")]) == [
        t("hearing.baseline_name", "zh"), t("hearing.current_name", "zh"), "方案甲"]
    # reset to defaults, then apply the saved scenario again
    next(b for b in at.button if b.key == "hearing_reset").click().run()
    assert key not in at.query_params
    at.selectbox(key="hearing_choose").select("方案甲").run()
    next(b for b in at.button if b.key == "hearing_apply").click().run()
    assert_no_exception(at)
    assert at.query_params[key] in (value, [value])


def test_saved_scenarios_download_as_json():
    at = open_page("overview")
    at.session_state[hearing.SCENARIOS_KEY] = True
    at.run()
    at.text_input(key="hearing_name").input("A").run()
    next(b for b in at.button if b.key == "hearing_save").click().run()
    button = next(d for d in at.get("download_button") if d.proto.label == t("hearing.download_json", "zh"))
    assert button.proto.file_name == "scenarios.json" if hasattr(button.proto, "file_name") else True
    saved = at.session_state["hearing_saved"]
    from dashboard.core.scenario import scenarios_from_json, scenarios_to_json

    assert scenarios_from_json(scenarios_to_json(saved))[0] == saved
    doc = json.loads(scenarios_to_json(saved))
    assert doc["scenarios"][0]["name"] == "A"


def test_bad_link_values_are_clamped_with_a_notice():
    # the first run shows the notices (AppTest's page switch is a second run), so open the default page
    key = CHANGED[MODEL_PAGES[0]][0] if MODEL_PAGES else "lang"
    at = run_page(None, {key: "1e300", "present": "NaN", "bogus": "x" * 5000})
    assert_no_exception(at)
    assert len(at.toast) == 3
    assert "bogus" not in at.query_params and "present" not in at.query_params
    if key != "lang":  # clamped to the slider's maximum, and the link says so
        param = params_by_key()[key]
        assert param.to_text(param.coerce(param.max)[0]) in str(at.query_params[key])
