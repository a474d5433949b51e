"""Data & sources: every dataset with grain, rows, provenance and a preview; the searchable indicator catalogue."""

import streamlit as st

from dashboard.data import catalogue, db
from dashboard.exports.tables import csv_bytes
from dashboard.ui import widgets as ui

lang = ui.lang()
st.title(ui.tr("sources.title"))
st.markdown(ui.tr("sources.intro"))

tab_ind, tab_data, tab_src = st.tabs([ui.tr("sources.tab_indicators"), ui.tr("sources.tab_datasets"), ui.tr("sources.tab_sources")])

with tab_ind:
    c1, c2 = st.columns([1, 2])
    ui.param_widget("sources_topic", c1)
    ui.param_widget("sources_search", c2)
    scenario = ui.scenario()
    topic = "" if scenario["sources_topic"] == "all" else scenario["sources_topic"]
    found = db.run_query("indicators_search", overlay=ui.overlay(), topic=topic, text=scenario["sources_search"])
    st.caption(ui.tr("sources.count", n=len(found)))
    st.dataframe(found, width="stretch", hide_index=True, height=460)
    st.download_button(ui.tr("common.download_csv"), csv_bytes(found), "indicators.csv", "text/csv",
                       key="sources_dl_indicators")

with tab_data:
    summary = catalogue.dataset_summary(ui.overlay())
    grain = "grain_zh" if lang == "zh" else "grain_en"
    st.dataframe(summary[["dataset", "file", grain, "rows", "kinds", "user_supplied"]], width="stretch", hide_index=True)
    name = st.selectbox(ui.tr("sources.preview"), list(summary["dataset"]), key="sources_dataset")
    st.dataframe(catalogue.column_table(name), width="stretch", hide_index=True)
    frame = db.frames(ui.overlay())[name]
    st.dataframe(frame.head(200), width="stretch", hide_index=True)
    st.download_button(ui.tr("common.download_csv"), csv_bytes(frame), f"{name}.csv", "text/csv", key="sources_dl_dataset")

with tab_src:
    sources = db.run_query("sources_list", overlay=ui.overlay())
    st.dataframe(sources, width="stretch", hide_index=True)
    st.caption(ui.tr("sources.kinds_help"))
