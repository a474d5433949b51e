"""The city the data folder describes: `data/city.toml`, read and checked once per file change.

Everything city-specific that is configuration rather than data lives there (docs/new-city.md):

    [city]
    code = "420500"                  # prefecture-level division code (6 digits, ending in 00)
    name_zh = "宜昌市"
    name_en = "Yichang"

    [central_city]
    districts = ["420502", "420503", "420504", "420505", "420506"]   # county-level codes of the central city
    area_code = "420500C"            # the text area code indicators use for the central city

    [map]
    extent = [110.25, 29.95, 112.08, 31.57]      # lon_min, lat_min, lon_max, lat_max (WGS84)
    metric_crs = "EPSG:32649"        # metres for distances and areas (UTM zone of the city)

    [drawn_inside]                   # districts with no polygon of their own, drawn inside another's
    "420571" = "420502"              # (e.g. a development zone inside a district; an invented example)

    [[new_areas]]                    # optional: new areas and functional zones (ids of new_areas.geojson)
    id = "gaoxin"
    name_zh = "高新区"
    kind = "functional_zone"

A missing or broken file raises `CityConfigError` naming the file and the field. No Streamlit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dashboard import data_root

FILE = "data/city.toml"
_CODE6 = re.compile(r"^\d{6}$")


class CityConfigError(ValueError):
    """data/city.toml is missing or a field is wrong: the message names the file and the field."""


@dataclass(frozen=True)
class NewArea:
    id: str
    name_zh: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class City:
    code: str
    name_zh: str
    name_en: str
    central_districts: tuple[str, ...]
    central_area_code: str
    extent: tuple[float, float, float, float]
    metric_crs: str
    drawn_inside: dict[str, str]
    new_areas: tuple[NewArea, ...]

    @property
    def prefix(self) -> str:
        """The first four digits every division code of the city shares."""
        return self.code[:4]

    def area_choices(self) -> tuple[str, ...]:
        """Areas an analysis can be viewed for: each central-city district, the central city, the city."""
        return (*self.central_districts, self.central_area_code, self.code)


def _fail(path: Path, field: str, expected: str, got: object = None) -> CityConfigError:
    shown = "" if got is None else f": got {got!r}"
    return CityConfigError(f"{path}, field {field!r}{shown}; expected {expected}")


def parse(text: str, path: Path) -> City:
    """A City from the text of a city.toml (path only names the file in errors)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CityConfigError(f"{path}: not valid TOML ({exc})") from None

    def table(name: str) -> dict:
        value = doc.get(name)
        if not isinstance(value, dict):
            raise _fail(path, name, "a [" + name + "] table")
        return value

    def text_field(tbl: dict, section: str, key: str, pattern: re.Pattern | None = None, expected: str = "text") -> str:
        value = tbl.get(key)
        if not isinstance(value, str) or not value.strip() or (pattern and not pattern.match(value)):
            raise _fail(path, f"{section}.{key}", expected, value)
        return value.strip()

    c = table("city")
    code = text_field(c, "city", "code", re.compile(r"^\d{4}00$"), "a prefecture-level division code such as \"420500\"")
    name_zh = text_field(c, "city", "name_zh")
    name_en = text_field(c, "city", "name_en")

    cc = table("central_city")
    districts = cc.get("districts")
    if not isinstance(districts, list) or not districts:
        raise _fail(path, "central_city.districts", "a non-empty list of county-level codes", districts)
    for d in districts:
        if not isinstance(d, str) or not _CODE6.match(d) or d[:4] != code[:4] or d == code:
            raise _fail(path, "central_city.districts", f"county-level codes of {code} (6 digits starting {code[:4]})", d)
    if len(set(districts)) != len(districts):
        raise _fail(path, "central_city.districts", "each district once", districts)
    area_code = text_field(cc, "central_city", "area_code", re.compile(r"^\d{6}[A-Z]$"),
                           "the city code followed by one capital letter, such as \"420500C\"")
    if area_code[:6] != code:
        raise _fail(path, "central_city.area_code", f"{code} followed by one capital letter", area_code)

    m = table("map")
    extent = m.get("extent")
    if (not isinstance(extent, list) or len(extent) != 4 or not all(isinstance(v, int | float) for v in extent)
            or not (-180 <= extent[0] < extent[2] <= 180 and -90 <= extent[1] < extent[3] <= 90)):
        raise _fail(path, "map.extent", "[lon_min, lat_min, lon_max, lat_max] in degrees, min < max", extent)
    crs = text_field(m, "map", "metric_crs", re.compile(r"^EPSG:\d{4,5}$"), "an EPSG code such as \"EPSG:32649\"")

    inside = doc.get("drawn_inside", {})
    if not isinstance(inside, dict):
        raise _fail(path, "drawn_inside", "a table of district code = district code", inside)
    for k, v in inside.items():
        if not _CODE6.match(str(k)) or not isinstance(v, str) or not _CODE6.match(v):
            raise _fail(path, f"drawn_inside.{k}", "a county-level code drawn inside another (6 digits each)", v)

    areas = doc.get("new_areas", [])
    if not isinstance(areas, list):
        raise _fail(path, "new_areas", "a list of [[new_areas]] tables", areas)
    new_areas = []
    for i, a in enumerate(areas):
        if not isinstance(a, dict):
            raise _fail(path, f"new_areas[{i}]", "a table with id, name_zh, kind", a)
        kind = a.get("kind", "functional_zone")
        if kind not in ("new_area", "functional_zone"):
            raise _fail(path, f"new_areas[{i}].kind", "'new_area' or 'functional_zone'", kind)
        new_areas.append(NewArea(text_field(a, f"new_areas[{i}]", "id"), text_field(a, f"new_areas[{i}]", "name_zh"),
                                 str(a.get("name_en", "")), kind))
    return City(code, name_zh, name_en, tuple(districts), area_code,
                tuple(float(v) for v in extent), crs, {str(k): v for k, v in inside.items()}, tuple(new_areas))


