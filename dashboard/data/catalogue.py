"""Catalogue of datasets: grain, row counts and provenance kinds, for the Data & sources page."""

from __future__ import annotations

import pandas as pd

from dashboard.core.metrics import format_value, qualifier_code, qualify
from dashboard.core.text import area_name, by_lang, catalog, join_clauses, join_list, t, unit_label
from dashboard.data import db
from dashboard.data.schemas import DATASETS


def dataset_summary(overlay: db.Overlay | None = None) -> pd.DataFrame:
    """One row per dataset: name, file, grain (zh/en), rows, provenance kinds, user-supplied or shipped."""
    frames = db.frames(overlay)
    kinds = dict(zip(frames["sources"]["source_id"], frames["sources"]["kind"], strict=True))
    rows = []
    for name, ds in DATASETS.items():
        frame = frames[name]
        source_kinds = sorted({kinds.get(s, "?") for s in frame["source_id"].dropna()}) if "source_id" in frame else []
        rows.append({
            "dataset": name, "file": ds.file, "grain_zh": ds.grain_zh, "grain_en": ds.grain_en,
            "rows": len(frame), "kinds": ", ".join(source_kinds),
            "user_supplied": bool(overlay and name in overlay.user_datasets),
        })
    return pd.DataFrame(rows)


def column_table(name: str, lang: str = "zh") -> pd.DataFrame:
    """The columns of a dataset as a reader sees them: name in the file, meaning, kind of value, unit, whether
    a value is required, allowed values; headers and words in `lang` (the upload templates' words)."""
    return pd.DataFrame([
        {_t("data.cd_header_en", lang): f.name, _t("data.cd_meaning", lang): by_lang(lang, f.zh, f.en),
         _t("data.cd_type", lang): _t(f"data.type_{f.type}", lang), _t("data.cd_unit", lang): unit_label(f.unit, lang),
         _t("data.cd_required", lang): _t("data.cd_no" if f.nullable else "data.cd_yes", lang),
         _t("data.cd_allowed", lang): join_list(by_lang(lang, f.allowed_zh or f.allowed, f.allowed), lang)}
        for f in DATASETS[name].fields
    ])


