"""Overview: the report's headline figures as Metrics, and its problems/recommendations with backing figures."""

from __future__ import annotations

import pandas as pd

from dashboard.core.metrics import Metric, format_value, qualifier_code, qualify
from dashboard.core.scenario import Param, Scenario
from dashboard.core.text import t
from dashboard.data import db

# The overview shows the report's figures as stated: nothing on it depends on a slider.
PARAMS: list[Param] = []

# (group, indicator ids) shown as KPI tiles, in order.
KPI_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("clinics", ("clinics.centres.central_city", "clinics.stations.central_city", "clinics.gps.central_city",
                 "clinics.rented_share.central_city")),
    ("beds", ("beds.per_1000_older", "beds.shashi.total", "beds.shashi.demand_met_share",
              "beds.jingzhouqu.home_care_share")),
    ("pay", ("pay.annual_low", "pay.annual_high", "pay.social_average_wage", "pay.quits_per_year.central_city")),
    ("governance", ("cadres.committees.city", "property.managed_share.central_city", "workload.tasks.421002",
                    "party.volunteers")),
)

# The report's problems (二) and recommendations (三), each with the figures that back it.
FINDINGS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("problem", "burden", ("workload.tasks.421002", "workload.lawful_own_items", "workload.assist_gov.items",
                           "pay.annual_low", "pay.annual_high", "pay.social_average_wage",
                           "pay.quits_per_year.central_city"), "pay"),
    ("problem", "participation", ("party.hours_required", "party.volunteers"), "grids"),
    ("problem", "clinics", ("clinics.rented_share.central_city", "clinics.centres.central_city",
                            "clinics.stations.central_city", "clinics.gps.central_city",
                            "clinics.example_centre.residents", "clinics.example_centre.established_staff"), "coverage"),
    ("problem", "elderly", ("beds.shashi.total", "beds.shashi.demand_met_share", "beds.jingzhouqu.communities",
                            "beds.jingzhouqu.home_care_share"), "beds"),
    ("problem", "property", ("property.compounds.central_city", "property.managed_share.central_city",
                             "property.firms.central_city", "property.owners_committee_share.421002"), "property"),
    ("recommendation", "party_led", ("recommendations.depts_per_community.municipal",
                                     "recommendations.depts_per_community.district"), None),
    ("recommendation", "public_services", ("recommendations.clinic_years",
                                           "recommendations.public_centres_per_subdistrict"), "coverage"),
    ("recommendation", "grids", ("grids.governance_levels",), "grids"),
    ("recommendation", "reform", ("pay.ladder.post_types", "pay.ladder.grades"), "pay"),
)

_UNITS = {"institutions": "count", "committees": "count", "compounds": "count", "communities": "count",
          "tasks": "tasks", "items": "items", "persons": "persons", "percent": "percent", "beds": "beds",
          "per_1000": "per_1000", "yuan_per_year": "yuan_per_year"}


def indicator_rows(ids: list[str], overlay: db.Overlay | None = None) -> pd.DataFrame:
    """The indicator rows for `ids`, in the order given (missing ids raise, naming them)."""
    frame = db.run_query("indicators_by_id", overlay=overlay, ids=list(ids)).set_index("indicator_id")
    missing = [i for i in ids if i not in frame.index]
    if missing:
        raise KeyError(f"indicators not found in data/indicators.csv: {missing}")
    return frame.loc[list(ids)].reset_index()


def indicator_metric(row: dict) -> Metric:
    """A Metric for one indicator row: label from the catalog, note = qualifier, year and quote."""
    iid = row["indicator_id"]
    qualifier = qualifier_code(row.get("note") or "")
    quote = row.get("quote") or ""
    value = row["value"]
    decimals = 1 if float(value) != int(value) else 0
    return Metric(
        key=iid,
        value=int(value) if decimals == 0 else float(value),
        unit=_UNITS.get(row["unit"], row["unit"]),
        label_zh=t(f"overview.ind.{iid}", "zh"),
        label_en=t(f"overview.ind.{iid}", "en"),
        source_ids=(row["source_id"],),
        decimals=decimals,
        note_zh=t("overview.indicator_note", "zh", year=int(row["year"]), quote=quote, locator=row.get("locator") or ""),
        note_en=t("overview.indicator_note", "en", year=int(row["year"]), quote=quote, locator=row.get("locator") or ""),
        qualifier=qualifier,
    )


def kpis(overlay: db.Overlay | None = None) -> list[tuple[str, list[Metric]]]:
    """KPI tiles per group: [(group, [Metric, ...]), ...]."""
    ids = [i for _, group in KPI_GROUPS for i in group]
    rows = {r["indicator_id"]: r for r in indicator_rows(ids, overlay).to_dict("records")}
    return [(name, [indicator_metric(rows[i]) for i in group]) for name, group in KPI_GROUPS]


def findings(overlay: db.Overlay | None = None) -> list[dict]:
    """Problems and recommendations with their backing figures as Metrics."""
    ids = sorted({i for _, _, group, _ in FINDINGS for i in group})
    rows = {r["indicator_id"]: r for r in indicator_rows(ids, overlay).to_dict("records")}
    return [
        {"kind": kind, "key": key, "page": page, "metrics": [indicator_metric(rows[i]) for i in group]}
        for kind, key, group, page in FINDINGS
    ]


# ---------------------------------------------------------------- the model interface every analysis shares


def headline(scenario: Scenario | None = None, overlay: db.Overlay | None = None) -> list[Metric]:
    """The KPI tiles, in order (the scenario does not change them)."""
    return [m for _, group in kpis(overlay) for m in group]


def details(scenario: Scenario | None = None, overlay: db.Overlay | None = None) -> dict:
    """The years the KPI figures are of (the brief's 数据年份: the 2018 换届 counts say 2018, not 2020)."""
    ids = [i for _, group in KPI_GROUPS for i in group]
    return {"data_years": sorted({int(y) for y in indicator_rows(ids, overlay)["year"]})}


def summary_sentence(scenario: Scenario | None = None, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """One sentence made from the KPI tiles."""
    by_key = {m.key: m for m in headline(scenario, overlay)}

    def num(key: str) -> str:
        m = by_key[key]
        unit = "count" if m.unit in ("persons", "count", "per_1000", "beds") else m.unit
        return qualify(format_value(m.value, unit, m.decimals, lang), m.qualifier, lang)

    return t("hearing.overview_summary", lang,
             centres=num("clinics.centres.central_city"), stations=num("clinics.stations.central_city"),
             gps=num("clinics.gps.central_city"), beds_per_1000=num("beds.per_1000_older"),
             shashi_met=num("beds.shashi.demand_met_share"), pay_low=num("pay.annual_low"),
             pay_high=num("pay.annual_high"), avg_wage=num("pay.social_average_wage"),
             quits=num("pay.quits_per_year.central_city"))
