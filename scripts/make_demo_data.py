"""Generate the demonstration layer: illustrative data calibrated to the 2020 report's totals.

No public source gives sub-district polygons, compound/clinic/care-home locations or
per-community populations for 荆州 offline. This script fills those gaps with a seeded,
deterministic layer (``numpy.random.default_rng(2020)``) whose totals equal the figures of the
report and the 2020 census, as listed in "Calibration targets" of ``docs/data-contract.md``.
Every row it writes has ``source_id='demo_layer'``. The method and each target with its report
quote are described in ``docs/demo-layer.md``.

Inputs (real, in the repository): ``geodata/districts.geojson``, ``data/divisions.csv``.
Outputs: ``geodata/subdistricts.geojson``, ``geodata/new_areas.geojson``,
``data/communities.csv``, ``data/compounds.csv``, ``data/clinics.csv``,
``data/care_facilities.csv``, ``data/community_workers.csv``, ``data/compound_profiles.csv``,
``data/grids.csv``.

Usage::

    .venv/bin/python scripts/make_demo_data.py            # rewrite the files in the repository
    .venv/bin/python scripts/make_demo_data.py --out DIR  # write DIR/geodata/... and DIR/data/...

Running it twice gives byte-identical files (for the same numpy/shapely/pyproj versions).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

# The city-generic parts (largest-remainder splitting, committee kinds, names) are shared with the demo
# layer of any other city (dashboard/data/demo_totals.py); this script is Jingzhou's configuration of them.
from dashboard.data.demo_totals import _short, apportion, committee_kind  # noqa: E402
from dashboard.data.geofiles import collection, round_coords  # noqa: E402

SEED = 2020
METRIC_CRS = "EPSG:32649"
GRID_DEG = 1e-5
SOURCE_ID = "demo_layer"

SHASHI, JINGZHOU, KAIFAQU = "421002", "421003", "421071"
CENTRAL = (SHASHI, JINGZHOU, KAIFAQU)

# ---- calibration targets (docs/data-contract.md, "Calibration targets") ----------------------
RESIDENTS_JINGZHOU = 563_398  # census 2020, 荆州区
RESIDENTS_SHASHI_WITH_KAIFAQU = 504_893  # census 2020, 沙市区 (asm_kaifaqu_in_shashi)
CITY_RESIDENTS, CITY_AGED_60, CITY_AGED_80 = 5_231_180, 1_239_437, 165_159  # asm_age_mix_city
COMPOUNDS = 1_790  # 中心城区现有住宅小区1790个
COMPOUNDS_MANAGED = 713  # 其中有物业管理的小区713个
OWNERS_COMMITTEE_SHARE_SHASHI = 0.145  # 沙市区成立业委会的小区只占14.5%
HOUSEHOLD_SIZE = 2.7  # assumption: persons per household
CENTRES, STATIONS, GPS = 15, 43, 213  # 15家社区卫生服务中心和43家服务站仅配备全科医生213名
RENTED = 49  # 84% of 58 premises rented: round(0.84 * 58) = 49
LARGE_CENTRE_RESIDENTS, LARGE_CENTRE_STAFF = 49_600, 3  # 服务居民近5万人,在编仅3人
CARE = {  # facility_type: (institutions, beds), whole city
    "urban_public": (11, 3_117),
    "urban_private": (46, 6_397),
    "home_care_centre": (290, 12_992),
}
CARE_INSTITUTIONS = 1_544  # 全市现有各类养老机构1544个
CARE_BEDS_TOTAL = round(34 * CITY_AGED_60 / 1000)  # 每千名老人养老床位约34张 -> 42,141
SHASHI_BEDS = 4_515  # 沙市区目前养老床位4515张
PAY_REFORM = {JINGZHOU: (29, 419), SHASHI: (54, 506)}  # communities, budgeted posts
JINGZHOU_HOME_CARE_COMMUNITIES = 7  # 29个社区中建设有居家养老中心的不到四分之一
PAY_MIN, PAY_MAX = 20_000, 35_000  # 年工资收入仍处于2万至3.5万的水平
# property and grids (issue 18): drawn with their own generator after everything above, so adding
# them left every earlier row unchanged
PROPERTY_SEED = (SEED, 18)
PROPERTY_FIRMS = 212  # 中心城区物业企业超过200家,但呈小而散的状态 (more than 200, small and scattered)
GRIDS = 758  # 758个小区(网格)党支部 (全市; asm_grids_central_city puts them all in the central city)
PARTY_CADRES = 69_099  # 69099名党员干部被编入到758个小区(网格)党支部
OLD_BEFORE = 2000  # std_old_compounds_2000: 重点改造2000年底前建成的老旧小区
NO_GRID_COMPOUNDS = 36  # illustrative: 新建小区不能及时设立网格 (no count in the report)

# 沙市区's care-facility mix (illustrative split of the report's 4,515 beds):
# type -> (institutions, beds). Sums to 4,515.
SHASHI_CARE = {
    "urban_public": (2, 700),
    "urban_private": (10, 1_560),
    "home_care_centre": (30, 1_600),
    "rural": (18, 655),
}
CENTRAL_CARE_COUNTS = {  # other central-city districts: type -> institutions
    JINGZHOU: {"urban_public": 2, "urban_private": 7, "home_care_centre": 7, "rural": 60},
    KAIFAQU: {"urban_public": 0, "urban_private": 3, "home_care_centre": 5, "rural": 8},
}
CARE_MIN_BEDS = {"urban_public": 60, "urban_private": 20, "home_care_centre": 10, "rural": 4}
NURSING_SHARE = {"urban_public": 0.45, "urban_private": 0.5, "home_care_centre": 0.1, "rural": 0.2}

# ---- illustrative geography (lon, lat) --------------------------------------------------------
URBAN_CENTRE = {SHASHI: (112.255, 30.316), JINGZHOU: (112.190, 30.352), KAIFAQU: (112.300, 30.300)}
CORE_RADIUS_M = {SHASHI: 4_000, JINGZHOU: 5_200}
# 荆州开发区 sits on 沙市区's east/south-east side along the river (cnmaps has no polygon for it).
KAIFAQU_FRAME = [
    (112.270, 30.17),
    (112.270, 30.300),
    (112.290, 30.322),
    (112.345, 30.332),
    (112.430, 30.310),
    (112.430, 30.17),
]
SEEDS = {  # sub-district code -> seed point (lon, lat); towns' seed doubles as the town seat
    # 沙市区 streets (urban core) and towns
    "421002001": (112.252, 30.309),  # 中山
    "421002002": (112.236, 30.318),  # 崇文
    "421002003": (112.266, 30.303),  # 解放
    "421002004": (112.243, 30.331),  # 胜利
    "421002005": (112.263, 30.334),  # 朝阳
    "421002006": (112.282, 30.318),  # 立新
    "421002100": (112.325, 30.405),  # 锣场镇
    "421002101": (112.375, 30.345),  # 岑河镇
    "421002102": (112.460, 30.340),  # 观音垱镇
    "421002103": (112.262, 30.378),  # 关沮镇
    # 荆州区 streets (around 荆州古城) and towns
    "421003001": (112.177, 30.352),  # 西城
    "421003002": (112.203, 30.349),  # 东城
    "421003003": (112.193, 30.327),  # 城南
    "421003004": (112.205, 30.380),  # 凤凰
    "421003005": (112.145, 30.350),  # 太湖港
    "421003100": (112.185, 30.450),  # 纪南镇
    "421003101": (112.050, 30.500),  # 川店镇
    "421003102": (111.965, 30.400),  # 马山镇
    "421003103": (112.085, 30.420),  # 八岭山镇
    "421003104": (112.080, 30.300),  # 李埠镇
    "421003105": (112.060, 30.190),  # 弥市镇
    "421003106": (112.255, 30.400),  # 郢城镇
    "421003451": (112.170, 30.570),  # 菱角湖管理区
    # 荆州开发区
    "421071001": (112.297, 30.310),  # 联合
    "421071002": (112.350, 30.295),  # 西湖
    "421071003": (112.305, 30.287),  # 鱼农桥
    "421071100": (112.375, 30.240),  # 滩桥镇
}
NEW_AREAS = [  # area_id, name, name_en, kind, frame (lon/lat), districts it is clipped to
    ("kaifaqu", "荆州开发区", "Jingzhou Development Zone", "functional_zone", None, (KAIFAQU,)),
    (
        "jingbei",
        "荆北新区",
        "Jingbei New Area",
        "new_area",
        [
            (112.168, 30.371),
            (112.205, 30.366),
            (112.238, 30.372),
            (112.262, 30.392),
            (112.258, 30.414),
            (112.228, 30.424),
            (112.190, 30.421),
            (112.165, 30.405),
        ],
        (JINGZHOU,),
    ),
    (
        "jinan",
        "纪南文旅区",
        "Jinan Cultural Tourism Zone",
        "functional_zone",
        [
            (112.150, 30.428),
            (112.190, 30.424),
            (112.228, 30.430),
            (112.232, 30.462),
            (112.210, 30.486),
            (112.168, 30.488),
            (112.142, 30.468),
        ],
        (JINGZHOU,),
    ),
    (
        "shabei",
        "沙北新区",
        "Shabei New Area",
        "new_area",
        [
            (112.228, 30.350),
            (112.262, 30.347),
            (112.300, 30.352),
            (112.318, 30.372),
            (112.312, 30.400),
            (112.270, 30.406),
            (112.232, 30.398),
        ],
        (SHASHI,),
    ),
    (
        "gaoxin",
        "荆州高新区",
        "Jingzhou High-tech Zone",
        "functional_zone",
        [
            (112.332, 30.336),
            (112.372, 30.330),
            (112.402, 30.342),
            (112.404, 30.370),
            (112.372, 30.381),
            (112.338, 30.372),
        ],
        (SHASHI,),
    ),
]
COUNTY_SEATS = {  # approximate county-seat locations, for placing the counties' urban facilities
    "421022": (112.230, 30.060),  # 公安县 斗湖堤
    "421024": (112.420, 30.035),  # 江陵县 郝穴
    "421081": (112.410, 29.725),  # 石首市
    "421083": (113.470, 29.830),  # 洪湖市 新堤
    "421087": (111.765, 30.170),  # 松滋市 新江口
    "421088": (112.900, 29.820),  # 监利市 容城
}

_TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_LL = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _m(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_M.transform(lon, lat)
    return float(x), float(y)


def _poly_m(coords: list[tuple[float, float]]) -> Polygon:
    return Polygon([_m(*c) for c in coords])


# ---- small numeric helpers ---------------------------------------------------------------------


def _sample_in(poly, n: int, rng: np.random.Generator, density=None) -> np.ndarray:
    """n points (metres) inside poly, uniform or with acceptance probability density(x, y)."""
    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        k = max(64, 8 * n)
        xs, ys = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        accept = rng.uniform(0, 1, k)
        ok = shapely.contains_xy(poly, xs, ys)
        if density is not None:
            ok &= accept < density(xs, ys)
        pts = np.column_stack([xs[ok], ys[ok]])
        out.append(pts)
        have += len(pts)
    return np.vstack(out)[:n]


def _jitter_in(
    poly, x0: float, y0: float, sigma: float, rng: np.random.Generator
) -> tuple[float, float]:
    """A point near (x0, y0), normally scattered, inside poly (falls back to the anchor)."""
    for _ in range(200):
        x, y = x0 + rng.normal(0, sigma), y0 + rng.normal(0, sigma)
        if shapely.contains_xy(poly, x, y):
            return float(x), float(y)
    return x0, y0


# ---- geometry: sub-districts and new areas ------------------------------------------------------


def _core_outline(dist: str) -> Polygon:
    """An irregular 18-gon around the urban centre: the built-up area the streets divide."""
    cx, cy = _m(*URBAN_CENTRE[dist])
    theta = np.linspace(0, 2 * np.pi, 18, endpoint=False)
    r = CORE_RADIUS_M[dist] * (1 + 0.10 * np.sin(3 * theta + 1) + 0.07 * np.cos(5 * theta))
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _voronoi_partition(region, seeds: dict[str, tuple[float, float]]) -> dict[str, object]:
    """Split region among seeds (metres) by Voronoi cells; stray fragments join their neighbour."""
    codes = sorted(seeds)
    pts = [Point(seeds[c]) for c in codes]
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(pts), extend_to=region.envelope.buffer(100_000)
    ).geoms
    out = {}
    for code, p in zip(codes, pts, strict=True):
        cell = next(c for c in cells if c.contains(p))
        out[code] = cell.intersection(region)
    return _merge_fragments(out)


def _parts(geom) -> list[Polygon]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]


def _merge_fragments(cells: dict[str, object]) -> dict[str, object]:
    """Keep each cell's largest part; give smaller detached parts to the neighbour they touch most."""
    moved: dict[str, list[Polygon]] = {c: [] for c in cells}
    main = {}
    for code in sorted(cells):
        parts = sorted(_parts(cells[code]), key=lambda g: -g.area)
        if not parts:
            raise ValueError(f"sub-district {code!r} got an empty cell; move its seed")
        main[code] = parts[0]
        for frag in parts[1:]:
            best, best_len = code, 0.0
            for other in sorted(cells):
                if other == code:
                    continue
                shared = frag.buffer(1.0).intersection(cells[other]).area
                if shared > best_len:
                    best, best_len = other, shared
            moved[best].append(frag)
    return {c: shapely.union_all([main[c], *moved[c]]) for c in sorted(cells)}


