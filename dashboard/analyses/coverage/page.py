"""Clinic coverage (社区卫生服务覆盖): who is within reach of community health services, and where to build."""

from functools import partial

import streamlit as st

from dashboard.analyses.coverage import charts as charts_coverage
from dashboard.analyses.coverage import model as coverage
from dashboard.analyses.coverage import network as walk_network
from dashboard.core import ranges
from dashboard.core.safetext import md_escape
from dashboard.core.text import join_list
from dashboard.data import geo
from dashboard.exports.provenance import page_csv_bytes
from dashboard.ui import ranges_panel
from dashboard.ui import widgets as ui

HEADLINE = ("covered_share", "covered_share_after", "residents_per_gp", "streets_without_public_centre")
MORE = ("uncovered_residents", "residents_per_centre")
PLAN = ("plan_new_centres", "plan_gp_shortfall", "plan_nurse_shortfall", "plan_build_cost", "plan_covered_share")
CAPACITY = ("served_share", "served_share_after", "beyond_capacity_residents", "facilities_over_capacity",
            "access_gps_per_10k")
PLOT_CONFIG = {"displaylogo": False, "scrollZoom": True}
NETWORK_MB = walk_network.MAX_BYTES // (1024 * 1024)
NETWORK, NETWORK_FILE, NETWORK_ERROR = "coverage_network", "coverage_network_file", "coverage_network_error"


def _preset_value() -> str | None:
    distance = ui.scenario().get("clinic_service_distance_m")
    return next((k for k, v in coverage.DISTANCE_PRESETS.items() if v == distance), None)


def _apply_preset() -> None:
    chosen = st.session_state.get("coverage_preset")
    if chosen:
        ui.set_scenario(ui.scenario().with_values(clinic_service_distance_m=coverage.DISTANCE_PRESETS[chosen]))


def _plain(name: object) -> str:
    """A file name safe inside a Markdown code span: no backticks, no line breaks or control characters."""
    return "".join(ch for ch in str(name) if ch.isprintable()).replace("`", "'")[:120] or "—"


def _network_error_text(key: str, params: dict) -> str:
    safe = {k: _plain(v) for k, v in params.items()}
    safe.setdefault("name", "—")
    try:
        return ui.tr(f"coverage.network_error.{key}", **safe)
    except (KeyError, IndexError):
        return ui.tr("coverage.network_error.other", name=safe["name"])


def _network_upload():
    """The walking network uploaded in this session (parsed once per file), or None; bad files get a clear message."""
    if ui.presenting():
        return st.session_state.get(NETWORK)
    with st.expander(ui.tr("coverage.network_title"), expanded=NETWORK in st.session_state):
        st.caption(ui.tr("coverage.network_help", limit=NETWORK_MB))
        upload = st.file_uploader(ui.tr("coverage.network_label", limit=NETWORK_MB), type=["pbf", "geojson", "json"],
                                  key="coverage_network_upload", max_upload_size=NETWORK_MB)
        if upload is not None and st.session_state.get(NETWORK_FILE) != upload.file_id:
            st.session_state[NETWORK_FILE] = upload.file_id
            st.session_state.pop(NETWORK, None)
            st.session_state.pop(NETWORK_ERROR, None)
            try:
                st.session_state[NETWORK] = walk_network.read_network(upload.getvalue(), upload.name)
            except walk_network.NetworkError as exc:
                st.session_state[NETWORK_ERROR] = (exc.key, exc.params)
            except Exception:  # noqa: BLE001 - never a traceback on the page
                st.session_state[NETWORK_ERROR] = ("other", {"name": upload.name})
        if upload is not None and NETWORK_ERROR in st.session_state:
            st.error(_network_error_text(*st.session_state[NETWORK_ERROR]), icon=":material/block:")
        if NETWORK in st.session_state:  # kept across pages and a cleared uploader, until dropped here
            st.button(ui.tr("coverage.network_drop"), key="coverage_network_drop", on_click=_drop_network)
        return st.session_state.get(NETWORK)


def _drop_network() -> None:
    """Back to the detour-factor method; the file still in the uploader is not read again (its id is kept)."""
    for key in (NETWORK, NETWORK_ERROR):
        st.session_state.pop(key, None)


