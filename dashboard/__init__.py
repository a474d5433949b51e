"""Community Governance Dashboard (社区治理决策看板)."""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def data_root() -> Path:
    """Folder holding `data/` and `geodata/`; `DASHBOARD_DATA_ROOT` overrides it (tests, other cities)."""
    return Path(os.environ.get("DASHBOARD_DATA_ROOT", REPO_ROOT))


QUERIES_DIR = REPO_ROOT / "queries"