def build_subdistricts(districts_m: dict[str, object], subs: list[dict]) -> dict[str, object]:
    """Approximate polygons for every 街道/镇 of the central city (metres), as one coverage."""
    shashi = districts_m[SHASHI]
    shashi_core = shashi.intersection(_core_outline(SHASHI))
    kfq_region = shashi.intersection(_poly_m(KAIFAQU_FRAME)).difference(shashi_core)
    regions = {SHASHI: shashi.difference(kfq_region), JINGZHOU: districts_m[JINGZHOU]}
    seeds_m = {c: _m(*SEEDS[c]) for c in SEEDS}
    kind = {s["code"]: s["kind"] for s in subs}
    polys: dict[str, object] = {}
    for dist in (SHASHI, JINGZHOU):
        region = regions[dist]
        core = region.intersection(_core_outline(dist))
        streets = {c: seeds_m[c] for c in SEEDS if c[:6] == dist and kind[c] == "street"}
        towns = {c: seeds_m[c] for c in SEEDS if c[:6] == dist and kind[c] == "town"}
        polys.update(_voronoi_partition(core, streets))
        polys.update(_voronoi_partition(region.difference(core), towns))
    polys.update(_voronoi_partition(kfq_region, {c: seeds_m[c] for c in SEEDS if c[:6] == KAIFAQU}))
    missing = {s["code"] for s in subs} - set(polys)
    if missing:
        raise ValueError(f"no seed for sub-districts {sorted(missing)!r}")
    # slivers left between the core outline and the district edge join the street they touch
    return _as_coverage(_merge_fragments(polys))


