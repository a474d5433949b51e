"""All pages' results for one scenario: the single entry point the CLI and the brief call.

Each analysis model with parameters (`registry.scenario_keys()`) provides
`headline(scenario, overlay=None) -> list[Metric]` (the figures a page shows as tiles),
`details(scenario, overlay=None) -> dict` (JSON-ready tables and series) and
`summary_sentence(scenario, lang, overlay=None) -> str` (the plain-language result). The metrics carry
their ranges (`low`, `high`) and each page its drivers (`ranges`), from dashboard/core/ranges.py.
"""

from __future__ import annotations

from typing import Any

from dashboard import registry
from dashboard.core import ranges
from dashboard.core.scenario import Scenario
from dashboard.data import readiness
from dashboard.data.db import Overlay


def page_modules() -> dict[str, Any]:
    """page name -> model module, for the analyses whose results depend on the scenario."""
    return {key: registry.model(key) for key in registry.scenario_keys()}


def scenario_results(scenario: Scenario, overlay: Overlay | None = None, pages: list[str] | None = None,
                     lang: str = "zh", network: Any = None) -> dict[str, Any]:
    """Headline metrics, details and the summary sentence of every (or the chosen) page. A walking `network`
    (coverage/network.py) goes to the coverage page, whose figures then have no ranges (their own method)."""
    out: dict[str, Any] = {"scenario": scenario.model_values(), "pages": {}}
    for page, mod in page_modules().items():
        if pages and page not in pages:
            continue
        missing = readiness.missing(page, overlay)
        if missing:  # a new city's folder without that data yet: say which files, compute nothing
            out["pages"][page] = {"metrics": [], "summary": readiness.message(page, missing, lang, readiness.missing_indicators(page, overlay)),
                                  "details": {}, "needs": list(readiness.files(missing))}
            continue
        if network is not None and page == "coverage":
            out["pages"][page] = {"metrics": [m.to_dict() for m in mod.headline(scenario, overlay, network)],
                                  "summary": mod.summary_sentence(scenario, lang, overlay, network),
                                  "details": mod.details(scenario, overlay, network)}
            continue
        out["pages"][page] = {
            # low/high beside each value: the range within the assumptions' plausible bands (core/ranges.py)
            "metrics": [m.to_dict() for m in ranges.headline(page, scenario, overlay)],
            "summary": mod.summary_sentence(scenario, lang, overlay),
            "details": mod.details(scenario, overlay),
        }
        if ranges.varied(mod.PARAMS):
            out["pages"][page]["ranges"] = ranges.for_scenario(page, scenario, overlay).to_dict()
    return out
