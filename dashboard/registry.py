"""The one list of pages: every analysis (a folder under `dashboard/analyses/`) and every tool page.

App navigation, scenario parameters, results, the brief, the hearing footer, presentation order, the
command line's page choices, benchmarks and tests all iterate over `PAGES`; nothing else lists pages.
Adding an analysis is a folder `dashboard/analyses/<key>/` (model.py, charts.py, page.py) and one line
in `ANALYSES` (see docs/contributing.md). Importing this module imports no analysis: modules are
loaded on first use, so the CLI and the benchmarks can read the list without Streamlit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from types import ModuleType


@dataclass(frozen=True)
class Page:
    """One page of the app.

    key:         the page's name: URL path (the default page sits at the root), catalog key `nav.<key>`,
                 widget-key prefix, the `page` of its Params.
    script:      the page script, relative to `dashboard/` (what `st.Page` is given).
    icon:        a Material icon name for the navigation.
    analysis:    True for an analysis folder with model.py (headline/details/summary_sentence/PARAMS)
                 and charts.py (figures); False for tool pages (uploads, sources).
    in_brief:    the analysis has a slide in the hearing brief (and a hearing footer on its page).
    own_summary: the page prints its summary sentence itself (the footer does not repeat it).
    needs:       datasets (dashboard.data.schemas names) the analysis cannot work without: while any is
                 empty (a new city's folder, docs/new-city.md) the page says which files to supply instead.
    reads:       other analyses whose parameters this analysis's results also depend on (grids costs its
                 workers at the pay analysis's wage): its cache key and the brief's settings line both use
                 them (`core.scenario.input_params`).
    """

    key: str
    script: str
    icon: str
    analysis: bool = True
    in_brief: bool = True
    own_summary: bool = True
    needs: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()

    @property
    def url_path(self) -> str:
        return "" if self is PAGES[0] else self.key

    @property
    def package(self) -> str:
        return f"dashboard.analyses.{self.key}"


def _analysis(key: str, icon: str, **kw) -> Page:
    return Page(key, f"analyses/{key}/page.py", icon, **kw)


# Navigation order; the first page is the default (served at the app's root URL).
ANALYSES: tuple[Page, ...] = (
    _analysis("overview", ":material/home:", own_summary=False, needs=("indicators",)),
    _analysis("coverage", ":material/local_hospital:", needs=("clinics", "compounds", "communities", "census")),
    _analysis("beds", ":material/bed:", needs=("care_facilities", "communities", "census")),
    _analysis("pay", ":material/payments:", needs=("community_workers", "indicators")),
    _analysis("property", ":material/apartment:", needs=("compound_profiles", "compounds", "indicators")),
    _analysis("grids", ":material/grid_view:", needs=("grids", "community_workers", "indicators"),
              reads=("pay",)),
)
TOOLS: tuple[Page, ...] = (
    Page("data", "ui/upload_page.py", ":material/upload_file:", analysis=False, in_brief=False),
    Page("sources", "ui/sources_page.py", ":material/menu_book:", analysis=False, in_brief=False),
)
PAGES: tuple[Page, ...] = ANALYSES + TOOLS


def page(key: str) -> Page:
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(f"unknown page {key!r}; pages are {[p.key for p in PAGES]}")


def keys(*, analysis: bool | None = None, in_brief: bool | None = None) -> tuple[str, ...]:
    """Page keys in navigation order, optionally only analyses / only pages in the brief."""
    return tuple(p.key for p in PAGES
                 if (analysis is None or p.analysis == analysis) and (in_brief is None or p.in_brief == in_brief))


SECTION_SUFFIX = "_section"


def section_param(page: str) -> str:
    """The URL parameter (and session-state key) naming the section a page shows (`ui.sections`)."""
    return page + SECTION_SUFFIX


def is_section_param(key: str) -> bool:
    """A page's section in the URL (`<page>_section`): not a scenario value."""
    return key.endswith(SECTION_SUFFIX) and key[: -len(SECTION_SUFFIX)] in keys()


def scenario_keys() -> tuple[str, ...]:
    """Analyses whose results depend on the scenario (they declare PARAMS): the CLI's page choices."""
    return tuple(k for k in keys(analysis=True) if model(k).PARAMS)


@cache
def model(key: str) -> ModuleType:
    """The analysis's model module (never imports Streamlit)."""
    return importlib.import_module(f"{page(key).package}.model")


@cache
def charts(key: str) -> ModuleType:
    """The analysis's figure builders (`figures(scenario, lang, overlay) -> {name: builder}`)."""
    return importlib.import_module(f"{page(key).package}.charts")
