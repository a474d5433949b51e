"""Figures for the worker-pay page: pure functions of `dashboard.analyses.pay.model.details(...)`, no Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from dashboard.core import numbers
from dashboard.core.charts import NO_CHECK, PALETTE, SEQUENTIAL, figure
from dashboard.core.ranges_chart import tornado_figure
from dashboard.core.scenario import Scenario
from dashboard.core.text import by_lang, t
from dashboard.data import db

# today's pay in the strong colour, the ladder in its lighter partner (Okabe-Ito pairs)
_PAIRS = [(PALETTE[0], PALETTE[5]), (PALETTE[1], PALETTE[6]), (PALETTE[2], "#8FD3B8"), (PALETTE[4], "#E7B8D4")]


def _district_name(res: dict[str, Any], code: str, lang: str) -> str:
    for d in res["districts"]:
        if d["district_code"] == code:
            return by_lang(lang, d["name_zh"], d["name_en"])
    return code


def post_label(post: str, lang: str) -> str:
    return t(f"pay.post_{post}", lang)


def pay_distribution_figure(res: dict[str, Any], lang: str = "zh", height: int = 460) -> go.Figure:
    """Pay by post and district (today and ladder year 1) as boxes, with the social-wage and rule lines."""
    ref = res["reference"]
    traces: list[go.BaseTraceType] = []
    codes = [d["district_code"] for d in res["districts"]]
    for i, code in enumerate(codes):
        strong, light = _PAIRS[i % len(_PAIRS)]
        for kind, color in (("today", strong), ("ladder", light)):
            rows = [r for r in res["distribution"] if r["district_code"] == code and r["pay"] == kind]
            if not rows:
                continue
            name = f"{_district_name(res, code, lang)} · {t('pay.series_' + kind, lang)}"
            traces.append(go.Box(
                x=[post_label(r["post"], lang) for r in rows], q1=[r["q1"] for r in rows],
                median=[r["median"] for r in rows], q3=[r["q3"] for r in rows],
                lowerfence=[r["min"] for r in rows], upperfence=[r["max"] for r in rows],
                mean=[r["mean"] for r in rows], name=name, marker=dict(color=color), fillcolor=color,
                line=dict(color="#333" if kind == "today" else color, width=1), opacity=0.9,
                offsetgroup=f"{code}-{kind}", hoverinfo="all", **NO_CHECK,
            ))

    def hline(y: float, text: str, below: bool = False, **line: object) -> tuple[dict, dict]:
        # what fig.add_hline(annotation_position="top/bottom left") makes, without its update passes
        return (dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y", line=line),
                dict(x=0, xref="x domain", xanchor="left", y=y, yref="y", yanchor="top" if below else "bottom",
                     text=text, showarrow=False))

    shapes, notes = [], []
    low = res["report"]["figures"].get("pay_low")
    high = res["report"]["figures"].get("pay_high")
    if low and high:
        shapes.append(dict(type="rect", x0=0, x1=1, xref="x domain", y0=low, y1=high, yref="y", fillcolor="#999",
                           opacity=0.12, line=dict(width=0)))
        notes.append(dict(x=0, xref="x domain", xanchor="left", y=low, yref="y", yanchor="bottom", showarrow=False,
                          text=t("pay.chart_report_range", lang)))
    wage_line, wage_note = hline(ref["social_wage_yuan"],
                                 t("pay.chart_social_wage", lang, value=f"{ref['social_wage_yuan']:,.0f}"),
                                 color="#000", dash="dash", width=2)
    rule_line, rule_note = hline(ref["rule_pay_yuan"],
                                 t("pay.chart_rule_line", lang, k=f"{ref['coefficient']:g}",
                                   value=f"{ref['rule_pay_yuan']:,.0f}"),
                                 below=True, color=PALETTE[3], dash="dot", width=2)
    rule_note["font"] = dict(color=PALETTE[3])
    shapes += [wage_line, rule_line]
    notes += [wage_note, rule_note]
    return figure(traces, height=height, shapes=shapes, annotations=notes, boxmode="group",
                  yaxis=dict(title=dict(text=t("pay.axis_pay", lang)), rangemode="tozero", tickformat=",",
                             gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=-0.25))


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
    heat = go.Heatmap(
        z=z, x=[str(g) for g in lad["grades"]], y=posts, text=text, texttemplate="%{text}",
        customdata=custom, colorscale=get_colorscale(SEQUENTIAL), hoverongaps=False, xgap=2, ygap=2,
        colorbar=dict(title=dict(text=t("pay.axis_coefficient" if value == "coefficient" else "pay.axis_pay", lang)),
                      thickness=12),
        hovertemplate=t("pay.ladder_hover", lang) + "<extra></extra>", **NO_CHECK,
    )
    return figure([heat], height=height, xaxis=dict(title=dict(text=t("pay.axis_grade", lang)), type="category"),
                  yaxis=dict(autorange="reversed"))


def budget_figure(res: dict[str, Any], lang: str = "zh", height: int = 400) -> go.Figure:
    """Extra cost of the ladder over today's pay, stacked by district, for each projected year."""
    traces: list[go.BaseTraceType] = []
    codes = [d["district_code"] for d in res["districts"]]
    totals = res["budget_totals"]
    unit = numbers.money_unit([r["increment_yuan"] for r in totals], lang)  # the page's one money unit
    f, unit_name = numbers.money_factor(unit), t(f"units.{unit}", lang)
    for i, code in enumerate(codes):
        rows = [r for r in res["budget"] if r["district_code"] == code]
        traces.append(go.Bar(
            x=[str(r["calendar_year"]) for r in rows], y=[r["increment_yuan"] / f for r in rows],
            name=_district_name(res, code, lang), marker=dict(color=_PAIRS[i % len(_PAIRS)][0]),
            customdata=[[r["today_yuan"] / f, r["ladder_yuan"] / f] for r in rows],
            hovertemplate=t("pay.budget_hover", lang, unit=unit_name) + "<extra>%{fullData.name}</extra>", **NO_CHECK,
        ))
    traces.append(go.Scatter(
        x=[str(r["calendar_year"]) for r in totals], y=[r["increment_yuan"] / f for r in totals],
        mode="text", text=[numbers.format_number(r["increment_yuan"] / f, 0 if f < 1e6 else 1, lang) for r in totals],
        textposition="top center", showlegend=False, hoverinfo="skip", **NO_CHECK,
    ))
    return figure(traces, height=height, barmode="stack",
                  yaxis=dict(title=dict(text=t("pay.axis_increment", lang, unit=unit_name)), rangemode="tozero",
                             gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def retention_figure(res: dict[str, Any], lang: str = "zh", height: int = 300) -> go.Figure:
    """Quits per year today and under the ladder, by district."""
    ret = res["retention"]
    names = [_district_name(res, r["district_code"], lang) for r in ret["by_district"]]
    traces = []
    for kind, color in (("today", PALETTE[3]), ("ladder", PALETTE[2])):
        values = [r[f"quits_{kind}"] for r in ret["by_district"]]
        traces.append(go.Bar(y=names, x=values, orientation="h", name=t("pay.series_quits_" + kind, lang),
                             marker=dict(color=color), text=[f"{v:.0f}" for v in values], textposition="auto",
                             **NO_CHECK))
    return figure(traces, height=height, barmode="group",
                  xaxis=dict(title=dict(text=t("pay.axis_quits", lang)), rangemode="tozero", gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="reversed"))


def workload_figure(res: dict[str, Any], lang: str = "zh", height: int = 380) -> go.Figure:
    """Left: tasks against the lawful list (沙市区). Right: posts per 1,000 households against the norm.

    Two panels side by side, laid out as `make_subplots(rows=1, cols=2, subplot_titles=...)` would
    (axis domains, panel titles as annotations) but in one construction: make_subplots and
    add_hline(row=, col=) cost ~30 ms a figure, most of this chart's build time.
    """
    wl = res["workload"]
    lawful_x = t("pay.workload_lawful", lang)
    actual_x = t("pay.workload_actual", lang)
    traces: list[go.BaseTraceType] = []
    if wl.get("lawful_own") is not None:
        traces.append(go.Bar(x=[lawful_x], y=[wl["lawful_own"]], name=t("pay.workload_own", lang),
                             marker=dict(color=PALETTE[0]), text=[f"{wl['lawful_own']:.0f}"], textposition="inside",
                             xaxis="x", yaxis="y", **NO_CHECK))
        traces.append(go.Bar(x=[lawful_x], y=[wl["lawful_assist"]], name=t("pay.workload_assist", lang),
                             marker=dict(color=PALETTE[5]), text=[f"{wl['lawful_assist']:.0f}"],
                             textposition="inside", xaxis="x", yaxis="y", **NO_CHECK))
    if wl.get("tasks_shashi") is not None:
        traces.append(go.Bar(x=[actual_x], y=[wl["tasks_shashi"]], name=t("pay.workload_tasks", lang),
                             marker=dict(color=PALETTE[3]), text=[f"{wl['tasks_shashi']:.0f}+"],
                             textposition="inside", xaxis="x", yaxis="y", **NO_CHECK))
    shapes, notes = [], [
        dict(text=title, x=x, xref="paper", xanchor="center", y=1.0, yref="paper", yanchor="bottom",
             showarrow=False, font=dict(size=16))
        for title, x in ((t("pay.workload_tasks_title", lang), 0.225), (t("pay.workload_staffing_title", lang), 0.775))
    ]
    staffing = [s for s in wl["staffing"] if s["posts_per_1000_households"] is not None]
    if staffing:
        traces.append(go.Bar(
            x=[_district_name(res, s["district_code"], lang) for s in staffing],
            y=[s["posts_per_1000_households"] for s in staffing], name=t("pay.workload_posts", lang),
            marker=dict(color=PALETTE[2]), text=[f"{s['posts_per_1000_households']:.1f}" for s in staffing],
            textposition="inside", xaxis="x2", yaxis="y2", **NO_CHECK))
        norm = staffing[0]["norm_posts_per_1000_households"]
        shapes.append(dict(type="line", x0=0, x1=1, xref="x2 domain", y0=norm, y1=norm, yref="y2",
                           line=dict(color="#000", dash="dash")))
        notes.append(dict(text=t("pay.workload_norm", lang, hh=f"{wl['households_per_worker']:,.0f}",
                                 value=f"{norm:.1f}"),
                          x=1, xref="x2 domain", xanchor="right", y=norm, yref="y2", yanchor="bottom",
                          showarrow=False, bgcolor="rgba(255,255,255,0.85)"))
    value_axis = dict(domain=[0.0, 1.0], gridcolor="#eee", rangemode="tozero")
    return figure(traces, height=height, barmode="stack", shapes=shapes, annotations=notes,
                  legend=dict(orientation="h", yanchor="bottom", y=-0.3), margin=dict(l=10, r=10, t=50, b=10),
                  xaxis=dict(anchor="y", domain=[0.0, 0.45]), yaxis=dict(anchor="x", **value_axis),
                  xaxis2=dict(anchor="y2", domain=[0.55, 1.0]), yaxis2=dict(anchor="x2", **value_axis))


def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""
    from dashboard.analyses.pay import model as pay

    def res() -> dict:
        return pay.details(scenario, overlay)

    return {
        "pay_distribution": lambda: pay_distribution_figure(res(), lang),
        "pay_ladder": lambda: ladder_heatmap(res(), lang),
        "pay_budget": lambda: budget_figure(res(), lang),
        "pay_retention": lambda: retention_figure(res(), lang),
        "pay_workload": lambda: workload_figure(res(), lang),
        # drivers of the page's main figure within the assumptions' plausible bands (core/ranges.py)
        "pay_drivers": lambda: tornado_figure("pay", scenario, lang, overlay),
    }