def _as_coverage(pieces: dict[str, object]) -> dict[str, object]:
    """Re-node pieces built by separate overlays into one clean coverage (shared edges identical).

    The pieces are cut from different regions (core, periphery, 开发区), so their common edges
    can differ by floating-point noise. Polygonising the noded union of all boundaries gives
    faces that each piece is made of, with no slivers between neighbours.
    """
    codes = sorted(pieces)
    lines = shapely.union_all([shapely.boundary(pieces[c]) for c in codes])
    faces = sorted(
        shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))),
        key=lambda f: (round(f.centroid.x, 3), round(f.centroid.y, 3)),
    )
    owned: dict[str, list] = {c: [] for c in codes}
    for face in faces:
        p = face.point_on_surface()
        owner = next((c for c in codes if pieces[c].contains(p)), None)
        if owner is None:  # a sliver gap between pieces (or a real hole in the district)
            if face.area > 10_000:
                continue
            touching = [(face.buffer(1.0).intersection(pieces[c]).area, c) for c in codes]
            owner = max(touching)[1]
        owned[owner].append(face)
    return {c: _largest_ok(shapely.union_all(owned[c])) for c in codes}


def _largest_ok(geom):
    geom = shapely.make_valid(geom)
    parts = [p for p in _parts(geom) if p.area > 1_000]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def to_lonlat_geom(geom):
    """Metric geometry -> WGS84, snapped to the 1e-5 degree grid."""
    ll = shapely.transform(geom, lambda xy: np.column_stack(_TO_LL.transform(xy[:, 0], xy[:, 1])))
    return shapely.set_precision(ll, GRID_DEG)


def to_metric_geom(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_M.transform(xy[:, 0], xy[:, 1])))


def build_new_areas(districts_m: dict[str, object], sub_polys_m: dict[str, object]) -> list[dict]:
    """Illustrative outlines of 荆北, 沙北 and the three functional zones (metres), non-overlapping."""
    taken = shapely.union_all([sub_polys_m[c] for c in sub_polys_m if c[:6] == KAIFAQU])
    out = [{"area_id": "kaifaqu", "geom": taken}]
    for area_id, _name, _en, _kind, frame, dists in NEW_AREAS[1:]:
        within = shapely.union_all([sub_polys_m[c] for c in sub_polys_m if c[:6] in dists])
        geom = _poly_m(frame).intersection(within).difference(taken)
        out.append({"area_id": area_id, "geom": _largest_ok(geom)})
        taken = taken.union(geom)
    meta = {a[0]: a for a in NEW_AREAS}
    for row in out:
        # classify points against the published (rounded) outline
        row["geom"] = to_metric_geom(to_lonlat_geom(row["geom"]))
        _id, name, name_en, kind, _f, _d = meta[row["area_id"]]
        row.update(name=name, name_en=name_en, kind=kind)
    return sorted(out, key=lambda r: [a[0] for a in NEW_AREAS].index(r["area_id"]))


# ---- tables -------------------------------------------------------------------------------------


@dataclass
class Committee:
    code: str
    name: str
    district: str
    sub: str
    kind: str
    sub_kind: str
    x: float = 0.0
    y: float = 0.0
    residents: int = 0


