"""Property management of residential compounds: who is managed, owners' committees, and basic service for old compounds.

Method (full text in docs/property.md):

- **Status.** Each compound of the central city is `managed` (a property firm), `owners_committee`
  (an owners' committee but no firm), `old_unmanaged` (neither, built in or before the old-compound
  year) or `unmanaged` (neither, newer or of unknown age). Shares by district stand beside the
  report's 1,790 / 713 / 39.8% and 沙市区's 14.5% owners' committees (data/indicators.csv).
- **Basic service for old compounds** (report 三(三)三: 政府补贴、居民适当负担 for closed and
  semi-closed old compounds). A firm enters compound i when it gets at least the minimum fee per
  household per month and at least the minimum revenue per compound per month, so it needs
  `required_i = max(min_fee, min_revenue / households_i)` per household per month. Residents pay the
  resident share; the government tops up the gap `max(0, required_i − resident)` when it is within the
  subsidy cap. The compound then gains basic service at a yearly budget cost of
  `12 × households_i × gap_i`. Compounds that stay out (too small for a firm at these prices, or open
  compounds) are left to simple property or self-management through the residents' committee.
- **Priority and roll-out.** Viable compounds are ranked by households per yuan of subsidy (ties:
  more households first) and join in equal groups over the programme years (first year 2021).
- **Owners' committees.** New committees needed per district to reach a target share by a target year.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core import labels, numbers, params, ranges
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import t
from dashboard.data import db

BASE_YEAR = 2020  # the report's year; programme year t is BASE_YEAR + t
STATUSES = ("managed", "owners_committee", "old_unmanaged", "unmanaged")
ENCLOSED = ("closed", "semi_closed")

# Report figures read through queries/indicators_by_id.sql (never typed into code).
REPORT_IDS = {
    "compounds": "property.compounds.central_city",
    "managed": "property.managed_compounds.central_city",
    "managed_share": "property.managed_share.central_city",
    "firms": "property.firms.central_city",
    "oc_share_shashi": "property.owners_committee_share.421002",
}
SHASHI = "421002"

_P = "property"
PARAMS: list[Param] = params.load("property")  # dashboard/params/property.toml: defaults, bounds, bands, sources


@dataclass(frozen=True)
class PropertyAssumptions:
    subsidy: float
    resident: float
    min_fee: float
    min_revenue: float
    years: int
    old_before: int
    oc_target: float  # share 0-1
    oc_target_year: int

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PropertyAssumptions:
        s = scenario.get
        return cls(float(s("prop_subsidy_yuan")), float(s("prop_resident_yuan")), float(s("prop_min_fee_yuan")),
                   float(s("prop_min_revenue_yuan")), int(s("prop_years")), int(s("prop_old_before_year")),
                   float(s("prop_oc_target_pct")) / 100, int(s("prop_oc_target_year")))


# ---------------------------------------------------------------- the pure core


def classify(frame: pd.DataFrame, old_before: int) -> pd.Series:
    """Each compound's status: managed, owners_committee, old_unmanaged or unmanaged."""
    pm = frame["has_property_management"].fillna(False).astype(bool).to_numpy()
    oc = frame["has_owners_committee"].fillna(False).astype(bool).to_numpy()
    year = pd.to_numeric(frame["build_year"], errors="coerce").to_numpy(dtype=float)
    old = np.nan_to_num(year, nan=np.inf) <= old_before
    status = np.select([pm, oc, old], ["managed", "owners_committee", "old_unmanaged"], "unmanaged")
    return pd.Series(status, index=frame.index, name="status")


def required_fee(households: np.ndarray, min_fee: float, min_revenue: float) -> np.ndarray:
    """Fee per household per month a firm needs to enter: max(min_fee, min_revenue / households)."""
    hh = np.maximum(np.asarray(households, dtype=float), 1.0)
    return np.maximum(min_fee, min_revenue / hh)


