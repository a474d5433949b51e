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


# A Jingzhou division code (421xxx, 421xxxyyy, 421xxxyyyzzz or the central city's 421000C) in the package.
_JINGZHOU_CODE = re.compile(r"(?<![0-9A-Za-z_.])421\d{3}(?:\d{3}){0,2}C?(?![0-9A-Za-z_])")
_INDICATOR_ID = re.compile(r"[a-z_]+(?:\.[a-z0-9_]+)*\.421\d{3}(?![0-9])")
# The report's figures are about named districts: a constant naming the area of a report indicator, used
# only when that indicator is present (another city's folder has none), is calibration, not configuration.
_REPORT_CALIBRATION = {
    ("dashboard/analyses/beds/results.py", 'SHASHI = "421002"'),
    ("dashboard/analyses/beds/results.py", 'JINGZHOU = "421003"'),
    ("dashboard/analyses/property/model.py", 'SHASHI = "421002"'),
}


def test_the_package_names_no_jingzhou_division_code():
    """City configuration lives in data/city.toml (dashboard/data/city.py): nothing in dashboard/ names Jingzhou's
    codes, except report-indicator ids (checked to exist in data/indicators.csv), the report-calibration constants
    above, and the upload templates' example cells in dashboard/data/schemas.py (`example=`)."""
    indicators = set((REPO / "data" / "indicators.csv").read_text(encoding="utf-8").split("\n"))
    known_ids = {line.split(",", 1)[0] for line in indicators}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(REPO))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for ind in _INDICATOR_ID.findall(line):
                if ind not in known_ids:
                    offenders.append(f"{rel}:{n}: indicator id {ind} not in data/indicators.csv")
            stripped = _INDICATOR_ID.sub("", line)
            if not _JINGZHOU_CODE.search(stripped):
                continue
            if (rel, line.strip()) in _REPORT_CALIBRATION:
                continue
            if rel == "dashboard/data/schemas.py" and _JINGZHOU_CODE.sub("", stripped).count('example=""') == len(
                    _JINGZHOU_CODE.findall(stripped)):
                continue
            offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


MAX_MODULE_LINES = 500  # issue 12: "no module in dashboard/ is over ~500 lines"; split along its seams instead


def test_no_module_in_the_package_is_over_500_lines():
    sizes = {str(path.relative_to(REPO)): len(path.read_text(encoding="utf-8").splitlines())
             for path in sorted(PACKAGE.rglob("*.py"))}
    assert len(sizes) > 50 and sizes["dashboard/analyses/coverage/model.py"] > 0  # the walk found the package
    over = [f"{rel}: {n} lines" for rel, n in sizes.items() if n > MAX_MODULE_LINES]
    assert not over, f"over {MAX_MODULE_LINES} lines (split along its seams):\n" + "\n".join(over)


def test_every_download_button_downloads_without_a_rerun():
    """A download changes nothing on the page: `on_click="ignore"` on every download button. The default
    ("rerun") reruns the whole page on each click, a full step's cost for nothing, and the rerun races the
    file made on click (a callable): a page's CSV download in the browser tests once never started under
    load while that rerun ran."""
    import ast

    missing = []
    for path in PACKAGE.rglob("*.py"):
        if "static" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                given = {k.arg: k.value for k in node.keywords}
                if not (isinstance(given.get("on_click"), ast.Constant) and given["on_click"].value == "ignore"):
                    missing.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not missing, missing
