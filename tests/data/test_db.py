"""Data layer: query-file contract, typed tables, checks with file/row/column errors, rebuilds, overlays."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard.data import cache as data_cache
from dashboard.data import db, load
from dashboard.data.schemas import DATASETS

REPO = Path(__file__).resolve().parents[2]
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
    assert kinds <= {"report", "official_statistics", "standard", "assumption", "illustrative", "map_data"}
    assert not load.cross_check(frames)


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
    with pytest.raises(load.DataError) as err:
        load.load_all()
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
    with pytest.raises(load.DataError, match="unique"):
        load.load_all()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "clinic_id"] = "H-unique-test"
    frame.loc[2, "subdistrict_code"] = "421002999"
    frame.to_csv(path, index=False)
    with pytest.raises(load.DataError, match="421002999.*subdistrict code listed"):
        load.load_all()


def test_missing_column_named(tmp_path, monkeypatch):
    root = _copy_data(tmp_path)
    path = root / "data/community_workers.csv"
    pd.read_csv(path, dtype=str).drop(columns=["post"]).to_csv(path, index=False)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    with pytest.raises(load.DataError, match="column named 'post'"):
        load.load_all()


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


# ---------------------------------------------------------------- validated-data cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory of our own, and a copy of the shipped data as the data root."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("DASHBOARD_CACHE_DIR", str(directory))
    root = tmp_path / "root"
    root.mkdir()
    _copy_data(root)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    return directory


@pytest.fixture
def full_loads(monkeypatch):
    """Counts the full validations (calls of load.load_all)."""
    calls = []
    real = load.load_all

    def spy(root=None):
        calls.append(root)
        return real(root)

    monkeypatch.setattr(load, "load_all", spy)
    return calls


def _assert_same_frames(got, want):
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)
        assert list(got[name].dtypes) == list(want[name].dtypes), name


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("frames-*.pickle"))


def test_cache_hit_returns_the_validated_frames(cache, full_loads):
    want = data_cache.validate_and_cache()  # what `python -m dashboard check` does
    assert len(full_loads) == 1
    assert len(_entries(cache)) == 1
    got = data_cache.load_all_cached()
    assert len(full_loads) == 1, "a cache hit must not validate again"
    _assert_same_frames(got, want)
    assert str(got["compounds"]["lon"].dtype) == "Float64" and str(got["clinics"]["gps"].dtype) == "Int64"
    assert str(got["compounds"]["has_property_management"].dtype) == "boolean"
    assert str(got["sources"]["source_id"].dtype) == "string"


def test_cache_key_covers_sources_and_code(cache, tmp_path, monkeypatch):
    key = data_cache.cache_key()
    assert key == data_cache.cache_key() and len(key) == 64
    root = Path(os.environ["DASHBOARD_DATA_ROOT"])
    path = root / "geodata/new_areas.geojson"
    path.write_bytes(path.read_bytes() + b"\n")
    assert data_cache.cache_key() != key
    key = data_cache.cache_key()
    queries = tmp_path / "queries"
    shutil.copytree(db.QUERIES_DIR, queries)
    monkeypatch.setattr(data_cache, "QUERIES_DIR", queries)
    assert data_cache.cache_key() == key
    (queries / "_schema.sql").write_text((queries / "_schema.sql").read_text(encoding="utf-8") + "\n-- x\n",
                                         encoding="utf-8")
    assert data_cache.cache_key() != key


def test_cache_miss_after_a_one_byte_change(cache, full_loads):
    data_cache.validate_and_cache()
    root = Path(os.environ["DASHBOARD_DATA_ROOT"])
    path = root / "data/census.csv"
    text = path.read_text(encoding="utf-8")
    assert "504893" in text
    path.write_text(text.replace("504893", "504894"), encoding="utf-8")  # same size, one byte
    frames = data_cache.load_all_cached()
    assert len(full_loads) == 2, "a changed file must be validated again"
    census = frames["census"]
    assert int(census.loc[census.area_code == "421002", "residents"].iloc[0]) == 504894
    assert len(_entries(cache)) == 2
    data_cache.load_all_cached()
    assert len(full_loads) == 2  # and the new content is now a hit


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_payload", "wrong_columns"])
def test_corrupt_cache_falls_back_to_validation(cache, full_loads, damage):
    want = data_cache.validate_and_cache()
    (entry,) = _entries(cache)
    if damage == "garbage":
        entry.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "wrong_payload":
        entry.write_bytes(pickle.dumps({"format": 1, "key": "0" * 64, "frames": want}))
    else:
        broken = dict(want, clinics=want["clinics"].drop(columns=["gps"]))
        entry.write_bytes(pickle.dumps({"format": 1, "key": entry.stem[len("frames-"):], "frames": broken}))
    got = data_cache.load_all_cached()
    assert len(full_loads) == 2
    _assert_same_frames(got, want)
    # and the damaged entry was replaced by a good one
    assert data_cache.read_cached_frames(data_cache.cache_key()) is not None


def test_cache_file_writable_by_others_is_ignored(cache, full_loads):
    data_cache.validate_and_cache()
    (entry,) = _entries(cache)
    entry.chmod(0o666)
    assert data_cache.read_cached_frames(data_cache.cache_key()) is None
    data_cache.load_all_cached()
    assert len(full_loads) == 2


def test_unwritable_cache_dir_falls_back(tmp_path, monkeypatch, full_loads):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    # a directory below a regular file can never be created, whoever runs the tests (root too)
    monkeypatch.setenv("DASHBOARD_CACHE_DIR", str(blocker / "cache"))
    frames = data_cache.load_all_cached()
    assert set(frames) == set(DATASETS)
    assert not data_cache.write_cached_frames(data_cache.cache_key(), frames)
    data_cache.load_all_cached()
    assert len(full_loads) == 2  # validated each time, never an error
    if os.geteuid() != 0:  # a read-only directory (root may write anyway)
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        monkeypatch.setenv("DASHBOARD_CACHE_DIR", str(ro))
        assert not data_cache.write_cached_frames(data_cache.cache_key(), frames)
        assert not list(ro.iterdir())


def test_bad_file_raises_the_same_error_with_a_cache_present(cache):
    data_cache.validate_and_cache()
    root = Path(os.environ["DASHBOARD_DATA_ROOT"])
    path = root / "data/clinics.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "gps"] = "-3"
    frame.to_csv(path, index=False)
    with pytest.raises(load.DataError) as full:
        load.load_all()
    with pytest.raises(load.DataError) as cached:
        data_cache.load_all_cached()
    assert cached.value.problems == full.value.problems
    assert str(cached.value) == str(full.value)
    assert "data/clinics.csv, row 6, column 'gps'" in str(cached.value)
    with pytest.raises(load.DataError) as served:
        db.get_database()
    assert served.value.problems == full.value.problems
    assert len(_entries(cache)) == 1, "a failed validation is never cached"


def test_cache_keeps_only_the_newest_entries(cache):
    frames = data_cache.validate_and_cache()
    for i in range(data_cache.CACHE_KEEP + 3):
        assert data_cache.write_cached_frames(f"{i:064x}", frames)
        time.sleep(0.002)
    names = {p.name for p in _entries(cache)}
    assert len(names) == data_cache.CACHE_KEEP
    assert f"frames-{data_cache.CACHE_KEEP + 2:064x}.pickle" in names
    assert not list(cache.glob(".frames-*.tmp"))


def test_get_database_builds_from_the_cache(cache, full_loads):
    data_cache.validate_and_cache()
    db._state.clear()
    db.get_database()
    assert len(full_loads) == 1
    _assert_same_frames(db.shipped_frames(), load.load_all())
    n = db.get_database().execute("select count(*) from compounds").fetchone()[0]
    assert n == len(db.shipped_frames()["compounds"])


# ---------------------------------------------------------------- fingerprint once per script run


def test_fingerprint_is_taken_once_per_script_run(tmp_path, monkeypatch):
    root = _copy_data(tmp_path)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    stats = []
    real = db.source_fingerprint
    monkeypatch.setattr(db, "source_fingerprint", lambda root=None: stats.append(1) or real(root))
    path = root / "data/census.csv"
    with db.sources_pinned():  # one app script run
        first = db.current_fingerprint()
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
        assert db.current_fingerprint() == first, "one fingerprint per run"
        assert len(stats) == 1
    with db.sources_pinned():  # the next run
        assert db.current_fingerprint() != first, "a change is picked up by the next run"
        assert len(stats) == 2
    db.current_fingerprint()  # no script run (CLI, tests): every call stats the files
    db.current_fingerprint()
    assert len(stats) == 4


def test_overlapping_runs_do_not_rebuild_in_turn(tmp_path, monkeypatch):
    """Run A (older pin) after run B rebuilt for a change: A looks again instead of rebuilding back."""
    from concurrent.futures import ThreadPoolExecutor

    root = _copy_data(tmp_path)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    builds = []
    real = db.build_database
    monkeypatch.setattr(db, "build_database", lambda frames: builds.append(1) or real(frames))
    runs = {}

    def start_run(name):
        runs[name] = db.sources_pinned()
        runs[name].__enter__()
        return db.get_database()

    a, b = ThreadPoolExecutor(1), ThreadPoolExecutor(1)  # one thread per session
    try:
        a.submit(start_run, "a").result()  # session A's run begins: fingerprint pinned
        n = len(builds)
        path = root / "data/census.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("504893", "504894"), encoding="utf-8")
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
        b.submit(start_run, "b").result()  # session B's run sees the change and rebuilds
        assert len(builds) == n + 1
        token = b.submit(db.database_token).result()
        assert a.submit(db.database_token).result() == token  # A (same run, older pin) does not rebuild
        assert len(builds) == n + 1
        census = a.submit(lambda: db.run_query("census_population")).result()
        assert int(census.loc[census.area_code == "421002", "residents"].iloc[0]) == 504894
    finally:
        a.submit(lambda: runs["a"].__exit__(None, None, None)).result()
        b.submit(lambda: runs["b"].__exit__(None, None, None)).result()
        a.shutdown()
        b.shutdown()


def _fingerprint_script():
    import os

    import streamlit as st

    from dashboard.data import db

    with db.sources_pinned():
        first = db.current_fingerprint()
        path = os.path.join(os.environ["DASHBOARD_DATA_ROOT"], "data", "census.csv")
        st.session_state.setdefault("runs", []).append(first)
        bump = len(st.session_state["runs"]) * 10**9
        os.utime(path, ns=(bump, bump))  # the file changes during the run
        st.session_state["same_within_run"] = db.current_fingerprint() == first
        st.session_state["changed_on_disk"] = db.source_fingerprint() != first


def test_fingerprint_memo_under_streamlit_sees_a_change_on_the_next_run(tmp_path, monkeypatch):
    """Under Streamlit: the pin holds within a run, and the next run sees a file changed during the previous one."""
    from streamlit.testing.v1 import AppTest

    root = _copy_data(tmp_path)
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    at = AppTest.from_function(_fingerprint_script, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.session_state["same_within_run"] and at.session_state["changed_on_disk"]
    at.run()
    assert not at.exception
    first, second = at.session_state["runs"]
    assert first != second, "the next run must see the file changed during the previous one"