def _read_divisions(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _new_area_of(points: np.ndarray, areas_m: list[dict]) -> list[str]:
    out = [""] * len(points)
    for area in areas_m:
        shapely.prepare(area["geom"])
        inside = shapely.contains_xy(area["geom"], points[:, 0], points[:, 1])
        for i in np.flatnonzero(inside):
            out[i] = out[i] or area["area_id"]
    return out


def _centre_density(dist: str, scale_m: float):
    cx, cy = _m(*URBAN_CENTRE[dist])
    return lambda xs, ys: np.exp(-np.hypot(xs - cx, ys - cy) / scale_m)


def build_layer(root: Path) -> dict[str, object]:
    """Everything the layer holds, computed from the real inputs under root."""
    rng = np.random.default_rng(SEED)
    districts = gpd.read_file(root / "geodata" / "districts.geojson")
    districts_m = {
        r.code: to_metric_geom(r.geometry) for r in districts.itertuples() if r.level == "district"
    }
    divisions = _read_divisions(root / "data" / "divisions.csv")
    names = {d["code"]: d["name"] for d in divisions}
    subs = [
        {
            "code": d["code"],
            "name": d["name"],
            "district": d["district_code"],
            "kind": "street" if d["name"].endswith("街道") else "town",
        }
        for d in divisions
        if d["level"] == "subdistrict" and d["district_code"] in CENTRAL
    ]
    sub_kind = {s["code"]: s["kind"] for s in subs}
    sub_m = build_subdistricts(districts_m, subs)
    sub_ll = {c: to_lonlat_geom(g) for c, g in sub_m.items()}
    # Sample inside the published (rounded) polygons, 25 m in from the edge, so points stay inside.
    sub_inner = {c: to_metric_geom(g).buffer(-25) for c, g in sub_ll.items()}
    areas_m = build_new_areas(districts_m, {c: to_metric_geom(g) for c, g in sub_ll.items()})

    committees = [
        Committee(
            d["code"],
            d["name"],
            d["district_code"],
            d["parent_code"],
            committee_kind(d["name"]),
            sub_kind[d["parent_code"]],
        )
        for d in divisions
        if d["level"] == "committee" and d["district_code"] in CENTRAL
    ]

    # -- anchors: communities near the urban centre (streets) or the town seat; villages anywhere
    for c in committees:
        poly = sub_inner[c.sub]
        if c.kind == "community" and c.sub_kind == "street":
            ((c.x, c.y),) = _sample_in(poly, 1, rng, _centre_density(c.district, 2_500))
        elif c.kind == "community":
            sx, sy = _m(*SEEDS[c.sub])
            if not shapely.contains_xy(poly, sx, sy):
                sx, sy = shapely.get_coordinates(poly.representative_point())[0]
            c.x, c.y = _jitter_in(poly, sx, sy, 900, rng)
        else:
            ((c.x, c.y),) = _sample_in(poly, 1, rng)

    # -- residents: group totals -> sub-districts -> committees (largest remainder throughout)
    base = {  # illustrative mean residents by (district, committee kind, sub-district kind)
        ("community", "street"): {SHASHI: 7_500, JINGZHOU: 8_500, KAIFAQU: 5_000},
        ("community", "town"): 3_500,
        ("village", "street"): 1_800,
        ("village", "town"): 1_400,
    }
    weight = {}
    for c in committees:
        b = base[(c.kind, c.sub_kind)]
        b = b[c.district] if isinstance(b, dict) else b
        if c.kind == "village" and "生活区" in c.name:
            b = 700
        weight[c.code] = b * rng.lognormal(0.0, 0.35)
    large_centre_sub = (
        "421003001"  # 西城街道: the centre that serves ~50,000 with 3 on establishment
    )
    groups = {(JINGZHOU,): RESIDENTS_JINGZHOU, (SHASHI, KAIFAQU): RESIDENTS_SHASHI_WITH_KAIFAQU}
    sub_res: dict[str, int] = {}
    for dists, total in groups.items():
        codes = sorted({c.sub for c in committees if c.district in dists})
        fixed = {large_centre_sub: LARGE_CENTRE_RESIDENTS} if large_centre_sub in codes else {}
        free = [s for s in codes if s not in fixed]
        w = [sum(weight[c.code] for c in committees if c.sub == s) for s in free]
        sub_res.update(fixed)
        sub_res.update(zip(free, apportion(total - sum(fixed.values()), w).tolist(), strict=True))
    for s in sorted(sub_res):
        members = [c for c in committees if c.sub == s]
        for c, r in zip(
            members, apportion(sub_res[s], [weight[c.code] for c in members]), strict=True
        ):
            c.residents = int(r)

    # -- compounds (demand points)
    comms = [c for c in committees if c.kind == "community"]
    per_comm = apportion(COMPOUNDS, [c.residents for c in comms], minimum=3)
    rows = []
    for c, n in zip(comms, per_comm, strict=True):
        sizes = apportion(c.residents, rng.lognormal(0.0, 0.7, n), minimum=30)
        sigma = 350 if c.sub_kind == "street" else 500
        for i, size in enumerate(sizes, start=1):
            x, y = _jitter_in(sub_inner[c.sub], c.x, c.y, sigma, rng)
            rows.append(
                dict(
                    compound_id=f"C{c.code}{i:03d}",
                    name=f"{_short(c.name)}示例小区{i:02d}",
                    kind="compound",
                    c=c,
                    x=x,
                    y=y,
                    residents=int(size),
                )
            )
    for c in committees:
        if c.kind == "village":
            rows.append(
                dict(
                    compound_id=f"V{c.code}",
                    name=f"{_short(c.name)}示例居民点",  # the village is real; the point and its people are not
                    kind="village",
                    c=c,
                    x=c.x,
                    y=c.y,
                    residents=c.residents,
                )
            )
    rows.sort(key=lambda r: r["compound_id"])
    pts = np.array([(r["x"], r["y"]) for r in rows])
    for r, area in zip(rows, _new_area_of(pts, areas_m), strict=True):
        r["new_area"] = area

    # ages: the city's census mix, varied by compound, exact per district group
    share60, share80 = CITY_AGED_60 / CITY_RESIDENTS, CITY_AGED_80 / CITY_RESIDENTS
    m60 = rng.lognormal(0.0, 0.18, len(rows)) * np.where(
        [r["kind"] == "village" for r in rows], 1.2, 1.0
    )
    m80 = rng.lognormal(0.0, 0.15, len(rows))
    for dists, total in groups.items():
        idx = [i for i, r in enumerate(rows) if r["c"].district in dists]
        res = np.array([rows[i]["residents"] for i in idx])
        a60 = apportion(round(total * share60), res * m60[idx])
        a80 = apportion(round(total * share80), a60 * m80[idx])
        for i, v60, v80 in zip(idx, a60, a80, strict=True):
            rows[i]["aged_60_plus"], rows[i]["aged_80_plus"] = int(v60), int(v80)
    for r in rows:
        if not r["aged_80_plus"] <= r["aged_60_plus"] <= r["residents"]:
            raise ValueError(f"age counts out of order in compound {r['compound_id']!r}")
        r["households"] = max(1, round(r["residents"] / HOUSEHOLD_SIZE))

    # property management (713 of 1,790) and owners' committees (14.5% in 沙市区)
    comp_idx = [i for i, r in enumerate(rows) if r["kind"] == "compound"]
    dist_km = np.array(
        [
            np.hypot(
                rows[i]["x"] - _m(*URBAN_CENTRE[rows[i]["c"].district])[0],
                rows[i]["y"] - _m(*URBAN_CENTRE[rows[i]["c"].district])[1],
            )
            / 1000
            for i in comp_idx
        ]
    )
    pm_w = np.array([rows[i]["residents"] ** 0.3 for i in comp_idx]) * (1 + dist_km / 3)
    pm_w *= np.where([rows[i]["new_area"] != "" for i in comp_idx], 3.0, 1.0)
    managed = set(
        np.array(comp_idx)[
            rng.choice(len(comp_idx), COMPOUNDS_MANAGED, replace=False, p=pm_w / pm_w.sum())
        ].tolist()
    )
    for r in rows:
        r["has_property_management"] = False
        r["has_owners_committee"] = False
    for i in managed:
        rows[i]["has_property_management"] = True
    owners_share = {
        SHASHI: OWNERS_COMMITTEE_SHARE_SHASHI,
        KAIFAQU: OWNERS_COMMITTEE_SHARE_SHASHI,
        JINGZHOU: 0.11,
    }
    for dist in CENTRAL:
        idx = [i for i in comp_idx if rows[i]["c"].district == dist]
        k = round(owners_share[dist] * len(idx))
        w = np.array([4.0 if i in managed else 1.0 for i in idx])
        for j in rng.choice(len(idx), k, replace=False, p=w / w.sum()):
            rows[idx[j]]["has_owners_committee"] = True

    # -- communities: pay reform, home-care centres, aggregates
    by_code = {c.code: c for c in committees}
    reform: set[str] = set()
    for dist, (n_comm, _posts) in PAY_REFORM.items():
        cand = sorted(c.code for c in comms if c.district == dist and c.sub_kind == "street")
        reform.update(rng.choice(cand, n_comm, replace=False).tolist())
    home_care: set[str] = set()
    jz_reform = sorted(c for c in reform if c[:6] == JINGZHOU)
    home_care.update(rng.choice(jz_reform, JINGZHOU_HOME_CARE_COMMUNITIES, replace=False).tolist())
    for dist, n in (
        (SHASHI, SHASHI_CARE["home_care_centre"][0]),
        (KAIFAQU, CENTRAL_CARE_COUNTS[KAIFAQU]["home_care_centre"]),
    ):
        cand = sorted(c.code for c in comms if c.district == dist)
        w = np.array([3.0 if sub_kind[by_code[c].sub] == "street" else 1.0 for c in cand])
        home_care.update(rng.choice(cand, n, replace=False, p=w / w.sum()).tolist())

    agg: dict[str, dict[str, int]] = {}
    area_res: dict[str, dict[str, int]] = {}
    for r in rows:
        a = agg.setdefault(
            r["c"].code, dict(households=0, residents=0, aged_60_plus=0, aged_80_plus=0)
        )
        for k in a:
            a[k] += r[k]
        ar = area_res.setdefault(r["c"].code, {})
        ar[r["new_area"]] = ar.get(r["new_area"], 0) + r["residents"]
    communities = []
    for c in committees:
        majority = max(sorted(area_res[c.code].items()), key=lambda kv: kv[1])[0]
        communities.append(
            dict(
                committee_code=c.code,
                name=c.name,
                district_code=c.district,
                subdistrict_code=c.sub,
                new_area_id=majority,
                kind=c.kind,
                **agg[c.code],
                has_home_care_centre=c.code in home_care,
                in_pay_reform=c.code in reform,
                source_id=SOURCE_ID,
            )
        )

    compounds = [
        dict(
            compound_id=r["compound_id"],
            name=r["name"],
            kind=r["kind"],
            committee_code=r["c"].code,
            subdistrict_code=r["c"].sub,
            district_code=r["c"].district,
            new_area_id=r["new_area"],
            x=r["x"],
            y=r["y"],
            households=r["households"],
            residents=r["residents"],
            aged_60_plus=r["aged_60_plus"],
            aged_80_plus=r["aged_80_plus"],
            has_property_management=r["has_property_management"],
            has_owners_committee=r["has_owners_committee"],
            source_id=SOURCE_ID,
        )
        for r in rows
    ]

    clinics = build_clinics(rows, comms, sub_kind, sub_res, names, large_centre_sub, rng)
    care = build_care(districts_m, committees, rows, home_care, sub_inner, names, rng)
    workers = build_workers(comms, reform, rng)
    return dict(
        sub_ll=sub_ll,
        subs=subs,
        areas=areas_m,
        communities=communities,
        compounds=compounds,
        clinics=clinics,
        care=care,
        workers=workers,
    )


def build_property_and_grids(layer: dict) -> dict[str, list[dict]]:
    """Build year, enclosure, property firm and grid of each compound; the grids of the communities.

    Calibration: 713 managed compounds are run by 212 firms (more than 200, most with one to three
    compounds); 758 grids hold every compound's households except 36 recent compounds
    left without a grid, and 69,099 deployed party cadres. Build years, enclosure and grid workers
    are illustrative (the report gives no counts): unmanaged compounds near the old centres are
    mostly built before 2001, managed and new-area compounds mostly after.
    """
    rng = np.random.default_rng(list(PROPERTY_SEED))
    comp = [c for c in layer["compounds"] if c["kind"] == "compound"]
    comp.sort(key=lambda c: c["compound_id"])
    profiles: dict[str, dict] = {}
    for c in comp:
        cx, cy = _m(*URBAN_CENTRE[c["district_code"]])
        d_km = float(np.hypot(c["x"] - cx, c["y"] - cy)) / 1000
        managed = c["has_property_management"]
        if c["new_area_id"]:
            p_old = 0.03
        elif managed:
            p_old = 0.12
        else:
            p_old = min(0.9, 0.5 + 0.35 * np.exp(-d_km / 3))
        old = rng.uniform() < p_old
        if old:
            year = int(max(1955, OLD_BEFORE - np.floor(rng.exponential(9))))
            enclosure = str(rng.choice(["closed", "semi_closed", "open"], p=[0.3, 0.35, 0.35]))
        else:
            first = 2008 if c["new_area_id"] else OLD_BEFORE + 1
            year = int(rng.integers(first, 2021))
            enclosure = str(rng.choice(["closed", "semi_closed", "open"], p=[0.85, 0.12, 0.03]))
        if managed and enclosure == "open":
            enclosure = "semi_closed"
        profiles[c["compound_id"]] = dict(compound_id=c["compound_id"], build_year=year, enclosure=enclosure,
                                          property_firm_id="", grid_id="", source_id=SOURCE_ID)

    # firms: small and scattered (heavy-tailed sizes, every firm at least one compound)
    managed_ids = [c["compound_id"] for c in comp if c["has_property_management"]]
    sizes = apportion(len(managed_ids), rng.lognormal(0.0, 0.8, PROPERTY_FIRMS), minimum=1)
    order = [managed_ids[i] for i in rng.permutation(len(managed_ids))]
    k = 0
    for f, n in enumerate(sizes, start=1):
        for cid in order[k:k + n]:
            profiles[cid]["property_firm_id"] = f"F{f:03d}"
        k += n

    # compounds without a grid: recent compounds, mostly in the new areas
    recent = [c for c in comp if profiles[c["compound_id"]]["build_year"] >= 2016]
    w = np.array([4.0 if c["new_area_id"] else 1.0 for c in recent])
    no_grid = {recent[i]["compound_id"] for i in rng.choice(len(recent), NO_GRID_COMPOUNDS, replace=False,
                                                             p=w / w.sum())}

    # grids: per community in proportion to households (at most one grid per compound), cut unevenly
    by_comm: dict[str, list[dict]] = {}
    for c in comp:
        if c["compound_id"] not in no_grid:
            by_comm.setdefault(c["committee_code"], []).append(c)
    codes = sorted(by_comm)
    hh = np.array([sum(c["households"] for c in by_comm[code]) for code in codes], dtype=float)
    cap = np.array([len(by_comm[code]) for code in codes])
    k_grids = np.minimum(apportion(GRIDS, hh, minimum=1), cap)
    while (short := GRIDS - int(k_grids.sum())) > 0:  # capped communities hand their grids on
        room = cap > k_grids
        k_grids[room] += apportion(short, np.where(room, hh, 0.0)[room], minimum=0)
        k_grids = np.minimum(k_grids, cap)
    grids = []
    for code, n_grids in zip(codes, k_grids, strict=True):
        members = sorted(by_comm[code], key=lambda c: (c["x"], c["compound_id"]))
        cuts = sorted(rng.choice(np.arange(1, len(members)), int(n_grids) - 1, replace=False).tolist())
        first = members[0]
        for g, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(members)], strict=True), start=1):
            gid = f"G{code}{g:02d}"
            for c in members[a:b]:
                profiles[c["compound_id"]]["grid_id"] = gid
            households = sum(c["households"] for c in members[a:b])
            grids.append(dict(grid_id=gid, name=f"{_short(first['name'].split('示例')[0])}第{g}网格",
                              committee_code=code, subdistrict_code=first["subdistrict_code"],
                              district_code=first["district_code"], households=households))
    for gr in grids:
        big = gr["households"] > 900
        gr["grid_workers"] = int(rng.choice([0, 1, 2], p=[0.12, 0.48, 0.40] if big else [0.12, 0.86, 0.02]))
    cadres = apportion(PARTY_CADRES, np.array([g["households"] for g in grids]) * rng.lognormal(0, 0.3, len(grids)),
                       minimum=10)
    for gr, n in zip(grids, cadres, strict=True):
        gr["party_cadres"] = int(n)
        gr["source_id"] = SOURCE_ID
    return dict(profiles=[profiles[c["compound_id"]] for c in comp], grids=grids)


