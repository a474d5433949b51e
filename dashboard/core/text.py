"""Bilingual text (zh default, en): one catalog, split into files per area under dashboard/catalog/."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TypeVar

from dashboard import PACKAGE_DIR

LANGS = ("zh", "en")
T = TypeVar("T")
CATALOG_DIR = PACKAGE_DIR / "catalog"


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every key as `<file stem>.<key>` -> {"zh": ..., "en": ...}."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            for key, texts in json.load(fh).items():
                merged[f"{path.stem}.{key}"] = texts
    return merged


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text for `key` in `lang`, formatted with `fmt`; a missing key raises KeyError."""
    entry = catalog()[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**fmt) if fmt else text


def by_lang(lang: str, zh: T, en: T) -> T:
    """Of a pair held as data in both languages (label_zh/label_en, name/name_en, two column names), the one
    for `lang`: the one place that chooses between them, so modules never branch on the language themselves."""
    return zh if lang == "zh" else en


def lang_column(lang: str, columns: Iterable[str], zh: str = "name", en: str = "name_en") -> str:
    """The column of names to show in `lang`: `en` for English when the table has it, else `zh`."""
    return by_lang(lang, zh, en if en in columns else zh)


def in_sentence(text: str, lang: str = "zh") -> str:
    """A label as it reads inside a sentence: Chinese as it is, English with a lower-case first letter."""
    return by_lang(lang, text, text[:1].lower() + text[1:])


def join_list(items: Iterable[object], lang: str = "zh") -> str:
    """`items` as a list in running text: 甲、乙、丙 / a, b, c (separator `common.sep_list`)."""
    return t("common.sep_list", lang).join(str(i) for i in items)


def join_clauses(items: Iterable[object], lang: str = "zh") -> str:
    """`items` as clauses: 甲；乙 / a; b (separator `common.sep_clause`)."""
    return t("common.sep_clause", lang).join(str(i) for i in items)


def missing_keys() -> list[str]:
    """Keys that lack a zh or an en text (the catalog-completeness test wants none)."""
    return sorted(k for k, v in catalog().items() if any(not v.get(lang) for lang in LANGS))


def unit_label(unit: str, lang: str = "zh") -> str:
    """A unit key (e.g. 'persons') in words for `lang`; an unknown unit is returned as it is."""
    if not unit:
        return ""
    try:
        return t(f"units.{unit}", lang)
    except KeyError:
        return unit


def download_name(name: str, lang: str = "zh") -> str:
    """A table's or chart's human name (catalog `downloads.<name>`) for buttons and file names.

    `name` is the id `<page>_<table or chart>` (exports/tables.page_tables, exports/content.figure_names);
    an id without a catalog entry is returned as it is (tests/test_catalog.py wants every one named).
    """
    try:
        return t(f"downloads.{name}", lang)
    except KeyError:
        return name


def file_stem(text: str) -> str:
    """`text` fit for a file name: path separators and characters Windows refuses become '-'."""
    return "".join("-" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .") or "download"


def area_name(code: object, name_zh: str, lang: str = "zh") -> str:
    """An indicator area's name in `lang`: its Chinese name in Chinese; in English the catalog's name for
    the code (Shashi District, central city...), else the Chinese name as given (an uploaded city)."""
    entry = catalog().get(f"beds.area_{code}") or {}  # the catalog's area names (beds.json), by area code
    return by_lang(lang, name_zh, entry.get("en") or name_zh)
