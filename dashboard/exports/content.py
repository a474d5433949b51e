"""Slide content of the hearing brief: per-page results, parameters, sources, links and figures. No Streamlit.

Every number is `Metric.formatted` of what the analysis models return, so the brief, the browser and
`python -m dashboard scenario` print the same text for the same scenario.

Configuration (environment): DASHBOARD_PUBLIC_URL, the public address of the dashboard, used for every
link in the brief, the share links and the CLI (`--base-url` overrides it); DASHBOARD_BASE_URL is the older
name, read when DASHBOARD_PUBLIC_URL is unset; default http://localhost:8501. A link to a loopback or private
address is flagged (`link_is_local`): the UI and CLI warn, and the brief says it opens only on that network.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go

from dashboard import registry
from dashboard.core import figure_style, ranges
from dashboard.core.metrics import Metric
from dashboard.core.numbers import join_unit
from dashboard.core.scenario import Param, Scenario, input_params, page_params
from dashboard.core.text import by_lang, join_list, t, unit_label
from dashboard.data import db, readiness

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://localhost:8501"

class BriefError(ValueError):
    """The brief cannot be made (e.g. no font with Chinese glyphs for the PDF); the message says why."""



# ---------------------------------------------------------------- slide content


@dataclass(frozen=True)
class ParamRow:
    key: str
    label: str
    value: str
    default: str


@dataclass
class Slide:
    """Everything one brief slide shows, already in the brief's language."""

    page: str
    title: str
    summary: str
    metrics: list[Metric]
    baseline: list[Metric]
    params: list[ParamRow]
    params_total: int
    sources: list[tuple[str, str, str]]  # (source_id, kind label, title)
    years: list[int]
    link: str
    illustrative: bool
    figure: go.Figure | None = None
    image: bytes | None = None
    chart_note: str = ""
    # the headline's range and its top drivers (core/ranges.py), set on their own lines above the settings
    drivers: str = ""
    # of `params_total`: how many defaults are assumptions, how many belong to analyses this page reads
    # (registry `reads`) and those analyses' names
    params_assumed: int = 0
    params_read: int = 0
    read_pages: tuple[str, ...] = ()


@dataclass
class Brief:
    slides: list[Slide]
    lang: str
    scenario: Scenario
    notes: list[str] = field(default_factory=list)
    render_seconds: float = 0.0

    @property
    def has_images(self) -> bool:
        return any(s.image for s in self.slides)


def public_url() -> str | None:
    """The configured public address (DASHBOARD_PUBLIC_URL, else DASHBOARD_BASE_URL), or None."""
    value = (os.environ.get("DASHBOARD_PUBLIC_URL") or os.environ.get("DASHBOARD_BASE_URL") or "").strip()
    return value.rstrip("/") or None


def base_url() -> str:
    return public_url() or DEFAULT_BASE_URL


