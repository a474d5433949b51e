"""Issue 15, beyond the fixture corpus: bounded upload checks (CPU time and memory limits enforced),
the last-resort handler, echoed text made inert, and the server's hardening (upload size, error
details, DuckDB lockdown, the signed frames cache, `check` on broken SQL, clean CLI errors)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from dashboard.core.safetext import code_span, md_escape
from dashboard.core.scenario import Scenario, scenarios_from_json
from dashboard.data import cache as data_cache
from dashboard.data import db
from dashboard.upload import validate, worker
from tests.upload.test_hostile import compounds_csv
from tests.upload.test_validate import GOOD, tree_digest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def shipped_data_untouched():
    before = tree_digest("data", "geodata")
    yield
    assert tree_digest("data", "geodata") == before


# ---------------------------------------------------------------- bounded checks (worker process)


def test_worker_gives_the_same_result_as_in_process():
    data = (GOOD / "care_facilities.xlsx").read_bytes()
    bounded = worker.validate_bounded(data, "care.xlsx", "care_facilities")
    direct = validate.validate_bytes(data, "care.xlsx", "care_facilities")
    assert bounded.ok and direct.ok
    assert bounded.frame.equals(direct.frame)


def test_cpu_limit_is_enforced():
    """A check that needs more CPU than allowed is stopped by RLIMIT_CPU and refused, naming the limit."""
    data = compounds_csv(validate.MAX_ROWS, name_repeat=24)  # several CPU seconds to check in full
    result = worker.validate_bounded(data, "big.csv", "compounds", cpu_seconds=1)
    assert result.refused and result.problems[0].key == "cpu_limit"
    assert "1 s of CPU time" in validate.message(result.problems[0], "en")
    assert "CPU 时间上限" in validate.message(result.problems[0], "zh")


def test_memory_limit_is_enforced():
    """A check that needs more memory than allowed fails its allocation (RLIMIT_AS) and is refused.

    The budget counts from the child's starting address space; memory the fork server had freed (but
    kept mapped) is reusable within it, hence a budget far below the check's ~85 MB peak here."""
    data = compounds_csv(validate.MAX_ROWS, name_repeat=24)  # ~85 MB of Python heap to check
    result = worker.validate_bounded(data, "big.csv", "compounds", memory_mb=1)
    assert result.refused and result.problems[0].key == "memory_limit"
    assert "1 MB of memory" in validate.message(result.problems[0], "en")


def test_the_same_file_passes_within_the_default_limits():
    data = compounds_csv(validate.MAX_ROWS, name_repeat=24)
    result = worker.validate_bounded(data, "big.csv", "compounds")
    assert result.ok and result.rows == validate.MAX_ROWS


# ---------------------------------------------------------------- the last resort


