"""The text catalog: every key in zh and en, valid format strings, every key the code uses exists."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from dashboard.core.text import CATALOG_DIR, LANGS, catalog, missing_keys, t

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"

# Keys whose English text is deliberately empty (a unit that English writes without a word).
EMPTY_ALLOWED = {("units.count", "en")} | {
    # what follows a number: nothing, in one language or both (units.json "after.*", core/metrics.unit_suffix)
    (f"units.after.{u}", lang) for u in ("count", "year", "calendar_year") for lang in ("zh", "en")} | {
    (f"units.after.{u}", "en") for u in ("per_1000", "departments", "month_of_year")}

# tr("x.y"), ui.tr("x.y"), t("x.y", ...) with a literal key (f-strings and variables can't be checked here).
# A literal followed by `+` is a prefix ("overview.kind." + kind), not a key.
KEY_CALL = re.compile(
    r"""(?:\bui\.tr|(?<![\w.])tr|(?<![\w.])t)\(\s*(?P<q>["'])(?P<key>[A-Za-z0-9_]+\.[^"'{}\s]+)(?P=q)(?!\s*\+)""")


def catalog_files() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*.json"))


def placeholders(text: str) -> set[str]:
    """The format fields of a text (zh and en may differ, e.g. {name_zh} / {name_en})."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("path", catalog_files(), ids=lambda p: p.name)
def test_catalog_file_is_valid_json_without_duplicate_keys(path: Path):
    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        assert not dupes, f"{path.name}: duplicate keys {dupes}"
        return dict(pairs)

    doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_dupes)
    assert isinstance(doc, dict) and doc, path.name
    for key, entry in doc.items():
        assert isinstance(entry, dict), f"{path.name}: {key} should be {{'zh': ..., 'en': ...}}"
        assert set(entry) <= set(LANGS), f"{path.name}: {key} has unknown languages {set(entry) - set(LANGS)}"


def test_every_key_has_zh_and_en():
    problems = []
    for key, entry in catalog().items():
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str):
                problems.append(f"{key}: no {lang}")
            elif not text.strip() and (key, lang) not in EMPTY_ALLOWED:
                problems.append(f"{key}: empty {lang}")
    assert not problems, problems
    assert set(missing_keys()) <= {k for k, _ in EMPTY_ALLOWED}


def test_every_text_is_a_valid_format_string():
    """A stray brace would raise when the text is formatted ({{ and }} print braces)."""
    problems = []
    for key, entry in catalog().items():
        for lang in LANGS:
            try:
                placeholders(entry.get(lang, ""))
            except ValueError as exc:
                problems.append(f"{key} ({lang}): {exc}")
    assert not problems, problems


def literal_keys() -> dict[str, list[str]]:
    """key -> places it is used, for every literal catalog key in dashboard/**/*.py."""
    used: dict[str, list[str]] = {}
    for path in sorted(DASHBOARD.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in KEY_CALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            used.setdefault(match.group("key"), []).append(f"{path.relative_to(DASHBOARD.parent)}:{line}")
    return used


def test_the_scanner_finds_keys():
    used = literal_keys()
    assert "common.app_title" in used
    assert "hearing.copy_link" in used
    assert len(used) > 50


def test_every_literal_key_in_the_code_exists():
    known = catalog()
    missing = {key: places for key, places in literal_keys().items() if key not in known}
    assert not missing, "catalog keys used in code but missing:\n" + "\n".join(
        f"  {k}  ({', '.join(v[:3])})" for k, v in sorted(missing.items()))


def test_every_page_title_and_choice_label_resolves():
    from dashboard.core.scenario import all_params

    for page in ("overview", "coverage", "beds", "pay", "data", "sources"):
        for lang in LANGS:
            assert t(f"nav.{page}", lang)
    for param in all_params():
        if param.kind in ("choice", "multi") and param.key != "lang":
            for choice in param.choices:
                for lang in LANGS:
                    assert t(f"choices.{param.key}.{choice}", lang), (param.key, choice)
        if param.unit:
            for lang in LANGS:
                t(f"units.{param.unit}", lang)


def test_missing_key_raises_key_error():
    with pytest.raises(KeyError):
        t("hearing.no_such_key_anywhere")


def test_every_table_and_chart_has_a_name_in_both_languages():
    """Download buttons and file names show these names, never the internal ids (issue 16)."""
    from dashboard.core.results import page_modules
    from dashboard.core.scenario import Scenario
    from dashboard.core.text import download_name
    from dashboard.exports import content, tables

    ids = []
    for page in ["overview", *page_modules()]:
        ids += list(tables.page_tables(page, Scenario.default()))
        ids += content.figure_names(page)
        ids.append(f"{page}_tables")
    unnamed = [name for name in ids if f"downloads.{name}" not in catalog()]
    assert not unnamed, f"add these to dashboard/catalog/downloads.json: {unnamed}"
    assert download_name("beds_projection", "zh") == "养老床位-逐年预测"
    assert download_name("beds_projection", "en") == "Care beds - projection by year"


def test_file_stem_keeps_chinese_and_drops_separators():
    from dashboard.core.text import file_stem

    assert file_stem("服务覆盖-按街道") == "服务覆盖-按街道"
    assert file_stem('a/b\\c:d*e?"f<g>h|') == "a-b-c-d-e--f-g-h-"
    assert file_stem(" . ") == "download"


def test_english_texts_name_districts_in_english():
    """'Care beds in 沙市区', '荆州区 budgeted 419 posts': the English UI says Shashi / Jingzhou District and
    central city (the report's quotes excepted)."""
    import json
    from pathlib import Path

    import dashboard

    found = []
    for f in sorted((Path(dashboard.__file__).parent / "catalog").glob("*.json")):
        for key, v in json.loads(f.read_text(encoding="utf-8")).items():
            en = v.get("en") if isinstance(v, dict) else None
            if isinstance(en, str) and key != "report_quote" and any(n in en for n in ("沙市区", "荆州区", "中心城区")):
                found.append(f"{f.name}:{key}")
    assert not found, found


def test_indicator_areas_in_english():
    """Data & sources said 'Community cadres (中心城区)' in English."""
    from dashboard.core.text import area_name
    from dashboard.data.catalogue import indicator_names

    assert area_name("421000C", "中心城区", "en") == "central city" and area_name("421002", "沙市区", "en") == "Shashi District"
    assert area_name("421002", "沙市区", "zh") == "沙市区" and area_name("X1", "某区", "en") == "某区"  # unknown: as given
    row = {"indicator_id": "cadres.cadres.central_city", "note": "community cadres; context", "area_code": "421000C",
           "area_name": "中心城区", "quote": "q"}
    assert indicator_names(row)[1] == "Community cadres (central city)"
