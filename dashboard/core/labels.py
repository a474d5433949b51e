"""Labels follow the data: a sentence, tile, banner, slide or file is tagged illustrative exactly when an
illustrative dataset feeds it (as this session sees the data: an upload that replaced the demonstration
layer takes the tag away). Pure; no Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dashboard.core.text import t
from dashboard.data import db

# Tags the models used to write by hand, whatever the data: removed before the right one is added.
_OLD_TAGS = re.compile(r"\s*[（(](?:示意数据|Illustrative data\.?)[)）]\s*$")


def source_kinds(source_ids: Iterable[str], overlay: db.Overlay | None = None) -> set[str]:
    frame = db.run_query("sources_list", overlay=overlay)
    kinds = dict(zip(frame["source_id"], frame["kind"], strict=True))
    return {str(kinds.get(s)) for s in source_ids}


def is_illustrative(source_ids: Iterable[str], overlay: db.Overlay | None = None) -> bool:
    return "illustrative" in source_kinds(source_ids, overlay)


def tables_illustrative(tables: Iterable[str], overlay: db.Overlay | None = None) -> bool:
    """True when any row of `tables` (as this session sees them) comes from an illustrative source."""
    return is_illustrative(db.data_source_ids(tuple(tables), overlay), overlay)


def tag_sentence(text: str, source_ids: Iterable[str], lang: str, overlay: db.Overlay | None = None) -> str:
    """`text` ending in (示意数据) / (Illustrative data.) exactly when its sources include illustrative data."""
    text = _OLD_TAGS.sub("", text)
    return text + t("common.illustrative_tag", lang) if is_illustrative(source_ids, overlay) else text


def metric_sources(metrics) -> list[str]:
    return [sid for m in metrics for sid in m.source_ids]
