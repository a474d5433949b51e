"""Worker pay: today's pay against the social average wage, the 四岗十八级 ladder, budget, retention, workload."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.analyses.pay import charts as charts_pay
from dashboard.analyses.pay import model as pay
from dashboard.core import numbers, ranges
from dashboard.core.numbers import format_money
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang
from dashboard.exports.provenance import page_csv_bytes
from dashboard.ui import ranges_panel
from dashboard.ui import widgets as ui

lang = ui.lang()
PLOT_CONFIG = {"displaylogo": False}
present = ui.presenting()
height = 560 if present else 460

ui.next_step()  # presentation mode: one finding per screen (ui/screens.py)
st.title(ui.tr("pay.title"))
if not present:
    st.markdown(ui.tr("pay.intro"))
    ui.illustrative_banner(("community_workers",), "pay.illustrative")

# ---------------------------------------------------------------- settings
if not ui.presenting():  # on a projector the figures speak; the settings travel in the link
    with st.container(border=True):
        st.markdown(f"**{ui.tr('pay.main_settings')}**")
        left, middle, right = st.columns(3)
        ui.param_widget("pay_coefficient", left)
        ui.param_widget("pay_ladder_anchor", left)
        ui.param_widget("pay_grade_step_pct", middle)
        ui.param_widget("pay_wage_growth_pct", middle)
        ui.param_widget("pay_oncost_pct", right)
        ui.param_widget("pay_quit_elasticity", right)
    with ui.lazy_expander(ui.tr("pay.more_settings"), key="pay_more_settings_open") as more_open:
        if more_open:
            left, middle, right = st.columns(3)
            for key in ("pay_social_wage_yuan", "pay_current_growth_pct", "pay_years", "pay_no_cut"):
                ui.param_widget(key, left)
            for key in ("pay_years_per_grade", "pay_entry_grade_head", "pay_entry_grade_deputy",
                        "pay_entry_grade_member", "pay_entry_grade_staff"):
                ui.param_widget(key, middle)
            for key in ("pay_quits_per_year", "pay_turnover_cost_yuan", "pay_households_per_worker"):
                ui.param_widget(key, right)

scenario = ui.scenario()
overlay = ui.overlay()
res = pay.details(scenario, overlay)
metrics = {m.key: m for m in ranges.headline("pay", scenario, overlay)}  # with their ranges
baseline = ranges.headline("pay", Scenario.default(), overlay)
money = numbers.money_unit([b["increment_yuan"] for b in res["budget_totals"]], lang)  # one money unit on the page

ui.metric_tiles([metrics[k] for k in ("pay_increment_year1", "pay_today_share", "pay_rule_yuan",
                                      "pay_ladder_mean_yuan")], columns=4 if lang == "zh" else 2, baseline=baseline)
st.markdown(f"**{ui.tr('pay.summary_title')}** · {pay.summary_sentence(scenario, lang, overlay)}")

# ---------------------------------------------------------------- sections
ui.end_steps()  # the headline was the first finding
names = {d["district_code"]: by_lang(lang, d["name_zh"], d["name_en"]) for d in res["districts"]}


def today_section() -> None:
    st.subheader(ui.tr("pay.today_title"))
    ref, today = res["reference"], res["today"]
    st.markdown(ui.tr("pay.rule_text", k=f"{ref['coefficient']:g}", wage=f"{ref['social_wage_yuan']:,.0f}",
                      rule=f"{ref['rule_pay_yuan']:,.0f}", mean=f"{today['pay_mean_yuan']:,.0f}",
                      share=f"{today['mean_share_of_rule_pct']:.0f}", below=f"{today['workers_below_rule']:,}",
                      gap=format_money(today["gap_to_rule_yuan"], lang, 2, money)))
    ui.plotly_chart("pay_distribution", lambda: charts_pay.pay_distribution_figure(res, lang, height=height),
                    deps=(height,), width="stretch", config=PLOT_CONFIG, present_height=560)
    st.caption(ui.tr("pay.today_caption"))
    today_rows = pd.DataFrame([r for r in res["distribution"] if r["pay"] == "today"])
    if today_rows.empty or present:
        return
    with ui.lazy_expander(ui.tr("pay.today_table"), key="pay_today_table_open") as table_open:
        if table_open:
            table = pd.DataFrame({
                ui.tr("pay.col_district"): today_rows["district_code"].map(names),
                ui.tr("pay.col_post"): today_rows["post"].map(lambda p: charts_pay.post_label(p, lang)),
                ui.tr("pay.col_workers"): today_rows["workers"],
                ui.tr("pay.col_min"): today_rows["min"].round(0),
                ui.tr("pay.col_median"): today_rows["median"].round(0),
                ui.tr("pay.col_mean"): today_rows["mean"].round(0),
                ui.tr("pay.col_max"): today_rows["max"].round(0),
                ui.tr("pay.col_share"): today_rows["mean_share_of_social_wage_pct"].round(1),
            })
            st.dataframe(table, hide_index=True, width="stretch")


@st.fragment
def ladder_section() -> None:
    """The ladder heat-map, table and download; its view toggle (coefficient / yuan) reruns only this part."""
    st.subheader(ui.tr("pay.ladder_title"))
    ref, lad = res["reference"], res["ladder"]
    view = st.segmented_control(ui.tr("pay.ladder_view"), ["coefficient", "yuan"], default="coefficient",
                                format_func=lambda v: ui.tr(f"pay.ladder_view_{v}"), key="pay_ladder_view")
    ui.plotly_chart("pay_ladder", lambda: charts_pay.ladder_heatmap(res, lang, value=view or "coefficient"),
                    deps=(view,), width="stretch", config=PLOT_CONFIG, present_height=560)
    bands = {p: f"{lad['entry_grades'][p]}-{lad['top_grades'][p]}" for p in lad["posts"]}
    anchor_text = ui.tr(f"pay.anchor_{ref['anchor']}_text", k=f"{ref['coefficient']:g}")
    st.caption(ui.tr("pay.ladder_caption", **bands, years=lad["years_per_grade"], step=f"{lad['grade_step_pct']:g}",
                     scale=f"{lad['scale']:.3f}", anchor_text=anchor_text))
    if present:
        return
    ladder_rows = pd.DataFrame(lad["rows"])
    with ui.lazy_expander(ui.tr("pay.ladder_table"), key="pay_ladder_table_open") as table_open:
        if table_open:  # opening it reruns this fragment only
            wide = ladder_rows.pivot(index="post", columns="grade", values="coefficient").reindex(lad["posts"])
            wide.index = [charts_pay.post_label(p, lang) for p in wide.index]
            st.dataframe(wide, width="stretch")
    st.download_button(ui.tr("pay.download_ladder"), partial(page_csv_bytes, "pay", ladder_rows, scenario, lang, overlay), file_name="pay_ladder.csv",
                       mime="text/csv", key="pay_download_ladder", on_click="ignore")


def budget_section() -> None:
    st.subheader(ui.tr("pay.budget_title"))
    ref = res["reference"]
    ui.metric_tiles([metrics["pay_increment_year1"], metrics["pay_increment_cumulative"],
                     metrics["pay_posts_budgeted"]], columns=3 if lang == "zh" else 2, baseline=baseline)
    ui.plotly_chart("pay_budget", lambda: charts_pay.budget_figure(res, lang), width="stretch", config=PLOT_CONFIG,
                    present_height=520)
    oncost = (ui.tr("pay.oncost_text", pct=f"{ref['oncost_pct']:g}") if ref["oncost_pct"] else ui.tr("pay.oncost_none"))
    st.caption(ui.tr("pay.budget_caption", wage=f"{ref['social_wage_yuan']:,.0f}", growth=f"{ref['wage_growth_pct']:g}",
                     current=f"{ref['current_growth_pct']:g}", oncost=oncost))
    if present:
        return
    budget = pd.DataFrame(res["budget"])
    factor, unit_name = numbers.money_factor(money), ui.tr(f"units.{money}")
    money_cols = {k: ui.tr(k, unit=unit_name) for k in ("pay.col_today", "pay.col_ladder", "pay.col_increment")}
    budget_table = pd.DataFrame({
        ui.tr("pay.col_year"): budget["calendar_year"],
        ui.tr("pay.col_district"): budget["district_code"].map(names),
        ui.tr("pay.col_posts"): budget["posts_budgeted"],
        ui.tr("pay.col_wage"): budget["reference_wage_yuan"].round(0),
        money_cols["pay.col_today"]: (budget["today_yuan"] / factor).round(2),
        money_cols["pay.col_ladder"]: (budget["ladder_yuan"] / factor).round(2),
        money_cols["pay.col_increment"]: (budget["increment_yuan"] / factor).round(2),
    })
    money_format = st.column_config.NumberColumn(format="%.1f" if factor < 1e6 else "%.2f")
    st.dataframe(budget_table, hide_index=True, width="stretch",
                 column_config={name: money_format for name in money_cols.values()}
                 | {ui.tr("pay.col_wage"): st.column_config.NumberColumn(format="%d")})
    st.download_button(ui.tr("pay.download_budget"), partial(page_csv_bytes, "pay", budget, scenario, lang, overlay), file_name="pay_budget.csv", mime="text/csv",
                       key="pay_download_budget", on_click="ignore")


def retention_section() -> None:
    st.subheader(ui.tr("pay.retention_title"))
    ui.metric_tiles([metrics["pay_quits_ladder"], metrics["pay_turnover_cost_avoided"]], columns=2, baseline=baseline)
    ui.plotly_chart("pay_retention", lambda: charts_pay.retention_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG, present_height=480)
    ret = res["retention"]
    st.caption(ui.tr("pay.retention_caption", e=f"{ret['elasticity']:.1f}", q=f"{ret['quits_today']:.0f}",
                     cost=f"{ret['turnover_cost_yuan']:,.0f}"))


def workload_section() -> None:
    st.subheader(ui.tr("pay.workload_title"))
    wl = res["workload"]
    ui.plotly_chart("pay_workload", lambda: charts_pay.workload_figure(res, lang), width="stretch",
                    config=PLOT_CONFIG, present_height=520)
    if wl.get("tasks_over_lawful"):
        st.markdown(ui.tr("pay.workload_text", lawful=f"{wl['lawful_total']:.0f}", ratio=f"{wl['tasks_over_lawful']:.1f}",
                          hh=f"{wl['households_per_worker']:,.0f}", norm=f"{wl['norm_posts_total']:,.0f}",
                          posts=f"{wl['posts_budgeted_total']:,.0f}"))
    st.caption(ui.tr("pay.workload_caption"))


# at a desk: one at a time; on a projector: one per screen
ui.sections("pay", {"today": today_section, "ladder": ladder_section, "budget": budget_section,
                    "retention": retention_section, "workload": workload_section})

ranges_panel.show("pay", scenario, overlay)
with ui.lazy_expander(ui.tr("pay.sources_title"), key="pay_sources_open") as sources_open:
    if sources_open:
        ui.report_quotes(res["report"]["quotes"])
