"""Clinic coverage (社区卫生服务覆盖): who is within reach of community health services, and where to build."""

import streamlit as st

from dashboard.analyses.coverage import charts as charts_coverage
from dashboard.analyses.coverage import model as coverage
from dashboard.core import ranges
from dashboard.data import geo
from dashboard.exports.tables import csv_bytes
from dashboard.ui import ranges_panel
from dashboard.ui import widgets as ui

HEADLINE = ("covered_share", "covered_share_after", "residents_per_gp", "streets_without_public_centre")
MORE = ("uncovered_residents", "residents_per_centre")
PLAN = ("plan_new_centres", "plan_gp_shortfall", "plan_nurse_shortfall", "plan_build_cost", "plan_covered_share")
PLOT_CONFIG = {"displaylogo": False, "scrollZoom": True}


def _preset_value() -> str | None:
    distance = ui.scenario().get("clinic_service_distance_m")
    return next((k for k, v in coverage.DISTANCE_PRESETS.items() if v == distance), None)


def _apply_preset() -> None:
    chosen = st.session_state.get("coverage_preset")
    if chosen:
        ui.set_scenario(ui.scenario().with_values(clinic_service_distance_m=coverage.DISTANCE_PRESETS[chosen]))


lang = ui.lang()
st.title(ui.tr("coverage.title"))
st.caption(ui.tr("coverage.question"))
ui.illustrative_banner()

if not ui.presenting():  # on a projector the figures speak; the settings travel in the link
    with st.container(border=True):
        reach, counted, build = st.columns(3)
        with reach:
            ui.param_widget("clinic_service_distance_m")
            st.session_state["coverage_preset"] = _preset_value()
            st.pills(ui.tr("coverage.preset_label"), list(coverage.DISTANCE_PRESETS), key="coverage_preset",
                     format_func=lambda k: ui.tr(f"coverage.preset.{k}"), on_change=_apply_preset)
            ui.param_widget("clinic_detour_factor")
        with counted:
            ui.param_widget("clinic_kinds")
            ui.param_widget("clinic_ownership")
            ui.param_widget("clinic_include_villages")
        with build:
            ui.param_widget("new_centres")
            ui.param_widget("clinic_candidates")

scenario, overlay = ui.scenario(), ui.overlay()
result = coverage.scenario_result(scenario, overlay)
metrics = {m.key: m for m in ranges.headline("coverage", scenario, overlay)}  # with their ranges
names_of_areas = charts_coverage.area_names(result, lang)

ui.metric_tiles([metrics[k] for k in HEADLINE], columns=4)
st.markdown(coverage.summary_sentence(scenario, lang, overlay))

st.subheader(ui.tr("coverage.map_title"))
ui.plotly_chart("coverage_map", lambda: charts_coverage.coverage_map(
    result, geo.central_city_districts(), geo.layer("subdistricts", overlay), geo.layer("new_areas", overlay), lang),
    width="stretch", config=PLOT_CONFIG)
st.caption(ui.tr("coverage.map_caption", radius=f"{result.settings.radius_m:,.0f}"))
ui.metric_tiles([metrics[k] for k in MORE], columns=4)

st.subheader(ui.tr("coverage.sites_title"))
suggestion = result.suggestion
st.caption(ui.tr(f"coverage.method.{suggestion.method}", candidates=f"{suggestion.candidates:,}",
                 greedy=f"{round(suggestion.greedy_added):,}", added=f"{round(suggestion.added):,}")
           + " " + ui.tr(f"coverage.proof.{suggestion.proof or 'none'}"))
if len(suggestion.sites) < scenario.get("new_centres"):
    st.info(ui.tr("coverage.fewer_sites", n=len(suggestion.sites), k=scenario.get("new_centres")))
left, right = st.columns([3, 2])
with left:
    ui.plotly_chart("coverage_returns", lambda: charts_coverage.returns_chart(result, lang), width="stretch",
                    config=PLOT_CONFIG)
with right:
    st.dataframe(charts_coverage.sites_table(result.sites, lang, names_of_areas), width="stretch", hide_index=True)

st.subheader(ui.tr("coverage.plan_title"))
st.markdown(ui.tr("coverage.plan_intro"))
if not ui.presenting():
    with st.expander(ui.tr("coverage.plan_assumptions"), expanded=False):
        a, b, c = st.columns(3)
        ui.param_widget("clinic_gps_per_centre", container=a)
        ui.param_widget("clinic_nurses_per_centre", container=b)
        ui.param_widget("clinic_centre_cost_million_yuan", container=c)
ui.metric_tiles([metrics[k] for k in PLAN], columns=3)
plan = result.plan
if plan["streets_without_public_centre"]:
    names = "、".join(s["subdistrict_name"] for s in plan["streets_without_public_centre"])
    st.markdown(ui.tr("coverage.plan_streets", names=names))
if plan["streets_public_centre_below_standard"]:
    names = "、".join(s["subdistrict_name"] for s in plan["streets_public_centre_below_standard"])
    st.markdown(ui.tr("coverage.plan_below_standard", names=names))
if not result.plan_sites.empty:
    with st.expander(ui.tr("coverage.plan_sites")):
        st.dataframe(charts_coverage.sites_table(result.plan_sites, lang, names_of_areas), width="stretch", hide_index=True)

st.subheader(ui.tr("coverage.table_title"))
table = charts_coverage.subdistrict_table(result, lang)
st.dataframe(table, width="stretch", hide_index=True)
st.download_button(ui.tr("common.download_csv"), csv_bytes(table), "clinic_coverage_by_subdistrict.csv", "text/csv",
                   key="coverage_download")

ranges_panel.show("coverage", scenario, overlay)

with st.expander(ui.tr("coverage.method_title")):
    st.markdown(ui.tr("coverage.method_text"))
