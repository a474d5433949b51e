"""The layout's rules, checked: the import direction (import-linter), one page list, module size."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from dashboard import registry

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "dashboard"


def test_models_charts_exports_and_data_never_import_streamlit_or_the_ui():
    """The import-linter contract in pyproject.toml ([tool.importlinter]) holds."""
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


def test_every_registered_page_exists_and_every_analysis_folder_is_registered():
    for page in registry.PAGES:
        assert (PACKAGE / page.script).is_file(), page.script
        if page.analysis:
            for part in ("model.py", "charts.py", "page.py"):
                assert (PACKAGE / "analyses" / page.key / part).is_file(), f"{page.key}/{part}"
    folders = {p.name for p in (PACKAGE / "analyses").iterdir() if (p / "model.py").is_file()}
    assert folders == set(registry.keys(analysis=True)), "an analysis folder without a registry line (or the reverse)"


def test_no_other_module_lists_the_pages():
    """Page lists live in dashboard/registry.py only: no tuple of two or more page keys anywhere else."""
    keys = "|".join(registry.keys())
    listing = re.compile(rf"""\(\s*["']({keys})["']\s*,\s*["']({keys})["']""")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "registry.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if listing.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_every_analysis_model_has_the_same_interface():
    for key in registry.keys(analysis=True):
        model = registry.model(key)
        for name in ("PARAMS", "headline", "details", "summary_sentence"):
            assert hasattr(model, name), f"analyses/{key}/model.py has no {name}"
        assert callable(getattr(registry.charts(key), "figures", None)), f"analyses/{key}/charts.py has no figures()"
