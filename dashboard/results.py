"""All pages' results for one scenario: the single entry point the CLI and the brief call.

Each model module in `scenario.MODEL_MODULES` provides
`headline(scenario, overlay=None) -> list[Metric]` (the figures a page shows as tiles),
`details(scenario, overlay=None) -> dict` (JSON-ready tables and series) and
`summary_sentence(scenario, lang, overlay=None) -> str` (the plain-language result).
"""

from __future__ import annotations

import importlib
from typing import Any

from dashboard.db import Overlay
from dashboard.scenario import MODEL_MODULES, Scenario


def page_modules() -> dict[str, Any]:
    """page name -> model module, for the modules that exist."""
    found = {}
    for name in MODEL_MODULES:
        try:
            found[name.rsplit(".", 1)[1]] = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


def scenario_results(scenario: Scenario, overlay: Overlay | None = None, pages: list[str] | None = None,
                     lang: str = "zh") -> dict[str, Any]:
    """Headline metrics, details and the summary sentence of every (or the chosen) page."""
    out: dict[str, Any] = {"scenario": scenario.model_values(), "pages": {}}
    for page, mod in page_modules().items():
        if pages and page not in pages:
            continue
        out["pages"][page] = {
            "metrics": [m.to_dict() for m in mod.headline(scenario, overlay)],
            "summary": mod.summary_sentence(scenario, lang, overlay),
            "details": mod.details(scenario, overlay),
        }
    return out
