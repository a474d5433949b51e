"""The demonstration layer for another city (dashboard/data/demo.py) on the 宜昌 fixture.

Known answers: with a totals file, every total of the layer equals the given one; without, the layer is
generic and says so; the same seed gives the same bytes; every row is `demo_layer` (kind illustrative);
the sub-districts are the real ones, cut from the real district polygons; and every page runs on it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.data import demo

REPO = Path(__file__).resolve().parents[1]
YICHANG = REPO / "tests" / "fixtures" / "cities" / "yichang"
CENTRAL = ("420502", "420503", "420504", "420505", "420506")
TOTALS = """\
# illustrative totals for the test (not 宜昌's statistics)
seed = 7
compounds = 300
managed_share = 0.6
owners_committee_share = 0.2
centres = 9
stations = 20
gps = 120
community_workers = 400
grids = 250
party_cadres = 3000
aged_60_share = 0.22
aged_80_share = 0.03
pay_min = 36000
pay_max = 66000

[residents]
"420502" = 400000
"420503" = 220000
"420504" = 100000
"420505" = 150000
"420506" = 300000

[care_facilities]
urban_public = 5
urban_private = 12
home_care_centre = 30
rural = 20

[care_beds]
urban_public = 900
urban_private = 1500
home_care_centre = 800
rural = 1000
"""
LAYER_FILES = ("geodata/subdistricts.geojson", "data/communities.csv", "data/compounds.csv", "data/clinics.csv",
               "data/care_facilities.csv", "data/community_workers.csv", "data/compound_profiles.csv",
               "data/grids.csv", "data/census.csv", "data/sources.csv")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DATA_ROOT", "DASHBOARD_DATA_DIR")}
    return {**env, **extra}


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _copy(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(YICHANG, folder)
    return folder


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    (tmp / "totals.toml").write_text(TOTALS, encoding="utf-8")
    folder = _copy(tmp, "city")
    res = subprocess.run([sys.executable, "-m", "dashboard", "demo-data", str(folder), "--totals",
                          str(tmp / "totals.toml")], cwd=REPO, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert "calibrated to the given totals" in res.stdout
    return folder


def test_the_layer_equals_the_given_totals(calibrated):
    comm = _rows(calibrated, "communities")
    for d, want in zip(CENTRAL, (400_000, 220_000, 100_000, 150_000, 300_000), strict=True):
        assert sum(int(c["residents"]) for c in comm if c["district_code"] == d) == want
    comp = [c for c in _rows(calibrated, "compounds") if c["kind"] == "compound"]
    assert len(comp) == 300
    assert sum(c["has_property_management"] == "true" for c in comp) == 180  # 0.6 × 300
    assert sum(c["has_owners_committee"] == "true" for c in comp) == 60  # 0.2 × 300
    assert sum(int(c["aged_60_plus"]) for c in comm) == 257_400  # 0.22 × 1,170,000, exact per district
    assert sum(int(c["aged_80_plus"]) for c in comm) == 35_100
    clinics = _rows(calibrated, "clinics")
    assert (sum(c["kind"] == "centre" for c in clinics), sum(c["kind"] == "station" for c in clinics)) == (9, 20)
    assert sum(int(c["gps"]) for c in clinics) == 120
    care = _rows(calibrated, "care_facilities")
    for t, n, beds in (("urban_public", 5, 900), ("urban_private", 12, 1500), ("home_care_centre", 30, 800),
                       ("rural", 20, 1000)):
        rows = [f for f in care if f["facility_type"] == t]
        assert (len(rows), sum(int(f["beds"]) for f in rows)) == (n, beds)
    workers = _rows(calibrated, "community_workers")
    assert len(workers) == 400
    assert all(36_000 <= float(w["pay_yuan_per_year"]) <= 66_000 for w in workers)
    grids = _rows(calibrated, "grids")
    assert len(grids) == 250 and sum(int(g["party_cadres"]) for g in grids) == 3000
    census = {r["area_code"]: r for r in _rows(calibrated, "census")}
    assert int(census["420500"]["residents"]) == 1_170_000 and int(census["420503"]["residents"]) == 220_000


def test_every_row_is_illustrative_and_the_source_says_calibrated(calibrated):
    for name in ("communities", "compounds", "clinics", "care_facilities", "community_workers",
                 "compound_profiles", "grids", "census"):
        assert {r["source_id"] for r in _rows(calibrated, name)} == {"demo_layer"}, name
    src = {r["source_id"]: r for r in _rows(calibrated, "sources")}
    assert src["demo_layer"]["kind"] == "illustrative"
    assert "calibrated to the totals you gave" in src["demo_layer"]["note"]
    # the real layers keep their sources
    assert {r["source_id"] for r in _rows(calibrated, "divisions")} == {"nbs_divisions"}
    names = [r["name"] for r in _rows(calibrated, "compounds") if r["kind"] == "compound"]
    assert all("示例" in n for n in names)


def test_sub_districts_are_the_real_ones_cut_from_the_real_districts(calibrated):
    import geopandas as gpd

    subs = gpd.read_file(calibrated / "geodata" / "subdistricts.geojson")
    real = {r["code"] for r in _rows(calibrated, "divisions") if r["level"] == "subdistrict"}
    assert set(subs["code"]) == real and set(subs["source_id"]) == {"demo_layer"}
    districts = gpd.read_file(calibrated / "geodata" / "districts.geojson").set_index("code")
    metric = "EPSG:32649"
    for d in CENTRAL:
        pieces = subs[subs["district_code"] == d].to_crs(metric)
        outline = districts.loc[[d]].to_crs(metric).geometry.iloc[0]
        union = pieces.geometry.union_all()
        assert union.symmetric_difference(outline).area < 0.001 * outline.area, d  # no gaps, nothing outside
        assert pieces.geometry.area.sum() == pytest.approx(union.area, rel=1e-6)  # no overlaps


def test_generic_layer_says_it_is_not_calibrated_and_is_deterministic(tmp_path):
    a, b, c = (_copy(tmp_path, n) for n in ("a", "b", "c"))
    demo.add_demo(a)
    demo.add_demo(b)
    demo.add_demo(c, demo.Totals(seed=1))
    for f in LAYER_FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "data/compounds.csv").read_bytes() != (c / "data/compounds.csv").read_bytes()
    src = {r["source_id"]: r for r in _rows(a, "sources")}
    assert "not calibrated to this city" in src["demo_layer"]["note"]
    # generic densities: 18 community workers per 10,000 residents of the communities
    comm = [r for r in _rows(a, "communities") if r["kind"] == "community"]
    assert len(_rows(a, "community_workers")) == round(sum(int(r["residents"]) for r in comm) * 18 / 10_000)
    # running it again on the same folder replaces the layer (one demo_layer source row, same bytes)
    demo.add_demo(a)
    for f in LAYER_FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


@pytest.mark.parametrize("text, message", [
    ("compounds = -3", "field 'compounds': expected a whole number >= 0"),
    ("managed_share = 1.5", "field 'managed_share': expected a share between 0 and 1"),
    ("colour = 3", "unknown field 'colour'"),
    ("[care_beds]\nhospital = 3", "field 'care_beds.hospital': expected one of urban_public"),
    ("[residents]\n\"421002\" = 5", "field 'residents.421002': not a central-city district of 420500"),
    ("grids = 2", "totals: grids = 2"),
    ("compounds = ", "not valid TOML"),
])
def test_bad_totals_are_named(tmp_path, text, message):
    folder = _copy(tmp_path, "city")
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "dashboard", "demo-data", str(folder), "--totals",
                          str(tmp_path / "t.toml")], cwd=REPO, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_a_folder_without_new_city_files_is_refused(tmp_path):
    with pytest.raises(demo.DemoError, match="data/city.toml: missing; run `python -m dashboard new-city"):
        demo.add_demo(tmp_path)


def test_json_totals_are_read_like_toml(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"compounds": 5, "residents": {"420502": 10}}), encoding="utf-8")
    t = demo.Totals.read(tmp_path / "t.json")
    assert (t.compounds, t.residents, t.given) == (5, {"420502": 10}, ["residents", "compounds"])


def test_every_page_runs_with_figures_on_the_demo_layer(calibrated, tmp_path):
    env = _env(DASHBOARD_DATA_DIR=str(calibrated), DASHBOARD_CACHE_DIR=str(tmp_path / "cache"))
    res = subprocess.run([sys.executable, str(REPO / "tests" / "cities" / "run_pages.py"), "zh"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    pages = {r["page"]: r for r in map(json.loads, res.stdout.splitlines())}
    for key, r in pages.items():
        assert not r["exception"] and not r["error"], (key, r)
    for key in ("coverage", "beds"):  # computed on the layer: figures, and the generic illustrative notice
        assert pages[key]["metrics"] > 0, key
        assert any("示意数据" in i and "通用经验密度" in i for i in pages[key]["info"]), pages[key]["info"]
        assert not any("本页需要以下数据" in i for i in pages[key]["info"])
    # the report-indicator pages ask only for data/indicators.csv (the layer invents no report statements)
    for key in ("overview", "pay", "property", "grids"):
        needs = [i for i in pages[key]["info"] if "本页需要以下数据" in i]
        assert needs and "data/indicators.csv" in needs[0] and "data/community_workers.csv" not in needs[0], key
    # the sources page lists every layer table as illustrative
    from dashboard.core.text import t

    table = next(tb for tb in pages["sources"]["tables"] if t("sources.col_dataset", "zh") in tb)
    provenance = dict(zip(table[t("sources.col_dataset", "zh")], table[t("sources.col_provenance", "zh")], strict=True))
    for name in ("communities", "compounds", "clinics", "care_facilities", "community_workers", "grids",
                 "subdistrict_shapes", "census"):
        shown = t(f"sources.ds_{name}", "zh")
        assert provenance[shown].startswith(t("common.kind_illustrative", "zh")), (name, provenance[shown])
    # the figures cite the layer (db.data_source_ids), and the brief's models read the central city's rows
    probe = ("from dashboard.data import db; "
             "print(db.data_source_ids(('clinics', 'compounds', 'care_facilities', 'community_workers')));"
             "print(len(db.run_query('coverage_facilities')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.split("\n")[:2] == ["('demo_layer',)", "29"], out.stderr[-2000:]


def test_new_city_demo_reports_layer_errors_as_new_city_errors(tmp_path):
    """`new-city --demo` goes through newcity.add_demo: a layer error is the command's clear error."""
    from dashboard.data import newcity

    with pytest.raises(newcity.NewCityError, match="data/city.toml: missing"):
        newcity.add_demo(tmp_path)
    folder = _copy(tmp_path, "city")
    (tmp_path / "t.json").write_text('{"centres": 1000}', encoding="utf-8")
    with pytest.raises(newcity.NewCityError, match="1000 centres"):
        newcity.add_demo(folder, tmp_path / "t.json")
    assert "generic densities, not calibrated" in newcity.add_demo(folder, None)


def test_rows_someone_supplied_are_never_overwritten(tmp_path):
    folder = _copy(tmp_path, "city")
    census = folder / "data" / "census.csv"
    census.write_text(census.read_text(encoding="utf-8") + "420502,西陵区,2020,500000,,,,yc_census\n",
                      encoding="utf-8")
    before = census.read_bytes()
    with pytest.raises(demo.DemoError, match="census.csv: holds rows of source 'yc_census'"):
        demo.add_demo(folder)
    assert census.read_bytes() == before and not (folder / "data" / "compounds.csv").read_text().count("\n") > 1