def path(root: Path | None = None) -> Path:
    return Path(root or data_root()) / FILE


def current(root: Path | None = None) -> City:
    """The city of the data folder (`data_root()` unless given); cached until the file changes."""
    p = path(root)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        raise CityConfigError(f"{p}: the city configuration file is missing (see docs/new-city.md; "
                              "`python -m dashboard new-city CODE --out DIR` writes one)") from None
    return _read(str(p), stamp)


@cache
def _read(p: str, stamp: int) -> City:
    return parse(Path(p).read_text(encoding="utf-8"), Path(p))


def render(city: City) -> str:
    """The city.toml text of a City (what `new-city` writes); parse(render(c)) == c."""
    lines = [
        "# The city this data folder describes (docs/new-city.md). Configuration, not data.",
        "[city]",
        f'code = "{city.code}"',
        f'name_zh = "{city.name_zh}"',
        f'name_en = "{city.name_en}"',
        "",
        "[central_city]",
        "districts = [" + ", ".join(f'"{d}"' for d in city.central_districts) + "]",
        f'area_code = "{city.central_area_code}"',
        "",
        "[map]",
        "extent = [" + ", ".join(f"{v:.4f}" for v in city.extent) + "]",
        f'metric_crs = "{city.metric_crs}"',
        "",
        "[drawn_inside]",
        *(f'"{k}" = "{v}"' for k, v in city.drawn_inside.items()),
    ]
    for a in city.new_areas:
        lines += ["", "[[new_areas]]", f'id = "{a.id}"', f'name_zh = "{a.name_zh}"', f'name_en = "{a.name_en}"',
                  f'kind = "{a.kind}"']
    return "\n".join(lines) + "\n"


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 / UTM zone EPSG code for a point (326zz north, 327zz south)."""
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def cross_check(city: City, divisions, new_area_ids) -> list[str]:
    """city.toml against the folder's data: every code it names is a division, every new area has a shape."""
    problems = []
    levels = {str(level): set(grp["code"].dropna()) for level, grp in divisions.groupby("level")}
    if city.code not in levels.get("city", set()):
        problems.append(f"{FILE}, field 'city.code': {city.code} is not the city row of data/divisions.csv")
    for d in (*city.central_districts, *city.drawn_inside, *city.drawn_inside.values()):
        if d not in levels.get("district", set()):
            problems.append(f"{FILE}: district {d} is not a district in data/divisions.csv")
    for a in city.new_areas:
        if a.id not in set(new_area_ids):
            problems.append(f"{FILE}, field 'new_areas': {a.id!r} has no feature in geodata/new_areas.geojson")
    return problems
