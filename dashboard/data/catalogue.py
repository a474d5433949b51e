"""Catalogue of datasets: grain, row counts and provenance kinds, for the Data & sources page."""

from __future__ import annotations

import pandas as pd

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


def column_table(name: str) -> pd.DataFrame:
    """The columns of a dataset: name, type, unit, meaning (zh/en), allowed values."""
    ds = DATASETS[name]
    return pd.DataFrame([
        {"column": f.name, "type": f.type, "unit": f.unit, "zh": f.zh, "en": f.en,
         "allowed": ", ".join(f.allowed), "required": not f.nullable}
        for f in ds.fields
    ])
