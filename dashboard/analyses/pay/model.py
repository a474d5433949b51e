"""Community workers' pay against the social average wage: today's pay, a 四岗十八级 ladder, budget, retention.

Method (full text in docs/pay.md):

- **Reference wage.** The report: pay is set at "上年度城镇单位就业人员平均工资的0.94系数核定人均薪酬"
  (0.94 × last year's average wage of urban employees) and workers earn 2万-3.5万 "远低于社平工资5万元".
  No Jingzhou average-wage series is available offline, so the reference wage of the first reform year
  (2021, paid on the 2020 wage) is the report's 50,000 yuan (`pay_social_wage_yuan`), growing at an
  assumed rate (`pay_wage_growth_pct`) in later years.
- **Ladder.** Four posts × eighteen grades. Post p uses a band of 12 grades starting at its entry grade
  (Nanjing's 三岗十八级: heads 7-18, deputies 4-15, others 1-12). A cell's coefficient is
  `scale × (1 + step × (grade − 1))`. The scale comes from `pay_coefficient` in one of two readings:
  `mean` (the report's rule: the per-capita average over the staff list equals the coefficient) or
  `floor` (the lowest cell equals the coefficient: nobody below it). Grades come from tenure: entry
  grade + one grade per `pay_years_per_grade` years, capped at the top of the post's band.
- **Budget.** Year t (1..5, calendar 2020 + t): today's pay × (1 + current growth)^(t−1) against the
  ladder × reference wage × (1 + wage growth)^(t−1); with `pay_no_cut` a worker keeps the higher of the
  two. Both bills carry the optional employer on-cost share. The workforce is held fixed.
- **Retention.** Quits per year are the report's 50+ spread evenly over the staff list; each worker's
  quit rate scales as (new pay / today's pay)^(−elasticity), an adjustable assumption. Quits avoided ×
  recruitment and training cost per quit = cost avoided.
- **Workload.** 沙市区's 130+ tasks against the lawful 18 + 65 items; budgeted posts per 1,000 households
  of the reform communities against a staffing norm of one worker per N households.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.metrics import Metric
from dashboard.core.numbers import format_money
from dashboard.core.scenario import Param, Scenario
from dashboard.data import db

POSTS: tuple[str, ...] = ("head", "deputy", "member", "staff")  # highest first
GRADES = 18
BAND = 12  # grades per post (Nanjing: heads 7-18, deputies 4-15, others 1-12)
BASE_YEAR = 2020  # the report's year; reform year t is BASE_YEAR + t, paid on the BASE_YEAR + t - 1 wage
ANCHORS = ("mean", "floor")

# Report figures read through queries/indicators_by_id.sql (posts per district are looked up by code).
REPORT_IDS = {
    "pay_low": "pay.annual_low",
    "pay_high": "pay.annual_high",
    "social_wage": "pay.social_average_wage",
    "coefficient": "pay.coefficient",
    "quits": "pay.quits_per_year.central_city",
    "post_types": "pay.ladder.post_types",
    "grades": "pay.ladder.grades",
    "tasks_shashi": "workload.tasks.421002",
    "lawful_own": "workload.lawful_own_items",
    "lawful_assist": "workload.assist_gov.items",
    "lawful_assist_categories": "workload.assist_gov.categories",
}
# Parameter defaults that restate a report figure; tests check them against data/indicators.csv.
PARAM_INDICATORS = {
    "pay_coefficient": "pay.coefficient",
    "pay_social_wage_yuan": "pay.social_average_wage",
    "pay_quits_per_year": "pay.quits_per_year.central_city",
}

_P = "pay"
PARAMS: list[Param] = [
    Param("pay_coefficient", 0.94, "float", "薪酬系数(×上年社平工资)", "Pay coefficient (× last year's average wage)",
          "report2020", _P, unit="ratio", min=0.5, max=1.5, step=0.01,
          help_zh="报告：按上年度城镇单位就业人员平均工资的0.94系数核定人均薪酬。",
          help_en="Report: per-capita pay = 0.94 × last year's average wage of urban employees."),
    Param("pay_ladder_anchor", "mean", "choice", "系数的含义", "What the coefficient fixes", "report2020", _P,
          choices=ANCHORS,
          help_zh="人均：全体人均薪酬 = 系数 × 社平工资(报告口径)；保底：最低一档 = 系数 × 社平工资，人人不低于此。",
          help_en="Mean: average pay = coefficient × wage (the report's rule). Floor: the lowest cell = "
                  "coefficient × wage, so nobody is paid less."),
    Param("pay_grade_step_pct", 5.5, "float", "级差(占1级系数)", "Step per grade (share of grade 1)",
          "asm_pay_ladder", _P, unit="percent", min=0.0, max=15.0, step=0.5,
          help_zh="每升一级增加1级系数的百分比。默认值由南京“三岗十八级”推算：书记7级起点≈社平工资，其他1级≈70%-80%。",
          help_en="Each grade adds this share of the grade-1 coefficient. Default derived from Nanjing: "
                  "heads start at grade 7 at about the average wage, others at grade 1 at 70-80% of it."),
    Param("pay_years_per_grade", 3, "int", "每晋一级所需年限", "Years of service per grade", "std_nanjing_ladder", _P,
          unit="years", min=1, max=6, step=1),
    Param("pay_entry_grade_head", 7, "int", "书记/主任起始级", "Entry grade: head", "std_nanjing_ladder", _P,
          min=1, max=GRADES, step=1),
    Param("pay_entry_grade_deputy", 4, "int", "副书记/副主任起始级", "Entry grade: deputy", "std_nanjing_ladder", _P,
          min=1, max=GRADES, step=1),
    Param("pay_entry_grade_member", 2, "int", "两委委员起始级", "Entry grade: committee member", "asm_pay_ladder", _P,
          min=1, max=GRADES, step=1),
    Param("pay_entry_grade_staff", 1, "int", "其他专职社区工作者起始级", "Entry grade: other staff",
          "std_nanjing_ladder", _P, min=1, max=GRADES, step=1),
    Param("pay_no_cut", True, "bool", "不降薪(就高)", "No pay cuts (keep the higher)", "asm_pay_no_cut", _P),
    Param("pay_social_wage_yuan", 50000, "int", "社平工资(改革首年参照)", "Social average wage (first reform year)",
          "report2020", _P, unit="yuan_per_year", min=20000, max=150000, step=1000,
          help_zh="报告：社平工资5万元。离线无荆州官方年度序列，此为可调假设的起点。",
          help_en="Report: 50,000 yuan. No official Jingzhou series is available offline; an adjustable starting point."),
    Param("pay_wage_growth_pct", 6.0, "float", "社平工资年增长", "Average-wage growth per year",
          "asm_pay_wage_growth", _P, unit="percent", min=0.0, max=15.0, step=0.5),
    Param("pay_current_growth_pct", 0.0, "float", "现行薪酬年增长", "Growth of today's pay per year",
          "asm_pay_projection", _P, unit="percent", min=0.0, max=15.0, step=0.5),
    Param("pay_oncost_pct", 0.0, "float", "单位社保公积金负担", "Employer social-insurance on-cost",
          "asm_pay_oncost", _P, unit="percent", min=0.0, max=50.0, step=1.0,
          help_zh="可选：在薪酬之外由财政承担的社保和公积金比例(常见约30%)。默认0，仅比较薪酬。",
          help_en="Optional: employer social insurance and housing fund on top of pay (often about 30%). "
                  "Default 0: pay only."),
    Param("pay_years", 5, "int", "测算年数", "Years to project", "asm_pay_projection", _P,
          unit="years", min=1, max=5, step=1),
    Param("pay_quits_per_year", 50, "int", "现状年离职人数", "Quits per year today", "report2020", _P,
          unit="persons", min=0, max=300, step=1,
          help_zh="报告：中心城区每年离职的社区工作者超过50人(下限)。",
          help_en="Report: more than 50 central-city community workers quit each year (a lower bound)."),
    Param("pay_quit_elasticity", 1.0, "float", "离职率对薪酬的弹性", "Quit elasticity to pay",
          "asm_pay_quit_elasticity", _P, min=0.0, max=3.0, step=0.1,
          help_zh="假设：薪酬提高1%，离职率下降约(弹性)%。0 表示薪酬不影响离职。",
          help_en="Assumption: a 1% pay rise lowers the quit rate by about (elasticity)%. 0 = pay does not matter."),
    Param("pay_turnover_cost_yuan", 10000, "int", "每名离职的招聘培训成本", "Recruitment and training cost per quit",
          "asm_pay_turnover_cost", _P, unit="yuan", min=0, max=100000, step=1000),
    Param("pay_households_per_worker", 400, "int", "配备标准(每名工作者服务户数)", "Staffing norm (households per worker)",
          "std_wuhan_staffing", _P, unit="households", min=200, max=800, step=10,
          help_zh="武汉：每300-500户配备1名社区工作者；默认取中值400。",
          help_en="Wuhan: one community worker per 300-500 households; default the midpoint, 400."),
]


# ---------------------------------------------------------------- assumptions


@dataclass(frozen=True)
class PayAssumptions:
    """The scenario values the model uses, in model units (shares, not percent)."""

    coefficient: float
    anchor: str
    grade_step: float
    years_per_grade: int
    entry_grades: tuple[int, int, int, int]
    no_cut: bool
    social_wage_yuan: float
    wage_growth: float
    current_growth: float
    oncost: float
    years: int
    quits_per_year: float
    quit_elasticity: float
    turnover_cost_yuan: float
    households_per_worker: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PayAssumptions:
        s = scenario.get
        return cls(
            coefficient=float(s("pay_coefficient")),
            anchor=str(s("pay_ladder_anchor")),
            grade_step=float(s("pay_grade_step_pct")) / 100,
            years_per_grade=int(s("pay_years_per_grade")),
            entry_grades=(int(s("pay_entry_grade_head")), int(s("pay_entry_grade_deputy")),
                          int(s("pay_entry_grade_member")), int(s("pay_entry_grade_staff"))),
            no_cut=bool(s("pay_no_cut")),
            social_wage_yuan=float(s("pay_social_wage_yuan")),
            wage_growth=float(s("pay_wage_growth_pct")) / 100,
            current_growth=float(s("pay_current_growth_pct")) / 100,
            oncost=float(s("pay_oncost_pct")) / 100,
            years=int(s("pay_years")),
            quits_per_year=float(s("pay_quits_per_year")),
            quit_elasticity=float(s("pay_quit_elasticity")),
            turnover_cost_yuan=float(s("pay_turnover_cost_yuan")),
            households_per_worker=float(s("pay_households_per_worker")),
        )

    @property
    def rule_pay_yuan(self) -> float:
        """The report's rule made explicit: coefficient × last year's average wage (first reform year)."""
        return self.coefficient * self.social_wage_yuan


# ---------------------------------------------------------------- ladder


def band_limits(entry_grades: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(first grade, last grade) of each post's band of BAND grades, capped at GRADES."""
    entry = np.asarray(entry_grades, dtype=np.int64)
    if entry.shape != (len(POSTS),):
        raise ValueError(f"need one entry grade per post {POSTS}, got {tuple(entry_grades)!r}")
    bad = [int(g) for g in entry if not 1 <= g <= GRADES]
    if bad:
        raise ValueError(f"entry grade {bad[0]!r} is outside 1-{GRADES}")
    return entry, np.minimum(entry + BAND - 1, GRADES)


