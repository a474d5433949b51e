"""Which datasets a page still lacks in this data folder (a new city's, docs/new-city.md). No Streamlit.

A page whose `registry.Page.needs` lists an empty dataset (no rows, shipped or uploaded in this session)
is not computed: the app, the command line and the brief say which files to supply instead.
"""

from __future__ import annotations

from dashboard import registry
from dashboard.data import db
from dashboard.data.schemas import DATASETS


def missing(page_key: str, overlay: db.Overlay | None = None) -> tuple[str, ...]:
    """The datasets the page needs that have no rows (in `needs` order); () when it can run."""
    needs = registry.page(page_key).needs
    if not needs:
        return ()
    frames = db.frames(overlay)
    return tuple(n for n in needs if n not in frames or len(frames[n]) == 0)


def files(datasets: tuple[str, ...]) -> tuple[str, ...]:
    """The data-folder files of those datasets (what to fill or upload)."""
    return tuple(DATASETS[n].file for n in datasets)


def message(page_key: str, datasets: tuple[str, ...], lang: str = "zh") -> str:
    """One plain sentence: the page and the files it waits for."""
    listed = ", ".join(files(datasets))
    if lang == "zh":
        return f"{page_key}: 本页需要以下数据，请在“数据”页上传或在数据文件夹中填写：{listed}"
    return f"{page_key}: this page needs data; upload on the Data page or fill in the data folder: {listed}"


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
