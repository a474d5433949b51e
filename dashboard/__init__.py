"""Community Governance Dashboard (社区治理决策看板)."""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder holding queries/, data/, geodata/ and .streamlit/: the source checkout (also behind an
# editable install), or, in an installed wheel, the copies its build put in dashboard/_shipped (setup.py).
_CHECKOUT = PACKAGE_DIR.parent
REPO_ROOT = _CHECKOUT if (_CHECKOUT / "queries" / "_schema.sql").is_file() else PACKAGE_DIR / "_shipped"


def data_root() -> Path:
    """Folder holding `data/` and `geodata/` (the city's data folder, docs/new-city.md).

    `DASHBOARD_DATA_DIR` (or `python -m dashboard --data-dir DIR`) chooses it; `DASHBOARD_DATA_ROOT` is the
    older name, still honoured; otherwise the checkout's own folder (Jingzhou's data).
    """
    return Path(os.environ.get("DASHBOARD_DATA_DIR") or os.environ.get("DASHBOARD_DATA_ROOT") or REPO_ROOT)


QUERIES_DIR = REPO_ROOT / "queries"


_startup_frozen = False


def freeze_startup_objects() -> None:
    """Hide everything allocated so far (imported libraries, the shipped database) from the garbage collector, once.

    Each full collection otherwise walks ~160,000 long-lived objects (85 ms, holding the GIL, measured),
    and allocation-heavy reruns (pandas, plotly) trigger such collections while other sessions wait.
    Objects still die by reference counting; only cyclic garbage among them would be kept, and at
    start-up there is none to speak of. Called by dashboard/app.py after the database is built.
    """
    global _startup_frozen
    if not _startup_frozen:
        import gc

        gc.freeze()  # no gc.collect() first: that alone is the 85 ms a first page would wait for
        _startup_frozen = True
