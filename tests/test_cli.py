"""Command line: exit codes and output on good and broken data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, cwd=REPO,
                          env=full_env, timeout=300)


def test_check_ok():
    res = run_cli("check")
    assert res.returncode == 0, res.stderr
    assert "check: OK" in res.stdout
    assert "clinics" in res.stdout


def test_check_validates_in_full_then_writes_the_cache(tmp_path):
    cache = tmp_path / "cache"
    res = run_cli("check", env={"DASHBOARD_CACHE_DIR": str(cache)})
    assert res.returncode == 0, res.stderr
    entries = list(cache.glob("frames-*.pickle"))
    assert len(entries) == 1
    entries[0].write_bytes(b"corrupt")  # check never reads the cache: it validates again and rewrites it
    res = run_cli("check", env={"DASHBOARD_CACHE_DIR": str(cache)})
    assert res.returncode == 0, res.stderr
    assert entries[0].read_bytes() != b"corrupt"
    (tmp_path / "blocker").write_text("x")  # an unwritable cache is no error
    res = run_cli("check", env={"DASHBOARD_CACHE_DIR": str(tmp_path / "blocker" / "cache")})
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr


def test_check_broken_data_names_file_row_column(tmp_path):
    for sub in ("data", "geodata"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    path = tmp_path / "data/care_facilities.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[9, "beds"] = "-12"
    frame.to_csv(path, index=False)
    before = (REPO / "data/care_facilities.csv").read_bytes()
    res = run_cli("check", env={"DASHBOARD_DATA_ROOT": str(tmp_path), "DASHBOARD_CACHE_DIR": str(tmp_path / "cache")})
    assert res.returncode == 1
    assert not list((tmp_path / "cache").glob("frames-*")), "a failed check caches nothing"
    assert "data/care_facilities.csv, row 11, column 'beds'" in res.stderr
    assert "Traceback" not in res.stderr
    assert (REPO / "data/care_facilities.csv").read_bytes() == before


def test_indicators_formats():
    res = run_cli("indicators", "--topic", "clinics", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    by_id = {r["indicator_id"]: r for r in rows}
    assert by_id["clinics.gps.central_city"]["value"] == 213
    assert all(r["topic"] == "clinics" for r in rows)
    res = run_cli("indicators", "--format", "csv")
    assert res.returncode == 0
    assert res.stdout.splitlines()[0].startswith("indicator_id,topic")
    assert len(res.stdout.splitlines()) > 100
    res = run_cli("indicators", "--topic", "no_such_topic")
    assert res.returncode == 1
    assert "no indicators match" in res.stderr


def test_unknown_set_key_is_a_notice_not_a_crash():
    res = run_cli("params", "--format", "json")
    assert res.returncode == 0, res.stderr
    keys = {p["key"] for p in json.loads(res.stdout)}
    assert {"lang", "present"} <= keys
