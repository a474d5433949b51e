"""The upload validator: every bad fixture gives its message (zh and en), good files and templates pass,
spreadsheet habits are forgiven, coordinates in another datum are caught, and nothing shipped is touched."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.data import db
from dashboard.data.schemas import DATASETS, Dataset, Field
from dashboard.upload import templates, validate

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "fixtures" / "bad"
GOOD = REPO / "tests" / "fixtures" / "good"
with open(BAD / "EXPECTED.csv", encoding="utf-8") as _fh:
    EXPECTED = list(csv.DictReader(_fh))
GOOD_FILES = {
    "clinics.csv": "clinics",
    "care_facilities.xlsx": "care_facilities",
    "communities_gbk.csv": "communities",
    "compounds.csv": "compounds",
    "community_workers.csv": "community_workers",
    "subdistricts.geojson": "subdistrict_shapes",
    # issue 15: refused or misread before, accepted now
    "clinics_cr_only.csv": "clinics",  # Excel for Mac
    "clinics_mixed_newlines.csv": "clinics",
    "clinics_title_semicolon.csv": "clinics",  # a title row without separators above a ';' header
    "clinics_utf16_no_bom.csv": "clinics",
    "clinics_big5.csv": "clinics",  # read as Big5, not GBK mojibake
    "subdistricts_with_z.geojson": "subdistrict_shapes",  # Z dropped with a note
    "subdistricts_utf16.geojson": "subdistrict_shapes",
}


def tree_digest(*folders: str) -> str:
    """sha256 over every file (path and bytes) under the shipped data folders."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def shipped_data_untouched():
    before = tree_digest("data", "geodata")
    yield
    assert tree_digest("data", "geodata") == before, "validating or applying uploads changed data/ or geodata/"


# ---------------------------------------------------------------- the bad corpus


def test_corpus_is_large_and_complete():
    assert len(EXPECTED) >= 30
    listed = {row["file"] for row in EXPECTED}
    on_disk = {p.name for p in BAD.iterdir() if p.name not in ("EXPECTED.csv", "make_fixtures.py")}
    assert listed == on_disk
    for row in EXPECTED:
        assert row["message_zh"] and row["message_en"], row
        validate.resolve_dataset(row["dataset"])


@pytest.mark.parametrize("row", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_bad_file_gives_its_message(row):
    result = validate.validate_path(BAD / row["file"], row["dataset"])
    assert not result.ok
    assert result.problems
    zh = " | ".join(result.messages("zh"))
    en = " | ".join(result.messages("en"))
    assert row["message_zh"] in zh, zh
    assert row["message_en"] in en, en
    # every problem renders as a table row in both languages
    for lang in ("zh", "en"):
        table = result.table(lang)
        assert len(table) == len(result.problems)
        assert list(table.columns) == [validate.t(f"data.col_{c}", lang) for c in ("row", "column", "value", "expected")]


def test_every_problem_is_reported_at_once():
    fields = [f.name for f in templates.template_fields(DATASETS["clinics"])]
    good = dict(zip(fields, templates.example_row("clinics"), strict=True))
    bad = {**good, "clinic_id": "H002", "gps": "many", "nurses": "-1", "kind": "hospital", "subdistrict_code": "421002999"}
    swapped = {**good, "clinic_id": "H003", "lon": "30.32", "lat": "112.24"}
    rows = [[r[f] for f in fields] for r in (good, bad, swapped)]
    data = _csv([fields, *rows])
    result = validate.validate_bytes(data, "many.csv", "clinics")
    got = {(p.row, p.column, p.key) for p in result.problems}
    assert (3, "gps", "int") in got
    assert (3, "nurses", "min") in got
    assert (3, "kind", "allowed") in got
    assert (3, "subdistrict_code", "unknown_code") in got
    assert (4, "lon", "swapped") in got
    assert "swap" in result.fixes


# ---------------------------------------------------------------- good files, templates, shipped files


@pytest.mark.parametrize("name, dataset", GOOD_FILES.items())
def test_good_files_pass(name, dataset):
    result = validate.validate_path(GOOD / name, dataset)
    assert result.ok, result.table("en").to_string()
    assert result.rows >= 2
    assert list(result.frame.columns)[: len(DATASETS[dataset].columns)] == DATASETS[dataset].columns


@pytest.mark.parametrize("dataset", validate.replaceable())
def test_templates_validate_and_describe_every_column(dataset):
    files = templates.templates(dataset)
    assert files
    for kind, (payload, filename) in files.items():
        result = validate.validate_bytes(payload, filename, dataset)
        assert result.ok, (kind, result.table("en").to_string())
        assert result.rows == 1
    for lang in ("zh", "en"):
        table = templates.columns_table(dataset, lang)
        assert len(table) == len(templates.template_fields(DATASETS[dataset]))
        assert not table.isna().any().any()


def test_xlsx_template_has_instructions_and_text_codes():
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("clinics", "zh")))
    assert book.sheetnames == ["数据", "说明"]
    data = book["数据"]
    headers = [c.value for c in data[1]]
    assert headers[:3] == ["机构编号", "名称", "类别"]
    code_col = headers.index("街道代码") + 1
    assert data.cell(row=2, column=code_col).number_format == "@"
    assert data.data_validations.dataValidation  # drop-downs for allowed values
    info = [[c.value for c in row] for row in book["说明"].iter_rows()]
    assert any("centre（中心）" in str(cell) for row in info for cell in row)


