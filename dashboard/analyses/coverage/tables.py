"""Clinic coverage, the tables of one evaluation: sites, per-area sums and facility counts, the city's
totals and the report's one-public-centre-per-street plan. No Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analyses.coverage.cover import coverage_matrix, greedy_cover, share_pct
from dashboard.analyses.coverage.inputs import Inputs, Settings


def _public_centres(facilities: pd.DataFrame) -> pd.DataFrame:
    return facilities[(facilities["kind"] == "centre") & (facilities["ownership"] == "public")]


def _streets_without_public_centre(inputs: Inputs) -> pd.DataFrame:
    """Streets (街道) with no public community health service centre: the report's goal is one in each."""
    has = set(_public_centres(inputs.facilities)["subdistrict_code"])
    subs = inputs.subdistricts
    return subs[(subs["kind"] == "street") & ~subs["subdistrict_code"].isin(has)].reset_index(drop=True)


def _streets_below_standard(inputs: Inputs) -> pd.DataFrame:
    """Streets whose public centres all fall short of the standard (they have one, not 按标准)."""
    pub = _public_centres(inputs.facilities)
    good = set(pub.loc[pub["meets_standard"], "subdistrict_code"])
    subs = inputs.subdistricts
    return subs[(subs["kind"] == "street") & subs["subdistrict_code"].isin(set(pub["subdistrict_code"]))
                & ~subs["subdistrict_code"].isin(good)].reset_index(drop=True)


def _sites_frame(inputs: Inputs, sites: Sequence[int], marginal: Sequence[float], base_covered: float,
                 total: float) -> pd.DataFrame:
    d = inputs.demand
    names = dict(zip(inputs.subdistricts["subdistrict_code"], inputs.subdistricts["subdistrict_name"], strict=True))
    rows = []
    cumulative = base_covered
    for rank, (i, gain) in enumerate(zip(sites, marginal, strict=True), start=1):
        cumulative += gain
        row = d.iloc[i]
        rows.append({
            "rank": rank, "compound_id": row["compound_id"], "name": row["name"],
            "subdistrict_code": row["subdistrict_code"], "subdistrict_name": names.get(row["subdistrict_code"], ""),
            "district_code": row["district_code"], "new_area_id": row["new_area_id"],
            "lon": float(row["lon"]) if "lon" in d.columns else None,
            "lat": float(row["lat"]) if "lat" in d.columns else None,
            "marginal_residents": int(round(gain)),
            "cumulative_share_pct": share_pct(cumulative, total),
        })
    cols = ["rank", "compound_id", "name", "subdistrict_code", "subdistrict_name", "district_code", "new_area_id",
            "lon", "lat", "marginal_residents", "cumulative_share_pct"]
    return pd.DataFrame(rows, columns=cols)


def _facility_counts(facilities: pd.DataFrame, counted: np.ndarray, key: str) -> pd.DataFrame:
    f = facilities.assign(
        counted=counted,
        centre=facilities["kind"] == "centre",
        station=facilities["kind"] == "station",
    )
    f["public_centre"] = f["centre"] & (f["ownership"] == "public")
    f["standard_centre"] = f["centre"] & f["meets_standard"]
    f["standard_public_centre"] = f["public_centre"] & f["meets_standard"]
    f["gps_counted"] = np.where(counted, f["gps"], 0)
    f["centres_counted"] = f["centre"] & counted
    cols = ["centre", "station", "public_centre", "standard_centre", "standard_public_centre", "counted",
            "gps_counted", "centres_counted"]
    out = f.groupby(key)[cols].sum().astype(int)
    return out.rename(columns={"centre": "centres", "station": "stations", "public_centre": "public_centres",
                               "standard_centre": "standard_centres",
                               "standard_public_centre": "standard_public_centres",
                               "counted": "facilities_counted"})


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def _sums(inputs: Inputs, groups: np.ndarray, n: int, before: np.ndarray, after: np.ndarray) -> dict[str, np.ndarray]:
    ok = groups >= 0
    g, w = groups[ok], inputs.residents[ok]
    return {
        "demand_points": np.bincount(g, minlength=n),
        "residents": np.bincount(g, weights=w, minlength=n),
        "covered_residents": np.bincount(g, weights=w * before[ok], minlength=n),
        "covered_residents_after": np.bincount(g, weights=w * after[ok], minlength=n),
        "uncovered_points": np.bincount(g, weights=(~before[ok]).astype(float), minlength=n),
    }