def build_clinics(rows, comms, sub_kind, sub_res, names, large_centre_sub, rng) -> list[dict]:
    """15 centres and 43 stations in the central city; none of the centres in a new area."""
    comp = [r for r in rows if r["kind"] == "compound"]
    eligible_subs = sorted(
        s for s, k in sub_kind.items() if k == "street" and s[:6] in (SHASHI, JINGZHOU)
    )

    def outside(sub):
        return [r for r in comp if r["c"].sub == sub and r["new_area"] == ""]

    def weighted_centre(points):
        w = np.array([p["residents"] for p in points], dtype=float)
        xy = np.array([(p["x"], p["y"]) for p in points])
        return (xy * w[:, None]).sum(0) / w.sum()

    def nearest(points, target):
        d = [np.hypot(p["x"] - target[0], p["y"] - target[1]) for p in points]
        return points[int(np.argmin(d))]

    sites: list[tuple[str, dict]] = []  # (sub, compound row)
    for s in eligible_subs:
        cand = outside(s)
        if cand:
            sites.append((s, nearest(cand, weighted_centre(cand))))
    # extra centres go to the most populous streets per centre (never 西城, which keeps one)
    while len(sites) < CENTRES:
        counts = {s: sum(1 for t, _ in sites if t == s) for s, _ in sites}
        s = max(
            sorted(c for c in counts if c != large_centre_sub), key=lambda t: sub_res[t] / counts[t]
        )
        first = next(r for t, r in sites if t == s)
        cand = outside(s)
        d = np.array([np.hypot(p["x"] - first["x"], p["y"] - first["y"]) for p in cand])
        far = [p for p, dd in zip(cand, d, strict=True) if dd > np.median(d)]
        sites.append((s, nearest(far, weighted_centre(far))))
    sites.sort(key=lambda t: (t[0], t[1]["compound_id"]))

    # stations: 7 in new areas, the rest elsewhere, one per community, weighted by residents
    used = {r["c"].code for _, r in sites}
    pool = [c for c in comms if c.code not in used]
    largest = {}
    for r in comp:
        if r["c"].code not in largest or r["residents"] > largest[r["c"].code]["residents"]:
            largest[r["c"].code] = r
    in_new = [c for c in pool if largest[c.code]["new_area"] != ""]
    not_new = [c for c in pool if largest[c.code]["new_area"] == ""]
    chosen = []
    for group, n in ((in_new, 7), (not_new, STATIONS - 7)):
        w = np.array([c.residents for c in group], dtype=float)
        chosen += [
            group[i] for i in sorted(rng.choice(len(group), n, replace=False, p=w / w.sum()))
        ]
    chosen.sort(key=lambda c: c.code)

    clinics = []
    seen: dict[str, int] = {}
    for k, (s, r) in enumerate(sites, start=1):
        seen[s] = seen.get(s, 0) + 1
        suffix = "" if seen[s] == 1 else "第二"
        clinics.append(
            dict(
                clinic_id=f"HC{k:02d}",
                name=f"{names[s]}{suffix}社区卫生服务中心(示例)",
                kind="centre",
                sub=s,
                row=r,
            )
        )
    for k, c in enumerate(chosen, start=1):
        clinics.append(
            dict(
                clinic_id=f"HS{k:02d}",
                name=f"{_short(c.name)}社区卫生服务站(示例)",
                kind="station",
                sub=c.sub,
                row=largest[c.code],
            )
        )

    centres = [c for c in clinics if c["kind"] == "centre"]
    large = next(c for c in centres if c["sub"] == large_centre_sub)
    others = [c for c in centres if c is not large]
    standard = {
        c["clinic_id"] for c in (others[i] for i in rng.choice(len(others), 4, replace=False))
    }
    pool = [c["clinic_id"] for c in others if c["clinic_id"] not in standard]
    private_centres = {pool[i] for i in rng.choice(len(pool), 3, replace=False)}
    stations = [c for c in clinics if c["kind"] == "station"]
    public_stations = {
        stations[i]["clinic_id"] for i in rng.choice(len(stations), 16, replace=False)
    }
    owned = set(standard)
    pool = [c["clinic_id"] for c in others if c["clinic_id"] not in standard | private_centres]
    owned.update(pool[i] for i in rng.choice(len(pool), 3, replace=False))
    owned.update(
        stations[i]["clinic_id"]
        for i in rng.choice(
            [i for i, c in enumerate(stations) if c["clinic_id"] in public_stations],
            2,
            replace=False,
        )
    )
    if len(clinics) - len(owned) != RENTED:
        raise ValueError(f"rented premises {len(clinics) - len(owned)} != {RENTED}")

    bounds = {}
    for c in clinics:
        cid = c["clinic_id"]
        c["ownership"] = (
            "private"
            if cid in private_centres or (c["kind"] == "station" and cid not in public_stations)
            else "public"
        )
        c["premises"] = "owned" if cid in owned else "rented"
        c["meets_standard"] = cid in standard
        if c["kind"] == "station":
            c["gps"], c["nurses"] = int(rng.integers(1, 4)), int(rng.integers(1, 5))
            c["established_staff"] = int(rng.integers(0, 4)) if c["ownership"] == "public" else 0
            bounds[cid] = (1, 5)
        elif cid in standard:  # national basic standard: >= 6 GPs, >= 9 nurses
            c["gps"], c["nurses"] = int(rng.integers(7, 11)), int(rng.integers(9, 16))
            c["established_staff"] = int(rng.integers(20, 41))
            bounds[cid] = (6, 14)
        else:
            c["gps"], c["nurses"] = int(rng.integers(4, 8)), int(rng.integers(4, 10))
            c["established_staff"] = int(rng.integers(8, 26)) if c["ownership"] == "public" else 0
            bounds[cid] = (3, 10)
    large["established_staff"] = LARGE_CENTRE_STAFF
    large["gps"], bounds[large["clinic_id"]] = 4, (4, 4)
    while (diff := GPS - sum(c["gps"] for c in clinics)) != 0:
        step = 1 if diff > 0 else -1
        c = clinics[int(rng.integers(len(clinics)))]
        lo, hi = bounds[c["clinic_id"]]
        if lo <= c["gps"] + step <= hi:
            c["gps"] += step
    out = []
    for c in clinics:
        r = c["row"]
        out.append(
            dict(
                clinic_id=c["clinic_id"],
                name=c["name"],
                kind=c["kind"],
                ownership=c["ownership"],
                premises=c["premises"],
                meets_standard=c["meets_standard"],
                district_code=c["sub"][:6],
                subdistrict_code=c["sub"],
                new_area_id=r["new_area"],
                x=r["x"],
                y=r["y"],
                gps=c["gps"],
                nurses=c["nurses"],
                established_staff=c["established_staff"],
                source_id=SOURCE_ID,
            )
        )
    if any(c["kind"] == "centre" and c["new_area_id"] for c in out):
        raise ValueError("a centre fell inside a new area")
    return out