def scheme(frame: pd.DataFrame, a: PropertyAssumptions) -> pd.DataFrame:
    """Per compound: status, eligibility, fee needed, subsidy, yearly cost, priority rank and programme year."""
    out = frame.copy()
    out["status"] = classify(out, a.old_before)
    hh = out["households"].astype(float).to_numpy()
    eligible = (out["status"] == "old_unmanaged").to_numpy() & out["enclosure"].isin(ENCLOSED).fillna(False).to_numpy()
    need = required_fee(hh, a.min_fee, a.min_revenue)
    gap = np.maximum(need - a.resident, 0.0)
    viable = eligible & (gap <= a.subsidy + 1e-9)
    out["eligible"] = eligible
    out["fee_needed_yuan"] = need
    out["subsidy_yuan"] = np.where(viable, gap, np.nan)
    out["viable"] = viable
    out["annual_cost_yuan"] = np.where(viable, 12.0 * hh * gap, 0.0)
    with np.errstate(divide="ignore"):
        per = np.where(viable & (gap > 0), hh / np.maximum(out["annual_cost_yuan"].to_numpy(), 1e-9) * 1e4, np.nan)
    out["households_per_10k_yuan"] = np.where(viable & (gap <= 0), np.inf, per)
    # simple property or self-management: old unmanaged compounds the scheme does not bring a firm to
    out["simple"] = (out["status"] == "old_unmanaged").to_numpy() & ~viable
    rank = np.full(len(out), np.nan)
    idx = np.flatnonzero(viable)
    if len(idx):
        order = np.lexsort((out["compound_id"].to_numpy()[idx], -hh[idx], gap[idx]))
        rank[idx[order]] = np.arange(1, len(idx) + 1)
    out["priority"] = rank
    n = len(idx)
    year = np.full(len(out), np.nan)
    if n:
        year[idx] = np.floor((rank[idx] - 1) * a.years / n) + 1
    out["programme_year"] = year
    return out


