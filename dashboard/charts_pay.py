"""Figures for the worker-pay page: pure functions of `dashboard.models.pay.details(...)`, no Streamlit."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale
from plotly.subplots import make_subplots

from dashboard.charts import NO_CHECK, PALETTE, SEQUENTIAL, base_layout
from dashboard.i18n import t

# today's pay in the strong colour, the ladder in its lighter partner (Okabe-Ito pairs)
_PAIRS = [(PALETTE[0], PALETTE[5]), (PALETTE[1], PALETTE[6]), (PALETTE[2], "#8FD3B8"), (PALETTE[4], "#E7B8D4")]


def _district_name(res: dict[str, Any], code: str, lang: str) -> str:
    for d in res["districts"]:
        if d["district_code"] == code:
            return d["name_zh"] if lang == "zh" else d["name_en"]
    return code


def post_label(post: str, lang: str) -> str:
    return t(f"pay.post_{post}", lang)


def pay_distribution_figure(res: dict[str, Any], lang: str = "zh", height: int = 460) -> go.Figure:
    """Pay by post and district (today and ladder year 1) as boxes, with the social-wage and rule lines."""
    ref = res["reference"]
    fig = go.Figure(**NO_CHECK)
    codes = [d["district_code"] for d in res["districts"]]
    for i, code in enumerate(codes):
        strong, light = _PAIRS[i % len(_PAIRS)]
        for kind, color in (("today", strong), ("ladder", light)):
            rows = [r for r in res["distribution"] if r["district_code"] == code and r["pay"] == kind]
            if not rows:
                continue
            name = f"{_district_name(res, code, lang)} · {t('pay.series_' + kind, lang)}"
            fig.add_trace(go.Box(
                x=[post_label(r["post"], lang) for r in rows], q1=[r["q1"] for r in rows],
                median=[r["median"] for r in rows], q3=[r["q3"] for r in rows],
                lowerfence=[r["min"] for r in rows], upperfence=[r["max"] for r in rows],
                mean=[r["mean"] for r in rows], name=name, marker_color=color, fillcolor=color,
                line=dict(color="#333" if kind == "today" else color, width=1), opacity=0.9,
                offsetgroup=f"{code}-{kind}", hoverinfo="all", **NO_CHECK,
            ))
    low = res["report"]["figures"].get("pay_low")
    high = res["report"]["figures"].get("pay_high")
    if low and high:
        fig.add_hrect(y0=low, y1=high, fillcolor="#999", opacity=0.12, line_width=0,
                      annotation_text=t("pay.chart_report_range", lang), annotation_position="bottom left")
    fig.add_hline(y=ref["social_wage_yuan"], line=dict(color="#000", dash="dash", width=2),
                  annotation_text=t("pay.chart_social_wage", lang, value=f"{ref['social_wage_yuan']:,.0f}"),
                  annotation_position="top left")
    fig.add_hline(y=ref["rule_pay_yuan"], line=dict(color=PALETTE[3], dash="dot", width=2),
                  annotation_text=t("pay.chart_rule_line", lang, k=f"{ref['coefficient']:g}",
                                    value=f"{ref['rule_pay_yuan']:,.0f}"),
                  annotation_position="bottom left", annotation_font_color=PALETTE[3])
    base_layout(fig, height=height)
    fig.update_layout(boxmode="group", yaxis_title_text=t("pay.axis_pay", lang),
                      legend=dict(orientation="h", yanchor="bottom", y=-0.25))
    fig.update_yaxes(rangemode="tozero", tickformat=",", gridcolor="#eee")
    return fig


def ladder_frame_values(res: dict[str, Any], value: str = "coefficient") -> np.ndarray:
    """Posts × grades array of the ladder's coefficients (or year-1 yuan); NaN outside each band."""
    lad = res["ladder"]
    z = np.full((len(lad["posts"]), len(lad["grades"])), np.nan)
    for r in lad["rows"]:
        v = r["coefficient"] if value == "coefficient" else r["pay_yuan_year1"]
        if v is not None:
            z[lad["posts"].index(r["post"]), r["grade"] - 1] = v
    return z


def ladder_heatmap(res: dict[str, Any], lang: str = "zh", value: str = "coefficient", height: int = 320) -> go.Figure:
    """The 4 × 18 ladder as a heat-map; blank cells lie outside a post's band of grades."""
    lad = res["ladder"]
    z = ladder_frame_values(res, value)
    yuan = ladder_frame_values(res, "yuan")
    workers = np.zeros_like(z)
    for r in lad["rows"]:
        workers[lad["posts"].index(r["post"]), r["grade"] - 1] = r["workers"]
    fmt = (lambda v: f"{v:.2f}") if value == "coefficient" else (lambda v: f"{v / 1000:.1f}k")
    text = [[fmt(v) if np.isfinite(v) else "" for v in row] for row in z]
    custom = np.dstack([yuan, workers])
    posts = [post_label(p, lang) for p in lad["posts"]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(g) for g in lad["grades"]], y=posts, text=text, texttemplate="%{text}",
        customdata=custom, colorscale=get_colorscale(SEQUENTIAL), hoverongaps=False, xgap=2, ygap=2,
        colorbar=dict(title=dict(text=t("pay.axis_coefficient" if value == "coefficient" else "pay.axis_pay", lang)),
                      thickness=12),
        hovertemplate=t("pay.ladder_hover", lang) + "<extra></extra>",
    ), **NO_CHECK)
    base_layout(fig, height=height)
    fig.update_layout(xaxis_title_text=t("pay.axis_grade", lang))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(type="category")
    return fig


