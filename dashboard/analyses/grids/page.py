"""Grids and workload: grid sizes against a norm, re-dividing grids at the pay page's wage, and the task burden."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.analyses.grids import charts as charts_grids
from dashboard.analyses.grids import model as grids
from dashboard.core import ranges
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.exports.provenance import page_csv_bytes
from dashboard.ui import widgets as ui

lang = ui.lang()
PLOT_CONFIG = {"displaylogo": False}

ui.next_step()  # presentation mode: one finding per screen (ui/screens.py)
st.title(ui.tr("grids.title"))
if not ui.presenting():
    st.markdown(ui.tr("grids.intro"))
st.info(ui.tr("grids.illustrative"), icon=":material/info:")

if not ui.presenting():
    with st.container(border=True):
        st.markdown(f"**{ui.tr('grids.main_settings')}**")
        left, middle, right = st.columns(3)
        ui.param_widget("grids_target_households", left)
        ui.param_widget("grids_workers_per_grid", middle)
        ui.param_widget("grids_access_removed_pct", right)
        st.caption(ui.tr("grids.wage_note"))

scenario = ui.scenario()
overlay = ui.overlay()
res = grids.details(scenario, overlay)
metrics = {m.key: m for m in ranges.headline("grids", scenario, overlay)}  # as the brief and CLI print them
baseline = ranges.headline("grids", Scenario.default(), overlay)
tot, a = res["totals"], res["assumptions"]

ui.metric_tiles([metrics[k] for k in ("grids_extra_workers", "grids_extra_cost", "grids_gini",
                                      "grids_households_per_worker")], columns=4 if lang == "zh" else 2,
                baseline=baseline)
st.markdown(f"**{ui.tr('grids.summary_title')}** · {grids.summary_sentence(scenario, lang, overlay)}")

# ---------------------------------------------------------------- sections
ui.end_steps()  # the headline was the first finding
comm = pd.DataFrame(res["by_community"])


def sizes_section() -> None:
    st.subheader(ui.tr("grids.sizes_title"))
    ui.plotly_chart("grids_sizes", lambda: charts_grids.sizes_figure(res, lang), width="stretch", config=PLOT_CONFIG)
    st.caption(ui.tr("grids.sizes_caption", lo=a["norm_low"], hi=a["norm_high"], n=f"{tot['grids']:,}",
                     within=f"{tot['grids_in_band_pct'] or 0:.0f}", below=f"{tot['grids_below_band']:,}",
                     above=f"{tot['grids_above_band']:,}"))
    ui.metric_tiles([metrics[k] for k in ("grids_no_grid_compounds", "grids_cadres_per_branch")], columns=2,
                    baseline=baseline)


def communities_section() -> None:
    st.subheader(ui.tr("grids.communities_title"))
    ui.plotly_chart("grids_communities", lambda: charts_grids.communities_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG)
    st.caption(ui.tr("grids.communities_caption"))
    if ui.presenting():  # the tables are for the desk
        return
    with ui.lazy_expander(ui.tr("grids.community_table"), key="grids_community_table_open") as table_open:
        if table_open:
            st.dataframe(pd.DataFrame({
                ui.tr("grids.col_community"): comm["committee_name"],
                ui.tr("grids.col_subdistrict"): comm["subdistrict_name"],
                ui.tr("grids.col_grids"): comm["grids"],
                ui.tr("grids.col_households"): comm["households"],
                ui.tr("grids.col_workers"): comm["workers"],
                ui.tr("grids.col_per_grid"): pd.to_numeric(comm["households_per_grid"]).round(0),
                ui.tr("grids.col_per_worker"): pd.to_numeric(comm["households_per_worker"]).round(0),
                ui.tr("grids.col_no_grid"): comm["no_grid_compounds"],
                ui.tr("grids.col_needed"): comm["grids_needed"],
                ui.tr("grids.col_extra"): comm["extra_workers"],
            }), hide_index=True, width="stretch")
    no_grid = pd.DataFrame(res["no_grid"])
    if no_grid.empty:
        return
    with ui.lazy_expander(ui.tr("grids.no_grid_table", n=len(no_grid)), key="grids_no_grid_table_open") as no_grid_open:
        if no_grid_open:
            st.dataframe(pd.DataFrame({  # the reader's column names, not the data's field names
                ui.tr("grids.col_compound"): no_grid["name"],
                ui.tr("grids.col_subdistrict"): no_grid["subdistrict_name"],
                ui.tr("grids.col_community"): no_grid["committee_name"],
                ui.tr("grids.col_households"): no_grid["households"],
                t("columns.build_year", lang): no_grid["build_year"],
            }), hide_index=True, width="stretch")


def redivision_section() -> None:
    st.subheader(ui.tr("grids.redivision_title"))
    ui.metric_tiles([metrics["grids_needed"], metrics["grids_extra_workers"], metrics["grids_extra_cost"]],
                    columns=3 if lang == "zh" else 2, baseline=baseline)
    ui.plotly_chart("grids_redivision", lambda: charts_grids.redivision_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG)
    st.caption(ui.tr("grids.redivision_caption", target=a["target_households"], per=a["workers_per_grid"],
                     wage=f"{a['wage_yuan']:,.0f}", surplus=f"{tot['surplus_workers']:,}",
                     gini=f"{tot['gini']:.2f}", gini_after=f"{tot['gini_after']:.2f}"))
    if not ui.presenting():
        st.download_button(ui.tr("grids.download_communities"), partial(page_csv_bytes, "grids", comm, scenario, lang, overlay), file_name="grids_by_community.csv",
                           mime="text/csv", key="grids_download_communities", on_click="ignore")


def tasks_section() -> None:
    """The task burden."""
    st.subheader(ui.tr("grids.tasks_title"))
    ui.metric_tiles([metrics[k] for k in ("grids_tasks_report", "grids_lawful_report", "grids_tasks_after",
                                          "grids_fte_freed")], columns=4 if lang == "zh" else 2, baseline=baseline)
    ui.plotly_chart("grids_tasks", lambda: charts_grids.tasks_figure(res, lang), width="stretch", config=PLOT_CONFIG)
    st.caption(ui.tr("grids.tasks_caption"))


# at a desk: one at a time; on a projector: one per screen
ui.sections("grids", {"sizes": sizes_section, "communities": communities_section,
                      "redivision": redivision_section, "tasks": tasks_section})

with ui.lazy_expander(ui.tr("grids.sources_title"), key="grids_sources_open") as sources_open:
    if sources_open:
        ui.report_quotes(res["report"]["quotes"])
