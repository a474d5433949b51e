"""A seeded demonstration layer for any city's data folder (docs/demo-layer.md, "Another city"). No Streamlit.

Reads a folder `new-city` wrote (`geodata/districts.geojson`, `data/divisions.csv`, `data/city.toml`) and
writes, for the central-city districts, the same datasets scripts/make_demo_data.py writes for Jingzhou:
sub-district polygons (Voronoi cells of seeded points inside each real district polygon, one per real
街道/镇, re-noded into one coverage), communities, compounds, clinics, care facilities, community workers,
compound profiles and grids, plus the central districts' census rows the coverage and beds pages need.

Totals are either the ones the user gives (a small TOML or JSON file, `Totals.read`) or documented
rule-of-thumb densities (`GENERIC`); every row has `source_id = demo_layer`, and the folder's
`sources.csv` gets one `illustrative` row saying which of the two it is. Individual rows (a compound's size,
a clinic's place) are invented; names contain 示例. One `numpy.random.default_rng(seed)` drives every draw
in a fixed order, and files are written with fixed formatting: same folder, totals and seed → same bytes.

The Jingzhou layer (scripts/make_demo_data.py) shares the splitting rule (`apportion`, largest remainder)
and the Voronoi/coverage method, with Jingzhou's hand-placed seeds, new areas and report calibration.
"""

from __future__ import annotations

import csv
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SOURCE_ID = "demo_layer"
DEFAULT_SEED = 2020
GRID_DEG = 1e-5
CARE_TYPES = ("urban_public", "urban_private", "home_care_centre", "rural")

# Rule-of-thumb densities used when no total is given (docs/demo-layer.md, "Another city").
GENERIC = {
    "residents_per_community": 6_000,  # urban residents' committee (illustrative)
    "residents_per_village": 1_500,  # villagers' committee (illustrative)
    "household_size": 2.62,  # 2020 census, national average family household
    "aged_60_share": 0.1870,  # 2020 census, national share aged 60+
    "aged_80_share": 0.0254,  # 2020 census, national share aged 80+
    "residents_per_compound": 800,  # community residents per compound (illustrative)
    "managed_share": 0.5,  # compounds with property management (illustrative)
    "owners_committee_share": 0.15,  # compounds with an owners' committee (illustrative)
    "residents_per_station": 15_000,  # one station per ~15,000 residents beyond the centres (illustrative)
    "gps_per_10k": 2.0,  # 2 GPs per 10,000 residents (national 2020 goal 2-3)
    "beds_per_1000_aged_60": 30,  # elderly-care beds per 1,000 aged 60+ (national order of magnitude)
    "bed_share": {"urban_public": 0.15, "urban_private": 0.30, "home_care_centre": 0.25, "rural": 0.30},
    "beds_per_facility": {"urban_public": 150, "urban_private": 100, "home_care_centre": 40, "rural": 40},
    "workers_per_10k": 18,  # community workers per 10,000 urban residents (Ministry of Civil Affairs guide)
    "households_per_grid": 300,  # 300-500 households per grid (common urban guidance)
    "party_cadres_per_grid": 8,  # illustrative
    "pay_min": 30_000,
    "pay_max": 60_000,
}


class DemoError(ValueError):
    """A totals file or a data folder the demonstration layer cannot be built from (names file and field)."""


