"""Documentation stays in step with the code (Datasette-style: every setting documented)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.core.scenario import VIEW_PARAMS, all_params
from dashboard.data import db
from dashboard.data.schemas import DATASETS

REPO = Path(__file__).resolve().parents[1]


def test_data_readme_is_current():
    res = subprocess.run([sys.executable, "scripts/make_data_readme.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_described(name):
    text = (REPO / "data/README.md").read_text(encoding="utf-8")
    assert f"## {name} — `{DATASETS[name].file}`" in text


def test_every_geodata_file_described():
    text = (REPO / "geodata/README.md").read_text(encoding="utf-8")
    for path in (REPO / "geodata").glob("*.geojson"):
        assert path.name in text, f"geodata/README.md does not describe {path.name}"


def test_every_param_has_labels_and_a_resolving_source():
    sources = set(db.shipped_frames()["sources"]["source_id"])
    for p in all_params():
        assert p.label_zh and p.label_en, p.key
        if p not in VIEW_PARAMS:  # view settings (language, search) have no source
            assert p.source_id in sources, f"{p.key}: source {p.source_id!r} not in data/sources.csv"


def test_readme_starts_with_the_two_commands():
    head = (REPO / "README.md").read_text(encoding="utf-8")[:1500]
    assert "make run" in head and "make test" in head