@pytest.mark.parametrize("dataset", validate.replaceable())
def test_shipped_file_passes_as_an_upload(dataset):
    """The shipped demonstration files satisfy every upload check (no false alarms on real-shaped data)."""
    result = validate.validate_path(REPO / DATASETS[dataset].file, dataset)
    assert result.ok, result.table("en").head(20).to_string()
    assert result.rows == len(db.shipped_frames()[dataset])


def test_headers_never_collide():
    for name in validate.replaceable():
        index = validate.header_index(name)
        for f in DATASETS[name].fields:
            for h in f.headers:
                assert index[validate._norm(h)] == f.name, (name, h)


# ---------------------------------------------------------------- what spreadsheets do to values


def test_spreadsheet_habits_are_forgiven():
    fields = templates.template_fields(DATASETS["care_facilities"])
    header = ["  " + f.zh + " " for f in fields]
    header[[f.name for f in fields].index("lon")] = "经度"
    header[[f.name for f in fields].index("lat")] = "纬度"
    row = dict(zip([f.name for f in fields], templates.example_row("care_facilities"), strict=True))
    row.update(facility_type="城市公办", beds="１，２００", nursing_beds="1,000", district_code="421002.0")
    data = _csv([["荆州市养老机构名单"], header, [row[f.name] for f in fields]], encoding="gb18030")
    result = validate.validate_bytes(data, "名单.csv", "care_facilities")
    assert result.ok, result.table("en").to_string()
    frame = result.frame
    assert frame.loc[0, "facility_type"] == "urban_public"
    assert frame.loc[0, "beds"] == 1200 and frame.loc[0, "nursing_beds"] == 1000
    assert frame.loc[0, "district_code"] == "421002"
    assert result.encoding == "GBK/GB18030"
    assert ("header_row", {"row": 2}) in result.notes


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""),
                                           ("gb18030", b""), ("utf-16", b"")])
def test_encodings(encoding, bom):
    fields = templates.template_fields(DATASETS["clinics"])
    rows = [[f.zh for f in fields], templates.example_row("clinics")]
    rows[1][1] = "荆州区西城街道社区卫生服务中心"
    data = bom + _csv(rows, encoding=encoding)
    result = validate.validate_bytes(data, "clinics.csv", "clinics")
    assert result.ok, result.table("en").to_string()
    assert result.frame.loc[0, "name"] == "荆州区西城街道社区卫生服务中心"


def test_tab_and_semicolon_delimiters():
    for delimiter in ("\t", ";"):
        fields = [f.name for f in templates.template_fields(DATASETS["communities"])]
        data = _csv([fields, templates.example_row("communities")], delimiter=delimiter)
        assert validate.validate_bytes(data, "c.tsv", "communities").ok