@dataclass
class Totals:
    """Totals to calibrate to; any left out come from GENERIC (the layer's source note says which)."""

    residents: dict[str, int] = field(default_factory=dict)  # central district code -> residents
    compounds: int | None = None
    managed_share: float | None = None
    owners_committee_share: float | None = None
    centres: int | None = None
    stations: int | None = None
    gps: int | None = None
    care_facilities: dict[str, int] = field(default_factory=dict)  # type -> institutions
    care_beds: dict[str, int] = field(default_factory=dict)  # type -> beds
    community_workers: int | None = None
    grids: int | None = None
    party_cadres: int | None = None
    household_size: float | None = None
    aged_60_share: float | None = None
    aged_80_share: float | None = None
    pay_min: int | None = None
    pay_max: int | None = None
    seed: int = DEFAULT_SEED

    @property
    def given(self) -> list[str]:
        out = []
        for k, v in self.__dict__.items():
            if k != "seed" and v not in (None, {}, []):
                out.append(k)
        return out

    @classmethod
    def read(cls, path: Path) -> Totals:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DemoError(f"{path}: cannot read the totals file ({exc.strerror})") from None
        try:
            raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise DemoError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "totals") -> Totals:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DemoError(f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(known))}")
        out = cls()
        for k, v in raw.items():
            if k in ("residents", "care_facilities", "care_beds"):
                if not isinstance(v, dict):
                    raise DemoError(f"{where}, field {k!r}: expected a table of code/type = number, got {v!r}")
                for kk, n in v.items():
                    if k != "residents" and kk not in CARE_TYPES:
                        raise DemoError(f"{where}, field '{k}.{kk}': expected one of {', '.join(CARE_TYPES)}")
                    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                        raise DemoError(f"{where}, field '{k}.{kk}': expected a whole number >= 0, got {n!r}")
                setattr(out, k, {str(kk): int(n) for kk, n in v.items()})
            elif k.endswith("_share"):
                if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
                    raise DemoError(f"{where}, field {k!r}: expected a share between 0 and 1, got {v!r}")
                setattr(out, k, float(v))
            elif k == "household_size":
                if not isinstance(v, int | float) or isinstance(v, bool) or not 1 <= v <= 10:
                    raise DemoError(f"{where}, field {k!r}: expected persons per household (1-10), got {v!r}")
                setattr(out, k, float(v))
            else:
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    raise DemoError(f"{where}, field {k!r}: expected a whole number >= 0, got {v!r}")
                setattr(out, k, int(v))
        return out


