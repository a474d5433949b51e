"""`python -m dashboard validate FILE --as DATASET`: the same messages as the validator, and exit codes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.__main__ import main
from tests.upload.test_validate import BAD, EXPECTED, GOOD, GOOD_FILES, tree_digest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def shipped_data_untouched():
    before = tree_digest("data", "geodata")
    yield
    assert tree_digest("data", "geodata") == before


@pytest.mark.parametrize("row", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_cli_prints_the_message(row, capsys):
    code = main(["validate", str(BAD / row["file"]), "--as", row["dataset"]])
    out = capsys.readouterr().out
    assert code == 1
    assert row["message_zh"] in out, out
    code = main(["--lang", "en", "validate", str(BAD / row["file"]), "--as", row["dataset"]])
    out = capsys.readouterr().out
    assert code == 1
    assert row["message_en"] in out, out
    assert "NOT OK" in out


@pytest.mark.parametrize("name, dataset", GOOD_FILES.items())
def test_cli_accepts_good_files(name, dataset, capsys):
    assert main(["--lang", "en", "validate", str(GOOD / name), "--as", dataset]) == 0
    assert "OK:" in capsys.readouterr().out


def test_cli_usage_errors(capsys):
    assert main(["validate", str(GOOD / "clinics.csv"), "--as", "indicators"]) == 2
    assert "unknown dataset" in capsys.readouterr().err
    assert main(["validate", str(BAD / "no-such-file.csv"), "--as", "clinics"]) == 2
    assert "找不到文件" in capsys.readouterr().err


def test_cli_offers_repairs(capsys):
    assert main(["--lang", "en", "validate", str(BAD / "self_intersecting.geojson"), "--as", "subdistricts"]) == 1
    assert "make_valid" in capsys.readouterr().out


@pytest.mark.parametrize("name, dataset", [("zip_bomb.xlsx", "care_facilities"), ("gcj02_coordinates.csv", "compounds"),
                                           ("gbk_bad_kind.csv", "clinics"), ("deeply_nested.geojson", "subdistricts")])
def test_cli_in_a_subprocess(name, dataset):
    """The real entry point, as a user runs it (a few cases; the in-process test covers every file)."""
    row = next(r for r in EXPECTED if r["file"] == name)
    res = subprocess.run([sys.executable, "-m", "dashboard", "validate", str(BAD / name), "--as", dataset],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert res.returncode == 1, res.stderr
    assert row["message_zh"] in res.stdout


def test_cli_problem_table_is_parseable_per_row(capsys):
    """Every problem is one line: row, column, value, expected."""
    main(["--lang", "en", "validate", str(BAD / "duplicate_ids.csv"), "--as", "clinics"])
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if "a unique value" in ln]
    assert len(lines) == 2
    assert all(ln.split()[0] in ("2", "3") for ln in lines)


def test_expected_manifest_is_plain_csv():
    with open(BAD / "EXPECTED.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["file", "dataset", "message_zh", "message_en"]