def test_nullable_columns_may_be_left_out():
    fields = [f for f in templates.template_fields(DATASETS["care_facilities"]) if not f.nullable]
    row = dict(zip([f.name for f in templates.template_fields(DATASETS["care_facilities"])],
                   templates.example_row("care_facilities"), strict=True))
    data = _csv([[f.name for f in fields], [row[f.name] for f in fields]])
    result = validate.validate_bytes(data, "c.csv", "care_facilities")
    assert result.ok, result.table("en").to_string()
    assert pd.isna(result.frame.loc[0, "committee_code"])


def test_extra_columns_are_noted_not_lost_silently():
    fields = [f.name for f in templates.template_fields(DATASETS["communities"])]
    data = _csv([[*fields, "备注"], [*templates.example_row("communities"), "x"]])
    result = validate.validate_bytes(data, "c.csv", "communities")
    assert result.ok
    assert any("备注" in text for text in result.note_texts("zh"))


def test_share_columns_accept_percent_signs_and_explain_scale(monkeypatch):
    ds = Dataset("test_shares", "data/test_shares.csv", "每行", "one row", (
        Field("area_id", "str", "编号", "id", unique=True, example="a"),
        Field("rented_share", "float", "租用比例", "rented share", share="fraction", example="0.84"),
        Field("rented_percent", "float", "租用百分比", "rented percent", share="percent", example="84"),
        Field("source_id", "str", "来源编号", "source id", example="demo_layer"),
    ), key=("area_id",), replaceable=True)
    monkeypatch.setitem(DATASETS, "test_shares", ds)
    assert ds.field("rented_share").bounds == (0, 1)
    assert ds.field("rented_percent").bounds == (0, 100)
    data = _csv([["area_id", "rented_share", "rented_percent"], ["a", "84%", "84%"], ["b", "84", "140"]])
    result = validate.validate_bytes(data, "s.csv", "test_shares")
    keys = {(p.row, p.column): p.key for p in result.problems}
    assert keys == {(3, "rented_share"): "share_percent", (3, "rented_percent"): "max"}
    assert "百分数" in validate.message(result.problems[0], "zh")
    ok = validate.validate_bytes(_csv([["area_id", "rented_share", "rented_percent"], ["a", "84%", "84%"]]), "s.csv",
                                 "test_shares")
    assert ok.ok
    assert ok.frame.loc[0, "rented_share"] == pytest.approx(0.84)
    assert ok.frame.loc[0, "rented_percent"] == pytest.approx(84)


def test_problems_are_capped_but_counted():
    fields = [f.name for f in templates.template_fields(DATASETS["community_workers"])]
    row = dict(zip(fields, templates.example_row("community_workers"), strict=True))
    rows = [[f"W{i:05d}" if f == "worker_id" else ("x" if f in ("tenure_years", "pay_yuan_per_year") else row[f])
             for f in fields] for i in range(validate.MAX_PROBLEMS)]
    result = validate.validate_bytes(_csv([fields, *rows]), "w.csv", "community_workers")
    assert len(result.problems) == validate.MAX_PROBLEMS + 1
    assert result.problems[-1].key == "more"
    assert "(2000 more not listed)" in validate.message(result.problems[-1], "en")


# ---------------------------------------------------------------- coordinates: datum and swaps


def test_datum_conversions_round_trip():
    lon, lat = np.array([112.24, 111.5, 113.9]), np.array([30.32, 29.6, 29.9])
    for there, back in ((validate.wgs84_to_gcj02, validate.gcj02_to_wgs84), (validate.wgs84_to_bd09, validate.bd09_to_wgs84)):
        x, y = back(*there(lon, lat))
        assert np.abs(x - lon).max() < 1e-6 and np.abs(y - lat).max() < 1e-6
    # the offsets the hints describe: GCJ-02 ≈ +0.0057/−0.0026, BD-09 ≈ +0.0123/+0.0033 around 荆州
    gx, gy = validate.wgs84_to_gcj02(112.24, 30.32)
    assert 0.005 < gx - 112.24 < 0.0065 and -0.0032 < gy - 30.32 < -0.002
    bx, by = validate.wgs84_to_bd09(112.24, 30.32)
    assert 0.011 < bx - 112.24 < 0.0135 and 0.0025 < by - 30.32 < 0.004


