"""The demonstration layer's tables, built in memory (`build_layer`); `dashboard.data.demo` writes them.

One `numpy.random.default_rng(seed)` drives every draw in a fixed order (same folder, totals and seed →
same rows). No Streamlit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dashboard.data.demo_geometry import _jitter_in, _sample_in, voronoi_cells
from dashboard.data.demo_totals import (
    CARE_TYPES,
    GENERIC,
    GRID_DEG,
    SOURCE_ID,
    DemoError,
    Totals,
    _short,
    apportion,
    committee_kind,
)
from dashboard.data.geofiles import read_csv


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
    divisions = read_csv(root / "data" / "divisions.csv")
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
