"""Data layer: query-file contract, typed tables, checks with file/row/column errors, rebuilds, overlays."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard import db
from dashboard.schemas import DATASETS

REPO = Path(__file__).resolve().parents[1]
SAMPLE = {"VARCHAR": "", "INTEGER": 2020, "BIGINT": 2020, "DOUBLE": 1.0, "BOOLEAN": True, "VARCHAR[]": []}


@pytest.mark.parametrize("name", db.query_names())
def test_query_header_and_runs(name):
    spec = db.load_query(name)
    assert spec.description, f"{name}: header needs a description"
    assert spec.returns, f"{name}: header needs a returns line"
    assert "order by" in spec.sql.lower(), f"{name}: every query ends with an order by"
    for ptype in spec.params.values():
        assert ptype in SAMPLE, f"{name}: unsupported param type {ptype}"
    frame = db.run_query(name, **{k: SAMPLE[v] for k, v in spec.params.items()})
    assert isinstance(frame, pd.DataFrame)
    assert len(frame.columns) > 0


def test_run_query_rejects_wrong_params():
    with pytest.raises(TypeError, match="takes parameters"):
        db.run_query("indicators_search", topic="")
    with pytest.raises(TypeError):
        db.run_query("indicators_search", topic="", text="", extra=1)
    with pytest.raises(ValueError, match="unknown query"):
        db.run_query("no_such_query")
    with pytest.raises(ValueError, match="invalid query name"):
        db.run_query("../secrets")


def test_header_must_match_sql():
    sql = "-- zz: demo\n-- params: $a INTEGER\n-- returns: x\nselect $b as x order by 1;\n"
    with pytest.raises(ValueError, match="declares"):
        db.parse_query("zz", sql)
    with pytest.raises(ValueError, match="first line"):
        db.parse_query("zz", "select 1")
    with pytest.raises(ValueError, match="params"):
        db.parse_query("zz", "-- zz: demo\nselect 1")


def test_every_dataset_loads_typed():
    con = db.get_database()
    for name, ds in DATASETS.items():
        cols = con.execute(
            "select column_name, data_type from information_schema.columns where table_name = ? order by ordinal_position",
            [name],
        ).fetchall()
        assert [c for c, _ in cols] == ds.columns, name
        n = con.execute(f'select count(*) from "{name}"').fetchone()[0]
        assert n > 0, f"{name} is empty"


def test_primary_keys_enforced():
    con = db.get_database().cursor()
    first = con.execute("select * from sources limit 1").df()
    with pytest.raises(Exception, match="(?i)duplicate|constraint"):
        con.register("dup", first)
        con.execute("insert into sources select * from dup")


def test_every_source_id_resolves_and_kind_known():
    frames = db.shipped_frames()
    kinds = set(frames["sources"]["kind"])
    assert kinds <= {"report", "official_statistics", "standard", "assumption", "illustrative"}
    assert not db.cross_check(frames)


def _copy_data(tmp_path: Path) -> Path:
    for sub in ("data", "geodata"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    return tmp_path


@pytest.mark.parametrize(
    "dataset, column, value, expected",
    [
        ("clinics", "gps", "-3", "≥ 0"),
        ("clinics", "gps", "many", "a whole number"),
        ("clinics", "kind", "hospital", "one of centre, station"),
        ("care_facilities", "beds", "", "required"),
        ("compounds", "lon", "east", "a number"),
        ("compounds", "has_property_management", "maybe", "true or false"),
        ("community_workers", "district_code", "4210", "matching"),
        ("compounds", "lat", "inf", "a finite number"),
    ],
)
def test_bad_cell_names_file_row_column(tmp_path, monkeypatch, dataset, column, value, expected):
    root = _copy_data(tmp_path)
    path = root / DATASETS[dataset].file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, column] = value
    frame.to_csv(path, index=False)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    with pytest.raises(db.DataError) as err:
        db.load_all()
    text = str(err.value)
    assert DATASETS[dataset].file in text
    assert "row 6" in text, text  # line 6: header + 5th data row
    assert repr(column) in text
    assert expected in text


def test_duplicate_key_and_unknown_code_reported(tmp_path, monkeypatch):
    root = _copy_data(tmp_path)
    path = root / "data/clinics.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "clinic_id"] = frame.loc[0, "clinic_id"]
    frame.to_csv(path, index=False)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    with pytest.raises(db.DataError, match="unique"):
        db.load_all()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "clinic_id"] = "H-unique-test"
    frame.loc[2, "subdistrict_code"] = "421002999"
    frame.to_csv(path, index=False)
    with pytest.raises(db.DataError, match="421002999.*subdistrict code listed"):
        db.load_all()


def test_missing_column_named(tmp_path, monkeypatch):
    root = _copy_data(tmp_path)
    path = root / "data/community_workers.csv"
    pd.read_csv(path, dtype=str).drop(columns=["post"]).to_csv(path, index=False)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    with pytest.raises(db.DataError, match="column named 'post'"):
        db.load_all()


def test_database_rebuilds_when_a_source_changes(tmp_path, monkeypatch):
    root = _copy_data(tmp_path)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    before = db.run_query("census_population")
    path = root / "data/census.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["area_code"] == "421002", "residents"] = "600000"
    time.sleep(0.01)
    frame.to_csv(path, index=False)
    os.utime(path, None)
    after = db.run_query("census_population")
    assert int(after.loc[after.area_code == "421002", "residents"].iloc[0]) == 600000
    assert int(before.loc[before.area_code == "421002", "residents"].iloc[0]) == 504893


def test_overlay_is_per_call_and_never_touches_shipped():
    census = db.shipped_frames()["census"].copy()
    census.loc[census.area_code == "421002", "residents"] = 1
    overlay = db.Overlay({"census": census})
    with_overlay = db.run_query("census_population", overlay=overlay)
    without = db.run_query("census_population")
    assert int(with_overlay.loc[with_overlay.area_code == "421002", "residents"].iloc[0]) == 1
    assert int(without.loc[without.area_code == "421002", "residents"].iloc[0]) == 504893
    assert overlay.token and overlay.token != db.Overlay({"census": db.shipped_frames()["census"]}).token


def test_ddl_generated_from_schema():
    ddl = db.table_ddl(DATASETS["clinics"])
    assert 'PRIMARY KEY ("clinic_id")' in ddl
    assert '"gps" BIGINT NOT NULL CHECK ("gps" >= 0)' in ddl