def apportion(total: int, weights, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights (largest-remainder rounding), each >= minimum."""
    w = np.asarray(weights, dtype=float)
    rest = total - minimum * len(w)
    if rest < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"cannot apportion {total} over {len(w)} items with minimum {minimum}")
    quota = rest * w / w.sum()
    out = np.floor(quota).astype(int)
    left = rest - int(out.sum())
    order = np.argsort(-(quota - out), kind="stable")
    out[order[:left]] += 1
    return out + minimum


def committee_kind(name: str) -> str:
    """'community' for 社区/居委会 committees, 'village' for 村 and state-farm 生活区 units."""
    return "community" if ("社区" in name or "居委会" in name or "居民委员会" in name) else "village"


def _short(name: str) -> str:
    for suffix in ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "村民委员会", "委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------- geometry


def _sample_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    import shapely

    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    out, have = [], 0
    while have < n:
        k = max(64, 8 * n)
        xs, ys = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(poly, xs, ys)
        out.append(np.column_stack([xs[ok], ys[ok]]))
        have += int(ok.sum())
    return np.vstack(out)[:n]


def _jitter_in(poly, x0: float, y0: float, sigma: float, rng: np.random.Generator) -> tuple[float, float]:
    import shapely

    for _ in range(200):
        x, y = x0 + rng.normal(0, sigma), y0 + rng.normal(0, sigma)
        if shapely.contains_xy(poly, x, y):
            return float(x), float(y)
    return x0, y0


def _parts(geom) -> list:
    from shapely.geometry import Polygon

    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]


def voronoi_cells(region, seeds: dict[str, tuple[float, float]]) -> dict[str, object]:
    """Split region among seed points (metres) by Voronoi cells; detached fragments join their neighbour."""
    import shapely
    from shapely.geometry import Point

    codes = sorted(seeds)
    pts = [Point(seeds[c]) for c in codes]
    if len(pts) == 1:
        return {codes[0]: region}
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=region.envelope.buffer(100_000)).geoms
    out = {}
    for code, p in zip(codes, pts, strict=True):
        cell = next(c for c in cells if c.contains(p))
        out[code] = cell.intersection(region)
    main, moved = {}, {c: [] for c in codes}
    for code in codes:
        parts = sorted(_parts(out[code]), key=lambda g: -g.area)
        main[code] = parts[0]
        for frag in parts[1:]:
            best = max(codes, key=lambda o: (o != code) * frag.buffer(1.0).intersection(out[o]).area)
            moved[best].append(frag)
    return {c: shapely.union_all([main[c], *moved[c]]) for c in codes}


# ---------------------------------------------------------------- the layer


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def build_layer(root: Path, totals: Totals | None = None) -> dict:
    """Every table of the layer for the folder under root, calibrated to totals (else GENERIC)."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from dashboard.data import city as city_config

    totals = totals or Totals()
    g = GENERIC
    city = city_config.parse((root / "data" / "city.toml").read_text(encoding="utf-8"), root / "data" / "city.toml")
    central = tuple(city.central_districts)
    bad = sorted(set(totals.residents) - set(central))
    if bad:
        raise DemoError(f"totals, field 'residents.{bad[0]}': not a central-city district of {city.code} "
                        f"{city.name_zh} (data/city.toml lists {', '.join(central)})")
    to_m = Transformer.from_crs("EPSG:4326", city.metric_crs, always_xy=True)
    to_ll = Transformer.from_crs(city.metric_crs, "EPSG:4326", always_xy=True)

    def metric(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))

    def lonlat(geom):
        ll = shapely.transform(geom, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
        return shapely.set_precision(ll, GRID_DEG)

    rng = np.random.default_rng(totals.seed)
    shapes = gpd.read_file(root / "geodata" / "districts.geojson")
    dist_m = {r.code: metric(r.geometry) for r in shapes.itertuples() if r.level == "district"}
    divisions = _read_csv(root / "data" / "divisions.csv")
    names = {d["code"]: d["name"] for d in divisions}
    host = {d: city.drawn_inside.get(d, d) for d in central}
    for d in central:
        if host[d] not in dist_m:
            raise DemoError(f"{root / 'geodata' / 'districts.geojson'}: no polygon for central district {d} "
                            f"{names.get(d, '')}; add it to [drawn_inside] in data/city.toml")
    subs = [{"code": d["code"], "name": d["name"], "district": d["district_code"],
             "kind": "street" if d["name"].endswith("街道") else "town"}
            for d in divisions if d["level"] == "subdistrict" and d["district_code"] in central]
    subs.sort(key=lambda s: s["code"])
    if not subs:
        raise DemoError(f"{root / 'data' / 'divisions.csv'}: no 街道/镇 rows for the central city {', '.join(central)}")

    # sub-districts: one seeded point per real sub-district inside its district polygon, Voronoi, clipped
    sub_m: dict[str, object] = {}
    for h in sorted(set(host.values())):
        region = dist_m[h]
        mine = [s for s in subs if host[s["district"]] == h]
        if not mine:
            continue
        pts = _sample_in(region.buffer(-200) if region.buffer(-200).area > 0 else region, len(mine), rng)
        sub_m.update(voronoi_cells(region, {s["code"]: (float(x), float(y)) for s, (x, y) in zip(mine, pts,
                                                                                               strict=True)}))
    sub_ll = {c: lonlat(gm) for c, gm in sub_m.items()}
    sub_inner = {}
    for c, gm in sub_ll.items():
        inner = metric(gm).buffer(-25)
        sub_inner[c] = inner if inner.area > 0 else metric(gm)
    sub_kind = {s["code"]: s["kind"] for s in subs}

    committees = [dict(code=d["code"], name=d["name"], district=d["district_code"], sub=d["parent_code"],
                       kind=committee_kind(d["name"]))
                  for d in divisions if d["level"] == "committee" and d["district_code"] in central
                  and d["parent_code"] in sub_m]
    committees.sort(key=lambda c: c["code"])
    if not any(c["kind"] == "community" for c in committees):
        raise DemoError(f"{root / 'data' / 'divisions.csv'}: no residents' committee (社区) in the central city")
    for c in committees:
        ((c["x"], c["y"]),) = _sample_in(sub_inner[c["sub"]], 1, rng)
        base = g["residents_per_community"] if c["kind"] == "community" else g["residents_per_village"]
        c["w"] = base * rng.lognormal(0.0, 0.35)

    # residents: per district (given) or from the densities, then committees by weight
    for d in central:
        members = [c for c in committees if c["district"] == d]
        if not members:
            continue
        total = totals.residents.get(d, round(sum(c["w"] for c in members)))
        for c, r in zip(members, apportion(total, [c["w"] for c in members]), strict=True):
            c["residents"] = int(r)
    comms = [c for c in committees if c["kind"] == "community"]

    # compounds
    n_comp = totals.compounds if totals.compounds is not None else max(
        len(comms), round(sum(c["residents"] for c in comms) / g["residents_per_compound"]))
    rows = []
    for c, n in zip(comms, apportion(n_comp, [max(c["residents"], 1) for c in comms], minimum=1), strict=True):
        sizes = apportion(c["residents"], rng.lognormal(0.0, 0.7, n)) if c["residents"] else [0] * n
        for i, size in enumerate(sizes, start=1):
            x, y = _jitter_in(sub_inner[c["sub"]], c["x"], c["y"], 400, rng)
            rows.append(dict(compound_id=f"C{c['code']}{i:03d}", name=f"{_short(c['name'])}示例小区{i:02d}",
                             kind="compound", c=c, x=x, y=y, residents=int(size)))
    for c in committees:
        if c["kind"] == "village":
            rows.append(dict(compound_id=f"V{c['code']}", name=f"{_short(c['name'])}示例居民点", kind="village",
                             c=c, x=c["x"], y=c["y"], residents=c["residents"]))
    rows.sort(key=lambda r: r["compound_id"])
    s60 = totals.aged_60_share if totals.aged_60_share is not None else g["aged_60_share"]
    s80 = totals.aged_80_share if totals.aged_80_share is not None else g["aged_80_share"]
    hh_size = totals.household_size or g["household_size"]
    m60 = rng.lognormal(0.0, 0.18, len(rows)) * np.where([r["kind"] == "village" for r in rows], 1.2, 1.0)
    m80 = rng.lognormal(0.0, 0.15, len(rows))
    for d in central:
        idx = [i for i, r in enumerate(rows) if r["c"]["district"] == d]
        if not idx:
            continue
        res = np.array([rows[i]["residents"] for i in idx], dtype=float)
        total = int(res.sum())
        a60 = apportion(min(total, round(total * s60)), res * m60[idx] + 1e-9)
        a60 = np.minimum(a60, res.astype(int))  # never more aged than residents
        a80 = apportion(min(int(a60.sum()), round(total * s80)), a60 * m80[idx] + 1e-9)
        a80 = np.minimum(a80, a60)
        for i, v60, v80 in zip(idx, a60, a80, strict=True):
            rows[i]["aged_60_plus"], rows[i]["aged_80_plus"] = int(v60), int(v80)
    for r in rows:
        r["households"] = max(1, round(r["residents"] / hh_size)) if r["residents"] else 0

    # property management and owners' committees: exact counts, likelier for larger compounds
    comp_idx = [i for i, r in enumerate(rows) if r["kind"] == "compound"]
    managed_share = totals.managed_share if totals.managed_share is not None else g["managed_share"]
    owners_share = (totals.owners_committee_share if totals.owners_committee_share is not None
                    else g["owners_committee_share"])
    w = np.array([rows[i]["residents"] + 1.0 for i in comp_idx]) ** 0.3
    k_managed = round(managed_share * len(comp_idx))
    managed = {comp_idx[j] for j in rng.choice(len(comp_idx), k_managed, replace=False, p=w / w.sum())}
    w_oc = np.array([4.0 if i in managed else 1.0 for i in comp_idx])
    owners = {comp_idx[j] for j in rng.choice(len(comp_idx), round(owners_share * len(comp_idx)), replace=False,
                                                p=w_oc / w_oc.sum())}
    for i, r in enumerate(rows):
        r["has_property_management"] = i in managed
        r["has_owners_committee"] = i in owners

    clinics = _clinics(rows, comms, sub_kind, names, totals, rng)
    care, home_care = _care(committees, comms, rows, sub_inner, totals, rng)
    workers = _workers(comms, totals, rng)
    reform = {w_["committee_code"] for w_ in workers}
    profiles, grids = _profiles_and_grids(rows, managed, totals, rng)

    agg: dict[str, dict[str, int]] = {}
    for r in rows:
        a = agg.setdefault(r["c"]["code"], dict(households=0, residents=0, aged_60_plus=0, aged_80_plus=0))
        for k in a:
            a[k] += r[k]
    communities = [dict(committee_code=c["code"], name=c["name"], district_code=c["district"],
                        subdistrict_code=c["sub"], new_area_id="", kind=c["kind"], **agg[c["code"]],
                        has_home_care_centre=c["code"] in home_care, in_pay_reform=c["code"] in reform,
                        source_id=SOURCE_ID) for c in committees]
    compounds = [dict(compound_id=r["compound_id"], name=r["name"], kind=r["kind"], committee_code=r["c"]["code"],
                      subdistrict_code=r["c"]["sub"], district_code=r["c"]["district"], new_area_id="",
                      x=r["x"], y=r["y"], households=r["households"], residents=r["residents"],
                      aged_60_plus=r["aged_60_plus"], aged_80_plus=r["aged_80_plus"],
                      has_property_management=r["has_property_management"],
                      has_owners_committee=r["has_owners_committee"], source_id=SOURCE_ID) for r in rows]
    census = []
    for d in central:
        members = [a for c, a in ((c, agg[c["code"]]) for c in committees) if c["district"] == d]
        if members:
            census.append(dict(area_code=d, area_name=names.get(d, d), year=2020,
                               residents=sum(a["residents"] for a in members),
                               aged_60_plus=sum(a["aged_60_plus"] for a in members), aged_65_plus="",
                               aged_80_plus=sum(a["aged_80_plus"] for a in members), source_id=SOURCE_ID))
    # the city row: the central city's sum (the layer covers nothing outside it)
    census.insert(0, dict(area_code=city.code, area_name=city.name_zh, year=2020,
                          residents=sum(r["residents"] for r in census),
                          aged_60_plus=sum(r["aged_60_plus"] for r in census), aged_65_plus="",
                          aged_80_plus=sum(r["aged_80_plus"] for r in census), source_id=SOURCE_ID))
    return dict(subs=subs, sub_ll=sub_ll, communities=communities, compounds=compounds, clinics=clinics,
                care=care, workers=workers, profiles=profiles, grid_rows=grids, census=census, to_ll=to_ll,
                totals=totals)


def _clinics(rows, comms, sub_kind, names, totals: Totals, rng) -> list[dict]:
    g = GENERIC
    comp = [r for r in rows if r["kind"] == "compound"]
    residents = sum(c["residents"] for c in comms)
    subs = sorted({c["sub"] for c in comms})
    streets = [s for s in subs if sub_kind[s] == "street"] or subs
    n_centres = totals.centres if totals.centres is not None else len(streets)
    n_stations = totals.stations if totals.stations is not None else round(residents / g["residents_per_station"])
    n_gps = totals.gps if totals.gps is not None else round(residents * g["gps_per_10k"] / 10_000)
    if n_centres + n_stations > len(comp):
        raise DemoError(f"totals: {n_centres} centres and {n_stations} stations, but only {len(comp)} compounds "
                        "to place them in")
    sub_res = {s: sum(c["residents"] for c in comms if c["sub"] == s) for s in streets}
    per_sub = apportion(n_centres, [sub_res[s] + 1 for s in streets]) if n_centres else [0] * len(streets)
    largest: dict[str, dict] = {}
    for r in comp:
        k = r["c"]["code"]
        if k not in largest or r["residents"] > largest[k]["residents"]:
            largest[k] = r
    sites, used = [], set()
    for s, n in zip(streets, per_sub, strict=True):
        cand = sorted((r for r in comp if r["c"]["sub"] == s), key=lambda r: (-r["residents"], r["compound_id"]))
        for k, r in enumerate(cand[:n], start=1):
            sites.append(("centre", s, r, f"{names.get(s, s)}{'' if k == 1 else f'第{k}'}社区卫生服务中心(示例)"))
            used.add(r["compound_id"])
    pool = [c for c in comms if largest.get(c["code"]) and largest[c["code"]]["compound_id"] not in used]
    if n_stations > len(pool):
        pool_rows = [r for r in comp if r["compound_id"] not in used]
        picks = [pool_rows[i] for i in sorted(rng.choice(len(pool_rows), n_stations, replace=False))]
    else:
        wts = np.array([c["residents"] + 1.0 for c in pool])
        picks = [largest[pool[i]["code"]] for i in sorted(rng.choice(len(pool), n_stations, replace=False,
                                                                     p=wts / wts.sum()))]
    for r in picks:
        sites.append(("station", r["c"]["sub"], r, f"{r['name'].split('示例')[0]}社区卫生服务站(示例)"))
    out = []
    n_c = n_s = 0
    for kind, s, r, name in sites:
        if kind == "centre":
            n_c += 1
            cid = f"HC{n_c:03d}"
        else:
            n_s += 1
            cid = f"HS{n_s:03d}"
        out.append(dict(clinic_id=cid, name=name, kind=kind, ownership="public" if kind == "centre" or
                        rng.uniform() < 0.4 else "private", premises="rented" if rng.uniform() < 0.5 else "owned",
                        meets_standard=bool(kind == "centre" and rng.uniform() < 0.5), district_code=s[:6],
                        subdistrict_code=s, new_area_id="", x=r["x"], y=r["y"], nurses=0, established_staff=0,
                        source_id=SOURCE_ID))
    if out:
        gp = apportion(n_gps, [3.0 if c["kind"] == "centre" else 1.0 for c in out])
        for c, n in zip(out, gp, strict=True):
            c["gps"] = int(n)
            c["nurses"] = int(max(1, round(n * rng.uniform(1.0, 1.6))))
            c["established_staff"] = int(rng.integers(3, 25)) if c["kind"] == "centre" and c["ownership"] == "public" \
                else 0
    return out


def _care(committees, comms, rows, sub_inner, totals: Totals, rng) -> tuple[list[dict], set[str]]:
    g = GENERIC
    aged = sum(r["aged_60_plus"] for r in rows)
    total_beds = round(aged * g["beds_per_1000_aged_60"] / 1000)
    beds = {t: totals.care_beds.get(t, round(total_beds * g["bed_share"][t])) for t in CARE_TYPES}
    counts = {t: totals.care_facilities.get(t, max(1 if beds[t] else 0, round(beds[t] / g["beds_per_facility"][t])))
              for t in CARE_TYPES}
    villages = [c for c in committees if c["kind"] == "village"] or comms
    label = {"urban_public": "示例公办养老院", "urban_private": "示例民办养老院",
             "home_care_centre": "社区居家养老服务中心(示例)", "rural": "示例农村养老机构"}
    letter = {"urban_public": "G", "urban_private": "M", "home_care_centre": "H", "rural": "R"}
    out, home_care = [], set()
    for t in CARE_TYPES:
        n = counts[t]
        if not n:
            continue
        pool = villages if t == "rural" else comms
        wts = np.array([max(c["residents"], 1.0) for c in pool], dtype=float)
        if t == "home_care_centre" and n <= len(pool):
            hosts = [pool[i] for i in sorted(rng.choice(len(pool), n, replace=False, p=wts / wts.sum()))]
        else:
            hosts = [pool[i] for i in sorted(rng.choice(len(pool), n, replace=True, p=wts / wts.sum()))]
        if beds[t] < n and beds[t] > 0:
            raise DemoError(f"totals: {beds[t]} {t} beds cannot be spread over {n} facilities")
        split = apportion(beds[t], rng.lognormal(0.0, 0.6, n), minimum=1 if beds[t] >= n else 0)
        for k, (c, b) in enumerate(zip(hosts, split, strict=True), start=1):
            x, y = _jitter_in(sub_inner[c["sub"]], c["x"], c["y"], 250, rng)
            if t == "home_care_centre":
                home_care.add(c["code"])
            out.append(dict(facility_id=f"E{c['district']}{letter[t]}{k:03d}",
                            name=f"{_short(c['name'])}{label[t]}{k:02d}", facility_type=t,
                            district_code=c["district"], subdistrict_code=c["sub"], committee_code=c["code"],
                            x=x, y=y, beds=int(b), nursing_beds=int(round(b * rng.uniform(0.1, 0.5))),
                            source_id=SOURCE_ID))
    out.sort(key=lambda f: f["facility_id"])
    return out, home_care


def _workers(comms, totals: Totals, rng) -> list[dict]:
    g = GENERIC
    residents = sum(c["residents"] for c in comms)
    n = totals.community_workers if totals.community_workers is not None else round(
        residents * g["workers_per_10k"] / 10_000)
    if not n:
        return []
    pay_min = totals.pay_min if totals.pay_min is not None else g["pay_min"]
    pay_max = totals.pay_max if totals.pay_max is not None else g["pay_max"]
    if pay_min > pay_max:
        raise DemoError(f"totals: pay_min {pay_min} is above pay_max {pay_max}")
    base = {"head": 0.8, "deputy": 0.6, "member": 0.4, "staff": 0.2}
    out = []
    for c, k in zip(comms, apportion(n, [c["residents"] + 1.0 for c in comms]), strict=True):
        roles = (["head", "deputy", "member", "member"] + ["staff"] * max(0, int(k) - 4))[: int(k)]
        for j, post in enumerate(roles, start=1):
            tenure = int(min(30, np.floor(rng.exponential(6.0))))
            frac = base[post] + 0.01 * tenure + rng.normal(0, 0.05)
            pay = pay_min + (pay_max - pay_min) * min(1.0, max(0.0, frac))
            out.append(dict(worker_id=f"W{c['code']}{j:03d}", district_code=c["district"], subdistrict_code=c["sub"],
                            committee_code=c["code"], post=post, tenure_years=tenure,
                            pay_yuan_per_year=int(round(pay / 100) * 100), source_id=SOURCE_ID))
    return out


def _profiles_and_grids(rows, managed, totals: Totals, rng) -> tuple[list[dict], list[dict]]:
    g = GENERIC
    comp = [(i, r) for i, r in enumerate(rows) if r["kind"] == "compound"]
    profiles = {}
    for i, r in comp:
        old = rng.uniform() < (0.15 if i in managed else 0.55)
        year = int(2000 - np.floor(rng.exponential(9))) if old else int(rng.integers(2001, 2021))
        enclosure = str(rng.choice(["closed", "semi_closed", "open"], p=[0.3, 0.35, 0.35] if old else [0.85, 0.12, 0.03]))
        if i in managed and enclosure == "open":
            enclosure = "semi_closed"
        profiles[r["compound_id"]] = dict(compound_id=r["compound_id"], build_year=max(1950, year),
                                          enclosure=enclosure, property_firm_id="", grid_id="", source_id=SOURCE_ID)
    managed_ids = [rows[i]["compound_id"] for i in sorted(managed)]
    if managed_ids:
        n_firms = max(1, round(len(managed_ids) / 3))
        order = [managed_ids[j] for j in rng.permutation(len(managed_ids))]
        k = 0
        for f, n in enumerate(apportion(len(order), rng.lognormal(0.0, 0.8, n_firms), minimum=1), start=1):
            for cid in order[k:k + n]:
                profiles[cid]["property_firm_id"] = f"F{f:03d}"
            k += n
    by_comm: dict[str, list[dict]] = {}
    for _, r in comp:
        by_comm.setdefault(r["c"]["code"], []).append(r)
    codes = sorted(by_comm)
    hh = np.array([sum(r["households"] for r in by_comm[c]) + 1.0 for c in codes])
    cap = np.array([len(by_comm[c]) for c in codes])
    n_grids = totals.grids if totals.grids is not None else int(max(len(codes), round(hh.sum() / g["households_per_grid"])))
    n_grids = int(min(max(n_grids, len(codes)), cap.sum())) if totals.grids is None else n_grids
    if not len(codes) <= n_grids <= cap.sum():
        raise DemoError(f"totals: grids = {n_grids}; the layer can hold {len(codes)} to {int(cap.sum())} "
                        "(at least one per community, at most one per compound)")
    k_grids = np.minimum(apportion(n_grids, hh, minimum=1), cap)
    while (short := n_grids - int(k_grids.sum())) > 0:
        room = cap > k_grids
        k_grids[room] += apportion(short, hh[room], minimum=0)
        k_grids = np.minimum(k_grids, cap)
    grids = []
    for code, n in zip(codes, k_grids, strict=True):
        members = sorted(by_comm[code], key=lambda r: (r["x"], r["compound_id"]))
        cuts = sorted(rng.choice(np.arange(1, len(members)), int(n) - 1, replace=False).tolist()) if n > 1 else []
        for j, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(members)], strict=True), start=1):
            gid = f"G{code}{j:02d}"
            for r in members[a:b]:
                profiles[r["compound_id"]]["grid_id"] = gid
            first = members[0]["c"]
            grids.append(dict(grid_id=gid, name=f"{_short(first['name'])}第{j}网格", committee_code=code,
                              subdistrict_code=first["sub"], district_code=first["district"],
                              households=sum(r["households"] for r in members[a:b]),
                              grid_workers=int(rng.choice([0, 1, 2], p=[0.12, 0.78, 0.10]))))
    cadres = totals.party_cadres if totals.party_cadres is not None else g["party_cadres_per_grid"] * len(grids)
    for gr, n in zip(grids, apportion(cadres, [gr["households"] + 1.0 for gr in grids]), strict=True):
        gr["party_cadres"] = int(n)
        gr["source_id"] = SOURCE_ID
    return [profiles[r["compound_id"]] for _, r in comp], grids


