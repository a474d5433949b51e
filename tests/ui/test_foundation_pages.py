"""AppTest runs of the Overview and Data & sources pages."""

from __future__ import annotations

import pytest

from dashboard.data import db, geo
from tests.conftest import assert_no_exception, charts, metric_values, run_page


def test_overview_renders_kpis_with_sources():
    at = run_page()
    assert_no_exception(at)
    labels = [m.label for m in at.metric]
    assert "全科医生" in labels
    values = metric_values(at)
    assert values["全科医生"] == "213人"
    assert values["社区卫生服务中心"] == "15"
    captions = " ".join(c.value for c in at.caption)
    assert "调研报告" in captions and "全科医生213名" in captions


def test_overview_in_english():
    at = run_page(query={"lang": "en"})
    assert_no_exception(at)
    values = metric_values(at)
    assert values["General practitioners"] == "213 people"
    assert any("Report" in c.value for c in at.caption)


def overview_map(at) -> str:
    (svg,) = [m.value for m in at.markdown if "<svg" in m.value]
    return svg


@pytest.mark.parametrize(("lang", "district"), [("zh", "沙市区"), ("en", "Shashi District")])
def test_overview_map_is_an_inline_svg_not_plotly(lang, district):
    """The map is drawn on the server: the browser need not load plotly (4.7 MB) to open the first page."""
    at = run_page(query={"lang": lang})
    assert_no_exception(at)
    assert not charts(at) and not at.code
    svg = overview_map(at)
    assert 'class="overview-map"' in svg and district in svg and "<title>" in svg


def test_overview_map_shows_uploaded_subdistricts():
    at = run_page()
    subdistricts = geo.layer("subdistricts")
    renamed = subdistricts.assign(name=["新" + n for n in subdistricts["name"]])
    at.session_state["overlay"] = db.Overlay({"subdistrict_shapes": renamed})
    at.run()
    assert_no_exception(at)
    assert "新中山街道" in overview_map(at)


def test_overview_map_escapes_uploaded_names():
    """The map reaches the page through st.markdown(unsafe_allow_html=True): an uploaded name is text, never markup."""
    at = run_page()
    subdistricts = geo.layer("subdistricts")
    hostile = '<img src=x onerror="alert(1)">\n\n<script>alert(2)</script>'
    at.session_state["overlay"] = db.Overlay({"subdistrict_shapes": subdistricts.assign(name=hostile)})
    at.run()
    assert_no_exception(at)
    svg = overview_map(at)
    assert "<img" not in svg and "<script" not in svg and "\n" not in svg
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in svg


def test_sources_page_search():
    at = run_page("sources")
    assert_no_exception(at)
    at.text_input(key="sources__sources_search").input("全科医生").run()
    assert_no_exception(at)
    table = at.dataframe[0].value
    assert "clinics.gps.central_city" in set(table["编号"])  # the readable catalogue (data/catalogue.py)
    assert "全科医生" in "".join(table["指标"]) and "indicator_id" not in table.columns
    assert len(table) < 10
    assert at.query_params["sources_search"] in ("全科医生", ["全科医生"])


def test_sources_search_and_topic_from_the_link():
    at = run_page("sources", query={"sources_topic": "care_beds", "sources_search": "4515"})
    assert_no_exception(at)
    table = at.dataframe[0].value
    assert list(table["编号"]) == ["beds.shashi.total"]


def test_bad_url_values_never_crash():
    at = run_page(query={"lang": "fr", "present": "maybe", "nonsense": "1"})
    assert_no_exception(at)
