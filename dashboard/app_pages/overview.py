"""Overview: the report's headline figures with sources, a map of the central city, problems and recommendations."""

import streamlit as st

from dashboard import charts, geo, ui
from dashboard.models import overview

lang = ui.lang()
st.title(ui.tr("overview.title"))
st.caption(ui.tr("common.app_subtitle"))
if not ui.presenting():
    st.markdown(ui.tr("overview.intro"))

for group, metrics in overview.kpis(ui.overlay()):
    st.subheader(ui.tr(f"overview.group.{group}"))
    ui.metric_tiles(metrics, columns=4)

st.subheader(ui.tr("overview.map_title"))
labels = {k: ui.tr(f"overview.{k}") for k in ("legend.district", "legend.street", "legend.town", "legend.new_area")}
fig = charts.overview_map(geo.central_city_districts(), geo.layer("subdistricts", ui.overlay()), geo.layer("new_areas"),
                          labels, lang)
st.plotly_chart(fig, width="stretch", config={"displaylogo": False, "scrollZoom": True}, key="overview_map")
st.caption(ui.tr("overview.map_caption"))

st.subheader(ui.tr("overview.findings_title"))
for item in overview.findings(ui.overlay()):
    with st.expander(f"{ui.tr('overview.kind.' + item['kind'])} · {ui.tr('overview.finding.' + item['key'])}",
                     expanded=not ui.presenting() and item["kind"] == "problem"):
        for metric in item["metrics"]:
            st.markdown(f"- **{metric.label(lang)}**: {metric.formatted(lang)} — {metric.note(lang)}")
        if item["page"]:
            st.page_link(f"app_pages/{item['page']}.py", label=ui.tr("overview.open_page"), icon=":material/arrow_forward:")