def budget_figure(res: dict[str, Any], lang: str = "zh", height: int = 400) -> go.Figure:
    """Extra cost of the ladder over today's pay, stacked by district, for each projected year."""
    fig = go.Figure(**NO_CHECK)
    codes = [d["district_code"] for d in res["districts"]]
    for i, code in enumerate(codes):
        rows = [r for r in res["budget"] if r["district_code"] == code]
        fig.add_trace(go.Bar(
            x=[str(r["calendar_year"]) for r in rows], y=[r["increment_yuan"] / 1e6 for r in rows],
            name=_district_name(res, code, lang), marker_color=_PAIRS[i % len(_PAIRS)][0],
            customdata=[[r["today_yuan"] / 1e6, r["ladder_yuan"] / 1e6] for r in rows],
            hovertemplate=t("pay.budget_hover", lang) + "<extra>%{fullData.name}</extra>", **NO_CHECK,
        ))
    totals = res["budget_totals"]
    fig.add_trace(go.Scatter(
        x=[str(r["calendar_year"]) for r in totals], y=[r["increment_yuan"] / 1e6 for r in totals],
        mode="text", text=[f"{r['increment_yuan'] / 1e6:,.1f}" for r in totals], textposition="top center",
        showlegend=False, hoverinfo="skip", **NO_CHECK,
    ))
    base_layout(fig, height=height)
    fig.update_layout(barmode="stack", yaxis_title_text=t("pay.axis_increment", lang),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.update_yaxes(rangemode="tozero", gridcolor="#eee")
    return fig


def retention_figure(res: dict[str, Any], lang: str = "zh", height: int = 300) -> go.Figure:
    """Quits per year today and under the ladder, by district."""
    ret = res["retention"]
    names = [_district_name(res, r["district_code"], lang) for r in ret["by_district"]]
    fig = go.Figure(**NO_CHECK)
    for kind, color in (("today", PALETTE[3]), ("ladder", PALETTE[2])):
        values = [r[f"quits_{kind}"] for r in ret["by_district"]]
        fig.add_trace(go.Bar(y=names, x=values, orientation="h", name=t("pay.series_quits_" + kind, lang),
                             marker_color=color, text=[f"{v:.0f}" for v in values], textposition="auto", **NO_CHECK))
    base_layout(fig, height=height)
    fig.update_layout(barmode="group", xaxis_title_text=t("pay.axis_quits", lang),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="reversed"))
    fig.update_xaxes(rangemode="tozero", gridcolor="#eee")
    return fig


def workload_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Left: tasks against the lawful list (沙市区). Right: posts per 1,000 households against the norm."""
    wl = res["workload"]
    grid = make_subplots(rows=1, cols=2, subplot_titles=(t("pay.workload_tasks_title", lang),
                                                         t("pay.workload_staffing_title", lang)))
    fig = go.Figure(grid, **NO_CHECK)  # keeps the subplot grid; traces added below skip value checks
    lawful_x = t("pay.workload_lawful", lang)
    actual_x = t("pay.workload_actual", lang)
    if wl.get("lawful_own") is not None:
        fig.add_trace(go.Bar(x=[lawful_x], y=[wl["lawful_own"]], name=t("pay.workload_own", lang),
                             marker_color=PALETTE[0], text=[f"{wl['lawful_own']:.0f}"], textposition="inside", **NO_CHECK), 1, 1)
        fig.add_trace(go.Bar(x=[lawful_x], y=[wl["lawful_assist"]], name=t("pay.workload_assist", lang),
                             marker_color=PALETTE[5], text=[f"{wl['lawful_assist']:.0f}"], textposition="inside", **NO_CHECK), 1, 1)
    if wl.get("tasks_shashi") is not None:
        fig.add_trace(go.Bar(x=[actual_x], y=[wl["tasks_shashi"]], name=t("pay.workload_tasks", lang),
                             marker_color=PALETTE[3], text=[f"{wl['tasks_shashi']:.0f}+"], textposition="inside", **NO_CHECK), 1, 1)
    staffing = [s for s in wl["staffing"] if s["posts_per_1000_households"] is not None]
    if staffing:
        fig.add_trace(go.Bar(
            x=[_district_name(res, s["district_code"], lang) for s in staffing],
            y=[s["posts_per_1000_households"] for s in staffing], name=t("pay.workload_posts", lang),
            marker_color=PALETTE[2], text=[f"{s['posts_per_1000_households']:.1f}" for s in staffing],
            textposition="inside", **NO_CHECK), 1, 2)
        norm = staffing[0]["norm_posts_per_1000_households"]
        fig.add_hline(y=norm, line=dict(color="#000", dash="dash"), row=1, col=2,
                      annotation_text=t("pay.workload_norm", lang, hh=f"{wl['households_per_worker']:,.0f}",
                                        value=f"{norm:.1f}"),
                      annotation_position="top right", annotation_bgcolor="rgba(255,255,255,0.85)")
    base_layout(fig, height=height)
    fig.update_layout(barmode="stack", legend=dict(orientation="h", yanchor="bottom", y=-0.3),
                      margin=dict(l=10, r=10, t=50, b=10))
    fig.update_yaxes(gridcolor="#eee", rangemode="tozero")
    return fig
