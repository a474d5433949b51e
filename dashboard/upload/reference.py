"""Reference data uploads are checked against: division codes, new-area ids, the city and district outlines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dashboard import data_root
from dashboard.data import load
from dashboard.data.schemas import DATASETS

# ---------------------------------------------------------------- reference data


@dataclass(frozen=True)
class _Reference:
    levels: dict[str, frozenset[str]]
    parent: dict[str, str]  # code -> parent code
    district_of: dict[str, str]
    area_ids: frozenset[str]
    city: object  # shapely geometry (WGS84), buffered slightly
    city_bounds: tuple[float, float, float, float]
    districts: dict[str, object]  # district code -> polygon


def _stamp(*rel: str) -> tuple:
    out = []
    for r in rel:
        p = data_root() / r
        out.append((str(p), p.stat().st_mtime_ns if p.exists() else -1))
    return tuple(out)


def reference() -> _Reference:
    """Divisions, new-area ids and district polygons to check uploads against (cached per file change)."""
    return _reference(_stamp("data/city.toml", DATASETS["divisions"].file, DATASETS["district_shapes"].file, DATASETS["new_area_shapes"].file))


@cache
def _reference(stamp: tuple) -> _Reference:
    import shapely

    from dashboard.data import geo

    divisions, _ = load.load_dataset("divisions")
    levels = {str(level): frozenset(grp["code"].dropna()) for level, grp in divisions.groupby("level")}
    parent = dict(zip(divisions["code"], divisions["parent_code"].fillna(""), strict=True))
    district_of = dict(zip(divisions["code"], divisions["district_code"].fillna(""), strict=True))
    areas, _ = load.load_dataset("new_area_shapes")
    area_ids = frozenset(areas["area_id"].dropna()) if "area_id" in areas else frozenset()
    from dashboard.data.city import current

    config = current()
    shapes = geo.layer("districts")
    city = shapes.loc[shapes["code"] == config.code, "geometry"].union_all()
    districts = {str(c): g for c, g in zip(shapes["code"], shapes["geometry"], strict=True) if c != config.code}
    # Districts with no polygon of their own in the map provider's data (data/city.toml `drawn_inside`).
    for inner, outer in config.drawn_inside.items():
        if inner not in districts and outer in districts:
            districts[inner] = districts[outer]
    for g in (city, *districts.values()):
        shapely.prepare(g)
    buffered = city.buffer(0.003)  # ≈300 m: boundaries are simplified to ≈130 m
    shapely.prepare(buffered)
    return _Reference(levels, parent, district_of, area_ids, buffered, tuple(city.bounds), districts)