def relative_ladder(grade_step: float, entry_grades: tuple[int, ...]) -> np.ndarray:
    """Posts × grades array of relative coefficients (grade 1 = 1); NaN outside each post's band."""
    if not np.isfinite(grade_step) or grade_step < 0:
        raise ValueError(f"grade step must be a non-negative number, got {grade_step!r}")
    entry, top = band_limits(entry_grades)
    grade = np.arange(1, GRADES + 1)
    rel = 1.0 + grade_step * (grade - 1)
    in_band = (grade[None, :] >= entry[:, None]) & (grade[None, :] <= top[:, None])
    return np.where(in_band, rel[None, :], np.nan)


def post_index(posts: pd.Series | np.ndarray | list) -> np.ndarray:
    """Position of each post in POSTS (0 = head); an unknown or missing post raises, naming it."""
    series = posts if isinstance(posts, pd.Series) else pd.Series(np.asarray(posts, dtype=object))
    codes, uniques = pd.factorize(series)  # native (Arrow) hashing; a handful of distinct values
    lookup = pd.Index(POSTS).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    bad = (codes < 0) | (lookup[codes] < 0) if len(codes) else np.zeros(0, dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"unknown post {series.iloc[first]!r} in row {first}; expected one of {', '.join(POSTS)}")
    return lookup[codes].astype(np.int64)


