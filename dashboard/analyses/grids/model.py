"""Grids and workload: grid sizes against a staffing norm, re-dividing grids, and the task burden.

Method (full text in docs/grids.md):

- **Grid sizes.** Households per grid and per grid worker, by grid and by community, against an
  external norm: Wuhan's one community worker per 300–500 households (`std_wuhan_staffing`, a
  standard from another city, not a Jingzhou figure). Imbalance is the Gini coefficient of
  households per grid and the ratio of the largest grid to the smallest. Compounds without a grid
  (the report: 新建小区不能及时设立网格) are counted from `compound_profiles`.
- **Re-division.** Each community's households (those of its compounds without a grid included) are
  split into `ceil(households / target)` grids of equal size, each with the chosen number of grid
  workers. Workers needed beyond today's, per community, are costed at the pay analysis's wage:
  `pay_coefficient × pay_social_wage_yuan × (1 + pay_oncost_pct)` (read from the same Scenario).
- **Task burden.** 沙市区's communities carry 130+ tasks against 18 lawful items of their own and 65
  items assisting government (report 二(一)). A strict access system (社区工作准入制度, 三(四)一)
  sends back a chosen share of the tasks beyond those 83; assuming each task takes the same time,
  that frees the same share of 沙市区's budgeted posts' time (an upper-bound simplification).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.pay.ladder import PayAssumptions
from dashboard.analyses.property.model import district_names, report_figures
from dashboard.core import labels, numbers, params
from dashboard.core.metrics import Metric, qualifier_code
from dashboard.core.scenario import Param, Scenario, input_params, param_values, scenario_of
from dashboard.core.text import t
from dashboard.data import db

NORM_BAND = (300, 500)  # std_wuhan_staffing: one community worker per 300-500 households (Wuhan)

REPORT_IDS = {
    "tasks": "workload.tasks.421002",
    "lawful_own": "workload.lawful_own_items",
    "lawful_assist": "workload.assist_gov.items",
    "lawful_assist_categories": "workload.assist_gov.categories",
    "lawful_duties": "workload.lawful_duties",
    "cadres": "party.members_deployed",
    "branches": "party.compound_branches",
    "posts_shashi": "pay.posts_budgeted.421002",
}

_P = "grids"
PARAMS: list[Param] = params.load("grids")  # dashboard/params/grids.toml: defaults, bounds, sources


@dataclass(frozen=True)
class GridAssumptions:
    target: int
    workers_per_grid: int
    removed: float  # share 0-1
    wage_yuan: float  # per worker per year, from the pay analysis (rule pay plus on-cost)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> GridAssumptions:
        pay = PayAssumptions.from_scenario(scenario)
        return cls(int(scenario.get("grids_target_households")), int(scenario.get("grids_workers_per_grid")),
                   float(scenario.get("grids_access_removed_pct")) / 100, pay.rule_pay_yuan * (1 + pay.oncost))


# ---------------------------------------------------------------- the pure core


def gini(values: np.ndarray | list[float]) -> float:
    """Gini coefficient of non-negative values (0 = all equal); 0 for fewer than two values or a zero sum."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n < 2 or x.sum() <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def redivide(households: np.ndarray, target: int) -> np.ndarray:
    """Grids each community needs at `target` households per grid: ceil(households / target), at least 1."""
    hh = np.asarray(households, dtype=float)
    return np.maximum(np.ceil(hh / target - 1e-9), 1).astype(np.int64)


def tasks_after(tasks: float, lawful: float, removed: float) -> float:
    """Tasks left after the access system removes share `removed` of those beyond the lawful list."""
    excess = max(tasks - lawful, 0.0)
    return tasks - removed * excess


