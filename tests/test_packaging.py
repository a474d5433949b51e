"""`pip install .` gives a working dashboard anywhere: the wheel carries queries/, data/, geodata/ and .streamlit/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test must not need the network; the test extra installs setuptools>=77.
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    (found,) = out.glob("*.whl")
    return found


@pytest.mark.slow
def test_wheel_carries_the_shipped_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("dashboard/_shipped/queries/_schema.sql", "dashboard/_shipped/data/sources.csv",
                 "dashboard/_shipped/data/indicators.csv", "dashboard/_shipped/.streamlit/config.toml",
                 "dashboard/catalog/common.json", "dashboard/app.py", "dashboard/assets/favicon.png"):
        assert path in names, path
    shipped = {n for n in names if n.startswith("dashboard/_shipped/geodata/") and n.endswith(".geojson")}
    assert shipped == {f"dashboard/_shipped/geodata/{p.name}" for p in (REPO / "geodata").glob("*.geojson")}


@pytest.mark.slow
def test_installed_wheel_checks_its_data_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                          str(wheel)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import dashboard; "
              "from dashboard.__main__ import main; print(dashboard.REPO_ROOT); sys.exit(main(['check']))")
    res = subprocess.run([sys.executable, "-c", script, str(target)], cwd=elsewhere, capture_output=True, text=True,
                         timeout=600, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                           "DASHBOARD_CACHE_DIR": str(tmp_path / "cache")})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    assert str(target / "dashboard" / "_shipped") in res.stdout
    assert "Traceback" not in res.stderr