def _fmt_m(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _network_status(info: dict, service_m: int) -> None:
    st.caption(ui.tr("coverage.network_loaded", name=_plain(info["source"]), nodes=f"{info['nodes']:,}",
                     edges=f"{info['edges']:,}", km=f"{info['length_km']:,.1f}", components=f"{info['components']:,}",
                     dmax=_fmt_m(info["demand_snap_max_m"]), dmed=_fmt_m(info["demand_snap_median_m"]),
                     fmax=_fmt_m(info["facility_snap_max_m"]), fmed=_fmt_m(info["facility_snap_median_m"]),
                     cut=f"{info['demand_points_without_facility_component']:,}"))
    median = info["demand_snap_median_m"]
    if median is not None and median > service_m:
        st.warning(ui.tr("coverage.network_far", dmed=_fmt_m(median)), icon=":material/wrong_location:")


lang = ui.lang()
present = ui.presenting()
HEIGHT = 600  # a chart and its title on one 1080-px screen (presentation mode)
top_step = ui.step()
top_step.__enter__()
st.title(ui.tr("coverage.title"))
st.caption(ui.tr("coverage.question"))
if not present:
    ui.illustrative_banner(("clinics", "compounds", "subdistrict_shapes"))

if not present:  # on a projector the figures speak; the settings travel in the link
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
            ui.param_widget("clinic_site_objective")

network = _network_upload()
scenario, overlay = ui.scenario(), ui.overlay()
result = None
if network is not None:
    try:
        result = coverage.scenario_result(scenario, overlay, network)
    except ValueError as exc:  # a network the data cannot be placed on: say so, fall back to the default method
        st.error(ui.tr("coverage.network_failed", reason=_plain(exc)), icon=":material/block:")
        network = None
if result is None:
    result = coverage.scenario_result(scenario, overlay)
if network is None:  # the figures with their ranges (a loaded network has no ranges: its own method)
    metrics = {m.key: m for m in ranges.headline("coverage", scenario, overlay)}
    baseline = ranges.headline("coverage", scenario.baseline(), overlay)  # every tile against the report's defaults
else:
    metrics = {m.key: m for m in coverage.headline(scenario, overlay, network)}
    baseline = coverage.headline(scenario.baseline(), overlay, network)
names_of_areas = charts_coverage.area_names(result, lang)
if result.network is not None:
    _network_status(result.network, result.settings.service_distance_m)

ui.metric_tiles([metrics[k] for k in HEADLINE], columns=4, baseline=baseline)
st.markdown(coverage.summary_sentence(scenario, lang, overlay, network))
top_step.__exit__(None, None, None)


# ---------------------------------------------------------------- sections
def map_section() -> None:
    st.subheader(ui.tr("coverage.map_title"))
    # drawn on the server as inline SVG from the brief's own figure (core/figsvg.py): a slider step
    # changes a few tens of kB of markup instead of remounting a 45-trace plotly chart in the browser
    ui.svg_map("coverage_map", lambda: charts_coverage.coverage_map(
        result, geo.central_city_districts(), geo.layer("subdistricts", overlay), geo.layer("new_areas", overlay),
        lang, **({"height": HEIGHT} if present else {})), ui.tr("coverage.map_title"), deps=(present,),
        max_height=f"min({HEIGHT}px, 62vh)" if present else "80vh")  # on a projector: one screen
    st.caption(ui.tr("coverage.map_caption", radius=f"{result.settings.radius_m:,.0f}"))
    if not present:
        ui.metric_tiles([metrics[k] for k in MORE], columns=4, baseline=baseline)


def capacity_section() -> None:
    st.subheader(ui.tr("coverage.capacity_title"))
    st.caption(ui.tr("coverage.capacity_intro"))
    if not ui.presenting():
        ui.param_widget("clinic_panel_per_gp")
    ui.metric_tiles([metrics[k] for k in CAPACITY], columns=5)
    st.markdown("**" + ui.tr("coverage.capacity_over_title") + "**")
    facilities = charts_coverage.facility_load_table(result, lang)
    over = facilities[result.facility_load["over_capacity"].to_numpy(dtype=bool)]
    if over.empty:
        st.caption(ui.tr("coverage.capacity_none_over"))
    elif ui.presenting():  # HTML rows that scale with the room; the full list is for the desk
        ui.static_table(over.head(4))
    else:
        st.dataframe(over, width="stretch", hide_index=True, key="coverage_over_capacity")
    if not ui.presenting():  # the full list and its downloads are for the desk
        # lazy: the full list, its CSV and the downloads are built (and sent) only while the expander is open
        with ui.lazy_expander(ui.tr("coverage.capacity_all"), key="coverage_capacity_all_open") as shown:
            if shown:
                st.dataframe(facilities, width="stretch", hide_index=True, key="coverage_facility_load")
                left, right = st.columns(2)
                left.download_button(ui.tr("coverage.download_facilities"),
                                     partial(page_csv_bytes, "coverage", facilities, scenario, lang, overlay),
                                     "clinic_facility_load.csv", "text/csv", key="coverage_download_facilities", on_click="ignore")
                right.download_button(ui.tr("coverage.download_compounds"),  # built on click, not on every rerun
                                      lambda: page_csv_bytes("coverage", charts_coverage.compound_access_table(result, lang),
                                                             scenario, lang, overlay),
                                      "clinic_access_by_compound.csv", "text/csv", key="coverage_download_compounds", on_click="ignore")


def sites_section() -> None:
    st.subheader(ui.tr("coverage.sites_title"))
    suggestion = result.suggestion
    served_goal = result.settings.site_objective == "served"
    plain = ui.tr("coverage.sites_plain_served" if served_goal else "coverage.sites_plain", n=len(suggestion.sites),
                  added=f"{round(suggestion.added):,}")
    if not suggestion.optimal and not served_goal:  # how near the best possible, in plain words
        plain += ui.tr("coverage.summary_gap", gap=coverage.gap_text(suggestion.gap, lang))
    st.caption(plain)
    if len(suggestion.sites) < scenario.get("new_centres"):
        st.info(ui.tr("coverage.fewer_sites", n=len(suggestion.sites), k=scenario.get("new_centres")))
    left, right = st.columns([3, 2])
    with left:
        ui.plotly_chart("coverage_returns", lambda: charts_coverage.returns_chart(result, lang), width="stretch",
                        config=PLOT_CONFIG, present_height=HEIGHT - 240)
    with right:
        sites = charts_coverage.sites_table(result.sites, lang, names_of_areas)
        if present:
            st.table(sites.head(4))  # HTML: its type scales with the room; four rows keep the screen ≤ 1080 px
        else:
            st.dataframe(sites, width="stretch", hide_index=True)
    if not present:
        with ui.lazy_expander(ui.tr("coverage.method_sites"), key="coverage_method_sites_open") as method_open:
            if method_open:
                how = ui.tr(f"coverage.method.{suggestion.method}", candidates=f"{suggestion.candidates:,}",
                            greedy=f"{round(suggestion.greedy_added):,}", added=f"{round(suggestion.added):,}",
                            screen=coverage.SERVED_SCREEN)
                if not served_goal:
                    how += " " + ui.tr(f"coverage.proof.{suggestion.proof or 'none'}",
                                       gap=coverage.gap_text(suggestion.gap, lang))
                st.markdown(how)


def plan_section() -> None:
    st.subheader(ui.tr("coverage.plan_title"))
    st.markdown(ui.tr("coverage.plan_intro"))
    if not present:
        with ui.lazy_expander(ui.tr("coverage.plan_assumptions"), key="coverage_plan_assumptions_open") as params_open:
            if params_open:
                a, b, c = st.columns(3)
                ui.param_widget("clinic_gps_per_centre", container=a)
                ui.param_widget("clinic_nurses_per_centre", container=b)
                ui.param_widget("clinic_centre_cost_million_yuan", container=c)
    ui.metric_tiles([metrics[k] for k in PLAN], columns=3 if not present else 5, baseline=baseline)
    plan = result.plan
    for key, text in (("streets_without_public_centre", "coverage.plan_streets"),
                      ("streets_public_centre_below_standard", "coverage.plan_below_standard")):
        if plan[key]:  # the names are the data's (an uploaded layer's too): text, never Markdown
            st.markdown(ui.tr(text, names=join_list((md_escape(s["subdistrict_name"]) for s in plan[key]), lang)))
    if not result.plan_sites.empty and not present:  # for the desk
        with ui.lazy_expander(ui.tr("coverage.plan_sites"), key="coverage_plan_sites_open") as shown:
            if shown:  # lazy, as the facility list above
                st.dataframe(charts_coverage.sites_table(result.plan_sites, lang, names_of_areas), width="stretch",
                             hide_index=True)


def table_section() -> None:
    """The detail table and the method: for reading at a desk, not from the back of a room."""
    st.subheader(ui.tr("coverage.table_title"))
    table = charts_coverage.subdistrict_table(result, lang)
    # key columns first and pinned: the name and its coverage stay in view on a phone
    key_cols = [ui.tr("coverage.col.subdistrict_name"), ui.tr("coverage.col.covered_share_pct")]
    table = table[[c for c in key_cols if c in table] + [c for c in table if c not in key_cols]]
    st.dataframe(table, width="stretch", hide_index=True, column_config=ui.key_columns(table, key_cols))
    st.download_button(ui.tr("common.download_csv"), partial(page_csv_bytes, "coverage", table, scenario, lang, overlay), "clinic_coverage_by_subdistrict.csv",
                       "text/csv", key="coverage_download", on_click="ignore")

    with ui.lazy_expander(ui.tr("coverage.method_title"), key="coverage_method_open") as method_open:
        if method_open:
            st.markdown(ui.tr("coverage.method_text"))


# at a desk: one at a time; on a projector: one finding per screen (no detail table)
ui.sections("coverage", {"map": map_section, "capacity": capacity_section, "sites": sites_section,
                         "plan": plan_section, "table": table_section},
            present_order=("map", "capacity", "sites", "plan"))

if network is None:  # the drivers of the headline's range (the default method's assumptions)
    ranges_panel.show("coverage", scenario, overlay)