# ---------------------------------------------------------------- writing


def _cell(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    return str(v)


def _write_csv(path: Path, rows: list[dict], columns: list[str], to_ll=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows and "x" in rows[0] and to_ll is not None:
        lon, lat = to_ll.transform(np.array([r["x"] for r in rows]), np.array([r["y"] for r in rows]))
        rows = [dict(r, lon=f"{lo:.5f}", lat=f"{la:.5f}") for r, lo, la in zip(rows, lon, lat, strict=True)]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r[c]) for c in columns])


def source_row(totals: Totals, city_name: str) -> list[str]:
    given = totals.given
    if given:
        note = (f"illustrative: calibrated to the totals you gave ({', '.join(given)}); everything else from "
                f"generic rule-of-thumb densities; individual rows are invented (seed {totals.seed})")
    else:
        note = (f"illustrative, generic, not calibrated to this city: rule-of-thumb densities "
                f"(docs/demo-layer.md); individual rows are invented (seed {totals.seed})")
    return [SOURCE_ID, "illustrative", f"演示数据层 ({city_name}; 示例, 非真实数据)", "this project (generated)", "",
            "dashboard/data/demo.py", note]


def write_layer(layer: dict, root: Path, city_name: str) -> None:
    import geopandas as gpd

    from dashboard.data.newcity import write_geojson
    from dashboard.data.schemas import DATASETS

    subs = layer["subs"]
    gdf = gpd.GeoDataFrame([{"code": s["code"], "name": s["name"], "district_code": s["district"], "kind": s["kind"],
                             "source_id": SOURCE_ID, "geometry": layer["sub_ll"][s["code"]]}
                            for s in subs if s["code"] in layer["sub_ll"]], geometry="geometry", crs="EPSG:4326")
    write_geojson(gdf, root / "geodata" / "subdistricts.geojson", "subdistricts")
    for name, key in (("communities", "communities"), ("compounds", "compounds"), ("clinics", "clinics"),
                      ("care_facilities", "care"), ("community_workers", "workers"),
                      ("compound_profiles", "profiles"), ("grids", "grid_rows"), ("census", "census")):
        _write_csv(root / DATASETS[name].file, layer[key], DATASETS[name].columns, layer["to_ll"])
    src = root / "data" / "sources.csv"
    with src.open(encoding="utf-8", newline="") as f:
        kept = [r for r in csv.reader(f)]
    header, body = kept[0], [r for r in kept[1:] if r and r[0] != SOURCE_ID]
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
        w.writerow(source_row(layer["totals"], city_name))