_SUM_COLS = ("demand_points", "residents", "covered_residents", "covered_residents_after", "uncovered_points")
_FACILITY_COLS = ["centres", "stations", "public_centres", "standard_centres", "standard_public_centres",
                  "facilities_counted", "gps_counted", "centres_counted"]


def _by_group(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray, groups: np.ndarray,
              keys: pd.DataFrame, key_cols: list[str], facility_key: str) -> pd.DataFrame:
    """One row per group (street or district): residents, coverage before/after, facilities counted.

    Built column by column in a dict and made a frame once (each `table[col] = ...` on a frame costs
    ~0.2 ms of pandas bookkeeping; a distance step builds three of these tables for every range run).
    """
    base = keys[key_cols].reset_index(drop=True)
    cols: dict[str, Any] = {c: base[c] for c in key_cols}
    sums = _sums(inputs, groups, len(base), before, after)
    for col in _SUM_COLS:
        cols[col] = np.round(np.asarray(sums[col], dtype=float)).astype(int)
    memo_key = (facility_key, counted.tobytes())
    fac = inputs._facility_stats.get(memo_key)
    if fac is None:  # depends on the facility filter only, not on the distance: computed once per filter
        fac = inputs._facility_stats[memo_key] = _facility_counts(inputs.facilities, counted, facility_key)
    joined = fac.reindex(base[key_cols[0]].to_numpy())
    for col in _FACILITY_COLS:
        cols[col] = joined[col].fillna(0).astype(int).to_numpy()
    residents, covered, after_ = cols["residents"], cols["covered_residents"], cols["covered_residents_after"]
    cols["uncovered_residents"] = residents - covered
    cols["covered_share_pct"] = [share_pct(a, b) for a, b in zip(covered, residents, strict=True)]
    cols["covered_share_after_pct"] = [share_pct(a, b) for a, b in zip(after_, residents, strict=True)]
    cols["residents_per_gp"] = [_ratio(a, b) for a, b in zip(residents, cols["gps_counted"], strict=True)]
    return pd.DataFrame(cols)


def _by_subdistrict(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray,
                    sites: Sequence[int]) -> pd.DataFrame:
    table = _by_group(inputs, counted, before, after, inputs.sub_group, inputs.subdistricts,
                      ["subdistrict_code", "subdistrict_name", "district_code", "district_name", "kind"],
                      "subdistrict_code")
    table["has_public_centre"] = table["public_centres"] > 0
    new = pd.Series(inputs.demand["subdistrict_code"].to_numpy()[list(sites)]).value_counts() if sites else pd.Series(dtype=int)
    table["new_sites"] = table["subdistrict_code"].map(new).fillna(0).astype(int)
    return table


def _city(inputs: Inputs, counted: np.ndarray, before: np.ndarray, after: np.ndarray, lacking: int) -> dict[str, Any]:
    f = inputs.facilities
    w = inputs.residents
    residents = float(w.sum())
    cov, cov_after = float(w[before].sum()), float(w[after].sum())
    fc = f[counted]
    centres_counted = int((fc["kind"] == "centre").sum())
    gps_counted = int(fc["gps"].sum())
    return {
        "demand_points": int(len(w)),
        "residents": int(round(residents)),
        "covered_residents": int(round(cov)),
        "covered_share_pct": share_pct(cov, residents),
        "covered_residents_after": int(round(cov_after)),
        "covered_share_after_pct": share_pct(cov_after, residents),
        "uncovered_residents": int(round(residents - cov)),
        "uncovered_points": int((~before).sum()),
        "facilities_counted": int(counted.sum()),
        "centres_counted": centres_counted,
        "stations_counted": int((fc["kind"] == "station").sum()),
        "gps_counted": gps_counted,
        "centres": int((f["kind"] == "centre").sum()),
        "stations": int((f["kind"] == "station").sum()),
        "public_centres": int(len(_public_centres(f))),
        "standard_centres": int(((f["kind"] == "centre") & f["meets_standard"]).sum()),
        "gps": int(f["gps"].sum()),
        "nurses": int(f["nurses"].sum()),
        "rented_share_pct": share_pct(float((f["premises"] == "rented").sum()), float(len(f))),
        "residents_per_gp": _ratio(residents, gps_counted),
        "residents_per_centre": _ratio(residents, centres_counted),
        "streets_without_public_centre": int(lacking),
    }