def link_is_local(url: str) -> bool:
    """True when `url`'s host is loopback, private, link-local or a bare/`.local` name: it will not open elsewhere."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".lan", ".internal")) or "." not in host \
            and ":" not in host:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def link_host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url


def view_link(scenario: Scenario, page: str, lang: str | None = None, base: str | None = None,
              present: bool | None = None, section: str | None = None) -> str:
    """The URL that reopens `page` with `scenario` (non-default values only, readable keys), on `section`
    (a page shown one section at a time: `<page>_section`, the section's key) when given."""
    changes = scenario.changes()
    if lang is not None:
        changes["lang"] = lang
    if present is not None:
        changes["present"] = present
    link_scenario, _ = Scenario.from_values(changes)
    params = link_scenario.to_query_params()
    if section:
        params[registry.section_param(page)] = section
    query = urlencode(params)
    path = registry.page(page).url_path
    return f"{(base or base_url()).rstrip('/')}/{path}" + (f"?{query}" if query else "")


def param_value_text(param: Param, value: Any, lang: str) -> str:
    """A parameter value as a reader sees it: choice labels from the catalog, numbers with units."""
    if param.kind == "bool":
        return t("hearing.yes" if value else "hearing.no", lang)
    if param.kind in ("choice", "multi"):
        items = [value] if param.kind == "choice" else list(value)
        return join_list((_choice_label(param, str(v), lang) for v in items), lang) or "—"
    if param.kind == "text":
        return str(value) or "—"
    number = f"{value:,g}" if isinstance(value, float) else f"{value:,}"
    unit = unit_label(param.unit, lang)
    if not unit:
        return number
    return join_unit(number, unit, lang)


def _choice_label(param: Param, option: str, lang: str) -> str:
    try:
        return t(f"choices.{param.key}.{option}", lang)
    except KeyError:
        return option


def param_rows(scenario: Scenario, page: str, lang: str) -> tuple[list[ParamRow], int]:
    """The parameters the page's results depend on (its own and those of the analyses it reads,
    `core.scenario.input_params`) that differ from their defaults, and how many there are in all.
    A parameter of another analysis is labelled with that analysis's name."""
    params = input_params(page)
    rows = [
        ParamRow(p.key, p.label(lang) if p.page == page else f"{t(f'nav.{p.page}', lang)} · {p.label(lang)}",
                 param_value_text(p, scenario.get(p.key), lang), param_value_text(p, p.default, lang))
        for p in params if scenario.get(p.key) != p.default
    ]
    return rows, len(params)


def param_kind_counts(params: Sequence[Param], overlay: db.Overlay | None = None) -> dict[str, int]:
    """How many of `params` have a default of each source kind (data/sources.csv kind of `source_id`)."""
    table = sources_table(overlay)
    counts: dict[str, int] = {}
    for p in params:
        kind = str(table.get(p.source_id, {}).get("kind") or "unknown")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def model_params() -> list[Param]:
    """Every parameter of every analysis in the brief (no view settings), each once."""
    return list({p.key: p for page in available_pages() for p in input_params(page)}.values())


def scenario_caption(scenario: Scenario, lang: str, overlay: db.Overlay | None = None) -> str:
    """'调整后的情景', or what the defaults are: '默认情景：报告、标准与假设的默认值(共 N 项，其中假设 M 项)'."""
    if not scenario.is_baseline():
        return t("hearing.brief_scenario_changed", lang)
    params = model_params()
    return t("hearing.brief_scenario_default", lang, n=len(params),
             a=param_kind_counts(params, overlay).get("assumption", 0))


_LATIN_WORDS = re.compile(r"[A-Za-z]{2,}[^A-Za-z]+[A-Za-z]{2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def source_title(title: str, lang: str) -> str:
    """A source title in the reader's language. data/sources.csv titles are Chinese with an English gloss
    in brackets ('演示数据层 (seeded demonstration layer)'): the Chinese reader gets the title without the
    gloss; a title with no Chinese (a dataset's own name, 'Natural Earth 1:50m lakes') is kept as it is."""
    if not by_lang(lang, True, False):  # only the Chinese reader loses the English gloss
        return title
    head, sep, tail = title.rpartition(" (")
    if sep and tail.endswith(")") and _CJK.search(head) and _LATIN_WORDS.search(tail):
        return head.strip()
    return title


def sources_table(overlay: db.Overlay | None = None) -> dict[str, dict[str, Any]]:
    """source_id -> row of data/sources.csv (kind, title, date, ...)."""
    frame = db.run_query("sources_list", overlay=overlay)
    return {r["source_id"]: r for r in frame.to_dict("records")}


def source_kinds(overlay: db.Overlay | None = None) -> dict[str, str]:
    """source_id -> its kind (report, official_statistics, standard, assumption, illustrative, ...)."""
    return {sid: str(row.get("kind")) for sid, row in sources_table(overlay).items()}


def source_rows(source_ids: Sequence[str], lang: str, overlay: db.Overlay | None = None
                ) -> tuple[list[tuple[str, str, str]], list[int]]:
    """(source_id, kind label, title) per distinct id, and the data years their dates give."""
    table = sources_table(overlay)
    rows, years = [], set()
    for sid in dict.fromkeys(source_ids):
        info = table.get(sid, {})
        kind = str(info.get("kind") or "?")
        try:
            kind_label = t(f"common.kind_{kind}", lang)
        except KeyError:
            kind_label = kind
        rows.append((sid, kind_label, source_title(str(info.get("title") or sid), lang)))
        date = str(info.get("date") or "")
        if date[:4].isdigit():
            years.add(int(date[:4]))
    return rows, sorted(years)


def _detail_years(details: Any) -> set[int]:
    """Years a model states in its details (keys such as 'data_year', 'base_year', 'years')."""
    found: set[int] = set()
    if isinstance(details, dict):
        for key, value in details.items():
            if key in ("data_year", "base_year", "year", "data_years") and not isinstance(value, bool):
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, int) and 1900 < v < 2200:
                        found.add(v)
    return found


def page_results(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None = None) -> dict[str, Any]:
    """{'metrics': [Metric], 'summary': str, 'details': dict} for one page (overview included).

    Memoised per (page, scenario, language, overlay, database): a page's footer asks for the same
    results up to six times a rerun (summary, comparison, tables, saved scenarios); computing them
    once is a measurable share of a slider rerun (bench/RESULTS.md). Treat the result as read-only.
    """
    return _page_results(page, scenario, lang, overlay, db.database_token())


@lru_cache(maxsize=32)
def _page_results(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None,
                  _database_token: str) -> dict[str, Any]:
    model = registry.model(page)
    # headline figures with their ranges (core/ranges.py); the summary names the range's top three drivers
    return {"metrics": ranges.headline(page, scenario, overlay), "summary": model.summary_sentence(scenario, lang, overlay),
            "details": model.details(scenario, overlay)}




def figure_sources(page: str, overlay: db.Overlay | None = None) -> list[str]:
    """The chart's own layers; the demonstration layer stands for the shapes this session really draws."""
    from dashboard.core.metrics import cite_data

    drawn = db.data_source_ids(("subdistrict_shapes", "new_area_shapes"), overlay)
    return list(cite_data(getattr(registry.charts(page), "FIGURE_SOURCES", ()), drawn))


def available_pages() -> list[str]:
    """Pages with a slide in the brief, in navigation order."""
    return list(registry.keys(in_brief=True))


def build_slides(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                 pages: Sequence[str] | None = None, base: str | None = None,
                 with_figures: bool = True) -> list[Slide]:
    """The content of every slide (figures built, not yet drawn)."""
    slides = []
    for page in pages or available_pages():
        missing = readiness.missing(page, overlay)
        if missing:  # a new city's folder without that data yet: the slide says which files to supply
            title = t(f"nav.{page}", lang)
            slides.append(Slide(page=page, title=title, summary=readiness.message(title, missing, lang, readiness.missing_indicators(page, overlay)), metrics=[],
                                baseline=[], params=[], params_total=0, sources=[], years=[],
                                link=view_link(scenario, page, lang=lang, base=base, present=False), illustrative=False))
            continue
        res = page_results(page, scenario, lang, overlay)
        base_res = res if page == "overview" or scenario.is_baseline() else page_results(
            page, scenario.baseline(), lang, overlay)
        params, total = param_rows(scenario, page, lang)
        inputs = input_params(page)
        read_pages = tuple(dict.fromkeys(p.page for p in inputs if p.page != page))
        ids = [sid for m in res["metrics"] for sid in m.source_ids]
        ids += [p.source_id for p in page_params(page) if p.source_id]
        ids += figure_sources(page, overlay)
        sources, years = source_rows(ids, lang, overlay)
        years = sorted(set(years) | _detail_years(res["details"]))
        figure, note = None, ""
        if with_figures:
            try:
                figure = main_figure(page, scenario, lang, overlay)
            except Exception as exc:  # a chart bug must not cost the hearing its brief
                log.exception("figure for %s failed", page)
                note = t("hearing.render_failed", lang, error=f"{type(exc).__name__}: {exc}"[:120])
        # the range and its drivers leave the summary for their own lines on the slide (room for both)
        drivers = ranges.driver_sentence(page, scenario, lang, overlay).strip()
        summary = res["summary"].replace(drivers, "").replace("  ", " ").strip() if drivers else res["summary"]
        slides.append(Slide(
            page=page, title=t(f"nav.{page}", lang), summary=summary, drivers=drivers, metrics=res["metrics"],
            baseline=base_res["metrics"], params=params, params_total=total, sources=sources, years=years,
            link=view_link(scenario, page, lang=lang, base=base, present=False),
            illustrative=any(k == "illustrative" for k in _kinds(ids, overlay)), figure=figure, chart_note=note,
            params_assumed=param_kind_counts(inputs, overlay).get("assumption", 0),
            params_read=sum(p.page != page for p in inputs),
            read_pages=tuple(t(f"nav.{k}", lang) for k in read_pages),
        ))
    return slides


def _kinds(ids: Sequence[str], overlay: db.Overlay | None) -> list[str]:
    table = sources_table(overlay)
    return [str(table.get(i, {}).get("kind")) for i in ids]


# ---------------------------------------------------------------- figures per page
# Each analysis's charts module has `figures(scenario, lang, overlay) -> {chart name: builder}` for
# every chart on its page, built from the model's outputs (the models cache their results, so building
# several charts computes once). The first chart is the one on the brief's slide.


def page_builders(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None
                  ) -> dict[str, Callable[[], go.Figure]]:
    """The page's charts as a reader on a screen sees them (`figure_style.styled`): the brief, the image
    downloads and the page draw the same figure."""
    if not registry.page(page).analysis:
        return {}
    raw = registry.charts(page).figures(scenario, lang, overlay)
    return {name: (lambda build=build: figure_style.styled(build(), lang)) for name, build in raw.items()}


def figure_names(page: str) -> list[str]:
    """Names of a page's charts (nothing is built)."""
    return list(page_builders(page, Scenario.default(), "zh", None))


def page_figure(page: str, name: str, scenario: Scenario, lang: str = "zh",
                overlay: db.Overlay | None = None) -> go.Figure:
    """One named chart of a page."""
    builders = page_builders(page, scenario, lang, overlay)
    if name not in builders:
        raise KeyError(f"page {page!r} has no chart {name!r}; it has {sorted(builders)}")
    return builders[name]()


def page_figures(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                 ) -> dict[str, go.Figure]:
    """Every chart of a page by name; the first is the page's main figure (the one on the slide)."""
    return {name: build() for name, build in page_builders(page, scenario, lang, overlay).items()}


def main_figure(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                ) -> go.Figure | None:
    """The chart on the page's slide (only that one is built)."""
    builders = page_builders(page, scenario, lang, overlay)
    return next(iter(builders.values()))() if builders else None