def build_care(districts_m, committees, rows, home_care, sub_inner, names, rng) -> list[dict]:
    """1,544 elderly-care facilities for the whole city, calibrated to the report's beds."""
    counties = sorted(d for d in districts_m if d not in CENTRAL)
    area = np.array([districts_m[d].area for d in counties])
    rural_total = CARE_BEDS_TOTAL - sum(b for _n, b in CARE.values())
    n_rural = CARE_INSTITUTIONS - sum(n for n, _b in CARE.values())
    totals = dict(CARE, rural=(n_rural, rural_total))
    counts: dict[tuple[str, str], int] = {}
    for ftype, (n_all, _beds) in totals.items():
        counts[(SHASHI, ftype)] = SHASHI_CARE[ftype][0]
        for d in (JINGZHOU, KAIFAQU):
            counts[(d, ftype)] = CENTRAL_CARE_COUNTS[d][ftype]
        rest = n_all - sum(counts[(d, ftype)] for d in CENTRAL)
        minimum = 1 if ftype == "urban_public" else 0
        for d, n in zip(counties, apportion(rest, area, minimum=minimum), strict=True):
            counts[(d, ftype)] = int(n)

    comm_rows: dict[str, list[dict]] = {}
    for r in rows:
        comm_rows.setdefault(r["c"].code, []).append(r)
    villages = {
        d: sorted(
            (c for c in committees if c.kind == "village" and c.district == d), key=lambda c: c.code
        )
        for d in CENTRAL
    }
    street_comms = {
        d: sorted(
            (
                c
                for c in committees
                if c.kind == "community" and c.district == d and c.sub_kind == "street"
            ),
            key=lambda c: c.code,
        )
        for d in CENTRAL
    }
    letter = {"urban_public": "G", "urban_private": "M", "home_care_centre": "H", "rural": "R"}
    label = {
        "urban_public": "示例公办养老院",
        "urban_private": "示例民办养老院",
        "home_care_centre": "示例社区居家养老服务中心",
        "rural": "示例农村养老机构",
    }
    facilities = []
    for ftype in totals:
        for d in sorted({*districts_m, KAIFAQU}):
            n = counts[(d, ftype)]
            if d in CENTRAL:
                if ftype == "home_care_centre":
                    hosts = sorted(
                        (c for c in committees if c.code in home_care and c.district == d),
                        key=lambda c: c.code,
                    )
                elif ftype == "rural":
                    pool = villages[d]
                    hosts = [pool[i] for i in sorted(rng.choice(len(pool), n, replace=False))]
                else:
                    pool = street_comms[d]
                    w = np.array([agg_aged(comm_rows[c.code]) for c in pool], dtype=float)
                    hosts = [
                        pool[i]
                        for i in sorted(rng.choice(len(pool), n, replace=False, p=w / w.sum()))
                    ]
                if len(hosts) != n:
                    raise ValueError(f"{d} {ftype}: {len(hosts)} hosts for {n} facilities")
                for k, c in enumerate(hosts, start=1):
                    x, y = _jitter_in(sub_inner[c.sub], c.x, c.y, 200, rng)
                    name = (
                        f"{_short(c.name)}社区居家养老服务中心(示例)"
                        if ftype == "home_care_centre"
                        else f"{_short(c.name)}{label[ftype]}{k:02d}"
                    )
                    facilities.append(
                        dict(
                            facility_id=f"E{d}{letter[ftype]}{k:03d}",
                            name=name,
                            facility_type=ftype,
                            district_code=d,
                            subdistrict_code=c.sub,
                            committee_code=c.code,
                            x=x,
                            y=y,
                        )
                    )
            else:
                poly = districts_m[d].buffer(-200)
                if ftype == "rural":
                    pts = _sample_in(poly, n, rng)
                else:
                    sx, sy = _m(*COUNTY_SEATS[d])
                    if not shapely.contains_xy(poly, sx, sy):
                        sx, sy = shapely.get_coordinates(poly.representative_point())[0]
                    pts = np.array(
                        [_jitter_in(poly, sx, sy, 2_500, rng) for _ in range(n)]
                    ).reshape(-1, 2)
                for k, (x, y) in enumerate(pts, start=1):
                    facilities.append(
                        dict(
                            facility_id=f"E{d}{letter[ftype]}{k:03d}",
                            name=f"{names[d]}{label[ftype]}{k:03d}",
                            facility_type=ftype,
                            district_code=d,
                            subdistrict_code="",
                            committee_code="",
                            x=float(x),
                            y=float(y),
                        )
                    )
    # beds: 沙市区 gets its fixed split; everyone else shares the rest of each type's total
    for ftype, (_n, beds_total) in totals.items():
        group = [f for f in facilities if f["facility_type"] == ftype]
        sha = [f for f in group if f["district_code"] == SHASHI]
        rest = [f for f in group if f["district_code"] != SHASHI]
        for part, total in (
            (sha, SHASHI_CARE[ftype][1]),
            (rest, beds_total - SHASHI_CARE[ftype][1]),
        ):
            w = rng.lognormal(0.0, 0.6, len(part))
            for f, b in zip(part, apportion(total, w, minimum=CARE_MIN_BEDS[ftype]), strict=True):
                f["beds"] = int(b)
                share = NURSING_SHARE[ftype] * rng.uniform(0.4, 1.6)
                f["nursing_beds"] = min(int(b), round(b * share))
    facilities.sort(key=lambda f: f["facility_id"])
    for f in facilities:
        f["source_id"] = SOURCE_ID
    return facilities