def compute(a: PropertyAssumptions, compounds: pd.DataFrame, report: dict[str, float],
            names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Everything the page shows, from the compound list (JSON-ready)."""
    s = scheme(compounds, a)
    codes = sorted(s["district_code"].astype(str).unique())
    total = len(s)
    managed_now = int((s["status"] == "managed").sum())
    oc_now = int(s["has_owners_committee"].fillna(False).astype(bool).sum())
    served = s[s["viable"]]
    hh_served = int(served["households"].sum())
    cost_full = float(served["annual_cost_yuan"].sum())

    # one aggregation pass: 0/1 columns summed per district and per sub-district
    hh = s["households"].astype(float)
    flags = pd.DataFrame({
        "compounds": 1, "households": hh,
        **{f"{st}_compounds": (s["status"] == st).astype(int) for st in STATUSES},
        "owners_committee": s["has_owners_committee"].fillna(False).astype(bool).astype(int),
        "eligible_compounds": s["eligible"].astype(int), "served_compounds": s["viable"].astype(int),
        "served_households": hh.where(s["viable"], 0.0), "annual_cost_yuan": s["annual_cost_yuan"].astype(float),
        "simple_compounds": s["simple"].astype(int), "simple_households": hh.where(s["simple"], 0.0),
    }, index=s.index)

    by_district = []
    for code, d in flags.groupby(s["district_code"].astype(str), sort=True).sum().iterrows():
        n = int(d["compounds"])
        row = {"district_code": code, "name_zh": names.get(code, {}).get("zh", code),
               "name_en": names.get(code, {}).get("en", code)}
        row.update({k: (float(v) if k == "annual_cost_yuan" else int(v)) for k, v in d.items()})
        row["managed_share_pct"] = 100 * row["managed_compounds"] / n if n else None
        row["owners_committee_share_pct"] = 100 * row["owners_committee"] / n if n else None
        row["managed_share_after_pct"] = (100 * (row["managed_compounds"] + row["served_compounds"]) / n
                                          if n else None)
        by_district.append(row)

    by_subdistrict = []
    sub_key = [s["subdistrict_code"].astype(str), s["subdistrict_name"].astype(str).fillna("")]
    first_district = s.groupby(sub_key, sort=True)["district_code"].first()
    for (sub, name), d in flags.groupby(sub_key, sort=True).sum().iterrows():
        n = int(d["compounds"])
        by_subdistrict.append({
            "subdistrict_code": str(sub), "subdistrict_name": name if name and name != "<NA>" else str(sub),
            "district_code": str(first_district[(sub, name)]), "compounds": n,
            "managed_share_pct": 100 * d["managed_compounds"] / n,
            "owners_committee_share_pct": 100 * d["owners_committee"] / n,
            "old_unmanaged_compounds": int(d["old_unmanaged_compounds"]),
            "served_compounds": int(d["served_compounds"]),
        })

    years = []
    for year in range(1, a.years + 1):
        joined = s[s["programme_year"] <= year]
        row = {"year": year, "calendar_year": BASE_YEAR + year, "compounds_cumulative": len(joined),
               "households_cumulative": int(joined["households"].sum()),
               "cost_yuan": float(joined["annual_cost_yuan"].sum()),
               "managed_share_pct": 100 * (managed_now + len(joined)) / total if total else None}
        cost_by = joined.groupby(joined["district_code"].astype(str))["annual_cost_yuan"].sum()
        for code in codes:
            row[f"cost_yuan_{code}"] = float(cost_by.get(code, 0.0))
        years.append(row)

    span = max(a.oc_target_year - BASE_YEAR, 1)
    oc_rows = []
    for d in by_district + [None]:
        if d is None:
            n, oc, code = total, oc_now, "all"
        else:
            n, oc, code = d["compounds"], d["owners_committee"], d["district_code"]
        needed = max(0, math.ceil(a.oc_target * n - 1e-9) - oc)
        oc_rows.append({"district_code": code, "compounds": n, "owners_committee": oc,
                        "share_pct": 100 * oc / n if n else None, "target_pct": 100 * a.oc_target,
                        "target_year": a.oc_target_year, "needed": needed, "needed_per_year": needed / span})

    cols = ["compound_id", "name", "district_code", "subdistrict_name", "households", "build_year", "enclosure",
            "fee_needed_yuan", "subsidy_yuan", "annual_cost_yuan", "households_per_10k_yuan", "programme_year"]
    priority = served.sort_values("priority")[cols].copy()
    priority["households_per_10k_yuan"] = priority["households_per_10k_yuan"].replace(np.inf, np.nan)
    points = s[["compound_id", "name", "district_code", "subdistrict_code", "subdistrict_name", "lon", "lat",
                "households", "build_year", "enclosure", "status", "has_owners_committee", "viable"]]
    shashi = next((d for d in by_district if d["district_code"] == SHASHI), None)
    return {
        "base_year": BASE_YEAR,
        "assumptions": {"subsidy_yuan": a.subsidy, "resident_yuan": a.resident, "min_fee_yuan": a.min_fee,
                        "min_revenue_yuan": a.min_revenue, "years": a.years, "old_before": a.old_before,
                        "oc_target_pct": 100 * a.oc_target, "oc_target_year": a.oc_target_year,
                        "first_year": BASE_YEAR + 1},
        "totals": {
            "compounds": total, "households": int(s["households"].sum()), "managed": managed_now,
            "managed_share_pct": 100 * managed_now / total if total else None,
            "owners_committee": oc_now, "owners_committee_share_pct": 100 * oc_now / total if total else None,
            "shashi_owners_committee_share_pct": shashi["owners_committee_share_pct"] if shashi else None,
            "firms": int(s["property_firm_id"].dropna().astype(str).replace("", np.nan).dropna().nunique())
            if "property_firm_id" in s else 0,
            "old_unmanaged": int((s["status"] == "old_unmanaged").sum()),
            "unknown_year": int(pd.to_numeric(s["build_year"], errors="coerce").isna().sum()),
            "eligible": int(s["eligible"].sum()), "eligible_households": int(s.loc[s["eligible"], "households"].sum()),
            "served_compounds": len(served), "served_households": hh_served, "annual_cost_full_yuan": cost_full,
            "programme_cost_yuan": float(sum(r["cost_yuan"] for r in years)),
            "managed_share_after_pct": 100 * (managed_now + len(served)) / total if total else None,
            "simple_compounds": int(s["simple"].sum()), "simple_households": int(s.loc[s["simple"], "households"].sum()),
        },
        "by_district": by_district,
        "by_subdistrict": by_subdistrict,
        "years": years,
        "owners_committees": oc_rows,
        "priority": _plain(priority).to_dict("records"),
        "points": _columns(points),
    }


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values for JSON: missing values as None, numbers as int/float, flags as bool."""
    out = frame.astype(object)
    return out.where(frame.notna(), None)


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """Column -> list of plain Python values (missing as None), column by column (fast for the map's points)."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        missing = values.isna().to_numpy()
        items = values.astype(object).tolist() if missing.any() else values.tolist()
        out[col] = [None if m else v for v, m in zip(items, missing, strict=True)] if missing.any() else items
    return out


# ---------------------------------------------------------------- data access and caching


def district_names(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """zh/en name of each district code in `frame` (catalog short names first, e.g. 荆州开发区)."""
    out: dict[str, dict[str, str]] = {}
    for code, zh, en in frame[["district_code", "district_name", "district_name_en"]].drop_duplicates(
            "district_code").itertuples(index=False):
        names = {}
        for lang, fallback in (("zh", zh), ("en", en if isinstance(en, str) and en else zh)):
            try:
                names[lang] = t(f"property.area_{code}", lang)
            except KeyError:
                names[lang] = str(fallback) if isinstance(fallback, str) and fallback else str(code)
        out[str(code)] = names
    return out


def report_figures(overlay: db.Overlay | None, ids: dict[str, str]) -> tuple[dict[str, float], dict[str, dict]]:
    """(key -> value, indicator id -> {quote, locator, value, source_id, note}) for the report figures `ids`."""
    found = db.run_query("indicators_by_id", overlay=overlay, ids=list(ids.values()))
    by_id = {r["indicator_id"]: r for r in found.to_dict("records")}
    values = {k: float(by_id[i]["value"]) for k, i in ids.items() if i in by_id}
    quotes = {i: {"quote": r["quote"], "locator": r["locator"], "value": float(r["value"]),
                  "source_id": r["source_id"], "note": r["note"] or ""} for i, r in by_id.items()}
    return values, quotes


@lru_cache(maxsize=8)
def _inputs(db_token: str, overlay: db.Overlay | None) -> tuple[pd.DataFrame, dict, dict, tuple[str, ...]]:
    compounds = db.run_query("compounds_with_profiles", overlay=overlay)
    report, quotes = report_figures(overlay, REPORT_IDS)
    sources = tuple(sorted(set(compounds["source_id"].dropna().astype(str))
                           | set(compounds["profile_source_id"].dropna().astype(str))))
    return compounds, report, quotes, sources


@lru_cache(maxsize=32)
def _results(values: tuple[tuple[str, Any], ...], db_token: str, overlay: db.Overlay | None) -> dict[str, Any]:
    a = PropertyAssumptions.from_scenario(scenario_of(values))
    compounds, report, quotes, sources = _inputs(db_token, overlay)
    out = compute(a, compounds, report, district_names(compounds))
    out["report"] = {"figures": report, "quotes": quotes}
    out["data_sources"] = list(sources or ("demo_layer",))
    return out


def _shared(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """The cached results themselves (shared between callers and sessions: read only)."""
    overlay = overlay if overlay else None
    return _results(param_values(scenario, PARAMS), db.database_token(), overlay)


def results(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Everything the page shows for a scenario (a fresh copy: callers may change it)."""
    overlay = overlay if overlay else None
    return copy.deepcopy(_results(param_values(scenario, PARAMS), db.database_token(), overlay))


# ---------------------------------------------------------------- interfaces: headline, details, sentence


def _quote_note(res: dict, key: str, lang: str) -> str:
    q = res["report"]["quotes"].get(REPORT_IDS[key])
    if not q:
        return ""
    return t("common.report_quote", lang, quote=q["quote"], locator=q["locator"])


def headline(scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The page's headline figures (households gaining basic service first)."""
    res = _shared(scenario, overlay)  # read only: no copy
    a = PropertyAssumptions.from_scenario(scenario)
    tot, fig = res["totals"], res["report"]["figures"]
    data = tuple(res["data_sources"])
    scheme_src = data + ("asm_prop_subsidy", "asm_prop_resident_share", "asm_prop_firm_entry",
                         "std_old_compounds_2000")
    oc_all = next(r for r in res["owners_committees"] if r["district_code"] == "all")
    return [
        Metric("prop_households_served", tot["served_households"], "count", "获得基本物业服务的老旧小区住户(户)",
               "Households in old compounds gaining basic property service", scheme_src, 0,
               note_zh=f"{tot['served_compounds']:,}个封闭/半封闭老旧小区，{a.years}年内推开",
               note_en=f"{tot['served_compounds']:,} closed or semi-closed old compounds over {a.years} years"),
        Metric("prop_cost_full_year", tot["annual_cost_full_yuan"] / 1e6, "million_yuan", "全面推开后每年财政补贴",
               "Yearly budget cost once rolled out", scheme_src, 2,
               note_zh=f"{a.years}年合计 {tot['programme_cost_yuan'] / 1e6:,.2f} 百万元",
               note_en=f"{tot['programme_cost_yuan'] / 1e6:,.2f} million yuan over {a.years} years"),
        Metric("prop_managed_share_after", tot["managed_share_after_pct"], "percent", "推开后有物业管理的小区占比",
               "Compounds with property management afterwards", scheme_src, 1,
               note_zh=f"现状 {tot['managed_share_pct']:.1f}%", note_en=f"today {tot['managed_share_pct']:.1f}%"),
        Metric("prop_simple_households", tot["simple_households"], "count", "宜实行简易物业或自治管理的住户(户)",
               "Households left to simple property or self-management", scheme_src, 0,
               note_zh=f"{tot['simple_compounds']:,}个老旧小区(开放式或过小)",
               note_en=f"{tot['simple_compounds']:,} old compounds (open or too small)"),
        Metric("prop_compounds_report", fig.get("compounds"), "count", "中心城区住宅小区", "Residential compounds, central city",
               ("report2020",), 0, note_zh=_quote_note(res, "compounds", "zh"), note_en=_quote_note(res, "compounds", "en")),
        Metric("prop_managed_share_report", fig.get("managed_share"), "percent", "有物业管理的小区占比(报告)",
               "Share with property management (report)", ("report2020",), 1,
               note_zh=f"{fig.get('managed', 0):,.0f}个 · " + _quote_note(res, "managed_share", "zh"),
               note_en=f"{fig.get('managed', 0):,.0f} compounds · " + _quote_note(res, "managed_share", "en")),
        Metric("prop_oc_share_shashi", fig.get("oc_share_shashi"), "percent", "沙市区成立业委会的小区占比",
               "沙市区 compounds with an owners' committee", ("report2020",), 1,
               note_zh=_quote_note(res, "oc_share_shashi", "zh"), note_en=_quote_note(res, "oc_share_shashi", "en")),
        Metric("prop_firms_report", f"{fig.get('firms', 0):,.0f}+", "count", "中心城区物业企业(超过)",
               "Property firms in the central city (more than)", ("report2020",), 0,
               note_zh=_quote_note(res, "firms", "zh"), note_en=_quote_note(res, "firms", "en")),
        Metric("prop_oc_needed_per_year", oc_all["needed_per_year"], "count", "每年需新组建业委会(个)",
               "New owners' committees needed per year", data + ("asm_prop_oc_target",), 0,
               note_zh=f"{a.oc_target_year}年达到{100 * a.oc_target:.0f}%：共需{oc_all['needed']:,}个",
               note_en=f"{oc_all['needed']:,} in all to reach {100 * a.oc_target:.0f}% by {a.oc_target_year}"),
    ]


_REPORT_KEYS = ("prop_compounds_report", "prop_managed_share_report", "prop_oc_share_shashi", "prop_firms_report")


def range_evaluator(scenario: Scenario, overlay: db.Overlay | None = None):
    """The headline figures of a variant scenario from `scheme` alone (no district, sub-district or year tables):
    the same numbers as `headline(variant)` (tests/core/test_ranges.py checks it), a fraction of the time."""
    overlay = overlay if overlay else None
    compounds = _inputs(db.database_token(), overlay)[0]
    fixed = {m.key: m.value for m in headline(scenario, overlay) if m.key in _REPORT_KEYS}
    total = len(compounds)

    def evaluate(variant: Scenario) -> dict[str, Any]:
        a = PropertyAssumptions.from_scenario(variant)
        s = scheme(compounds, a)
        viable, simple = s["viable"].to_numpy(dtype=bool), s["simple"].to_numpy(dtype=bool)
        managed_now = int((s["status"] == "managed").sum())
        oc_now = int(s["has_owners_committee"].fillna(False).astype(bool).sum())
        needed = max(0, math.ceil(a.oc_target * total - 1e-9) - oc_now)
        return {
            **fixed,
            "prop_households_served": int(s.loc[viable, "households"].sum()),
            "prop_cost_full_year": float(s.loc[viable, "annual_cost_yuan"].sum()) / 1e6,
            "prop_managed_share_after": 100 * (managed_now + int(viable.sum())) / total if total else None,
            "prop_simple_households": int(s.loc[simple, "households"].sum()),
            "prop_oc_needed_per_year": needed / max(a.oc_target_year - BASE_YEAR, 1),
        }
    return evaluate


def details(scenario: Scenario, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """Tables and series behind the page (JSON-ready)."""
    return results(scenario, overlay)


def summary_sentence(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """The result in one paragraph, then the assumptions it depends on most (core/ranges.py), tagged
    illustrative exactly when an illustrative dataset feeds its figures (core/labels.py)."""
    text = _sentence(scenario, lang, overlay) + ranges.driver_sentence("property", scenario, lang, overlay)
    return labels.tag_sentence(text, labels.metric_sources(headline(scenario, overlay)), lang, overlay)


def _sentence(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> str:
    """The result in one plain-language paragraph."""
    res = _shared(scenario, overlay)  # read only: no copy
    a = PropertyAssumptions.from_scenario(scenario)
    tot, fig = res["totals"], res["report"]["figures"]
    oc_all = next(r for r in res["owners_committees"] if r["district_code"] == "all")
    fields = {
        "compounds": fig.get("compounds", 0), "managed": fig.get("managed", 0), "managed_share": fig.get("managed_share", 0),
        "oc_share_shashi": fig.get("oc_share_shashi", 0), "min_fee": a.min_fee, "min_revenue": a.min_revenue,
        "resident": a.resident, "subsidy": a.subsidy, "old_before": a.old_before, "years": a.years,
        "served_compounds": tot["served_compounds"], "served_households": tot["served_households"],
        "cost_text": numbers.format_money(tot["annual_cost_full_yuan"], lang),  # 582万元 / 5.82 million yuan
        "managed_pct": tot["managed_share_pct"], "managed_after_pct": tot["managed_share_after_pct"],
        "simple_compounds": tot["simple_compounds"], "simple_households": tot["simple_households"],
        "oc_target_year": a.oc_target_year, "oc_target_pct": 100 * a.oc_target, "oc_needed": oc_all["needed_per_year"],
    }
    return t("property.sentence", lang, **fields)


RANGE_MAIN = "prop_cost_full_year"  # the tornado's figure and the one the summary's driver sentence names
