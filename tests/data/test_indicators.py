"""Checks on the indicator catalogue (data/indicators.csv), its sources and the census table.

Stdlib + pytest only (csv module), so it runs before the project's venv exists.
The quote test needs the source report; it is skipped (only it) when the file is not found.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
DATA = REPO / "data"
REPORT_REL = Path("shared") / "reference" / "jingzhou-community-governance-report-2020.txt"

INDICATOR_COLUMNS = [
    "indicator_id", "topic", "area_code", "area_name", "year", "value", "unit",
    "quote", "source_id", "locator", "note", "note_zh",
]
SOURCE_COLUMNS = ["source_id", "kind", "title", "publisher", "date", "locator", "note"]
CENSUS_COLUMNS = [
    "area_code", "area_name", "year", "residents", "aged_60_plus", "aged_65_plus",
    "aged_80_plus", "source_id",
]

KINDS = {"report", "official_statistics", "standard", "assumption", "illustrative", "map_data"}
TOPICS = {
    "overview", "survey_method", "cadres", "party_volunteers", "services", "clinics",
    "care_beds", "property", "workload", "worker_pay", "grids", "recommendations", "census",
}
UNITS = {
    "persons", "person_times", "committees", "communities", "compounds", "institutions",
    "beds", "posts", "tasks", "items", "categories", "projects", "organisations", "groups",
    "branches", "documents", "grades", "departments", "firms", "parties", "levels", "zones",
    "sites", "meetings", "yuan_per_year", "square_metres", "percent", "ratio", "per_1000",
    "years", "hours", "half_days", "month_of_year", "calendar_year",
}
AREAS = {"421000": "荆州市", "421000C": "中心城区", "421002": "沙市区", "421003": "荆州区"}
LOCATOR = re.compile(r"^(引言|[一二三四]\([一二三四五六]\)[一二三四五六]?)$")

# Expected row counts: the file must not pass vacuously, and silent row loss must be noticed.
MIN_REPORT_ROWS = 80
EXPECTED_REPORT_ROWS = 109
EXPECTED_CENSUS_ROWS = 10

# Rows whose value cannot be read off the quote's numerals (derived or re-expressed values).
# Keep this empty unless a row truly needs it; each entry must still exist and still need it.
VALUE_CHECK_ALLOWLIST: set[str] = set()

# Ids other engineers look up, with their values.
KEY_VALUES = {
    "clinics.centres.central_city": 15,
    "clinics.stations.central_city": 43,
    "clinics.gps.central_city": 213,
    "clinics.rented_share.central_city": 84,
    "clinics.example_centre.residents": 50000,
    "clinics.example_centre.established_staff": 3,
    "clinics.institutions.city": 101,
    "clinics.centres.city": 23,
    "clinics.stations.city": 78,
    "clinics.staff.city": 1927,
    "clinics.physicians.city": 515,
    "clinics.assistant_physicians.city": 114,
    "clinics.nurses.city": 708,
    "clinics.beds.city": 1706,
    "clinics.population_served.city": 1330000,
    "beds.institutions.total": 1544,
    "beds.urban_public.institutions": 11,
    "beds.urban_public.beds": 3117,
    "beds.urban_private.institutions": 46,
    "beds.urban_private.beds": 6397,
    "beds.home_care_centres.institutions": 290,
    "beds.home_care_centres.beds": 12992,
    "beds.per_1000_older": 34,
    "beds.shashi.total": 4515,
    "beds.shashi.demand_met_share": 33.3,
    "beds.jingzhouqu.communities": 29,
    "beds.jingzhouqu.home_care_share": 25,
    "pay.posts_budgeted.421003": 419,
    "pay.posts_budgeted.421002": 506,
    "pay.communities_in_reform.421003": 29,
    "pay.communities_in_reform.421002": 54,
    "pay.coefficient": 0.94,
    "pay.annual_low": 20000,
    "pay.annual_high": 35000,
    "pay.social_average_wage": 50000,
    "pay.quits_per_year.central_city": 50,
    "pay.ladder.post_types": 4,
    "pay.ladder.grades": 18,
    "workload.tasks.421002": 130,
    "property.compounds.central_city": 1790,
    "property.managed_compounds.central_city": 713,
    "property.managed_share.central_city": 39.8,
    "property.owners_committee_share.421002": 14.5,
    "cadres.committees.city": 410,
    "cadres.cadres.city": 1851,
    "party.volunteers": 60000,
    "services.purchase_budget_per_year": 20000000,
    "recommendations.clinic_years": 3,
}
KEY_AREAS = {
    "clinics.centres.central_city": "421000C",
    "clinics.gps.central_city": "421000C",
    "pay.posts_budgeted.421003": "421003",
    "pay.posts_budgeted.421002": "421002",
    "beds.shashi.total": "421002",
    "workload.tasks.421002": "421002",
    "property.compounds.central_city": "421000C",
    "property.owners_committee_share.421002": "421002",
    "beds.urban_public.beds": "421000",
}

CENSUS_EXPECTED = {
    "421000": ("荆州市", 5231180, 1239437, 866475, 165159),
    "421003": ("荆州区", 563398, None, None, None),
    "421002": ("沙市区", 504893, None, None, None),
}


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _find_report() -> Path | None:
    for parent in HERE.parents:
        candidate = parent / REPORT_REL
        if candidate.is_file():
            return candidate
    return None


INDICATOR_HEADER, INDICATORS = _read("indicators.csv")
SOURCE_HEADER, SOURCES = _read("sources.csv")
CENSUS_HEADER, CENSUS = _read("census.csv")
REPORT_ROWS = [r for r in INDICATORS if r["source_id"] == "report2020"]
CENSUS_INDICATORS = [r for r in INDICATORS if r["source_id"] == "census2020"]
BY_ID = {r["indicator_id"]: r for r in INDICATORS}
SOURCE_KIND = {r["source_id"]: r["kind"] for r in SOURCES}
REPORT_PATH = _find_report()


def _ids(rows):
    return [r["indicator_id"] for r in rows]


# ---------------------------------------------------------------- numerals in quotes
_CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_to_int(s: str) -> int | None:
    """Chinese numerals up to 99 (一 .. 九十九)."""
    if not s:
        return None
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGIT.get(tens) if tens else 1
        o = _CN_DIGIT.get(ones) if ones else 0
        return None if t is None or o is None else t * 10 + o
    return _CN_DIGIT.get(s) if len(s) == 1 else None


def numbers_in_quote(quote: str) -> set[float]:
    """Every number a quote states: Arabic (also scaled by a following 万 / 多万 / 余万), Chinese numerals,
    and Chinese fractions (X分之Y, as a percent rounded to 0.1)."""
    found: set[float] = set()
    for m in re.finditer(r"(\d+(?:\.\d+)?)((?:多|余)?万)?", quote):
        n = float(m.group(1))
        found.add(n)
        if m.group(2):
            found.add(round(n * 10000, 6))
    for m in re.finditer(r"([一二三四五六七八九十]+)分之([一二三四五六七八九十]+)", quote):
        den, num = _cn_to_int(m.group(1)), _cn_to_int(m.group(2))
        if den and num is not None:
            found.add(round(100 * num / den, 1))
    for m in re.finditer(r"[一二两三四五六七八九十]+", quote):
        n = _cn_to_int(m.group(0))
        if n is not None:
            found.add(float(n))
    return found


def test_numbers_in_quote_helper():
    assert numbers_in_quote("全科医生213名") >= {213.0}
    assert 84600.0 in numbers_in_quote("业务用房总面积8.46万平方米")
    assert {20000.0, 35000.0} <= numbers_in_quote("2万至3.5万的水平")
    assert 33.3 in numbers_in_quote("仅能满足三分之一的需求")
    assert 25.0 in numbers_in_quote("不到四分之一")
    assert {4.0, 18.0} <= numbers_in_quote("“四岗十八级”")
    assert 20000000.0 in numbers_in_quote("每年投入2000多万元")


# ---------------------------------------------------------------- shape and counts
def test_headers():
    assert INDICATOR_HEADER == INDICATOR_COLUMNS
    assert SOURCE_HEADER == SOURCE_COLUMNS
    assert CENSUS_HEADER == CENSUS_COLUMNS


def test_row_counts():
    assert len(REPORT_ROWS) >= MIN_REPORT_ROWS
    assert len(REPORT_ROWS) == EXPECTED_REPORT_ROWS, "update EXPECTED_REPORT_ROWS deliberately"
    assert len(CENSUS_INDICATORS) == EXPECTED_CENSUS_ROWS
    assert len(INDICATORS) == len(REPORT_ROWS) + len(CENSUS_INDICATORS), "only report/census rows"


def test_ids_unique_and_well_formed():
    ids = _ids(INDICATORS)
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, dupes
    bad = [i for i in ids if not re.fullmatch(r"[a-z0-9_.]+", i)
           or i.startswith(".") or i.endswith(".") or ".." in i]
    assert not bad, bad


# ---------------------------------------------------------------- per-row checks
@pytest.mark.parametrize("row", INDICATORS, ids=_ids(INDICATORS))
def test_row_fields(row):
    assert row["topic"] in TOPICS
    assert row["unit"] in UNITS, f"unit {row['unit']!r} not in the vocabulary"
    assert AREAS.get(row["area_code"]) == row["area_name"]
    assert re.fullmatch(r"\d{4}", row["year"]) and 2000 <= int(row["year"]) <= 2030
    value = float(row["value"])  # parses as a plain number
    assert math.isfinite(value)
    assert re.fullmatch(r"-?\d+(\.\d+)?", row["value"]), "plain number, no separators"
    assert row["source_id"] in SOURCE_KIND, f"unknown source {row['source_id']!r}"
    if row["unit"] == "percent":
        assert 0 <= value <= 100
    if row["source_id"] == "report2020":
        assert row["topic"] != "census"
        assert row["quote"], "report rows need a quote"
        assert len(row["quote"]) <= 30
        assert LOCATOR.fullmatch(row["locator"]), row["locator"]
    else:
        assert row["topic"] == "census" and row["source_id"] == "census2020"
        assert row["unit"] == "persons"


@pytest.mark.parametrize("row", REPORT_ROWS, ids=_ids(REPORT_ROWS))
def test_value_stated_in_quote(row):
    if row["indicator_id"] in VALUE_CHECK_ALLOWLIST:
        pytest.skip("allowlisted: value re-expressed, not stated as a numeral")
    value = round(float(row["value"]), 6)
    assert value in numbers_in_quote(row["quote"]), (
        f"{row['value']} not stated in quote {row['quote']!r}")


def test_value_allowlist_is_minimal():
    for i in VALUE_CHECK_ALLOWLIST:
        assert i in BY_ID, f"stale allowlist entry {i}"
        row = BY_ID[i]
        assert round(float(row["value"]), 6) not in numbers_in_quote(row["quote"]), (
            f"{i} no longer needs the allowlist")


@pytest.mark.parametrize("row", REPORT_ROWS, ids=_ids(REPORT_ROWS))
def test_quote_is_verbatim(row):
    if REPORT_PATH is None:
        pytest.skip(f"source report not found ({REPORT_REL} in no parent of {HERE.parent})")
    text = REPORT_PATH.read_text(encoding="utf-8")
    assert row["quote"] in text, f"quote not found verbatim: {row['quote']!r}"


def test_qualifiers_are_noted():
    """Where the quote says 多/余/超过/近/约/不到/至少 the note must say the value is a bound."""
    markers = {"多": "more than", "余": "more than", "超过": "more than", "近": "near",
               "约": "about", "不到": "less than", "至少": "at least"}
    need = {
        "survey.sites_visited", "survey.person_times_consulted", "services.service_list_items",
        "party.social_workers_trained", "party.community_orgs_incubated", "party.volunteers",
        "services.purchase_budget_per_year", "services.micro_projects", "beds.per_1000_older",
        "workload.tasks.421002", "pay.quits_per_year.central_city", "clinics.example_centre.residents",
        "beds.jingzhouqu.home_care_share", "property.firms.central_city",
        "recommendations.public_centres_per_subdistrict",
    }
    for i in need:
        row = BY_ID[i]
        hits = [en for zh, en in markers.items() if zh in row["quote"]]
        assert hits, f"{i}: quote has no qualifier"
        assert any(en in row["note"] for en in hits), f"{i}: note lacks {hits}"


# ---------------------------------------------------------------- key ids
@pytest.mark.parametrize("indicator_id,expected", sorted(KEY_VALUES.items()))
def test_key_values(indicator_id, expected):
    assert indicator_id in BY_ID, f"missing {indicator_id}"
    assert float(BY_ID[indicator_id]["value"]) == pytest.approx(expected)


def test_key_areas():
    for i, code in KEY_AREAS.items():
        assert BY_ID[i]["area_code"] == code, i
    assert BY_ID["cadres.committees.city"]["year"] == "2018"
    assert BY_ID["cadres.election_year"]["value"] == "2018"


# ---------------------------------------------------------------- sources
def test_sources():
    ids = [r["source_id"] for r in SOURCES]
    assert len(ids) == len(set(ids))
    for r in SOURCES:
        assert re.fullmatch(r"[a-z0-9_]+", r["source_id"]), r["source_id"]
        assert r["kind"] in KINDS, r
        assert r["title"] and r["publisher"], r
        if r["source_id"].startswith("asm_"):
            assert r["kind"] == "assumption", r["source_id"]
    fixed = {"report2020": "report", "census2020": "official_statistics",
             "nbs_divisions": "official_statistics", "cnmaps_boundaries": "map_data",
             "demo_layer": "illustrative", "asm_kaifaqu_in_shashi": "assumption",
             "asm_age_mix_city": "assumption", "std_hubei_nursing_60": "assumption",
             "std_nanjing_ladder": "standard", "nbs_avg_wage": "official_statistics"}
    fixed.update({"wdb2_rivers": "map_data", "natural_earth_lakes": "map_data"})  # real maps, not statistics
    for sid, kind in fixed.items():
        assert SOURCE_KIND.get(sid) == kind, sid
    for sid in ("std_chsc_staffing", "std_chsc_catchment", "std_15min_circle", "std_beds_per_1000",
                "std_nursing_beds_55", "std_wuhan_staffing"):
        assert sid in SOURCE_KIND, sid
    by = {r["source_id"]: r for r in SOURCES}
    assert by["report2020"]["date"] == "2020-10-27"
    assert "2021-12-07" in by["report2020"]["note"]
    assert "unverified" in by["std_hubei_nursing_60"]["note"].lower()
    assert "secondary copy" in by["std_nanjing_ladder"]["note"].lower()
    assert "secondary copies" in by["nbs_avg_wage"]["note"].lower()
    assert "map provider" in by["cnmaps_boundaries"]["note"].lower()


# ---------------------------------------------------------------- census
def _int_or_none(s: str) -> int | None:
    assert s == "" or re.fullmatch(r"\d+", s), f"not a plain integer: {s!r}"
    return int(s) if s else None


def test_census_table():
    assert len(CENSUS) == len(CENSUS_EXPECTED)
    for r in CENSUS:
        assert r["source_id"] == "census2020"
        assert r["year"] == "2020"
        got = (r["area_name"], _int_or_none(r["residents"]), _int_or_none(r["aged_60_plus"]),
               _int_or_none(r["aged_65_plus"]), _int_or_none(r["aged_80_plus"]))
        assert got == CENSUS_EXPECTED[r["area_code"]], r["area_code"]


def test_census_indicators_match_census_table():
    expected = {
        "census.residents.city": 5231180, "census.aged_60_plus.city": 1239437,
        "census.aged_65_plus.city": 866475, "census.aged_80_plus.city": 165159,
        "census.residents.421003": 563398, "census.residents.421002": 504893,
    }
    for i, v in expected.items():
        assert int(BY_ID[i]["value"]) == v, i
    parts = sum(int(BY_ID[i]["value"]) for i in
                ("census.aged_60_69.city", "census.aged_70_79.city", "census.aged_80_plus.city"))
    assert parts == 1239437