def agg_aged(points: list[dict]) -> int:
    return sum(p["aged_60_plus"] for p in points)


def build_workers(comms, reform, rng) -> list[dict]:
    """Budgeted posts of the pay-reform communities: 419 in 荆州区, 506 in 沙市区."""
    base_pay = {"head": 27_000, "deputy": 25_000, "member": 23_000, "staff": 21_000}
    tenure_range = {"head": (6, 31), "deputy": (3, 26), "member": (1, 21)}
    workers = []
    for dist, (n_comm, posts) in PAY_REFORM.items():
        members = sorted(
            (c for c in comms if c.code in reform and c.district == dist), key=lambda c: c.code
        )
        if len(members) != n_comm:
            raise ValueError(f"{dist}: {len(members)} reform communities, expected {n_comm}")
        sizes = apportion(posts, [c.residents for c in members], minimum=8)
        for c, n in zip(members, sizes, strict=True):
            deputies = 2 if (n >= 10 and rng.uniform() < 0.6) else 1
            council = int(min(rng.integers(3, 6), n - 1 - deputies))
            roles = ["head"] + ["deputy"] * deputies + ["member"] * council
            roles += ["staff"] * (n - len(roles))
            for k, post in enumerate(roles, start=1):
                if post == "staff":
                    tenure = int(min(30, np.floor(rng.exponential(4.5))))
                else:
                    tenure = int(rng.integers(*tenure_range[post]))
                pay = base_pay[post] + 250 * tenure + rng.normal(0, 600)
                pay = int(round(min(PAY_MAX, max(PAY_MIN, pay)) / 100) * 100)
                workers.append(
                    dict(
                        worker_id=f"W{c.code}{k:02d}",
                        district_code=dist,
                        subdistrict_code=c.sub,
                        committee_code=c.code,
                        post=post,
                        tenure_years=tenure,
                        pay_yuan_per_year=pay,
                        source_id=SOURCE_ID,
                    )
                )
    return workers


