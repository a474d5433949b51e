"""Property management: compounds by status on a map, shares by district, basic service for old compounds."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.analyses.property import charts as charts_property
from dashboard.analyses.property import model as prop
from dashboard.core import ranges
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang
from dashboard.data import geo
from dashboard.exports.provenance import page_csv_bytes
from dashboard.ui import ranges_panel
from dashboard.ui import widgets as ui

lang = ui.lang()
PLOT_CONFIG = {"displaylogo": False}
map_height = 700 if ui.presenting() else 620

ui.next_step()  # presentation mode: one finding per screen (ui/screens.py)
st.title(ui.tr("property.title"))
if not ui.presenting():
    st.markdown(ui.tr("property.intro"))
st.info(ui.tr("property.illustrative"), icon=":material/info:")

# ---------------------------------------------------------------- settings
if not ui.presenting():
    with st.container(border=True):
        st.markdown(f"**{ui.tr('property.main_settings')}**")
        left, middle, right = st.columns(3)
        ui.param_widget("prop_subsidy_yuan", left)
        ui.param_widget("prop_resident_yuan", left)
        ui.param_widget("prop_min_fee_yuan", middle)
        ui.param_widget("prop_min_revenue_yuan", middle)
        ui.param_widget("prop_years", right)
        ui.param_widget("prop_old_before_year", right)
    with ui.lazy_expander(ui.tr("property.more_settings"), key="property_more_settings_open") as more_open:
        if more_open:
            left, right = st.columns(2)
            ui.param_widget("prop_oc_target_pct", left)
            ui.param_widget("prop_oc_target_year", right)

scenario = ui.scenario()
overlay = ui.overlay()
res = prop.details(scenario, overlay)
metrics = {m.key: m for m in ranges.headline("property", scenario, overlay)}  # with their ranges
baseline = ranges.headline("property", Scenario.default(), overlay)
tot = res["totals"]

ui.metric_tiles([metrics[k] for k in ("prop_households_served", "prop_cost_full_year", "prop_managed_share_after",
                                      "prop_simple_households")], columns=4 if lang == "zh" else 2, baseline=baseline)
st.markdown(f"**{ui.tr('property.summary_title')}** · {prop.summary_sentence(scenario, lang, overlay)}")

# ---------------------------------------------------------------- sections
ui.end_steps()  # the headline was the first finding
districts = pd.DataFrame(res["by_district"])
name_col = by_lang(lang, "name_zh", "name_en")


def today_section() -> None:
    """Today: the map and the report's figures."""
    st.subheader(ui.tr("property.map_title"))
    # drawn on the server as inline SVG from the brief's own figure (core/figsvg.py), as the coverage map: a
    # subsidy step changes markup instead of re-plotting ~1,800 markers in the browser (no zoom; hover kept)
    ui.svg_map("property_map", lambda: charts_property.map_figure(res, geo.layer("subdistricts", overlay),
                                                                   geo.layer("districts", overlay), lang,
                                                                   height=map_height),
               ui.tr("property.map_title"), deps=(map_height,),
               max_height="70vh" if ui.presenting() else "80vh")  # on a projector: title, map and caption on one screen
    st.caption(ui.tr("property.map_caption", old=res["assumptions"]["old_before"]))


def shares_section() -> None:
    st.subheader(ui.tr("property.shares_title"))
    ui.metric_tiles([metrics[k] for k in ("prop_compounds_report", "prop_managed_share_report", "prop_oc_share_shashi",
                                          "prop_firms_report")], columns=4 if lang == "zh" else 2, baseline=baseline)
    st.markdown(ui.tr("property.calibration_text", n=f"{tot['compounds']:,}", managed=f"{tot['managed']:,}",
                      share=f"{tot['managed_share_pct']:.1f}", oc=f"{tot['shashi_owners_committee_share_pct'] or 0:.1f}",
                      firms=f"{tot['firms']:,}"))
    ui.plotly_chart("property_shares", lambda: charts_property.shares_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG)
    if ui.presenting():
        return
    with ui.lazy_expander(ui.tr("property.district_table"), key="property_district_table_open") as table_open:
        if table_open:
            st.dataframe(pd.DataFrame({
                ui.tr("property.col_district"): districts[name_col],
                ui.tr("property.col_compounds"): districts["compounds"],
                ui.tr("property.col_managed"): districts["managed_compounds"],
                ui.tr("property.col_managed_share"): districts["managed_share_pct"].round(1),
                ui.tr("property.col_oc"): districts["owners_committee"],
                ui.tr("property.col_oc_share"): districts["owners_committee_share_pct"].round(1),
                ui.tr("property.col_old_unmanaged"): districts["old_unmanaged_compounds"],
            }), hide_index=True, width="stretch")


