"""Data & sources, Fingertips-style: every indicator with its name in both languages, value with the report's
qualifier, unit, year, the report's words, definition, caveats and source; every dataset with what one row
is and where its rows come from, in words; every source with its kind. Tables: dashboard/data/catalogue.py."""

import streamlit as st

from dashboard.core.safetext import md_escape
from dashboard.core.text import by_lang
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
    found = catalogue.indicator_table(lang, ui.overlay(), topic=topic, text=scenario["sources_search"])
    st.caption(ui.tr("sources.count", n=len(found)))
    st.dataframe(found, width="stretch", hide_index=True, height=460)
    if len(found):
        name_col = ui.tr("sources.col_name")
        pick = st.selectbox(ui.tr("sources.choose_indicator"), range(len(found)),
                            format_func=lambda i: str(found.iloc[i][name_col]), key="sources_card")
        card = found.iloc[int(pick or 0)]
        other_col, id_col = ui.tr("sources.col_name_other"), ui.tr("sources.col_id")
        with st.container(border=True):
            # The English card also names the indicator in Chinese, as the report does; the Chinese card does not
            # repeat it in English (the table keeps both names).
            other = by_lang(lang, "", f"  \n{md_escape(str(card[other_col]))}")
            st.markdown(f"**{md_escape(str(card[name_col]))}**{other}")
            for col in found.columns:
                if col not in (name_col, other_col) and str(card[col]).strip():
                    # the id is technical text, as a code span (ids are [a-z0-9_.], no backtick)
                    shown = f"`{card[col]}`" if col == id_col else md_escape(str(card[col]))
                    st.markdown(f"- **{md_escape(col)}**{ui.tr('common.colon')}{shown}")
    st.download_button(ui.tr("common.download_csv"), csv_bytes(found), "indicators.csv", "text/csv",
                       key="sources_dl_indicators", on_click="ignore")

with tab_data:
    summary = catalogue.dataset_table(lang, ui.overlay())
    st.dataframe(summary, width="stretch", hide_index=True)
    names = list(catalogue.DATASETS)
    name = st.selectbox(ui.tr("sources.preview"), names, key="sources_dataset",
                        format_func=lambda n: str(summary.iloc[names.index(n), 0]))
    st.dataframe(catalogue.column_table(name, lang), width="stretch", hide_index=True)
    frame = db.frames(ui.overlay())[name]
    st.dataframe(catalogue.preview(name, frame.head(200), lang), width="stretch", hide_index=True)
    st.download_button(ui.tr("common.download_csv"), csv_bytes(frame), f"{name}.csv", "text/csv", key="sources_dl_dataset", on_click="ignore")

with tab_src:
    st.dataframe(catalogue.sources_readable(lang, ui.overlay()), width="stretch", hide_index=True)
    st.caption(ui.tr("sources.kinds_help"))