UPGRADE_COST_SHARE = 0.5  # upgrading a below-standard public centre ≈ half a new one (asm_centre_upgrade_cost)


def _plan(inputs: Inputs, s: Settings, before: np.ndarray, radius: float, total: float) -> tuple[dict, pd.DataFrame]:
    """The report's goal: at least one public centre (built to standard) in every street (街道)."""
    f = inputs.facilities
    lacking = _streets_without_public_centre(inputs)
    below = _streets_below_standard(inputs)
    centres = f[f["kind"] == "centre"]
    new = len(lacking)
    centres_after = len(centres) + new
    gp_short = int(np.clip(s.gps_per_centre - centres["gps"].to_numpy(), 0, None).sum()) + new * s.gps_per_centre
    nurse_short = int(np.clip(s.nurses_per_centre - centres["nurses"].to_numpy(), 0, None).sum()) + new * s.nurses_per_centre
    # where the new centres would go: one per lacking street, each at the compound adding most residents
    streets = lacking["subdistrict_code"].tolist()
    in_street = inputs.demand["subdistrict_code"].isin(streets).to_numpy()
    cand = np.flatnonzero(in_street)
    chosen_sites: list[int] = []
    gains: list[float] = []
    if len(cand):
        matrix = coverage_matrix(inputs.demand_xy, inputs.demand_xy[cand], radius, tree=inputs.tree)
        group = inputs.demand["subdistrict_code"].to_numpy()[cand]
        weights = np.where(before, 0.0, inputs.residents)
        cols, gains = greedy_cover(matrix, weights, new, column_group=group)
        chosen_sites = [int(cand[c]) for c in cols]
        # a street where nobody new is reached still gets its centre: at its most populous compound
        placed = set(group[cols])
        for code in streets:
            if code in placed:
                continue
            here = cand[group == code]
            if len(here):
                chosen_sites.append(int(here[np.argmax(inputs.residents[here])]))
                gains.append(0.0)
    added = float(sum(gains))
    plan_sites = _sites_frame(inputs, chosen_sites, gains, float(inputs.residents[before].sum()), total)
    plan = {
        "streets": int((inputs.subdistricts["kind"] == "street").sum()),
        "streets_without_public_centre": lacking[["subdistrict_code", "subdistrict_name"]].to_dict("records"),
        "streets_public_centre_below_standard": below[["subdistrict_code", "subdistrict_name"]].to_dict("records"),
        "new_centres": int(new),
        "centres_today": int(len(centres)),
        "centres_after": int(centres_after),
        "gps_per_centre": int(s.gps_per_centre),
        "nurses_per_centre": int(s.nurses_per_centre),
        "gps_required_in_centres": int(centres_after * s.gps_per_centre),
        "nurses_required_in_centres": int(centres_after * s.nurses_per_centre),
        "gps_in_centres_today": int(centres["gps"].sum()),
        "nurses_in_centres_today": int(centres["nurses"].sum()),
        "gps_today": int(f["gps"].sum()),
        "gp_shortfall": gp_short,
        "nurse_shortfall": nurse_short,
        "cost_per_centre_million_yuan": float(s.centre_cost_million_yuan),
        "build_cost_million_yuan": float(new * s.centre_cost_million_yuan),
        # 按标准: a street whose public centre falls short needs an upgrade, counted and costed too
        "upgrades": int(len(below)),
        "upgrade_cost_million_yuan": float(len(below) * s.centre_cost_million_yuan * UPGRADE_COST_SHARE),
        "covered_share_after_plan_pct": share_pct(float(inputs.residents[before].sum()) + added, total),
        "sites_placed": len(chosen_sites),
    }
    return plan, plan_sites