def _shifted(dataset: str, kind: str, new_ids: bool) -> bytes:
    frame = pd.read_csv(REPO / DATASETS[dataset].file, dtype=str, keep_default_na=False)
    lon, lat = validate._FROM_WGS84[kind](frame["lon"].astype(float), frame["lat"].astype(float))
    frame["lon"], frame["lat"] = np.round(lon, 6).astype(str), np.round(lat, 6).astype(str)
    if new_ids:
        key = DATASETS[dataset].key[0]
        frame[key] = "N" + frame[key]
    return frame.to_csv(index=False).encode()


@pytest.mark.parametrize("kind", ["gcj02", "bd09"])
@pytest.mark.parametrize("new_ids", [False, True], ids=["same-ids", "new-ids"])
def test_shipped_points_moved_to_another_datum_are_caught_and_repaired(kind, new_ids):
    data = _shifted("compounds", kind, new_ids)
    result = validate.validate_bytes(data, "compounds.csv", "compounds")
    assert kind in result.fixes
    assert any(p.key.startswith(f"datum_{kind}") for p in result.problems)
    repaired = validate.validate_bytes(data, "compounds.csv", "compounds", fixes=[kind])
    assert repaired.ok, repaired.table("en").head().to_string()
    shipped = db.shipped_frames()["compounds"]
    assert np.abs(repaired.frame["lon"].to_numpy(float) - shipped["lon"].to_numpy(float)).max() < 1e-5


