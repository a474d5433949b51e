"""Datasets a user may replace, and header recognition (column name, Chinese/English meaning, aliases)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from dashboard.core.text import t
from dashboard.data.schemas import DATASETS, Dataset
from dashboard.upload.core import Result, _problem

# ---------------------------------------------------------------- datasets and headers


def replaceable() -> list[str]:
    """Datasets a user may replace with their own file, in a stable order."""
    return [name for name, ds in DATASETS.items() if ds.replaceable]


_DATASET_ALIASES = {"subdistricts": "subdistrict_shapes", "workers": "community_workers", "care": "care_facilities"}


def resolve_dataset(name: str) -> Dataset:
    """The replaceable dataset called `name` (or a short alias such as 'subdistricts')."""
    key = _DATASET_ALIASES.get(name, name)
    if key not in DATASETS or not DATASETS[key].replaceable:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(replaceable())}")
    return DATASETS[key]


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return re.sub(r"[\s_\-/·.:：]+", "", text)


def _strip_paren(header: str) -> str:
    return re.sub(r"[(（\[【].*?[)）\]】]\s*$", "", unicodedata.normalize("NFKC", str(header))).strip()


@cache
def header_index(name: str) -> dict[str, str]:
    """Normalised header -> column name, for every header form a column is recognised by."""
    index: dict[str, str] = {}
    for f in DATASETS[name].fields:
        for h in f.headers:
            for form in (h, _strip_paren(h)):
                if form:
                    index.setdefault(_norm(form), f.name)
    return index


def map_headers(ds: Dataset, headers: Sequence[str]) -> tuple[dict[int, str], list[str], dict[str, list[str]]]:
    """(position -> column, unknown headers, column -> headers when given more than once)."""
    index = header_index(ds.name)
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for i, h in enumerate(headers):
        if not str(h).strip():
            continue
        col = index.get(_norm(h)) or index.get(_norm(_strip_paren(h)))
        if col is None:
            unknown.append(str(h))
            continue
        seen.setdefault(col, []).append(str(h))
        if len(seen[col]) == 1:
            mapping[i] = col
    dupes = {c: hs for c, hs in seen.items() if len(hs) > 1}
    return mapping, unknown, dupes


def _header_score(ds: Dataset, record: Sequence[str]) -> int:
    index = header_index(ds.name)
    return len({index.get(_norm(h)) or index.get(_norm(_strip_paren(h))) for h in record} - {None})


def _other_dataset_hint(ds: Dataset, header: Sequence[str], result: Result) -> None:
    """When required columns are missing, say which template the file looks like, if another fits better."""
    mine = _header_score(ds, header)
    best, score = None, mine
    for name in replaceable():
        other = DATASETS[name]
        if name == ds.name or other.geo != ds.geo:
            continue
        s = _header_score(other, header)
        required = [f.name for f in other.fields if f.required and not f.nullable and f.name != "source_id"]
        mapped = set(map_headers(other, header)[0].values())
        if s > score and all(r in mapped for r in required):
            best, score = name, s
    if best:
        result.problems.append(_problem(result.filename, None, None, None, "other_dataset", dataset=best,
                                        dataset_zh=t(f"data.ds_{best}", "zh"), dataset_en=t(f"data.ds_{best}", "en")))