# ---- writers ------------------------------------------------------------------------------------


def _cell(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    return str(v)


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r[c]) for c in columns])


def _with_lonlat(rows: list[dict]) -> list[dict]:
    xs = np.array([r["x"] for r in rows])
    ys = np.array([r["y"] for r in rows])
    lon, lat = _TO_LL.transform(xs, ys)
    out = []
    for r, lo, la in zip(rows, lon, lat, strict=True):
        r = dict(r)
        r["lon"], r["lat"] = f"{lo:.5f}", f"{la:.5f}"
        out.append(r)
    return out


def write_geojson(path: Path, name: str, features: list[tuple[dict, object]]) -> None:
    """Compact, deterministic GeoJSON: one feature per line, coordinates with 5 decimals (dashboard.data.geofiles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for props, geom in features:
        feature = {"type": "Feature", "properties": props, "geometry": round_coords(mapping(geom))}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    path.write_text(collection(name, lines), encoding="utf-8")


COLUMNS = {
    "communities": [
        "committee_code",
        "name",
        "district_code",
        "subdistrict_code",
        "new_area_id",
        "kind",
        "households",
        "residents",
        "aged_60_plus",
        "aged_80_plus",
        "has_home_care_centre",
        "in_pay_reform",
        "source_id",
    ],
    "compounds": [
        "compound_id",
        "name",
        "kind",
        "committee_code",
        "subdistrict_code",
        "district_code",
        "new_area_id",
        "lon",
        "lat",
        "households",
        "residents",
        "aged_60_plus",
        "aged_80_plus",
        "has_property_management",
        "has_owners_committee",
        "source_id",
    ],
    "clinics": [
        "clinic_id",
        "name",
        "kind",
        "ownership",
        "premises",
        "meets_standard",
        "district_code",
        "subdistrict_code",
        "new_area_id",
        "lon",
        "lat",
        "gps",
        "nurses",
        "established_staff",
        "source_id",
    ],
    "care_facilities": [
        "facility_id",
        "name",
        "facility_type",
        "district_code",
        "subdistrict_code",
        "committee_code",
        "lon",
        "lat",
        "beds",
        "nursing_beds",
        "source_id",
    ],
    "compound_profiles": [
        "compound_id",
        "build_year",
        "enclosure",
        "property_firm_id",
        "grid_id",
        "source_id",
    ],
    "grids": [
        "grid_id",
        "name",
        "committee_code",
        "subdistrict_code",
        "district_code",
        "households",
        "grid_workers",
        "party_cadres",
        "source_id",
    ],
    "community_workers": [
        "worker_id",
        "district_code",
        "subdistrict_code",
        "committee_code",
        "post",
        "tenure_years",
        "pay_yuan_per_year",
        "source_id",
    ],
}


def write_all(layer: dict, out: Path) -> None:
    subs = sorted(layer["subs"], key=lambda s: s["code"])
    write_geojson(
        out / "geodata" / "subdistricts.geojson",
        "subdistricts",
        [
            (
                {
                    "code": s["code"],
                    "name": s["name"],
                    "district_code": s["district"],
                    "kind": s["kind"],
                    "source_id": SOURCE_ID,
                },
                layer["sub_ll"][s["code"]],
            )
            for s in subs
        ],
    )
    write_geojson(
        out / "geodata" / "new_areas.geojson",
        "new_areas",
        [
            (
                {
                    "area_id": a["area_id"],
                    "name": a["name"],
                    "name_en": a["name_en"],
                    "kind": a["kind"],
                    "source_id": SOURCE_ID,
                },
                to_lonlat_geom(a["geom"]),
            )
            for a in layer["areas"]
        ],
    )
    write_csv(out / "data" / "communities.csv", layer["communities"], COLUMNS["communities"])
    for name, key in (
        ("compounds", "compounds"),
        ("clinics", "clinics"),
        ("care_facilities", "care"),
        ("community_workers", "workers"),
        ("compound_profiles", "profiles"),
        ("grids", "grids"),
    ):
        rows = layer[key]
        if "x" in rows[0]:
            rows = _with_lonlat(rows)
        write_csv(out / "data" / f"{name}.csv", rows, COLUMNS[name])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=REPO, help="root to write geodata/ and data/ under"
    )
    parser.add_argument("--root", type=Path, default=REPO, help="root holding the real inputs")
    args = parser.parse_args(argv)
    layer = build_layer(args.root)
    layer.update(build_property_and_grids(layer))
    write_all(layer, args.out)
    print(
        f"wrote demonstration layer under {args.out}: {len(layer['compounds'])} demand points, "
        f"{len(layer['clinics'])} clinics, {len(layer['care'])} care facilities, "
        f"{len(layer['workers'])} workers"
    )


if __name__ == "__main__":
    main()