def compute(a: GridAssumptions, grids: pd.DataFrame, compounds: pd.DataFrame, report: dict[str, float],
            names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Everything the page shows (JSON-ready)."""
    g = grids.copy()
    g["households"] = g["households"].astype(float)
    g["grid_workers"] = g["grid_workers"].astype(float)
    hh = g["households"].to_numpy()
    workers = g["grid_workers"].to_numpy()
    no_grid = compounds[compounds["grid_id"].isna() | (compounds["grid_id"].astype(str) == "")] \
        if "grid_id" in compounds else compounds.iloc[0:0]
    lo, hi = NORM_BAND

    comm_cols = ["committee_code", "committee_name", "district_code", "subdistrict_name"]
    by_comm = g.groupby(comm_cols, dropna=False, sort=True).agg(
        grids=("grid_id", "size"), households=("households", "sum"), workers=("grid_workers", "sum"),
        smallest=("households", "min"), largest=("households", "max"), cadres=("party_cadres", "sum")).reset_index()
    ng = no_grid.groupby("committee_code").agg(no_grid_compounds=("compound_id", "size"),
                                               no_grid_households=("households", "sum"))
    by_comm = by_comm.merge(ng, how="left", left_on="committee_code", right_index=True)
    by_comm[["no_grid_compounds", "no_grid_households"]] = by_comm[["no_grid_compounds", "no_grid_households"]].fillna(0)
    by_comm["households_all"] = by_comm["households"] + by_comm["no_grid_households"]
    by_comm["households_per_grid"] = by_comm["households"] / by_comm["grids"]
    by_comm["households_per_worker"] = np.where(by_comm["workers"] > 0,
                                                by_comm["households"] / by_comm["workers"].where(by_comm["workers"] > 0),
                                                np.nan)
    by_comm["grids_needed"] = redivide(by_comm["households_all"].to_numpy(), a.target)
    by_comm["workers_needed"] = by_comm["grids_needed"] * a.workers_per_grid
    by_comm["extra_workers"] = np.maximum(by_comm["workers_needed"] - by_comm["workers"], 0)
    by_comm["surplus_workers"] = np.maximum(by_comm["workers"] - by_comm["workers_needed"], 0)
    by_comm["extra_cost_yuan"] = by_comm["extra_workers"] * a.wage_yuan
    by_comm["size_after"] = by_comm["households_all"] / by_comm["grids_needed"]

    after_sizes = np.repeat(by_comm["size_after"].to_numpy(), by_comm["grids_needed"].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        per_worker = np.where(workers > 0, hh / np.where(workers > 0, workers, 1), np.nan)
    codes = sorted(g["district_code"].astype(str).unique())
    by_district = []
    comm_groups = dict(tuple(by_comm.groupby(by_comm["district_code"].astype(str), sort=True)))
    grid_groups = dict(tuple(g.groupby(g["district_code"].astype(str), sort=True)))
    for code in codes:
        d, dg = comm_groups[code], grid_groups[code]
        by_district.append({
            "district_code": code, "name_zh": names.get(code, {}).get("zh", code),
            "name_en": names.get(code, {}).get("en", code), "communities": len(d), "grids": int(d["grids"].sum()),
            "households": int(d["households"].sum()), "workers": int(d["workers"].sum()),
            "grids_without_worker": int((dg["grid_workers"] == 0).sum()),
            "no_grid_compounds": int(d["no_grid_compounds"].sum()),
            "no_grid_households": int(d["no_grid_households"].sum()),
            "grids_needed": int(d["grids_needed"].sum()), "workers_needed": int(d["workers_needed"].sum()),
            "extra_workers": int(d["extra_workers"].sum()), "extra_cost_yuan": float(d["extra_cost_yuan"].sum()),
            "gini": gini(dg["households"]),
        })

    tasks = report.get("tasks")
    lawful = (report.get("lawful_own") or 0) + (report.get("lawful_assist") or 0)
    left = tasks_after(tasks, lawful, a.removed) if tasks else None
    removed_n = (tasks - left) if tasks else 0.0
    posts = report.get("posts_shashi")
    fte = posts * removed_n / tasks if tasks and posts else None
    workload = {
        "tasks": tasks, "lawful_own": report.get("lawful_own"), "lawful_assist": report.get("lawful_assist"),
        "lawful_assist_categories": report.get("lawful_assist_categories"),
        "lawful_duties": report.get("lawful_duties"), "lawful_total": lawful,
        "excess": max((tasks or 0) - lawful, 0.0), "removed_share_pct": 100 * a.removed, "removed": removed_n,
        "tasks_after": left, "ratio_before": tasks / lawful if tasks and lawful else None,
        "ratio_after": left / lawful if left and lawful else None,
        "posts_shashi": posts, "fte_freed": fte, "fte_freed_value_yuan": fte * a.wage_yuan if fte else None,
    }
    cadres, branches = report.get("cadres"), report.get("branches")
    n = len(g)
    sizes = hh[np.isfinite(hh)]
    in_band = int(((sizes >= lo) & (sizes <= hi)).sum())
    extra = int(by_comm["extra_workers"].sum())
    table_cols = ["committee_code", "committee_name", "district_code", "subdistrict_name", "grids", "households",
                  "workers", "households_per_grid", "households_per_worker", "smallest", "largest",
                  "no_grid_compounds", "no_grid_households", "grids_needed", "workers_needed", "extra_workers",
                  "extra_cost_yuan"]
    comm_out = by_comm[table_cols].astype(object).where(by_comm[table_cols].notna(), None)
    no_grid_out = no_grid[["compound_id", "name", "district_code", "subdistrict_name", "committee_name", "households",
                           "build_year", "new_area_id", "lon", "lat"]]
    return {
        "assumptions": {"target_households": a.target, "workers_per_grid": a.workers_per_grid,
                        "removed_pct": 100 * a.removed, "wage_yuan": a.wage_yuan, "norm_low": lo, "norm_high": hi},
        "totals": {
            "grids": n, "households": int(hh.sum()), "workers": int(workers.sum()),
            "households_per_grid": float(hh.mean()) if n else None,
            "median_households_per_grid": float(np.median(hh)) if n else None,
            "households_per_worker": float(hh.sum() / workers.sum()) if workers.sum() else None,
            "median_households_per_worker": float(np.nanmedian(per_worker)) if np.isfinite(per_worker).any() else None,
            "grids_without_worker": int((workers == 0).sum()),
            "smallest": float(hh.min()) if n else None, "largest": float(hh.max()) if n else None,
            "max_min_ratio": float(hh.max() / hh.min()) if n and hh.min() > 0 else None,
            "gini": gini(hh), "cv": float(hh.std() / hh.mean()) if n and hh.mean() else None,
            "grids_in_band": in_band, "grids_in_band_pct": 100 * in_band / n if n else None,
            "grids_above_band": int((sizes > hi).sum()), "grids_below_band": int((sizes < lo).sum()),
            "no_grid_compounds": len(no_grid), "no_grid_households": int(no_grid["households"].sum()),
            "grids_needed": int(by_comm["grids_needed"].sum()), "workers_needed": int(by_comm["workers_needed"].sum()),
            "extra_workers": extra, "surplus_workers": int(by_comm["surplus_workers"].sum()),
            "extra_cost_yuan": extra * a.wage_yuan, "gini_after": gini(after_sizes),
            "max_min_ratio_after": float(after_sizes.max() / after_sizes.min()) if len(after_sizes) and after_sizes.min() > 0 else None,
            "cadres": int(g["party_cadres"].sum()) if "party_cadres" in g else None,
            "households_per_cadre": float(hh.sum() / g["party_cadres"].sum()) if g["party_cadres"].sum() else None,
        },
        "report_party": {"cadres": cadres, "branches": branches,
                         "cadres_per_branch": cadres / branches if cadres and branches else None},
        "grid_sizes": {"grid_id": g["grid_id"].tolist(), "district_code": g["district_code"].astype(str).tolist(),
                       "households": [int(v) for v in hh], "grid_workers": [int(v) for v in workers]},
        "by_district": by_district,
        "by_community": comm_out.to_dict("records"),
        "no_grid": no_grid_out.astype(object).where(no_grid_out.notna(), None).to_dict("records"),
        "workload": workload,
    }


# ---------------------------------------------------------------- data access and caching


@lru_cache(maxsize=8)
def _inputs(db_token: str, overlay: db.Overlay | None) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict, tuple]:
    grids = db.run_query("grids_list", overlay=overlay)
    compounds = db.run_query("compounds_with_profiles", overlay=overlay)
    report, quotes = report_figures(overlay, REPORT_IDS)
    sources = tuple(sorted(set(grids["source_id"].dropna().astype(str))
                           | set(compounds["profile_source_id"].dropna().astype(str))))
    return grids, compounds, report, quotes, sources


@lru_cache(maxsize=32)
def _results(values: tuple[tuple[str, Any], ...], db_token: str, overlay: db.Overlay | None) -> dict[str, Any]:
    a = GridAssumptions.from_scenario(scenario_of(values))
    grids, compounds, report, quotes, sources = _inputs(db_token, overlay)
    with_grids = compounds[compounds["committee_code"].isin(set(grids["committee_code"]))]
    out = compute(a, grids, with_grids, report, district_names(grids))
    out["report"] = {"figures": report, "quotes": quotes}
    out["data_sources"] = list(sources or ("demo_layer",))
    return out


def _shared(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """The cached results themselves (shared between callers and sessions: read only)."""
    overlay = overlay if overlay else None
    return _results(param_values(scenario, input_params("grids")), db.database_token(), overlay)


def results(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Everything the page shows for a scenario (a fresh copy: callers may change it)."""
    overlay = overlay if overlay else None
    # keyed by this page's parameters and the pay analysis's (registry: grids reads pay, whose wage a grid
    # worker is costed at); the brief lists the same parameters on the grids slide
    return copy.deepcopy(_results(param_values(scenario, input_params("grids")), db.database_token(), overlay))


# ---------------------------------------------------------------- interfaces: headline, details, sentence


def _quote(res: dict, key: str, lang: str) -> str:
    q = res["report"]["quotes"].get(REPORT_IDS[key])
    if not q:
        return ""
    return t("common.report_quote", lang, quote=q["quote"], locator=q["locator"])


_WAGE_SRC = ("report2020", "asm_pay_oncost")


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The page's headline figures (grid workers needed first)."""
    res = _shared(scenario, overlay)  # read only: no copy
    a = GridAssumptions.from_scenario(scenario)
    tot, wl, party = res["totals"], res["workload"], res["report_party"]
    data = tuple(res["data_sources"])
    norm = ("std_wuhan_staffing", "asm_grids_workers")
    # the report's "130多项" as its number with the qualifier indicators.csv states (more than (多) -> plus)
    tasks_row = db.run_query("indicators_by_id", overlay=overlay, ids=[REPORT_IDS["tasks"]]).to_dict("records")
    tasks_qualifier = qualifier_code(str(tasks_row[0].get("note") or "")) if tasks_row else ""
    code = REPORT_IDS["tasks"].rsplit(".", 1)[-1]  # the district the report's count is of
    district = next((d for d in res["by_district"] if d["district_code"] == code),
                    {"name_zh": tasks_row[0]["area_name"] if tasks_row else code, "name_en": code})
    return [
        Metric("grids_extra_workers", tot["extra_workers"], "persons", "重新划分网格需增配网格员",
               "Grid workers needed beyond today's", data + norm, 0,
               note_zh=f"每格{a.target}户、{a.workers_per_grid}人：共需{tot['workers_needed']:,}人，现有{tot['workers']:,}人",
               note_en=f"{a.target} households and {a.workers_per_grid} worker(s) a grid: {tot['workers_needed']:,} "
                       f"needed, {tot['workers']:,} today"),
        Metric("grids_extra_cost", tot["extra_cost_yuan"] / 1e6, "million_yuan", "增配网格员每年人员经费",
               "Yearly pay of the extra grid workers", data + norm + _WAGE_SRC, 2,
               note_zh=f"按薪酬页每人每年 {a.wage_yuan:,.0f} 元", note_en=f"at the pay page's {a.wage_yuan:,.0f} yuan a year each"),
        Metric("grids_needed", tot["grids_needed"], "count", "重新划分后的网格数", "Grids after re-dividing",
               data + ("std_wuhan_staffing",), 0, note_zh=f"现有 {tot['grids']:,} 个", note_en=f"{tot['grids']:,} today"),
        Metric("grids_gini", tot["gini"], "count", "网格户数基尼系数", "Gini of households per grid", data, 2,
               note_zh=f"最大/最小 {tot['max_min_ratio'] or 0:,.1f} 倍；重新划分后 {tot['gini_after']:.2f}",
               note_en=f"largest/smallest {tot['max_min_ratio'] or 0:,.1f}×; {tot['gini_after']:.2f} after re-dividing"),
        Metric("grids_households_per_worker", tot["median_households_per_worker"], "count",
               "每名网格员服务户数(中位数)", "Households per grid worker (median)", data + ("std_wuhan_staffing",), 0,
               note_zh=f"武汉标准 {NORM_BAND[0]}-{NORM_BAND[1]} 户(外部参照)；{tot['grids_without_worker']:,}个网格无网格员",
               note_en=f"Wuhan norm {NORM_BAND[0]}-{NORM_BAND[1]} (external); {tot['grids_without_worker']:,} grids "
                       f"without a worker"),
        Metric("grids_no_grid_compounds", tot["no_grid_compounds"], "count", "未划入网格的新建小区(个)",
               "New compounds without a grid", data, 0,
               note_zh=f"{tot['no_grid_households']:,} 户", note_en=f"{tot['no_grid_households']:,} households"),
        Metric("grids_tasks_report", wl["tasks"], "count", f"{district['name_zh']}社区承担的工作(项)",
               f"Tasks {district['name_en']}'s communities carry", ("report2020",), 0,
               note_zh=_quote(res, "tasks", "zh"), note_en=_quote(res, "tasks", "en"), qualifier=tasks_qualifier),
        Metric("grids_lawful_report", wl["lawful_total"], "count", "法定工作项目(18项+协助65项)",
               "Lawful items (18 own + 65 assisting)", ("report2020",), 0,
               note_zh=_quote(res, "lawful_assist", "zh"), note_en=_quote(res, "lawful_assist", "en")),
        Metric("grids_tasks_after", wl["tasks_after"], "count", "实行准入制度后的工作(项)", "Tasks after the access system",
               ("report2020", "asm_grids_access"), 0,
               note_zh=f"退出清单外事项的{100 * a.removed:.0f}%", note_en=f"{100 * a.removed:.0f}% of off-list tasks removed"),
        Metric("grids_fte_freed", wl["fte_freed"], "persons", "沙市区可腾出的工作人力(估，上限)",
               "Worker time freed in 沙市区 (est., upper bound)", ("report2020", "asm_grids_access"), 0,
               note_zh=f"{wl['posts_shashi'] or 0:,.0f}个核定岗位 × 退出事项占比(假设各项耗时相同)",
               note_en=f"{wl['posts_shashi'] or 0:,.0f} budgeted posts × share of tasks removed (equal time per task assumed)"),
        Metric("grids_cadres_per_branch", party["cadres_per_branch"], "persons", "每个小区(网格)党支部编入党员干部",
               "Party cadres per compound (grid) branch", ("report2020",), 0,
               note_zh=f"{party['cadres'] or 0:,.0f}人 / {party['branches'] or 0:,.0f}个 · " + _quote(res, "cadres", "zh"),
               note_en=f"{party['cadres'] or 0:,.0f} / {party['branches'] or 0:,.0f} · " + _quote(res, "cadres", "en")),
    ]


def details(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Tables and series behind the page (JSON-ready)."""
    return results(scenario, overlay)


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The result in one plain-language paragraph, tagged illustrative exactly when an illustrative dataset
    feeds its figures (core/labels.py)."""
    return labels.tag_sentence(_sentence(scenario, lang, overlay), labels.metric_sources(headline(scenario, overlay)),
                               lang, overlay)


def _sentence(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> str:
    res = _shared(scenario, overlay)  # read only: no copy
    a = GridAssumptions.from_scenario(scenario)
    tot, wl, party = res["totals"], res["workload"], res["report_party"]
    lo, hi = NORM_BAND
    excess = wl["excess"]
    fields = {"grids": tot["grids"], "households_per_grid": tot["households_per_grid"] or 0,
        "max_min_ratio": tot["max_min_ratio"] or 0, "gini": tot["gini"],
        "grids_without_worker": tot["grids_without_worker"], "no_grid_compounds": tot["no_grid_compounds"],
        "no_grid_households": tot["no_grid_households"], "lo": lo, "hi": hi, "target": a.target,
        "workers_per_grid": a.workers_per_grid, "grids_needed": tot["grids_needed"],
        "workers_needed": tot["workers_needed"], "extra_workers": tot["extra_workers"], "wage_yuan": a.wage_yuan,
        "tasks": wl["tasks"],
        "lawful_own": wl["lawful_own"] or 0, "lawful_assist": wl["lawful_assist"] or 0,
        "lawful_total": wl["lawful_total"], "excess": excess, "removed_share_pct": wl["removed_share_pct"],
        "tasks_after": wl["tasks_after"], "posts_shashi": wl["posts_shashi"] or 0, "fte_freed": wl["fte_freed"] or 0,
        "cadres": party["cadres"], "branches": party["branches"], "cadres_per_branch": party["cadres_per_branch"],
        "extra_cost_text": numbers.format_money(tot["extra_cost_yuan"], lang)}
    text = t("grids.sentence", lang, **fields)
    if wl["tasks"]:
        text += t("grids.sentence_tasks", lang, **fields)
    if party["cadres"]:
        text += t("grids.sentence_party", lang, **fields)
    return text
