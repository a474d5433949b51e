"""Care beds: supply against demand by district and type, projected to 2035, with the year the gap closes."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.analyses.beds import charts as charts_beds
from dashboard.analyses.beds import model as beds
from dashboard.core import ranges
from dashboard.core.metrics import format_value
from dashboard.core.scenario import Scenario, page_params
from dashboard.core.text import by_lang
from dashboard.data import geo
from dashboard.exports.provenance import page_csv_bytes
from dashboard.ui import ranges_panel
from dashboard.ui import widgets as ui

lang = ui.lang()
CHART_CONFIG = {"displaylogo": False}


def param_text(param, value) -> str:
    """A parameter value as shown in the assumptions table (choice label, or number with unit)."""
    if param.kind == "choice":  # another city's areas have no catalogue label: the code itself
        try:
            return ui.tr(f"choices.{param.key}.{value}")
        except KeyError:
            return str(value)
    number = f"{value:,.1f}" if param.kind == "float" else f"{value:,}"
    return f"{number} {ui.tr(f'units.{param.unit}')}" if param.unit else number


present = ui.presenting()
top_step = ui.step()
top_step.__enter__()
st.title(ui.tr("beds.title"))
st.caption(ui.tr("beds.question"))
if not present:
    st.caption(ui.tr("beds.report_quote"))
    ui.illustrative_banner(("care_facilities", "communities", "compounds"))

# ---- the main choices
cols = st.columns(4)
ui.param_widget("beds_district", cols[0])
ui.param_widget("beds_demand_method", cols[1])
ui.param_widget("beds_new_per_year", cols[2])
ui.param_widget("beds_target_year", cols[3])

scenario = ui.scenario()
res = beds.compute(scenario, ui.overlay())
details = beds.details_for(res)
baseline_scenario = Scenario.default().with_values(beds_district=res.area)
baseline = ranges.headline("beds", baseline_scenario, ui.overlay())  # with their ranges

st.success(f"**{ui.tr('beds.sentence_label')}**{ui.tr('common.colon')}" + beds.summary_sentence(scenario, lang, ui.overlay()))
metrics = {m.key: m for m in ranges.headline("beds", scenario, ui.overlay())}  # with their ranges
# both demand methods' answers side by side: the conclusion flips with the method
TOP = ("beds_per_1000_city", "supply", "demand", "met_share", "met_share_other", "gap", "closing_year",
       "required_per_year", "budget")


def tiles(keys: tuple[str, ...], columns: int) -> None:
    """Metric tiles for `keys`, each against the default scenario for the same area."""
    ui.metric_tiles([metrics[k] for k in keys], columns=columns,
                    baseline=[m for m in baseline if m.key in keys])


tiles(TOP, 5 if present else 4)  # on a projector two rows of large tiles fit one screen
top_step.__exit__(None, None, None)

# ---- calibration, stated on screen (a method detail: not on a projector)
cal = res.calibration


def calibration_section() -> None:
    with ui.lazy_expander(ui.tr("beds.calibration_title"), key="beds_calibration_open") as cal_open:
        if cal_open:
            mark = {True: ui.tr("beds.ok"), False: ui.tr("beds.off")}
            lines = [ui.tr("beds.cal_per_1000", model=cal["beds_per_1000_city"], report=cal["beds_per_1000_report"] or 0,
                           tol=cal["beds_per_1000_tolerance"], mark=mark[cal["beds_per_1000_ok"]])]
            if cal["shashi_met_share_need_pct"] is not None:
                need_ok = abs(cal["shashi_met_share_need_pct"] - 100 / 3) <= cal["met_share_tolerance_pt"]
                lines.append(ui.tr("beds.cal_shashi_need", supply=cal["shashi_supply"], model=cal["shashi_met_share_need_pct"],
                                   tol=cal["met_share_tolerance_pt"], mark=mark[need_ok]))
                lines.append(ui.tr("beds.cal_shashi_norm", norm=res.rule.norm_per_1000, model=cal["shashi_met_share_norm_pct"]))
            if cal["jingzhou_reform_communities"]:
                n, k = cal["jingzhou_reform_communities"], cal["jingzhou_reform_with_centre"]
                lines.append(ui.tr("beds.cal_jingzhou", n=n, k=k, mark=mark[k / n < 0.25]))
            shares = cal["city_age_shares"]
            lines.append(ui.tr("beds.cal_age_mix", s60=shares["aged_60_plus"], s80=shares["aged_80_plus"]))
            st.markdown("\n".join(f"- {line}" for line in lines))
            demand_keys = ("beds_ltc_need_60_79_pct", "beds_ltc_need_80_plus_pct", "beds_bed_use_pct", "beds_occupancy_pct")
            if any(k in scenario.changes() for k in demand_keys):
                st.warning(ui.tr("beds.cal_changed"))


if not present:
    calibration_section()

# ---- demand assumptions (controls are hidden on a projector)
if not ui.presenting():
    with ui.lazy_expander(ui.tr("beds.demand_params"), key="beds_demand_params_open") as params_open:
        if params_open:
            left, right = st.columns(2)
            with left:
                ui.param_widget("beds_norm_per_1000")
                if res.rule.method == "need":
                    st.caption(ui.tr("beds.norm_inactive"))
            with right:
                if res.rule.method == "norm":
                    st.caption(ui.tr("beds.need_inactive"))
                for key in ("beds_ltc_need_60_79_pct", "beds_ltc_need_80_plus_pct", "beds_bed_use_pct",
                            "beds_occupancy_pct"):
                    ui.param_widget(key)

HEIGHT = 640  # a chart and its title on one 1080-px screen


def section_title(key: str) -> None:
    if present:
        st.subheader(ui.tr(f"beds.tab_{key}"))


def supply_section() -> None:
    section_title("supply")
    ui.plotly_chart("beds_supply_chart", lambda: charts_beds.supply_demand_figure(details, lang), width="stretch",
                    config=CHART_CONFIG, present_height=HEIGHT - 60)
    if present:
        return
    tiles(("nursing_share",), 3)
    nursing = res.nursing
    name = beds.area_name(res, lang)
    if nursing["share"] is None:
        st.caption(ui.tr("beds.nursing_none", name=name))
    else:
        st.markdown(ui.tr("beds.nursing_text", name=name, beds=nursing["institutional_beds"],
                          nursing=nursing["nursing_beds"], share=nursing["share"], target=nursing["target_share"],
                          short=nursing["short"]))
    ui.param_widget("beds_nursing_target_pct")


def projection_section() -> None:
    section_title("projection")
    chart_col, control_col = st.columns([3, 1]) if not present else (st.container(), None)
    if control_col is not None:
        with control_col:
            st.markdown(f"**{ui.tr('beds.growth_params')}**")
            for key in ("beds_growth_60_plus_pct_per_year", "beds_growth_80_plus_pct_per_year",
                        "beds_closure_pct_per_year"):
                ui.param_widget(key)
            st.markdown(f"**{ui.tr('beds.cost_params')}**")
            for key in ("beds_build_subsidy_yuan_per_bed", "beds_running_subsidy_yuan_per_bed_year"):
                ui.param_widget(key)
    with chart_col:
        ui.plotly_chart("beds_projection_chart", lambda: charts_beds.projection_figure(details, lang),
                        width="stretch", config=CHART_CONFIG, present_height=HEIGHT - 220)
        tiles(("plan_budget", "running_subsidy"), 2)
        if not present:
            st.download_button(ui.tr("beds.download_projection"), partial(page_csv_bytes, "beds", res.projection.round(1), scenario, lang, ui.overlay()),
                               file_name=f"beds_projection_{res.area}.csv", mime="text/csv", key="beds_dl_projection", on_click="ignore")


def map_section() -> None:
    section_title("map")
    ui.plotly_chart("beds_map", lambda: charts_beds.care_map_figure(
        geo.central_city_districts(), geo.layer("subdistricts", ui.overlay()), beds.facility_points(ui.overlay()),
        beds.community_points(ui.overlay()), lang), width="stretch", config={**CHART_CONFIG, "scrollZoom": True},
        present_height=HEIGHT - 40, by_scenario=False)  # drawn from the data alone: no slider changes it
    st.caption(ui.tr("beds.map_caption"))


def home_care_section() -> None:
    section_title("home_care")
    tiles(("without_centre",), 3)
    ui.plotly_chart("beds_coverage_chart", lambda: charts_beds.coverage_figure(details, lang), width="stretch",
                    config=CHART_CONFIG, present_height=HEIGHT - 300)
    if beds.selected_row(res)["communities"]:
        reach = beds.reach_all_communities(res)
        st.markdown(ui.tr("beds.coverage_reach_all", name=beds.area_name(res, lang), n=reach["communities"],
                          size=res.home_care_mean_beds, beds=reach["beds"],
                          cost=format_value(reach["build_cost_yuan"] / 1e6, "million_yuan", 1, lang)))
    if cal["jingzhou_reform_communities"]:
        n, k = cal["jingzhou_reform_communities"], cal["jingzhou_reform_with_centre"]
        st.markdown(ui.tr("beds.coverage_jingzhou", n=n, k=k, share=k / n))


def assumptions_section() -> None:
    st.caption(ui.tr("beds.assumptions_caption"))
    rows = []
    for param in page_params("beds"):
        info = ui.source_info(param.source_id)
        kind = info.get("kind", "?")
        try:
            kind_text = ui.tr(f"common.kind_{kind}")
        except KeyError:
            kind_text = kind
        rows.append({
            ui.tr("beds.col_parameter"): param.label(lang),
            ui.tr("beds.col_value"): param_text(param, scenario[param.key]),
            ui.tr("beds.col_default"): param_text(param, param.default),
            ui.tr("beds.col_source_kind"): kind_text,
            ui.tr("beds.col_source"): info.get("title") or param.source_id,
            ui.tr("beds.col_note"): info.get("note") or "",
        })
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)


def table_section() -> None:
    table = beds.city_communities_unknown(res.table)  # the data has the central city's communities only
    shown = pd.DataFrame({
        ui.tr("beds.col_area"): table[by_lang(lang, "name_zh", "name_en")],
        ui.tr("beds.col_aged_60_plus"): table["aged_60_plus"].round(0),
        ui.tr("beds.col_aged_80_plus"): table["aged_80_plus"].round(0),
        ui.tr("beds.col_supply"): table["supply"].round(0),
        ui.tr("beds.col_per_1000"): table["beds_per_1000_aged_60_plus"].round(1),
        ui.tr("beds.col_demand_need"): table["demand_need"].round(0),
        ui.tr("beds.col_demand_norm"): table["demand_norm"].round(0),
        ui.tr("beds.col_gap"): table["gap"].round(0),
        ui.tr("beds.col_met_share"): (table["met_share"] * 100).round(1),
        ui.tr("beds.col_required", year=res.target_year): table["required_per_year"].round(0),
        ui.tr("beds.col_closing_year"): [str(beds.closing_text(int(y))) for y in table["closing_year"]],
        ui.tr("beds.col_nursing_share"): (table["nursing_share"] * 100).round(1),
        ui.tr("beds.col_communities"): table["communities"].astype("Int64"),
        ui.tr("beds.col_with_centre"): table["with_centre"].astype("Int64"),
    })
    st.dataframe(shown, width="stretch", hide_index=True)
    st.caption(ui.tr("beds.table_caption"))
    st.download_button(ui.tr("beds.download"), partial(page_csv_bytes, "beds", shown, scenario, lang, ui.overlay()), file_name="beds_areas.csv", mime="text/csv",
                       key="beds_dl_areas", on_click="ignore")


# on a projector: the projection (the page's answer) first, one finding per screen, no switch; at a desk or on a
# phone one section at a time: the others are not built, so a slider step redraws only what is on screen
ui.sections("beds", {"supply": supply_section, "projection": projection_section, "map": map_section,
                     "home_care": home_care_section, "assumptions": assumptions_section, "table": table_section},
            present_order=("projection", "supply", "map", "home_care"))

ranges_panel.show("beds", scenario, ui.overlay())
