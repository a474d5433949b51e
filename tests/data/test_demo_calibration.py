"""The demonstration layer hits every calibration target of docs/data-contract.md, and is reproducible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
CENTRAL = ("421002", "421003", "421071")
CITY_RESIDENTS, CITY_AGED_60, CITY_AGED_80 = 5_231_180, 1_239_437, 165_159
GROUPS = {("421003",): 563_398, ("421002", "421071"): 504_893}
DEMO_FILES = [
    "geodata/subdistricts.geojson",
    "geodata/new_areas.geojson",
    "data/communities.csv",
    "data/compounds.csv",
    "data/clinics.csv",
    "data/care_facilities.csv",
    "data/community_workers.csv",
    "data/compound_profiles.csv",
    "data/grids.csv",
]
BOOLS = (
    "has_home_care_centre",
    "in_pay_reform",
    "has_property_management",
    "has_owners_committee",
    "meets_standard",
)


def _csv(name: str) -> pd.DataFrame:
    df = pd.read_csv(REPO / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
    for col in df.columns:
        if col in BOOLS:
            assert df[col].isin(["true", "false"]).all(), col
            df[col] = df[col] == "true"
        elif col in ("lon", "lat", "tenure_years", "pay_yuan_per_year"):
            df[col] = df[col].astype(float)
        elif col in (
            "households",
            "residents",
            "aged_60_plus",
            "aged_80_plus",
            "gps",
            "nurses",
            "established_staff",
            "beds",
            "nursing_beds",
            "build_year",
            "grid_workers",
            "party_cadres",
        ):
            df[col] = df[col].astype(int)
    return df


@pytest.fixture(scope="module")
def divisions():
    return pd.read_csv(REPO / "data" / "divisions.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def communities():
    return _csv("communities")


@pytest.fixture(scope="module")
def compounds():
    return _csv("compounds")


@pytest.fixture(scope="module")
def clinics():
    return _csv("clinics")


@pytest.fixture(scope="module")
def care():
    return _csv("care_facilities")


@pytest.fixture(scope="module")
def workers():
    return _csv("community_workers")


@pytest.fixture(scope="module")
def subdistricts():
    return gpd.read_file(REPO / "geodata" / "subdistricts.geojson").set_index("code")


@pytest.fixture(scope="module")
def new_areas():
    return gpd.read_file(REPO / "geodata" / "new_areas.geojson").set_index("area_id")


@pytest.fixture(scope="module")
def districts():
    return gpd.read_file(REPO / "geodata" / "districts.geojson").set_index("code")


def _points(df: pd.DataFrame) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(df["lon"], df["lat"]), index=df.index, crs="EPSG:4326")


ALL_TABLES = ["communities", "compounds", "clinics", "care_facilities", "community_workers", "compound_profiles",
              "grids"]


# ---------------------------------------------------------------- provenance and keys


@pytest.mark.parametrize("name", ALL_TABLES)
def test_every_row_is_demo_layer(name):
    assert (_csv(name)["source_id"] == "demo_layer").all()


@pytest.mark.parametrize("name", ALL_TABLES)
def test_codes_resolve_in_divisions(name, divisions):
    df = _csv(name)
    level = dict(zip(divisions["code"], divisions["level"], strict=True))
    for col, want in (
        ("district_code", "district"),
        ("subdistrict_code", "subdistrict"),
        ("committee_code", "committee"),
    ):
        if col not in df:
            continue
        values = df[col][df[col] != ""] if name == "care_facilities" else df[col]
        assert values.map(level).eq(want).all(), f"{name}.{col}"
    if "committee_code" in df and "subdistrict_code" in df:
        rows = df[df["committee_code"] != ""]
        assert (rows["committee_code"].str[:9] == rows["subdistrict_code"]).all()
    if "subdistrict_code" in df:
        rows = df[df["subdistrict_code"] != ""]
        assert (rows["subdistrict_code"].str[:6] == rows["district_code"]).all()


@pytest.mark.parametrize("name", ["communities", "compounds", "clinics"])
def test_new_area_ids_resolve(name, new_areas):
    ids = _csv(name)["new_area_id"]
    assert ids[ids != ""].isin(new_areas.index).all()


# ---------------------------------------------------------------- communities and compounds


def test_one_community_row_per_committee(communities, divisions):
    committees = divisions[divisions.level == "committee"]
    assert sorted(communities["committee_code"]) == sorted(committees["code"])
    names = dict(zip(committees["code"], committees["name"], strict=True))
    assert (communities["name"] == communities["committee_code"].map(names)).all()
    is_community = communities["name"].str.contains("社区|居委会|居民委员会")
    assert (communities["kind"] == is_community.map({True: "community", False: "village"})).all()


def test_community_totals_are_the_sum_of_their_demand_points(communities, compounds):
    cols = ["households", "residents", "aged_60_plus", "aged_80_plus"]
    sums = compounds.groupby("committee_code")[cols].sum()
    mine = communities.set_index("committee_code")[cols]
    pd.testing.assert_frame_equal(mine.sort_index(), sums.sort_index(), check_names=False)


def test_compounds_and_village_points(compounds, communities):
    comp = compounds[compounds.kind == "compound"]
    assert len(comp) == 1_790
    assert comp["district_code"].isin(CENTRAL).all()
    kinds = communities.set_index("committee_code")["kind"]
    assert (comp["committee_code"].map(kinds) == "community").all()
    villages = compounds[compounds.kind == "village"]
    assert sorted(villages["committee_code"]) == sorted(
        communities.loc[communities.kind == "village", "committee_code"]
    )
    assert (comp["new_area_id"] != "").sum() > 50  # some compounds in the new areas


def test_property_management_713_of_1790(compounds):
    comp = compounds[compounds.kind == "compound"]
    assert comp["has_property_management"].sum() == 713
    assert round(100 * 713 / len(comp), 1) == 39.8
    assert not compounds.loc[compounds.kind == "village", "has_property_management"].any()


def test_owners_committees_in_shashi_14_5_percent(compounds):
    comp = compounds[(compounds.kind == "compound") & (compounds.district_code == "421002")]
    assert abs(100 * comp["has_owners_committee"].mean() - 14.5) <= 0.5


@pytest.mark.parametrize(("districts", "total"), list(GROUPS.items()))
def test_residents_and_ages_hit_the_census(compounds, communities, districts, total):
    for df in (compounds, communities):
        rows = df[df.district_code.isin(districts)]
        assert rows["residents"].sum() == total
        assert rows["aged_60_plus"].sum() == round(total * CITY_AGED_60 / CITY_RESIDENTS)
        assert rows["aged_80_plus"].sum() == round(total * CITY_AGED_80 / CITY_RESIDENTS)


def test_age_and_household_counts_are_consistent(compounds):
    assert (compounds["aged_80_plus"] <= compounds["aged_60_plus"]).all()
    assert (compounds["aged_60_plus"] <= compounds["residents"]).all()
    assert (compounds["residents"] > 0).all()
    share = compounds["aged_60_plus"] / compounds["residents"]
    assert share.std() > 0.01  # varied, not a constant share
    ratio = compounds["residents"].sum() / compounds["households"].sum()
    assert abs(ratio - 2.7) < 0.02


def test_demand_points_lie_in_their_subdistrict(compounds, subdistricts):
    inside = _points(compounds).within(
        subdistricts.geometry.reindex(compounds["subdistrict_code"]).set_axis(compounds.index)
    )
    assert inside.all(), compounds.loc[~inside, "compound_id"].tolist()[:5]


@pytest.mark.parametrize("name", ["compounds", "clinics"])
def test_new_area_id_matches_the_polygons(name, new_areas):
    df = _csv(name)
    pts = _points(df)
    found = pd.Series("", index=df.index)
    for area_id, geom in new_areas.geometry.items():
        found[pts.within(geom)] = area_id
    assert (found == df["new_area_id"]).all()


def test_compounds_denser_near_the_centre(compounds):
    comp = compounds[(compounds.kind == "compound") & (compounds.district_code == "421002")]
    d = ((comp["lon"] - 112.255) ** 2 + (comp["lat"] - 30.316) ** 2) ** 0.5
    assert (d < 0.03).mean() > 0.6  # most of 沙市's compounds within ~3 km of the centre


# ---------------------------------------------------------------- clinics


def test_clinic_counts_and_gps(clinics):
    assert (clinics["kind"] == "centre").sum() == 15
    assert (clinics["kind"] == "station").sum() == 43
    assert clinics["gps"].sum() == 213
    assert clinics["district_code"].isin(CENTRAL).all()


def test_84_percent_of_premises_rented(clinics):
    assert (clinics["premises"] == "rented").sum() == 49
    assert round(100 * 49 / len(clinics)) == 84


def test_no_centre_in_the_new_areas_and_standard_only_outside(clinics):
    centres = clinics[clinics.kind == "centre"]
    assert (centres["new_area_id"] == "").all()
    assert not clinics.loc[clinics.kind == "station", "meets_standard"].any()
    assert not clinics.loc[clinics.new_area_id != "", "meets_standard"].any()
    assert 0 < centres["meets_standard"].sum() < len(centres)
    standard = centres[centres.meets_standard]
    assert (standard["gps"] >= 6).all() and (standard["nurses"] >= 9).all()
    assert (clinics.loc[clinics.new_area_id != "", "kind"] == "station").sum() > 0


def test_one_centre_serves_about_50000_with_3_on_establishment(clinics, compounds):
    centres = clinics[clinics.kind == "centre"]
    small = centres[centres.established_staff == 3]
    assert len(small) == 1
    sub = small["subdistrict_code"].iloc[0]
    assert (centres["subdistrict_code"] == sub).sum() == 1  # its sub-district is its catchment
    residents = compounds.loc[compounds.subdistrict_code == sub, "residents"].sum()
    assert 45_000 <= residents <= 50_000  # 服务居民近5万人


def test_clinics_lie_in_their_subdistrict(clinics, subdistricts):
    geoms = subdistricts.geometry.reindex(clinics["subdistrict_code"]).set_axis(clinics.index)
    assert _points(clinics).within(geoms).all()


# ---------------------------------------------------------------- care facilities


def test_care_institutions_and_beds(care):
    assert len(care) == 1_544
    by_type = care.groupby("facility_type")["beds"].agg(["size", "sum"])
    assert tuple(by_type.loc["urban_public"]) == (11, 3_117)
    assert tuple(by_type.loc["urban_private"]) == (46, 6_397)
    assert tuple(by_type.loc["home_care_centre"]) == (290, 12_992)
    assert abs(1000 * care["beds"].sum() / CITY_AGED_60 - 34) <= 0.5
    assert (care["nursing_beds"] <= care["beds"]).all()


def test_shashi_has_4515_beds(care):
    assert care.loc[care.district_code == "421002", "beds"].sum() == 4_515


def test_care_facilities_cover_the_whole_city(care, districts):
    assert set(care["district_code"]) == set(districts.index[districts.level == "district"]) | {
        "421071"
    }


def test_care_facilities_lie_inside_their_area(care, subdistricts, districts):
    central = care[care.subdistrict_code != ""]
    assert central["district_code"].isin(CENTRAL).all()
    geoms = subdistricts.geometry.reindex(central["subdistrict_code"]).set_axis(central.index)
    assert _points(central).within(geoms).all()
    county = care[care.subdistrict_code == ""]
    geoms = districts.geometry.reindex(county["district_code"]).set_axis(county.index)
    assert _points(county).within(geoms).all()


def test_home_care_centres_match_the_communities(care, communities):
    central = care[(care.facility_type == "home_care_centre") & (care.subdistrict_code != "")]
    flagged = communities.loc[communities.has_home_care_centre, "committee_code"]
    assert sorted(central["committee_code"]) == sorted(flagged)


def test_jingzhou_29_reform_communities_fewer_than_a_quarter_with_home_care(communities):
    jz = communities[(communities.district_code == "421003") & communities.in_pay_reform]
    assert len(jz) == 29
    assert jz["has_home_care_centre"].sum() == 7 and 7 / 29 < 0.25
    others = communities[(communities.district_code == "421003") & ~communities.in_pay_reform]
    assert not others["has_home_care_centre"].any()


# ---------------------------------------------------------------- community workers


@pytest.mark.parametrize(
    ("district", "n_communities", "posts"), [("421003", 29, 419), ("421002", 54, 506)]
)
def test_budgeted_posts(workers, communities, district, n_communities, posts):
    rows = workers[workers.district_code == district]
    assert len(rows) == posts
    assert rows["committee_code"].nunique() == n_communities
    reform = communities[(communities.district_code == district) & communities.in_pay_reform]
    assert sorted(reform["committee_code"]) == sorted(rows["committee_code"].unique())
    assert (reform["kind"] == "community").all()


def test_no_workers_outside_the_reform(workers, communities):
    assert set(workers["district_code"]) == {"421002", "421003"}
    assert not communities.loc[communities.district_code == "421071", "in_pay_reform"].any()


def test_posts_per_community(workers):
    counts = workers.groupby(["committee_code", "post"]).size().unstack(fill_value=0)
    assert (counts["head"] == 1).all()
    assert counts["deputy"].between(1, 2).all()
    assert counts["member"].between(3, 5).all()
    assert counts["staff"].sum() > counts["member"].sum()


def test_pay_and_tenure(workers):
    assert workers["pay_yuan_per_year"].between(20_000, 35_000).all()
    assert workers["tenure_years"].between(0, 30).all()
    mean = workers.groupby("post")["pay_yuan_per_year"].mean()
    assert mean["head"] > mean["deputy"] > mean["member"] > mean["staff"]
    assert workers["pay_yuan_per_year"].corr(workers["tenure_years"]) > 0.3
    assert workers["worker_id"].is_unique


# ---------------------------------------------------------------- property and grids (issue 18)


@pytest.fixture(scope="module")
def profiles():
    return _csv("compound_profiles")


@pytest.fixture(scope="module")
def grids():
    return _csv("grids")


def test_one_profile_per_compound(profiles, compounds):
    comp = compounds[compounds.kind == "compound"]
    assert sorted(profiles["compound_id"]) == sorted(comp["compound_id"])
    assert profiles["build_year"].between(1950, 2020).all()
    assert set(profiles["enclosure"]) == {"closed", "semi_closed", "open"}


def test_more_than_200_small_and_scattered_firms_run_the_713_managed_compounds(profiles, compounds):
    merged = profiles.merge(compounds, on="compound_id")
    assert ((merged["property_firm_id"] != "") == merged["has_property_management"]).all()
    per_firm = merged.loc[merged.property_firm_id != ""].groupby("property_firm_id").size()
    assert per_firm.sum() == 713
    assert len(per_firm) > 200  # 中心城区物业企业超过200家
    assert per_firm.median() <= 3 and per_firm.max() <= 25  # 小而散
    assert not (merged["has_property_management"] & (merged["enclosure"] == "open")).any()


def test_old_compounds_are_mostly_unmanaged(profiles, compounds):
    merged = profiles.merge(compounds, on="compound_id")
    old = merged["build_year"] <= 2000
    managed = merged["has_property_management"]
    assert old[~managed].mean() > 0.4 > old[managed].mean()
    assert (merged.loc[merged.new_area_id != "", "build_year"] >= 2001).mean() > 0.9


def test_758_grids_hold_the_households_of_their_compounds_and_69099_cadres(grids, profiles, compounds):
    assert len(grids) == 758  # 758个小区(网格)党支部 (asm_grids_central_city)
    assert grids["grid_id"].is_unique
    assert grids["party_cadres"].sum() == 69_099  # 69099名党员干部
    merged = profiles.merge(compounds, on="compound_id")
    gridded = merged[merged.grid_id != ""]
    sums = gridded.groupby("grid_id")["households"].sum()
    assert sums.reindex(grids["grid_id"]).tolist() == grids["households"].tolist()
    same = gridded.set_index("grid_id").loc[grids["grid_id"], "committee_code"].groupby(level=0).nunique()
    assert (same == 1).all()  # a grid lies inside one community
    assert (grids.set_index("grid_id").loc[gridded["grid_id"], "committee_code"].to_numpy()
            == gridded["committee_code"].to_numpy()).all()


def test_grids_are_uneven_some_lack_a_worker_and_new_compounds_lack_a_grid(grids, profiles):
    hh = grids["households"]
    assert hh.max() / hh.min() > 10  # 社区网格户数划分不均衡
    assert 0 < (grids["grid_workers"] == 0).sum() < len(grids) / 4  # 网格员配备不到位
    no_grid = profiles[profiles.grid_id == ""]
    assert len(no_grid) == 36 and (no_grid["build_year"] >= 2016).all()  # 新建小区不能及时设立网格


# ---------------------------------------------------------------- reproducibility


def test_make_demo_data_reproduces_the_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_demo_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for rel in DEMO_FILES:
        assert (tmp_path / rel).read_bytes() == (REPO / rel).read_bytes(), rel