def test_wgs84_points_with_some_wrong_districts_are_not_called_gcj02():
    frame = pd.read_csv(REPO / "data/compounds.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    wrong = rng.choice(len(frame), 40, replace=False)
    # a clerk's mistakes: district codes swapped between the two central districts on 40 rows
    frame.loc[wrong, "district_code"] = frame.loc[wrong, "district_code"].map(
        {"421002": "421003", "421003": "421002", "421071": "421003"})
    guess = validate._datum_guess(frame["lon"].astype(float).to_numpy(), frame["lat"].astype(float).to_numpy(),
                                  frame["district_code"].tolist(), validate.reference())
    assert guess is None


def test_swapped_points_can_be_repaired():
    fields = [f.name for f in templates.template_fields(DATASETS["clinics"])]
    row = dict(zip(fields, templates.example_row("clinics"), strict=True), lon="30.32", lat="112.24")
    data = _csv([fields, [row[f] for f in fields]])
    assert validate.validate_bytes(data, "c.csv", "clinics").fixes == ["swap"]
    fixed = validate.validate_bytes(data, "c.csv", "clinics", fixes=["swap"])
    assert fixed.ok and fixed.frame.loc[0, "lon"] == pytest.approx(112.24)


# ---------------------------------------------------------------- GeoJSON repairs


def test_invalid_polygon_repair_with_make_valid():
    result = validate.validate_path(BAD / "self_intersecting.geojson", "subdistricts")
    assert result.fixes == ["make_valid"]
    assert "Self-intersection" in validate.message(result.problems[0], "en")
    fixed = validate.validate_path(BAD / "self_intersecting.geojson", "subdistricts", fixes=["make_valid"])
    assert fixed.ok, fixed.table("en").to_string()
    assert fixed.frame.geometry.is_valid.all()
    assert b'"FeatureCollection"' in validate.repaired_geojson(fixed)


def test_declared_projected_crs_can_be_reprojected():
    result = validate.validate_path(BAD / "projected_crs.geojson", "subdistricts")
    assert "reproject" in result.fixes
    fixed = validate.validate_path(BAD / "projected_crs.geojson", "subdistricts", fixes=["reproject"])
    assert fixed.ok, fixed.table("en").to_string()
    x, y = fixed.frame.geometry.iloc[0].centroid.coords[0]
    assert abs(x - 112.24) < 1e-4 and abs(y - 30.32) < 1e-4


# ---------------------------------------------------------------- overlay and provenance


def test_provenance_is_required():
    assert validate.Provenance("", "2023").problems() == ["prov_publisher"]
    assert validate.Provenance("荆州市卫健委", "").problems() == ["prov_date"]
    assert validate.Provenance("荆州市卫健委", "2023-13-40x").problems() == ["prov_date"]
    assert validate.Provenance("荆州市卫健委", "2023-06").problems() == []
    result = validate.validate_path(GOOD / "clinics.csv", "clinics")
    with pytest.raises(ValueError, match="provenance"):
        validate.apply(db.EMPTY_OVERLAY, result, validate.Provenance("", ""))


def test_apply_registers_a_source_and_reset_removes_it():
    result = validate.validate_path(GOOD / "clinics.csv", "clinics")
    prov = validate.Provenance("荆州市卫生健康委员会", "2023-06-30", title="社区卫生服务机构名单")
    overlay = validate.apply(db.EMPTY_OVERLAY, result, prov)
    assert overlay.user_datasets == ["clinics"]
    source_id = validate.upload_source_id(result, prov)
    assert set(overlay["clinics"]["source_id"]) == {source_id}
    sources = db.run_query("sources_list", overlay=overlay).set_index("source_id")
    assert sources.loc[source_id, "publisher"] == "荆州市卫生健康委员会"
    assert sources.loc[source_id, "date"] == "2023-06-30"
    assert "report2020" in sources.index  # shipped sources are kept
    # a second dataset keeps the first; replacing the first drops its old source row
    workers = validate.validate_path(GOOD / "community_workers.csv", "community_workers")
    both = validate.apply(overlay, workers, validate.Provenance("荆州市民政局", "2023"))
    assert sorted(both.user_datasets) == ["clinics", "community_workers"]
    again = validate.apply(both, result, validate.Provenance("另一单位", "2024"))
    uploads = [s for s in again["sources"]["source_id"] if s.startswith("upload_")]
    assert len(uploads) == 2
    one = validate.reset(again, "clinics")
    assert one.user_datasets == ["community_workers"]
    assert not any(s.startswith("upload_clinics_") for s in one["sources"]["source_id"])
    assert validate.reset(one, "community_workers") == db.EMPTY_OVERLAY
    assert validate.reset(again) == db.EMPTY_OVERLAY


def test_two_overlays_are_isolated_in_queries():
    """Two sessions' overlays, queried concurrently, each see their own upload; the shipped tables are unchanged."""
    from concurrent.futures import ThreadPoolExecutor

    shipped = db.run_query("data_totals").set_index(["dataset", "measure"])["value"]
    clinics = validate.validate_path(GOOD / "clinics.csv", "clinics")
    beds = validate.validate_path(GOOD / "care_facilities.xlsx", "care_facilities")
    a = validate.apply(db.EMPTY_OVERLAY, clinics, validate.Provenance("A", "2023"))
    b = validate.apply(db.EMPTY_OVERLAY, beds, validate.Provenance("B", "2023"))

    def totals(overlay):
        return db.run_query("data_totals", overlay=overlay).set_index(["dataset", "measure"])["value"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(totals, [a, b] * 10))
    for ta, tb in zip(results[::2], results[1::2], strict=True):
        assert ta[("clinics", "rows")] == 5 and ta[("clinics", "gps")] == 150
        assert ta[("care_facilities", "beds")] == shipped[("care_facilities", "beds")]
        assert tb[("care_facilities", "beds")] == 10_000 and tb[("care_facilities", "rows")] == 4
        assert tb[("clinics", "rows")] == shipped[("clinics", "rows")]
    assert totals(None).equals(shipped)


def test_uploaded_boundaries_replace_the_layer_for_that_overlay_only():
    from dashboard.data import geo

    result = validate.validate_path(GOOD / "subdistricts.geojson", "subdistricts")
    overlay = validate.apply(db.EMPTY_OVERLAY, result, validate.Provenance("荆州市自然资源和规划局", "2023"))
    mine = geo.layer("subdistricts", overlay)
    assert len(mine) == 2 and set(mine["code"]) == {"421002001", "421003001"}
    assert mine.crs.to_epsg() == 4326
    assert len(geo.layer("subdistricts")) == len(db.shipped_frames()["subdistrict_shapes"])
    assert db.run_query("data_totals", overlay=overlay).set_index(["dataset", "measure"]).loc[
        ("subdistrict_shapes", "rows"), "value"] == 2


# ---------------------------------------------------------------- helpers


def _csv(rows, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)
