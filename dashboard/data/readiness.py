"""Which datasets a page still lacks in this data folder (a new city's, docs/new-city.md). No Streamlit.

A page whose `registry.Page.needs` lists an empty dataset (no rows, shipped or uploaded in this session)
is not computed: the app, the command line and the brief say which files to supply instead.
"""

from __future__ import annotations

from dashboard import registry
from dashboard.core.text import t
from dashboard.data import db
from dashboard.data.schemas import DATASETS


def required_indicators(page_key: str) -> tuple[str, ...]:
    """The report-indicator ids the page's model reads (its REPORT_IDS, or the overview's tiles and findings)."""
    model = registry.model(page_key)
    ids: list[str] = []
    report = getattr(model, "REPORT_IDS", None)
    ids += list(report.values()) if isinstance(report, dict) else list(report or ())
    for _, group in getattr(model, "KPI_GROUPS", ()):
        ids += group
    for finding in getattr(model, "FINDINGS", ()):
        ids += finding[2]
    return tuple(dict.fromkeys(ids))


def missing_indicators(page_key: str, overlay: db.Overlay | None = None) -> tuple[str, ...]:
    """Report-indicator ids the page reads that data/indicators.csv lacks (only for pages needing indicators)."""
    if "indicators" not in registry.page(page_key).needs:
        return ()
    have = set(db.frames(overlay)["indicators"]["indicator_id"].dropna())
    return tuple(i for i in required_indicators(page_key) if i not in have)


def missing(page_key: str, overlay: db.Overlay | None = None) -> tuple[str, ...]:
    """The datasets the page needs that have no rows, or (indicators) lack an id it reads; () when it can run."""
    needs = registry.page(page_key).needs
    if not needs:
        return ()
    frames = db.frames(overlay)
    out = tuple(n for n in needs if n not in frames or len(frames[n]) == 0)
    if "indicators" in needs and "indicators" not in out and missing_indicators(page_key, overlay):
        out = tuple(n for n in needs if n in out or n == "indicators")
    return out


def files(datasets: tuple[str, ...]) -> tuple[str, ...]:
    """The data-folder files of those datasets (what to fill or upload)."""
    return tuple(DATASETS[n].file for n in datasets)


def message(page_key: str, datasets: tuple[str, ...], lang: str = "zh", indicators: tuple[str, ...] = ()) -> str:
    """One plain sentence: the page and the files it waits for (and the indicator ids, when some are missing)."""
    listed = ", ".join(files(datasets))
    if indicators:
        shown = ", ".join(indicators[:6]) + (f" … (+{len(indicators) - 6})" if len(indicators) > 6 else "")
        listed += t("data.ready_lacks_indicators", lang, indicators=shown)
    return t("data.ready_needs", lang, page=page_key, files=listed)


def skeleton(overlay: db.Overlay | None = None) -> dict[str, object]:
    """The city's real skeleton (districts and their sub-districts and committees) for the overview of a new city."""
    from dashboard.data.city import current

    city = current()
    d = db.frames(overlay)["divisions"]
    districts = d[d["level"] == "district"]
    rows = []
    for r in districts.itertuples():
        subs = d[(d["level"] == "subdistrict") & (d["parent_code"] == r.code)]
        committees = d[(d["level"] == "committee") & (d["district_code"] == r.code)]
        rows.append({"code": r.code, "name": r.name, "central": r.code in city.central_districts,
                     "subdistricts": len(subs), "committees": len(committees),
                     "subdistrict_names": "、".join(subs["name"].astype(str))})
    return {"city": city, "districts": rows}