def scheme_section() -> None:
    """The scenario: basic service for old compounds."""
    st.subheader(ui.tr("property.scheme_title"))
    a = res["assumptions"]
    st.markdown(ui.tr("property.scheme_text", old=a["old_before"], eligible=f"{tot['eligible']:,}",
                      eligible_hh=f"{tot['eligible_households']:,}", fee=f"{a['min_fee_yuan']:,.0f}",
                      revenue=f"{a['min_revenue_yuan']:,.0f}", resident=f"{a['resident_yuan']:,.0f}",
                      subsidy=f"{a['subsidy_yuan']:,.0f}", served=f"{tot['served_compounds']:,}",
                      served_hh=f"{tot['served_households']:,}", simple=f"{tot['simple_compounds']:,}"))
    ui.plotly_chart("property_rollout", lambda: charts_property.rollout_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG)
    st.caption(ui.tr("property.rollout_caption", years=a["years"], first=a["first_year"]))
    st.dataframe(pd.DataFrame({
        ui.tr("property.col_district"): districts[name_col],
        ui.tr("property.col_eligible"): districts["eligible_compounds"],
        ui.tr("property.col_served"): districts["served_compounds"],
        ui.tr("property.col_served_hh"): districts["served_households"],
        ui.tr("property.col_cost"): (districts["annual_cost_yuan"] / 1e4).round(1),
        ui.tr("property.col_simple"): districts["simple_compounds"],
    }), hide_index=True, width="stretch")


def priority_section() -> None:
    st.subheader(ui.tr("property.priority_title"))
    ui.plotly_chart("property_priority", lambda: charts_property.priority_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG, present_height=320)
    st.caption(ui.tr("property.priority_caption"))
    priority = pd.DataFrame(res["priority"])
    if priority.empty:
        return
    st.dataframe(pd.DataFrame({
        ui.tr("property.col_rank"): range(1, len(priority) + 1),
        ui.tr("property.col_compound"): priority["name"],
        ui.tr("property.col_subdistrict"): priority["subdistrict_name"],
        ui.tr("property.col_households"): priority["households"],
        ui.tr("property.col_year_built"): priority["build_year"],
        ui.tr("property.col_subsidy"): priority["subsidy_yuan"].round(1),
        ui.tr("property.col_cost"): (priority["annual_cost_yuan"] / 1e4).round(2),
        ui.tr("property.col_programme_year"): priority["programme_year"].map(lambda y: int(y) + 2020),
    }).head(6 if ui.presenting() else 30), hide_index=True, width="stretch")  # on a projector: the first six
    if not ui.presenting():
        st.download_button(ui.tr("property.download_priority"), partial(page_csv_bytes, "property", priority, scenario, lang, overlay), file_name="property_priority.csv",
                           mime="text/csv", key="property_download_priority", on_click="ignore")


def oc_section() -> None:
    """Owners' committees."""
    st.subheader(ui.tr("property.oc_title"))
    ui.metric_tiles([metrics["prop_oc_needed_per_year"]], columns=2, baseline=baseline)
    ui.plotly_chart("property_owners_committees", lambda: charts_property.owners_committee_figure(res, lang),
                    width="stretch", config=PLOT_CONFIG)
    st.caption(ui.tr("property.oc_caption"))


# at a desk: one at a time; on a projector: one per screen
ui.sections("property", {"today": today_section, "shares": shares_section, "scheme": scheme_section,
                         "priority": priority_section, "oc": oc_section})

ranges_panel.show("property", scenario, overlay)

with ui.lazy_expander(ui.tr("property.sources_title"), key="property_sources_open") as sources_open:
    if sources_open:
        ui.report_quotes(res["report"]["quotes"])