LAYER_DATASETS = ("communities", "compounds", "clinics", "care_facilities", "community_workers", "compound_profiles",
                  "grids", "census", "subdistrict_shapes")


def _refuse_real_rows(root: Path) -> None:
    """Never overwrite rows someone supplied: every file the layer writes must be empty or the layer's own."""
    from dashboard.data.schemas import DATASETS

    for name in LAYER_DATASETS:
        path = root / DATASETS[name].file
        if not path.is_file():
            continue
        if DATASETS[name].geo:
            feats = json.loads(path.read_text(encoding="utf-8")).get("features", [])
            ids = {str(f.get("properties", {}).get("source_id", "")) for f in feats}
        else:
            ids = {r.get("source_id", "") for r in _read_csv(path)}
        other = sorted(ids - {SOURCE_ID})
        if other:
            raise DemoError(f"{path}: holds rows of source {other[0]!r}, not the demonstration layer's; the layer "
                            "would replace them. Move the file away (or empty it) first")


def add_demo(root: Path, totals: Totals | None = None) -> str:
    """Build and write the layer into the folder; a one-line summary."""
    from dashboard.data import city as city_config

    root = Path(root)
    for need in ("data/city.toml", "data/divisions.csv", "geodata/districts.geojson", "data/sources.csv"):
        if not (root / need).is_file():
            raise DemoError(f"{root / need}: missing; run `python -m dashboard new-city CODE --out {root}` first")
    city = city_config.parse((root / "data" / "city.toml").read_text(encoding="utf-8"), root / "data" / "city.toml")
    _refuse_real_rows(root)
    layer = build_layer(root, totals)
    write_layer(layer, root, city.name_zh)
    t = layer["totals"]
    kind = "calibrated to the given totals" if t.given else "generic densities, not calibrated"
    return (f"{len(layer['sub_ll'])} sub-districts, {sum(c['residents'] for c in layer['communities'])} residents, "
            f"{sum(1 for c in layer['compounds'] if c['kind'] == 'compound')} compounds, {len(layer['clinics'])} "
            f"clinics, {len(layer['care'])} care facilities, {len(layer['workers'])} workers, "
            f"{len(layer['grid_rows'])} grids ({kind}; source_id demo_layer, kind illustrative)")