def assign_grades(post_idx: np.ndarray, tenure_years: np.ndarray, entry_grades: tuple[int, ...],
                  years_per_grade: float) -> np.ndarray:
    """Grade of each worker: the post's entry grade plus one per `years_per_grade` of tenure, capped at the band top."""
    if years_per_grade <= 0:
        raise ValueError(f"years per grade must be positive, got {years_per_grade!r}")
    entry, top = band_limits(entry_grades)
    steps = np.floor(np.maximum(np.asarray(tenure_years, dtype=float), 0.0) / years_per_grade).astype(np.int64)
    return np.minimum(entry[post_idx] + steps, top[post_idx])


def ladder_scale(anchor: str, coefficient: float, rel_table: np.ndarray, worker_rel: np.ndarray) -> float:
    """Coefficient of grade 1: `floor` puts the lowest cell at `coefficient`, `mean` the staff list's average."""
    if anchor not in ANCHORS:
        raise ValueError(f"unknown ladder anchor {anchor!r}; expected one of {', '.join(ANCHORS)}")
    if anchor == "mean" and len(worker_rel):
        return coefficient / float(np.mean(worker_rel))
    return coefficient / float(np.nanmin(rel_table))


# ---------------------------------------------------------------- the pure core


def _districts(staff: pd.DataFrame) -> tuple[list[str], np.ndarray, dict[str, dict[str, str]]]:
    """Sorted district codes, each worker's position in them, and each code's zh/en name."""
    codes_arr, uniques = pd.factorize(staff["district_code"], sort=True)
    if (codes_arr < 0).any():
        raise ValueError(f"missing district_code in row {int(np.flatnonzero(codes_arr < 0)[0])}")
    codes = [str(c) for c in uniques]
    first = pd.Series(codes_arr).drop_duplicates()
    heads = staff.iloc[first.index.to_numpy()]
    names: dict[str, dict[str, str]] = {}
    zh_col = heads["district_name"].tolist() if "district_name" in heads else [None] * len(heads)
    en_col = heads["district_name_en"].tolist() if "district_name_en" in heads else [None] * len(heads)
    for i, d in enumerate(first.to_numpy()):
        zh, en = zh_col[i], en_col[i]
        zh = str(zh) if isinstance(zh, str) and zh else codes[d]
        names[codes[d]] = {"zh": zh, "en": str(en) if isinstance(en, str) and en else zh}
    return codes, codes_arr.astype(np.int64), names