def preview(name: str, frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A dataset's rows with each column headed by its meaning in `lang` (the file keeps its column names)."""
    ds = DATASETS[name]
    return frame.rename(columns={f.name: by_lang(lang, f.zh, f.en) for f in ds.fields})


# ---------------------------------------------------------------- the readable catalogue (Fingertips-style)
# What the Data & sources page shows: words, not column codes. Every column name is a catalog text in
# the reader's language; every kind is its label; indicators carry a name in both languages.


def _t(key: str, lang: str, **kw) -> str:
    return t(key, lang, **kw)


def _kind(kind: str, lang: str) -> str:
    try:
        return _t(f"common.kind_{kind}", lang)
    except KeyError:
        return kind


def _str(value: object) -> str:
    """A cell as text; an empty cell (None, NaN, NA) as ''."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _note_parts_zh(note_zh: str) -> tuple[str, str]:
    """(definition, caveats) of an indicator's Chinese note (`note_zh`): its first clause, and the rest."""
    parts = [p.strip() for p in note_zh.split("；") if p.strip()]
    return (parts[0], "；".join(parts[1:])) if parts else ("", "")


def definition_and_caveats(row: dict, lang: str = "zh") -> tuple[str, str]:
    """An indicator's definition and caveats in `lang`: the `note_zh` column in Chinese, `note` in English;
    a file without a Chinese note shows its English one (the only definition it gives)."""
    english = _note_parts(_str(row.get("note")))
    chinese = _note_parts_zh(_str(row.get("note_zh")))
    return by_lang(lang, chinese if chinese[0] else english, english)


def _note_parts(note: str) -> tuple[str, str]:
    """(definition, caveats) of an indicator's note: its first clause, and the rest."""
    parts = [p.strip() for p in (note or "").split(";") if p.strip()]
    if not parts:
        return "", ""
    first = parts[0]
    for marker in ("more than (多)", "more than (余)", "more than (超过)", "about (约)", "near (近)", "at least (至少)"):
        if first.lower().startswith(marker) and len(parts) > 1:  # the qualifier goes with the value
            parts = parts[1:]
            first = parts[0]
            break
    return first, "; ".join(parts[1:])


def indicator_names(row: dict) -> tuple[str, str]:
    """(zh, en) name of an indicator: the catalog's where it has one, else built from the report's words."""
    entry = catalog().get(f"overview.ind.{row['indicator_id']}")
    if entry:
        return entry["zh"], entry["en"]
    definition, _ = _note_parts(str(row.get("note") or ""))
    en = (definition[:1].upper() + definition[1:]) if definition else str(row["indicator_id"])
    area, quote = str(row.get("area_name") or ""), str(row.get("quote") or en)
    zh = quote if quote.startswith(area) else f"{area} · {quote}"
    return zh, f"{en} ({area_name(row.get('area_code'), str(row.get('area_name') or ''), 'en')})"


def indicator_table(lang: str = "zh", overlay: db.Overlay | None = None, topic: str = "",
                    text: str = "") -> pd.DataFrame:
    """The indicator catalogue as a reader sees it: name (both languages), value with its qualifier and unit,
    year, area, the report's words and where, definition, caveats, source and its kind."""
    found = db.run_query("indicators_search", overlay=overlay, topic=topic, text=text)
    titles = dict(zip(db.frames(overlay)["sources"]["source_id"], db.frames(overlay)["sources"]["title"], strict=True))
    col = {k: _t(f"sources.col_{k}", lang) for k in (
        "name", "name_other", "value", "unit", "year", "area", "quote", "locator", "definition", "caveats",
        "source", "kind", "topic", "id")}
    rows = []
    for r in found.to_dict("records"):
        zh, en = indicator_names(r)
        definition, caveats = definition_and_caveats(r, lang)
        value = r["value"]
        decimals = 0 if float(value) == int(value) else 1
        shown = qualify(format_value(float(value), "count", decimals, lang), qualifier_code(str(r.get("note") or "")),
                        lang)
        try:
            topic_label = _t(f"choices.sources_topic.{r['topic']}", lang)
        except KeyError:
            topic_label = r["topic"]
        rows.append({
            col["name"]: by_lang(lang, zh, en), col["name_other"]: by_lang(lang, en, zh),
            col["value"]: shown, col["unit"]: unit_label(r["unit"], lang) or r["unit"], col["year"]: int(r["year"]),
            col["area"]: area_name(r.get("area_code"), str(r["area_name"]), lang), col["quote"]: r["quote"], col["locator"]: r["locator"],
            col["definition"]: definition, col["caveats"]: caveats,
            col["source"]: titles.get(r["source_id"], r["source_id"]), col["kind"]: _kind(str(r["source_kind"]), lang),
            col["topic"]: topic_label, col["id"]: r["indicator_id"],
        })
    return pd.DataFrame(rows, columns=list(col.values()))


def dataset_table(lang: str = "zh", overlay: db.Overlay | None = None) -> pd.DataFrame:
    """Each dataset in words: what one row is, how many, where its rows come from (kind and title)."""
    frames = db.frames(overlay)
    src = frames["sources"]
    kinds = dict(zip(src["source_id"], src["kind"], strict=True))
    titles = dict(zip(src["source_id"], src["title"], strict=True))
    out = []
    for name, ds in DATASETS.items():
        frame = frames[name]
        ids = sorted(set(frame["source_id"].dropna().astype(str))) if "source_id" in frame and name != "sources" else []
        provenance = join_clauses((f"{_kind(kinds.get(i, '?'), lang)} · {titles.get(i, i)}" for i in ids), lang)
        user = bool(overlay and name in overlay.user_datasets)
        out.append({
            _t("sources.col_dataset", lang): _t(f"sources.ds_{name}", lang) if _has(f"sources.ds_{name}") else name,
            _t("sources.col_grain", lang): by_lang(lang, ds.grain_zh, ds.grain_en),
            _t("sources.col_rows", lang): len(frame),
            _t("sources.col_provenance", lang): provenance or _t("sources.provenance_none", lang),
            _t("sources.col_origin", lang): _t("sources.origin_upload" if user else "sources.origin_shipped", lang),
            _t("sources.col_file", lang): ds.file,
        })
    return pd.DataFrame(out)


def _has(key: str) -> bool:
    return key in catalog()


def sources_readable(lang: str = "zh", overlay: db.Overlay | None = None) -> pd.DataFrame:
    """Every source: title, kind in words, publisher, date, where to find it, notes."""
    frame = db.run_query("sources_list", overlay=overlay)
    out = pd.DataFrame({
        _t("sources.col_source", lang): frame["title"],
        _t("sources.col_kind", lang): [_kind(str(k), lang) for k in frame["kind"]],
        _t("sources.col_publisher", lang): frame.get("publisher"),
        _t("sources.col_date", lang): frame.get("date"),
        _t("sources.col_locator", lang): frame.get("locator"),
        _t("sources.col_note", lang): frame.get("note"),
    })
    return out
