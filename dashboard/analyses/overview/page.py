"""Overview: the report's headline figures with sources, a map of the central city, problems and recommendations."""

import streamlit as st

from dashboard import registry
from dashboard.analyses.overview import model as overview
from dashboard.analyses.overview import svgmap
from dashboard.ui import widgets as ui

lang = ui.lang()
ui.next_step()  # presentation mode: one finding per screen (ui/screens.py)
st.title(ui.tr("overview.title"))
st.caption(ui.tr("common.app_subtitle"))
if not ui.presenting():
    st.markdown(ui.tr("overview.intro"))

for i, (group, metrics) in enumerate(overview.kpis(ui.overlay())):
    if i and i % 2 == 0:  # two groups of figures to a screen
        ui.next_step()
    st.subheader(ui.tr(f"overview.group.{group}"))
    ui.metric_tiles(metrics, columns=4)

ui.next_step()
st.subheader(ui.tr("overview.map_title"))
labels = {k: ui.tr(f"overview.{k}") for k in ("legend.district", "legend.street", "legend.town", "legend.new_area")}
# A server-drawn SVG, not plotly: the first page then does not make the browser load plotly's 4.7 MB
# chunk. Shown inline with st.markdown so each shape's <title> tooltip and hover work: st.html drops
# SVG (DOMPurify with the HTML profile only) and st.image turns it into an <img> (no tooltips). The
# <div> makes the one-line SVG a Markdown HTML block, passed through as is.
# The brief still draws charts.overview_map with plotly.
# Safe as raw HTML: svgmap XML-escapes every text it writes (names, including uploaded ones, labels,
# title) and puts it on one line; the rest is numbers and constants (tests/analyses/overview/test_svgmap.py,
# tests/ui/test_foundation_pages.py::test_overview_map_escapes_uploaded_names).
svg = svgmap.overview_svg_for(ui.overlay(), labels, lang, ui.tr("overview.map_title"))
st.markdown(f'<div class="overview-map-box">{svg}</div>', unsafe_allow_html=True)
st.caption(ui.tr("overview.map_caption"))

ui.next_step()
st.subheader(ui.tr("overview.findings_title"))
for item in overview.findings(ui.overlay()):
    with st.expander(f"{ui.tr('overview.kind.' + item['kind'])} · {ui.tr('overview.finding.' + item['key'])}",
                     expanded=not ui.presenting() and item["kind"] == "problem"):
        for metric in item["metrics"]:
            st.markdown(f"- **{metric.label(lang)}**: {metric.formatted(lang)} — {metric.note(lang)}")
        if item["page"]:
            st.page_link(registry.page(item["page"]).script, label=ui.tr("overview.open_page"), icon=":material/arrow_forward:")