def group_quantiles(values: np.ndarray, group_idx: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Count, min, quartiles (linear interpolation, as pandas), max and mean of `values` per group; one sort."""
    values = np.asarray(values, dtype=float)
    counts = np.bincount(group_idx, minlength=n_groups)
    # Sort one composite key (group, then value) and read the values back: several times faster than a
    # lexsort or argsort; the round trip costs ~1e-7 yuan at national scale.
    low = float(values.min()) if len(values) else 0.0
    span = float(values.max()) - low + 1.0 if len(values) else 1.0
    keys = np.sort(group_idx * span + (values - low))
    v = keys - np.repeat(np.arange(n_groups) * span, counts) + low
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    out: dict[str, np.ndarray] = {"workers": counts}

    def q(frac: float) -> np.ndarray:
        pos = starts + frac * np.maximum(counts - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, starts + np.maximum(counts - 1, 0))
        lo, hi = np.where(has, lo, 0), np.where(has, hi, 0)
        w = pos - np.floor(pos)
        return np.where(has, v[lo] * (1 - w) + v[hi] * w, np.nan) if len(v) else np.full(n_groups, np.nan)

    out["min"], out["q1"], out["median"], out["q3"], out["max"] = q(0), q(0.25), q(0.5), q(0.75), q(1)
    sums = np.bincount(group_idx, weights=values, minlength=n_groups)
    out["mean"] = np.divide(sums, counts, out=np.full(n_groups, np.nan), where=has)
    return out


def budget_arrays(assumptions: PayAssumptions, post_idx: np.ndarray, tenure_years: np.ndarray,
                  pay_yuan: np.ndarray, district_idx: np.ndarray, n_districts: int) -> dict[str, Any]:
    """Vectorised budget over a staff list given as arrays; the hot path of `compute` (and the bench).

    Returns the relative ladder, the scale, each worker's grade and year-1 pay, per-year and
    per-district sums of today's bill and the ladder bill (both with on-cost), and year-1 quits by
    district today and under the ladder.
    """
    a = assumptions
    rel_table = relative_ladder(a.grade_step, a.entry_grades)
    grades = assign_grades(post_idx, tenure_years, a.entry_grades, a.years_per_grade)
    worker_rel = rel_table[post_idx, grades - 1]
    scale = ladder_scale(a.anchor, a.coefficient, rel_table, worker_rel)
    pay = np.asarray(pay_yuan, dtype=float)
    worker_coef = scale * worker_rel
    n = len(pay)
    q0 = a.quits_per_year / n if n else 0.0

    years = np.arange(1, a.years + 1)
    # today's bill grows uniformly, so it is summed once; the ladder (with "no cut") is summed per year
    today_base = np.bincount(district_idx, weights=pay, minlength=n_districts)
    today = np.outer((1 + a.current_growth) ** (years - 1), today_base)
    ladder = np.zeros_like(today)
    year1_new = pay
    for i, t in enumerate(years):
        new = worker_coef * (a.social_wage_yuan * (1 + a.wage_growth) ** (t - 1))
        if a.no_cut:
            new = np.maximum(new, pay * (1 + a.current_growth) ** (t - 1))
        if i == 0:
            year1_new = new
        ladder[i] = np.bincount(district_idx, weights=new, minlength=n_districts)
    # retention in year 1: each worker's quit rate scales with (new pay / today's pay)^(-elasticity)
    ratio = year1_new / np.maximum(pay, 1.0)  # a zero pay would make the ratio infinite
    quits_ladder = np.bincount(district_idx, weights=q0 * ratio ** (-a.quit_elasticity), minlength=n_districts)
    quits_today = np.bincount(district_idx, minlength=n_districts) * q0
    on = 1 + a.oncost
    return {
        "rel_table": rel_table, "scale": scale, "grades": grades, "worker_coef": worker_coef,
        "year1_new": year1_new, "years": years, "today": today * on, "ladder": ladder * on,
        "quits_today": quits_today, "quits_ladder": quits_ladder,
    }


def compute(assumptions: PayAssumptions, staff: pd.DataFrame, report: dict[str, float],
            posts_budgeted: dict[str, float], households: pd.DataFrame | None = None) -> dict[str, Any]:
    """Every figure of the pay page from a staff list (one row per worker) and the report's figures.

    `staff` needs district_code, post, tenure_years, pay_yuan_per_year (district_name, district_name_en,
    committee_code, source_id optional). `households` has district_code, reform_communities,
    reform_households (optional). Returns a JSON-ready dict.
    """
    a = assumptions
    staff = staff.reset_index(drop=True)
    codes, district_idx, names = _districts(staff) if len(staff) else ([], np.zeros(0, np.int64), {})
    post_idx = post_index(staff["post"])
    pay = staff["pay_yuan_per_year"].to_numpy(dtype=float)
    arrays = budget_arrays(a, post_idx, staff["tenure_years"].to_numpy(dtype=float), pay, district_idx, len(codes))
    n = len(staff)
    scale = arrays["scale"]
    workers_by_district = np.bincount(district_idx, minlength=len(codes))
    workers_by_cell = np.bincount(post_idx * GRADES + arrays["grades"] - 1, minlength=len(POSTS) * GRADES)
    on = 1 + a.oncost

    # today's pay and year-1 ladder pay by district and post
    group = district_idx * len(POSTS) + post_idx
    n_groups = len(codes) * len(POSTS)
    distribution: list[dict[str, Any]] = []
    for kind, values in (("today", pay), ("ladder", arrays["year1_new"])):
        stats = group_quantiles(values, group, n_groups)
        present = np.flatnonzero(stats["workers"])
        columns = {
            "district_code": np.asarray(codes, dtype=object)[present // len(POSTS)] if len(codes) else [],
            "post": np.asarray(POSTS, dtype=object)[present % len(POSTS)],
            "workers": stats["workers"][present].tolist(),
            **{k: stats[k][present].tolist() for k in ("min", "q1", "median", "q3", "max", "mean")},
        }
        columns["pay"] = [kind] * len(present)
        columns["mean_share_of_social_wage_pct"] = (100 * stats["mean"][present] / a.social_wage_yuan).tolist()
        distribution += [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    # ladder table (coefficient and year-1 yuan per cell)
    rel_table = arrays["rel_table"]
    coef_table = scale * rel_table
    entry, top = band_limits(a.entry_grades)
    ladder_rows = []
    for p, post in enumerate(POSTS):
        for g in range(1, GRADES + 1):
            c = coef_table[p, g - 1]
            in_band = bool(np.isfinite(c))
            ladder_rows.append({
                "post": post, "grade": g, "in_band": in_band,
                "coefficient": round(float(c), 4) if in_band else None,
                "pay_yuan_year1": round(float(c) * a.social_wage_yuan, 0) if in_band else None,
                "workers": int(workers_by_cell[p * GRADES + g - 1]),
            })

    # budget by district and year
    budget = []
    for i, t in enumerate(arrays["years"]):
        for d, code in enumerate(codes):
            today_yuan = float(arrays["today"][i, d])
            ladder_yuan = float(arrays["ladder"][i, d])
            budget.append({
                "year": int(t), "calendar_year": BASE_YEAR + int(t), "district_code": code,
                "workers": int(workers_by_district[d]), "posts_budgeted": posts_budgeted.get(code),
                "reference_wage_yuan": a.social_wage_yuan * (1 + a.wage_growth) ** (int(t) - 1),
                "today_yuan": today_yuan, "ladder_yuan": ladder_yuan, "increment_yuan": ladder_yuan - today_yuan,
            })
    totals = []
    for i, t in enumerate(arrays["years"]):
        today_yuan = float(arrays["today"][i].sum())
        ladder_yuan = float(arrays["ladder"][i].sum())
        totals.append({"year": int(t), "calendar_year": BASE_YEAR + int(t), "today_yuan": today_yuan,
                       "ladder_yuan": ladder_yuan, "increment_yuan": ladder_yuan - today_yuan,
                       "increment_pct": 100 * (ladder_yuan - today_yuan) / today_yuan if today_yuan else None})

    # retention (year 1)
    quits_today = arrays["quits_today"]
    quits_ladder = arrays["quits_ladder"]
    retention_by_district = [
        {"district_code": code, "quits_today": float(quits_today[d]), "quits_ladder": float(quits_ladder[d]),
         "quits_avoided": float(quits_today[d] - quits_ladder[d]),
         "cost_avoided_yuan": float((quits_today[d] - quits_ladder[d]) * a.turnover_cost_yuan)}
        for d, code in enumerate(codes)
    ]
    q_today, q_ladder = float(quits_today.sum()), float(quits_ladder.sum())
    mean_today = float(pay.mean()) if n else 0.0
    mean_new = float(arrays["year1_new"].mean()) if n else 0.0
    retention = {
        "quits_today": q_today, "quits_ladder": q_ladder, "quits_avoided": q_today - q_ladder,
        "quit_rate_today_pct": 100 * q_today / n if n else 0.0,
        "quit_rate_ladder_pct": 100 * q_ladder / n if n else 0.0,
        "cost_avoided_yuan": (q_today - q_ladder) * a.turnover_cost_yuan,
        "elasticity": a.quit_elasticity, "turnover_cost_yuan": a.turnover_cost_yuan,
        "by_district": retention_by_district,
    }

    # workload
    hh = {}
    if households is not None and len(households):
        hh = {str(r["district_code"]): r for r in households.to_dict("records")}
    staffing = []
    for d, code in enumerate(codes):
        posts = posts_budgeted.get(code)
        row = hh.get(code, {})
        households_n = row.get("reform_households")
        households_n = float(households_n) if households_n is not None and pd.notna(households_n) else None
        staffing.append({
            "district_code": code, "posts_budgeted": posts,
            "workers": int(workers_by_district[d]),
            "reform_communities": int(row["reform_communities"]) if row.get("reform_communities") is not None else None,
            "reform_households": households_n,
            "posts_per_1000_households": 1000 * posts / households_n if posts and households_n else None,
            "norm_posts": households_n / a.households_per_worker if households_n else None,
            "norm_posts_per_1000_households": 1000 / a.households_per_worker,
        })
    lawful = (report.get("lawful_own") or 0) + (report.get("lawful_assist") or 0)
    workload = {
        "tasks_shashi": report.get("tasks_shashi"), "lawful_own": report.get("lawful_own"),
        "lawful_assist": report.get("lawful_assist"), "lawful_total": lawful,
        "tasks_over_lawful": report["tasks_shashi"] / lawful if lawful and report.get("tasks_shashi") else None,
        "households_per_worker": a.households_per_worker, "staffing": staffing,
        # totals over the districts with reform-household counts (the page's workload sentence)
        "norm_posts_total": sum(s["norm_posts"] or 0 for s in staffing),
        "posts_budgeted_total": sum(s["posts_budgeted"] or 0 for s in staffing),
    }

    today_bill = totals[0]["today_yuan"] if totals else 0.0
    increment1 = totals[0]["increment_yuan"] if totals else 0.0
    return {
        "reference": {
            "base_year": BASE_YEAR, "first_reform_year": BASE_YEAR + 1,
            "social_wage_yuan": a.social_wage_yuan, "coefficient": a.coefficient,
            "rule_pay_yuan": a.rule_pay_yuan, "wage_growth_pct": 100 * a.wage_growth,
            "current_growth_pct": 100 * a.current_growth, "oncost_pct": 100 * a.oncost,
            "anchor": a.anchor, "no_cut": a.no_cut,
        },
        "today": {
            "workers": n, "pay_min_yuan": float(pay.min()) if n else None,
            "pay_max_yuan": float(pay.max()) if n else None, "pay_mean_yuan": mean_today,
            "mean_share_of_social_wage_pct": 100 * mean_today / a.social_wage_yuan,
            "mean_share_of_rule_pct": 100 * mean_today / a.rule_pay_yuan if a.rule_pay_yuan else None,
            "workers_below_rule": int((pay < a.rule_pay_yuan).sum()),
            "gap_to_rule_yuan": float(np.maximum(a.rule_pay_yuan - pay, 0).sum()) * on,
            "pay_bill_yuan": float(pay.sum()) * on,
        },
        "districts": [{"district_code": c, "name_zh": names[c]["zh"], "name_en": names[c]["en"],
                       "workers": int(workers_by_district[d]), "posts_budgeted": posts_budgeted.get(c)}
                      for d, c in enumerate(codes)],
        "distribution": distribution,
        "ladder": {
            "posts": list(POSTS), "grades": list(range(1, GRADES + 1)), "band": BAND,
            "entry_grades": dict(zip(POSTS, map(int, entry), strict=True)),
            "top_grades": dict(zip(POSTS, map(int, top), strict=True)),
            "scale": scale, "grade_step_pct": 100 * a.grade_step, "years_per_grade": a.years_per_grade,
            "min_coefficient": float(np.nanmin(coef_table)), "max_coefficient": float(np.nanmax(coef_table)),
            "mean_coefficient_staff": float(arrays["worker_coef"].mean()) if n else None,
            "mean_pay_year1_yuan": mean_new, "mean_share_of_social_wage_pct": 100 * mean_new / a.social_wage_yuan,
            "rows": ladder_rows,
        },
        "budget": budget,
        "budget_totals": totals,
        "headline": {
            "increment_year1_yuan": increment1,
            "increment_year1_pct": 100 * increment1 / today_bill if today_bill else None,
            "increment_cumulative_yuan": float(sum(r["increment_yuan"] for r in totals)),
            "today_bill_yuan": today_bill,
        },
        "retention": retention,
        "workload": workload,
    }


# ---------------------------------------------------------------- data access (queries) and caching


@lru_cache(maxsize=8)
def _inputs(db_token: str, overlay: db.Overlay | None) -> tuple[pd.DataFrame, dict, dict, pd.DataFrame, dict]:
    staff = db.run_query("pay_workers", overlay=overlay)
    households = db.run_query("pay_households_by_district", overlay=overlay)
    codes = sorted(staff["district_code"].astype(str).unique())
    post_ids = {f"pay.posts_budgeted.{c}": c for c in codes}
    ids = list(REPORT_IDS.values()) + list(post_ids)
    found = db.run_query("indicators_by_id", overlay=overlay, ids=ids)
    by_id = {r["indicator_id"]: r for r in found.to_dict("records")}
    report = {k: float(by_id[i]["value"]) for k, i in REPORT_IDS.items() if i in by_id}
    posts = {c: float(by_id[i]["value"]) for i, c in post_ids.items() if i in by_id}
    quotes = {i: {"quote": r["quote"], "locator": r["locator"], "value": float(r["value"]), "source_id": r["source_id"],
                  "unit": str(r.get("unit") or ""), "area_name": str(r.get("area_name") or "")}
              for i, r in by_id.items()}
    return staff, report, posts, households, quotes


@lru_cache(maxsize=32)
def _results(assumptions: PayAssumptions, db_token: str, overlay: db.Overlay | None) -> dict[str, Any]:
    staff, report, posts, households, quotes = _inputs(db_token, overlay)
    out = compute(assumptions, staff, report, posts, households)
    out["report"] = {"figures": report, "quotes": quotes}
    out["staff_sources"] = sorted(set(staff["source_id"].astype(str))) if "source_id" in staff else []
    return out


def results(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Everything the page shows for a scenario (a fresh copy: callers may change it)."""
    overlay = overlay if overlay else None
    return copy.deepcopy(_results(PayAssumptions.from_scenario(scenario), db.database_token(), overlay))


# ---------------------------------------------------------------- interfaces: headline, details, sentence


def _staff_src(res: dict) -> tuple[str, ...]:
    return tuple(res.get("staff_sources") or ("demo_layer",))


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The page's headline figures (ladder increment first)."""
    res = results(scenario, overlay)
    a = PayAssumptions.from_scenario(scenario)
    h, today, ladder, ret = res["headline"], res["today"], res["ladder"], res["retention"]
    staff = _staff_src(res)
    ladder_src = ("report2020", "asm_pay_ladder")
    posts_total = sum(d["posts_budgeted"] or 0 for d in res["districts"])
    years = len(res["budget_totals"])
    return [
        Metric("pay_increment_year1", h["increment_year1_yuan"] / 1e6, "million_yuan",
               "阶梯薪酬首年增支", "Extra cost of the ladder, year 1", staff + ladder_src, 2,
               note_zh=f"较现行薪酬总额 +{h['increment_year1_pct'] or 0:.0f}%",
               note_en=f"+{h['increment_year1_pct'] or 0:.0f}% on today's pay bill"),
        Metric("pay_today_share", today["mean_share_of_social_wage_pct"], "percent",
               "现行人均薪酬占社平工资", "Today's average pay as a share of the social average wage",
               staff + ("report2020",), 0,
               note_zh=f"人均 {today['pay_mean_yuan']:,.0f} 元 / 社平 {a.social_wage_yuan:,.0f} 元",
               note_en=f"{today['pay_mean_yuan']:,.0f} of {a.social_wage_yuan:,.0f} yuan"),
        Metric("pay_rule_yuan", a.rule_pay_yuan, "yuan_per_year",
               f"{a.coefficient:.2f}×上年社平工资", f"{a.coefficient:.2f} × last year's average wage",
               ("report2020",), 0, note_zh="报告的核定人均薪酬规则", note_en="the report's per-capita pay rule"),
        Metric("pay_ladder_mean_yuan", ladder["mean_pay_year1_yuan"], "yuan_per_year",
               "阶梯人均薪酬(首年)", "Ladder average pay, year 1", staff + ladder_src, 0,
               note_zh=f"占社平工资 {ladder['mean_share_of_social_wage_pct']:.0f}%",
               note_en=f"{ladder['mean_share_of_social_wage_pct']:.0f}% of the social average wage"),
        Metric("pay_increment_cumulative", h["increment_cumulative_yuan"] / 1e6, "million_yuan",
               f"{years}年累计增支", f"Extra cost over {years} years", staff + ladder_src + ("asm_pay_wage_growth",), 1),
        Metric("pay_posts_budgeted", posts_total, "count", "核定社区工作者岗位", "Budgeted community-worker posts",
               ("report2020",), 0),
        Metric("pay_quits_ladder", ret["quits_ladder"], "persons", "阶梯下年离职人数(估)",
               "Quits per year under the ladder (est.)", ("report2020", "asm_pay_quit_elasticity") + staff, 0,
               note_zh=f"现状 {ret['quits_today']:.0f} 人；弹性 {a.quit_elasticity:.1f}(假设)",
               note_en=f"today {ret['quits_today']:.0f}; elasticity {a.quit_elasticity:.1f} (assumption)"),
        Metric("pay_turnover_cost_avoided", ret["cost_avoided_yuan"] / 1e6, "million_yuan",
               "年节约招聘培训成本(估)", "Recruitment and training cost avoided per year (est.)",
               ("asm_pay_turnover_cost", "asm_pay_quit_elasticity", "report2020"), 2),
    ]


def details(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Tables and series behind the page (JSON-ready)."""
    return results(scenario, overlay)


def _wan(yuan: float, lang: str = "zh", decimals_millions: int = 2) -> str:
    """A money total in the page's unit (core.numbers: 万元 in Chinese, million yuan in English)."""
    return format_money(yuan, lang, decimals_millions)


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The result in one plain-language paragraph."""
    res = results(scenario, overlay)
    a = PayAssumptions.from_scenario(scenario)
    h, today, ret = res["headline"], res["today"], res["retention"]
    posts = [(d["name_zh"], d["name_en"], d["posts_budgeted"] or d["workers"]) for d in res["districts"]]
    total = sum(p for *_, p in posts)
    pct = h["increment_year1_pct"] or 0.0
    if lang == "zh":
        who = "、".join(f"{zh}{p:,.0f}个" for zh, _, p in posts)
        policy = (f"按“四岗十八级”阶梯、人均薪酬为上年社平工资的{a.coefficient:.2f}倍({a.rule_pay_yuan:,.0f}元)"
                  if a.anchor == "mean" else
                  f"按“四岗十八级”阶梯、让每名社区工作者不低于上年社平工资的{a.coefficient:.2f}倍({a.rule_pay_yuan:,.0f}元)")
        oncost = f"(含{100 * a.oncost:.0f}%单位社保公积金)" if a.oncost else ""
        return (f"{policy}测算，{who}核定岗位(共{total:,.0f}个)首年需比现行薪酬多支出约{_wan(h['increment_year1_yuan'])}"
                f"{oncost}，较现行薪酬总额增加{pct:.0f}%；现行人均薪酬{today['pay_mean_yuan']:,.0f}元，"
                f"仅为社平工资{a.social_wage_yuan:,.0f}元的{today['mean_share_of_social_wage_pct']:.0f}%。"
                f"按假设的离职弹性{a.quit_elasticity:.1f}，年离职人数由{ret['quits_today']:.0f}人降至约"
                f"{ret['quits_ladder']:.0f}人，每年节约招聘培训成本约{_wan(ret['cost_avoided_yuan'])}。")
    who = ", ".join(f"{en} {p:,.0f}" for _, en, p in posts)
    policy = (f"Moving the {total:,.0f} budgeted community-worker posts ({who}) onto a four-posts, eighteen-grades "
              f"ladder that pays on average {a.coefficient:.2f} × last year's social average wage "
              f"({a.rule_pay_yuan:,.0f} yuan)"
              if a.anchor == "mean" else
              f"Paying every community worker at least {a.coefficient:.2f} × last year's social average wage "
              f"({a.rule_pay_yuan:,.0f} yuan) on a four-posts, eighteen-grades ladder ({total:,.0f} budgeted posts: {who})")
    oncost = f" including {100 * a.oncost:.0f}% employer on-cost" if a.oncost else ""
    return (f"{policy} costs {_wan(h['increment_year1_yuan'], lang)} a year more in the first year{oncost}, "
            f"{pct:.0f}% more than today's pay bill; today's pay averages {today['pay_mean_yuan']:,.0f} yuan, "
            f"{today['mean_share_of_social_wage_pct']:.0f}% of the {a.social_wage_yuan:,.0f}-yuan social average wage. "
            f"With the assumed quit elasticity of {a.quit_elasticity:.1f}, quits fall from {ret['quits_today']:.0f} to "
            f"about {ret['quits_ladder']:.0f} a year, saving about {_wan(ret['cost_avoided_yuan'], lang)} "
            f"in recruitment and training.")