def test_unexpected_exception_names_the_file_and_logs_the_detail(monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise KeyError("internal detail /srv/secret/path.py")

    monkeypatch.setattr(validate, "_check_table", boom)
    with caplog.at_level(logging.ERROR):
        result = validate.validate_bytes((GOOD / "clinics.csv").read_bytes(), "诊所<名单>.csv", "clinics")
    assert result.refused and result.problems[0].key == "unexpected"
    en = validate.message(result.problems[0], "en")
    assert "could not check this file, 诊所<名单>.csv" in en
    assert "secret" not in en and "Traceback" not in en
    assert "无法检查文件 诊所<名单>.csv" in validate.message(result.problems[0], "zh")
    assert "internal detail /srv/secret/path.py" in caplog.text  # the server log keeps it


def test_cli_reports_the_last_resort_without_a_traceback(monkeypatch, capsys):
    from dashboard.__main__ import main

    monkeypatch.setattr(validate, "_check_table", lambda *a, **k: 1 / 0)
    assert main(["--lang", "en", "validate", str(GOOD / "clinics.csv"), "--as", "clinics"]) == 1
    out = capsys.readouterr()
    assert "could not check this file, clinics.csv" in out.out
    assert "Traceback" not in out.out + out.err


# ---------------------------------------------------------------- echoed text is inert


@pytest.mark.parametrize("text", [
    "![x](http://evil.example/a.png)", "[系统警告](http://phish.example)", ":red[**SYSTEM WARNING**]",
    "<img src=x onerror=alert(1)>", "http://evil.example/x", "a\n\n# heading", ":material/warning: hi",
])
def test_md_escape_leaves_no_markdown(text):
    out = md_escape(text)
    assert "\n" not in out
    for ch in "![]()<>:#*":
        assert ch not in out.replace("\\" + ch, ""), (ch, out)


def test_code_span_fences_backticks():
    assert code_span("a`b") == "`` a`b ``"
    assert code_span("x" * 200, limit=10) == "` xxxxxxxxx… `"
    assert code_span("two\nlines") == "` two lines `"


def test_url_notice_is_shown_as_code():
    from tests.conftest import run_page

    at = run_page(query={"![x](http://evil.example/a.png)": "1"})
    toasts = [t.value for t in at.toast]
    assert toasts and all("`" in t for t in toasts), toasts
    assert not any("](" in t.replace("`` ", "").split("`")[0] for t in toasts)


def test_deeply_nested_scenario_files_are_refused_cleanly():
    with pytest.raises(ValueError, match="nested too deeply"):
        scenarios_from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested deeper than"):
        nested: object = 1
        for _ in range(12):
            nested = [nested]
        scenarios_from_json(json.dumps({"values": {"x": nested}}))
    with pytest.raises(ValueError, match="nested"):
        Scenario.from_json("{" + '"a":{' * 5000 + "}" * 5001)


# ---------------------------------------------------------------- server hardening


def test_streamlit_config_limits_uploads_and_hides_error_details():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == validate.MAX_BYTES // (1024 * 1024)
    assert config["client"]["showErrorDetails"] == "none"  # "false" would mean "stacktrace"


def test_duckdb_cannot_read_files_or_be_unlocked():
    con = db.get_database()
    with pytest.raises(duckdb.PermissionException):
        con.execute("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        con.execute("LOAD httpfs")
    # queries and overlays still work on the locked database
    result = validate.validate_path(GOOD / "clinics.csv", "clinics")
    overlay = validate.apply(db.EMPTY_OVERLAY, result, validate.Provenance("A", "2023"))
    totals = db.run_query("data_totals", overlay=overlay).set_index(["dataset", "measure"])["value"]
    assert totals[("clinics", "rows")] == 5


class _Evil:
    ran = False

    def __reduce__(self):
        return (_mark_ran, ())


def _mark_ran():
    _Evil.ran = True
    return "pwned"


def test_frames_cache_only_unpickles_signed_files(tmp_path, monkeypatch):
    import pickle

    monkeypatch.setenv("DASHBOARD_CACHE_DIR", str(tmp_path))
    frames = db.shipped_frames()
    key = "k" * 64
    assert data_cache.write_cached_frames(key, frames)
    assert data_cache.read_cached_frames(key) is not None
    secret = tmp_path / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    path = data_cache._cache_file(key)
    # a pickle written by someone without the key (same name, same owner, same mode) is never loaded
    path.write_bytes(pickle.dumps({"format": data_cache._CACHE_FORMAT, "key": key, "frames": _Evil()}))
    path.chmod(0o600)
    assert data_cache.read_cached_frames(key) is None and not _Evil.ran
    # a signed file with one byte changed fails its HMAC
    assert data_cache.write_cached_frames(key, frames)
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    assert data_cache.read_cached_frames(key) is None


def test_check_fails_on_a_broken_schema_sql(tmp_path, monkeypatch, capsys):
    from dashboard.__main__ import main

    queries = tmp_path / "queries"
    shutil.copytree(REPO / "queries", queries)
    (queries / "_schema.sql").write_text((REPO / "queries" / "_schema.sql").read_text(encoding="utf-8")
                                         + "\nCREATE VIEW broken AS SELEC 1;\n", encoding="utf-8")
    monkeypatch.setattr(db, "QUERIES_DIR", queries)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "queries/_schema.sql" in err and "SELEC" in err


def test_check_fails_on_a_query_that_does_not_prepare(tmp_path, monkeypatch, capsys):
    from dashboard.__main__ import main

    queries = tmp_path / "queries"
    shutil.copytree(REPO / "queries", queries)
    (queries / "zz_broken.sql").write_text("-- zz_broken: broken on purpose\n-- params:\n-- returns: x\n"
                                           "SELECT no_such_column FROM clinics\n", encoding="utf-8")
    monkeypatch.setattr(db, "QUERIES_DIR", queries)
    assert main(["check"]) == 1
    assert "queries/zz_broken.sql" in capsys.readouterr().err


def test_scenario_cli_on_bad_shipped_data_prints_no_traceback(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "geodata", root / "geodata")
    path = root / "data" / "care_facilities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[3] = "abc"  # district_code
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "DASHBOARD_DATA_ROOT": str(root), "DASHBOARD_CACHE_DIR": str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-m", "dashboard", "scenario"], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=300)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "data/care_facilities.csv, row 2, column 'district_code'" in res.stderr


def test_shipped_layer_with_z_is_flattened_and_noted_by_check(tmp_path, monkeypatch, capsys):
    """The shipped-layer rule is the upload rule: Z is dropped (geo.layer) and `check` says so."""
    from dashboard.__main__ import main
    from dashboard.data import geo

    root = tmp_path / "root"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "geodata", root / "geodata")
    path = root / "geodata" / "subdistricts.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    doc["features"][0]["geometry"]["coordinates"][0] = [[*xy, 31.5] for xy in ring] if isinstance(ring[0][0], float) \
        else [[[*xy, 31.5] for xy in part] for part in ring]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_DATA_ROOT", str(root))
    assert main(["check"]) == 0
    assert "subdistricts.geojson: 1 features have a Z coordinate; it is dropped" in capsys.readouterr().out
    assert not geo.layer("subdistricts").has_z.any()
