"""The hearing brief (PPTX/PDF), table downloads (CSV/XLSX) and chart images (PNG/SVG). No Streamlit.

Every number in the brief is `Metric.formatted` of what `results.scenario_results` returns, so the
brief, the browser and `python -m dashboard scenario` print the same text for the same scenario.
Charts are the pages' own figure builders, drawn to images by plotly's static export (kaleido 1.x,
which drives a local Chrome/Chromium). Without a browser the brief is still made, text-only, with
a note on each slide saying why.

Configuration (environment):
    DASHBOARD_BASE_URL     base of the links printed in the brief (default http://localhost:8501)
    BROWSER_PATH           the Chrome/Chromium kaleido should drive (default: chromium on PATH)
    DASHBOARD_CHART_IMAGES set to 0 to leave chart images out (text-only brief)
    DASHBOARD_CJK_FONT     a .ttf/.otf/.ttc font with Chinese glyphs for the PDF (default: Noto Sans CJK SC)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import io
import logging
import os
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

from dashboard import registry
from dashboard.core import ranges
from dashboard.core.metrics import Metric, format_value
from dashboard.core.scenario import Param, Scenario, page_params
from dashboard.core.text import t, unit_label
from dashboard.data import db

log = logging.getLogger("dashboard.exports.brief")

DEFAULT_BASE_URL = "http://localhost:8501"
# url_path of each page in dashboard/app.py (the default page lives at the root).

# Chart image sizes, in CSS pixels (× scale for the bitmap): the slide's chart box is 16:9.2.
SLIDE_CHART_PX = (1100, 660)
SLIDE_CHART_SCALE = 2
DOWNLOAD_CHART_PX = (1600, 900)
DOWNLOAD_CHART_SCALE = 3
RENDER_TIMEOUT_S = 120


class BriefError(ValueError):
    """The brief cannot be made (e.g. no font with Chinese glyphs for the PDF); the message says why."""


class RendererUnavailable(RuntimeError):
    """No Chrome/Chromium for plotly's static export, or it failed; the message says which."""


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


def base_url() -> str:
    return (os.environ.get("DASHBOARD_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def view_link(scenario: Scenario, page: str, lang: str | None = None, base: str | None = None,
              present: bool | None = None) -> str:
    """The URL that reopens `page` with `scenario` (non-default values only, readable keys)."""
    changes = scenario.changes()
    if lang is not None:
        changes["lang"] = lang
    if present is not None:
        changes["present"] = present
    link_scenario, _ = Scenario.from_values(changes)
    query = urlencode(link_scenario.to_query_params())
    path = registry.page(page).url_path
    return f"{(base or base_url()).rstrip('/')}/{path}" + (f"?{query}" if query else "")


def param_value_text(param: Param, value: Any, lang: str) -> str:
    """A parameter value as a reader sees it: choice labels from the catalog, numbers with units."""
    if param.kind == "bool":
        return t("hearing.yes" if value else "hearing.no", lang)
    if param.kind in ("choice", "multi"):
        items = [value] if param.kind == "choice" else list(value)
        return "、".join(_choice_label(param, str(v), lang) for v in items) if lang == "zh" else ", ".join(
            _choice_label(param, str(v), lang) for v in items) or "—"
    if param.kind == "text":
        return str(value) or "—"
    number = f"{value:,g}" if isinstance(value, float) else f"{value:,}"
    unit = unit_label(param.unit, lang)
    if not unit:
        return number
    return f"{number}{unit}" if lang == "zh" or unit in ("%",) else f"{number} {unit}"


def _choice_label(param: Param, option: str, lang: str) -> str:
    try:
        return t(f"choices.{param.key}.{option}", lang)
    except KeyError:
        return option


def param_rows(scenario: Scenario, page: str, lang: str) -> tuple[list[ParamRow], int]:
    """The page's parameters that differ from their defaults, and how many the page has in all."""
    params = page_params(page)
    rows = [
        ParamRow(p.key, p.label(lang), param_value_text(p, scenario.get(p.key), lang),
                 param_value_text(p, p.default, lang))
        for p in params if scenario.get(p.key) != p.default
    ]
    return rows, len(params)


def sources_table(overlay: db.Overlay | None = None) -> dict[str, dict[str, Any]]:
    """source_id -> row of data/sources.csv (kind, title, date, ...)."""
    frame = db.run_query("sources_list", overlay=overlay)
    return {r["source_id"]: r for r in frame.to_dict("records")}


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
        rows.append((sid, kind_label, str(info.get("title") or sid)))
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


# Sources of a slide's chart beyond its figures' (the overview map: real district outlines, illustrative
# sub-districts and new areas).
FIGURE_SOURCES = {"overview": ("cnmaps_boundaries", "nbs_divisions", "demo_layer")}


def available_pages() -> list[str]:
    """Pages with a slide in the brief, in navigation order."""
    return list(registry.keys(in_brief=True))


def build_slides(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                 pages: Sequence[str] | None = None, base: str | None = None,
                 with_figures: bool = True) -> list[Slide]:
    """The content of every slide (figures built, not yet drawn)."""
    slides = []
    for page in pages or available_pages():
        res = page_results(page, scenario, lang, overlay)
        base_res = res if page == "overview" or scenario.is_baseline() else page_results(
            page, scenario.baseline(), lang, overlay)
        params, total = param_rows(scenario, page, lang)
        ids = [sid for m in res["metrics"] for sid in m.source_ids]
        ids += [p.source_id for p in page_params(page) if p.source_id]
        ids += list(FIGURE_SOURCES.get(page, ()))
        sources, years = source_rows(ids, lang, overlay)
        years = sorted(set(years) | _detail_years(res["details"]))
        figure, note = None, ""
        if with_figures:
            try:
                figure = main_figure(page, scenario, lang, overlay)
            except Exception as exc:  # a chart bug must not cost the hearing its brief
                log.exception("figure for %s failed", page)
                note = t("hearing.render_failed", lang, error=f"{type(exc).__name__}: {exc}"[:120])
        slides.append(Slide(
            page=page, title=t(f"nav.{page}", lang), summary=res["summary"], metrics=res["metrics"],
            baseline=base_res["metrics"], params=params, params_total=total, sources=sources, years=years,
            link=view_link(scenario, page, lang=lang, base=base, present=False),
            illustrative=any(k == "illustrative" for k in _kinds(ids, overlay)), figure=figure, chart_note=note,
        ))
    return slides


def _kinds(ids: Sequence[str], overlay: db.Overlay | None) -> list[str]:
    table = sources_table(overlay)
    return [str(table.get(i, {}).get("kind")) for i in ids]


# ---------------------------------------------------------------- figures per page
# Each analysis's charts module has `figures(scenario, lang, overlay) -> {chart name: builder}` for
# every chart on its page, built from the model's outputs (the models cache their results, so building
# several charts computes once). The first chart is the one on the brief's slide.


def _builders(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None
              ) -> dict[str, Callable[[], go.Figure]]:
    spec = registry.page(page)
    return registry.charts(page).figures(scenario, lang, overlay) if spec.analysis else {}


def figure_names(page: str) -> list[str]:
    """Names of a page's charts (nothing is built)."""
    return list(_builders(page, Scenario.default(), "zh", None))


def page_figure(page: str, name: str, scenario: Scenario, lang: str = "zh",
                overlay: db.Overlay | None = None) -> go.Figure:
    """One named chart of a page."""
    builders = _builders(page, scenario, lang, overlay)
    if name not in builders:
        raise KeyError(f"page {page!r} has no chart {name!r}; it has {sorted(builders)}")
    return builders[name]()


def page_figures(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                 ) -> dict[str, go.Figure]:
    """Every chart of a page by name; the first is the page's main figure (the one on the slide)."""
    return {name: build() for name, build in _builders(page, scenario, lang, overlay).items()}


def main_figure(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                ) -> go.Figure | None:
    """The chart on the page's slide (only that one is built)."""
    builders = _builders(page, scenario, lang, overlay)
    return next(iter(builders.values()))() if builders else None


# ---------------------------------------------------------------- tables


def metrics_frame(metrics: Sequence[Metric], lang: str, baseline: Sequence[Metric] | None = None,
                  overlay: db.Overlay | None = None) -> pd.DataFrame:
    """Headline figures as a table: label, value, text as shown, [baseline, difference], sources."""
    base = {m.key: m for m in baseline or ()}
    rows = []
    for m in metrics:
        row = {"key": m.key, t("hearing.col_indicator", lang): m.label(lang), t("hearing.col_value", lang): m.value,
               t("hearing.col_unit", lang): m.unit, t("hearing.col_scenario", lang): m.formatted(lang),
               t("ranges.col_low", lang): m.low, t("ranges.col_high", lang): m.high}
        if baseline is not None:
            ref = base.get(m.key)
            row[t("hearing.col_baseline", lang)] = ref.formatted(lang) if ref else "—"
            row[t("hearing.col_difference", lang)] = difference_text(m, ref, lang)
        row[t("hearing.col_source", lang)] = ", ".join(m.source_ids)
        rows.append(row)
    return pd.DataFrame(rows)


def difference_text(metric: Metric, ref: Metric | None, lang: str) -> str:
    """'+1,234张' style difference (scenario − baseline), or '—' when equal or not numeric."""
    if ref is None or not _numeric(metric.value) or not _numeric(ref.value):
        return "—"
    diff = float(metric.value) - float(ref.value)
    if abs(diff) < 0.5 * 10 ** -metric.decimals:
        return "—"
    if metric.unit == "percent":  # a difference of two shares is in percentage points
        text = f"{abs(diff):,.{metric.decimals}f}" + t("hearing.pct_points", lang)
    else:
        text = format_value(abs(diff), metric.unit, metric.decimals, lang)
    return ("+" if diff > 0 else "-") + text


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def details_tables(details: Any, prefix: str = "") -> dict[str, pd.DataFrame]:
    """Tables found in a model's JSON-ready details: lists of records and dicts of equal-length columns."""
    out: dict[str, pd.DataFrame] = {}
    if not isinstance(details, dict):
        return out
    for key, value in details.items():
        name = f"{prefix}{key}"
        records = isinstance(value, list) and value and all(isinstance(r, dict) for r in value)
        columns = (isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values())
                   and len({len(v) for v in value.values()}) == 1
                   and not any(isinstance(x, dict | list) for v in value.values() for x in v))
        if records or columns:
            out[name] = pd.DataFrame(value)
        elif isinstance(value, dict) and not prefix:
            out.update(details_tables(value, prefix=f"{name}."))
    return out


def page_tables(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                ) -> dict[str, pd.DataFrame]:
    """Every table of a page: the headline figures (with baseline) and each table in the model's details.

    Memoised like `page_results` (the footer's download buttons ask on every rerun, and a page switch
    asks again for an unchanged scenario). Treat the frames as read-only.
    """
    return _page_tables(page, scenario, lang, overlay, db.database_token())


@lru_cache(maxsize=32)
def _page_tables(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None,
                 _database_token: str) -> dict[str, pd.DataFrame]:
    res = page_results(page, scenario, lang, overlay)
    baseline = None
    if page != "overview":
        baseline = page_results(page, scenario.baseline(), lang, overlay)["metrics"]
    tables = {f"{page}_headline": metrics_frame(res["metrics"], lang, baseline)}
    for name, frame in details_tables(res["details"]).items():
        tables[f"{page}_{name}"] = frame
    return tables


def scenario_headline_table(named: Sequence[tuple[str, Scenario]], lang: str = "zh",
                            overlay: db.Overlay | None = None, pages: Sequence[str] | None = None) -> pd.DataFrame:
    """Scenario × headline figure: one row per named scenario, one column per metric (formatted text)."""
    from dashboard.core.results import page_modules

    pages = [p for p in (pages or page_modules()) if p != "overview"]
    rows = []
    for name, scenario in named:
        row: dict[str, Any] = {t("hearing.col_name", lang): name}
        for page in pages:
            for m in page_results(page, scenario, lang, overlay)["metrics"]:
                row[f"{m.label(lang)}"] = m.formatted(lang)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- chart images


def images_enabled() -> bool:
    return os.environ.get("DASHBOARD_CHART_IMAGES", "1").strip().lower() not in ("0", "false", "no", "off")


def browser_path() -> str | None:
    """The Chrome/Chromium plotly's static export will drive, or None (BROWSER_PATH wins if set)."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def renderer_problem(lang: str = "zh") -> str | None:
    """Why chart images cannot be made here (in `lang`), or None when they can."""
    if not images_enabled():
        return t("hearing.images_off", lang)
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return t("hearing.no_renderer", lang)
    if browser_path() is None:
        return t("hearing.no_renderer", lang)
    return None


_IMAGE_CACHE: OrderedDict[str, bytes] = OrderedDict()
_IMAGE_CACHE_SIZE = 64
_RENDER_LOCK = threading.Lock()


def _image_key(fig: go.Figure, fmt: str, width: int, height: int, scale: float) -> str:
    digest = hashlib.sha256(fig.to_json().encode())
    digest.update(f"{fmt}|{width}|{height}|{scale}".encode())
    return digest.hexdigest()


def render_images(figs: Sequence[go.Figure], fmt: str = "png", width: int = DOWNLOAD_CHART_PX[0],
                  height: int = DOWNLOAD_CHART_PX[1], scale: float = DOWNLOAD_CHART_SCALE) -> list[bytes]:
    """Draw figures to PNG/SVG bytes with one browser session; raises RendererUnavailable with the reason."""
    problem = renderer_problem("en")
    if problem:
        raise RendererUnavailable(problem)
    keys = [_image_key(f, fmt, width, height, scale) for f in figs]
    # One drawing at a time (each starts a browser); sessions asking for the same chart wait and share it.
    with _RENDER_LOCK:
        todo = [(k, f) for k, f in zip(keys, figs, strict=True) if k not in _IMAGE_CACHE]
        if todo:
            sized = [go.Figure(f).update_layout(width=width, height=height) for _, f in todo]
            images = _run_kaleido(sized, dict(format=fmt, width=width, height=height, scale=scale))
            for (key, _), img in zip(todo, images, strict=True):
                _IMAGE_CACHE[key] = img
        found = [_IMAGE_CACHE[k] for k in keys]
        while len(_IMAGE_CACHE) > _IMAGE_CACHE_SIZE:
            _IMAGE_CACHE.popitem(last=False)
    return found


def figure_image(fig: go.Figure, fmt: str = "png", width: int = DOWNLOAD_CHART_PX[0],
                 height: int = DOWNLOAD_CHART_PX[1], scale: float = DOWNLOAD_CHART_SCALE) -> bytes:
    """One high-resolution chart image (PNG: 4800×2700 px by default; SVG: vector)."""
    return render_images([fig], fmt, width, height, scale)[0]


def _run_kaleido(figs: Sequence[go.Figure], opts: dict[str, Any]) -> list[bytes]:
    import kaleido

    path = browser_path()

    async def draw() -> list[bytes]:
        # mathjax=False: the default page loads MathJax from a CDN, which a hearing room may not reach.
        page = kaleido.PageGenerator(mathjax=False)
        async with kaleido.Kaleido(n=1, page_generator=page, timeout=RENDER_TIMEOUT_S, path=path) as k:
            return [await k.calc_fig(f, opts=opts) for f in figs]

    # Own thread and event loop: callers may already run inside one (Streamlit, Jupyter).
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaleido")
    try:
        return pool.submit(asyncio.run, draw()).result(timeout=RENDER_TIMEOUT_S + 30)
    except concurrent.futures.TimeoutError:
        raise RendererUnavailable(f"chart rendering took longer than {RENDER_TIMEOUT_S + 30} s") from None
    except RendererUnavailable:
        raise
    except Exception as exc:
        raise RendererUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    finally:
        pool.shutdown(wait=False)


def attach_images(slides: Sequence[Slide], lang: str) -> tuple[list[str], float]:
    """Draw each slide's figure into `slide.image`; on failure leave notes and a text-only brief."""
    todo = [s for s in slides if s.figure is not None and s.image is None]
    if not todo:
        return [], 0.0
    problem = renderer_problem(lang)
    if problem:
        for s in todo:
            s.chart_note = t("hearing.no_chart", lang, reason=problem)
        return [t("hearing.no_chart", lang, reason=problem)], 0.0
    start = time.perf_counter()
    try:
        images = render_images([s.figure for s in todo], "png", *SLIDE_CHART_PX, SLIDE_CHART_SCALE)
    except RendererUnavailable as exc:
        note = t("hearing.no_chart", lang, reason=t("hearing.render_failed", lang, error=str(exc)[:160]))
        for s in todo:
            s.chart_note = note
        return [note], time.perf_counter() - start
    for s, img in zip(todo, images, strict=True):
        s.image = img
    return [], time.perf_counter() - start


# ---------------------------------------------------------------- the brief


def build_brief(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                pages: Sequence[str] | None = None, base: str | None = None, images: bool = True) -> Brief:
    """Slides with content and (when a renderer is available) chart images."""
    slides = build_slides(scenario, lang, overlay, pages, base, with_figures=images)
    notes, seconds = attach_images(slides, lang) if images else ([], 0.0)
    for s in slides:
        if s.chart_note and s.chart_note not in notes:
            notes.append(f"{s.title}: {s.chart_note}")
    for note in notes:
        log.warning("%s", note)
    return Brief(slides, lang, scenario, notes, seconds)


def brief_bytes(scenario: Scenario, fmt: str, lang: str = "zh", overlay: db.Overlay | None = None,
                base: str | None = None, images: bool = True, brief: Brief | None = None) -> bytes:
    """The brief as PPTX or PDF bytes."""
    brief = brief or build_brief(scenario, lang, overlay, base=base, images=images)
    if fmt == "pptx":
        return pptx_bytes(brief)
    if fmt == "pdf":
        return pdf_bytes(brief)
    raise BriefError(f"unknown brief format {fmt!r}; expected 'pptx' or 'pdf'")


def write_brief(scenario: Scenario, fmt: str, out_path: str | Path, lang: str = "zh",
                overlay: db.Overlay | None = None, base: str | None = None, images: bool = True,
                pages: Sequence[str] | None = None) -> Brief:
    """Write the hearing brief (PPTX or PDF) to `out_path`; returns the brief (its `notes` say what is missing)."""
    if fmt not in ("pptx", "pdf"):
        raise BriefError(f"unknown brief format {fmt!r}; expected 'pptx' or 'pdf'")
    brief = build_brief(scenario, lang, overlay, pages=pages, base=base, images=images)
    data = brief_bytes(scenario, fmt, brief=brief)
    out = Path(out_path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return brief


def _scenario_caption(brief: Brief) -> str:
    changed = not brief.scenario.is_baseline()
    return t("hearing.brief_scenario_changed" if changed else "hearing.brief_scenario_default", brief.lang)


def _today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch and epoch.isdigit() else dt.date.today()
    return day.isoformat()


def _slide_text_blocks(slide: Slide, lang: str) -> dict[str, Any]:
    """The text pieces every format lays out the same way."""
    show_baseline = slide.page != "overview" and any(
        difference_text(m, b, lang) != "—" for m, b in _pairs(slide))
    if slide.page == "overview":
        params = [t("hearing.params_none_page", lang)]
    elif slide.params:
        params = [t("hearing.param_line", lang, label=p.label, value=p.value, default=p.default) for p in slide.params]
    else:
        params = [t("hearing.params_none", lang, n=slide.params_total)]
    sources = sources_text(slide.sources, lang)
    years = "、".join(str(y) for y in slide.years) if lang == "zh" else ", ".join(str(y) for y in slide.years)
    footer = [f"{t('hearing.years', lang)}: {years or t('hearing.years_none', lang)}",
              f"{t('hearing.sources', lang)}: {sources}"]
    if slide.illustrative:
        footer.append(t("hearing.illustrative_note", lang))
    return {"show_baseline": show_baseline, "params": params, "footer": footer}


_KIND_ORDER = ("report", "official_statistics", "standard", "illustrative", "assumption")


def sources_text(sources: Sequence[tuple[str, str, str]], lang: str, title_chars: int = 44) -> str:
    """Sources grouped by kind (report first); assumptions are counted, not listed, to fit a slide."""
    labels = {t(f"common.kind_{k}", lang): k for k in _KIND_ORDER}
    groups: dict[str, list[str]] = {}
    for _, kind_label, title in sources:
        groups.setdefault(kind_label, []).append(title if len(title) <= title_chars else title[:title_chars - 1] + "…")
    order = sorted(groups, key=lambda k: _KIND_ORDER.index(labels[k]) if k in labels else len(_KIND_ORDER))
    parts = []
    for kind_label in order:
        titles = groups[kind_label]
        if labels.get(kind_label) == "assumption":
            parts.append(f"{kind_label} · {t('hearing.assumptions_count', lang, n=len(titles))}")
        else:
            parts.append(f"{kind_label} · " + ("；".join(titles) if lang == "zh" else "; ".join(titles)))
    return "; ".join(parts)


def _pairs(slide: Slide) -> list[tuple[Metric, Metric | None]]:
    base = {m.key: m for m in slide.baseline}
    return [(m, base.get(m.key)) for m in slide.metrics]


def _metric_rows(slide: Slide, lang: str, show_baseline: bool) -> list[list[str]]:
    header = [t("hearing.col_indicator", lang), t("hearing.col_scenario" if show_baseline else "hearing.col_value", lang)]
    if show_baseline:
        header += [t("hearing.col_baseline", lang), t("hearing.col_difference", lang)]
    rows = [header]
    for m, ref in _pairs(slide):
        row = [m.label(lang), m.formatted(lang)]
        if show_baseline:
            row += [ref.formatted(lang) if ref else "—", difference_text(m, ref, lang)]
        rows.append(row)
    return rows


# ---- PPTX

# Slide geometry in inches (13.333 × 7.5): chart box (x, y, w, h) and figures table (x, y, w).
CHART_BOX_IN = (0.45, 1.8, 7.0, 4.2)
TABLE_BOX_IN = (7.7, 1.8, 5.2)
_TABLE_WIDTHS = {2: (2.2, 1.3), 4: (1.6, 1.15, 1.15, 1.1)}


def _table_font_size(rows: list[list[str]]) -> int:
    n, cols = len(rows), len(rows[0])
    size = 14 if n <= 7 else 12 if n <= 10 else 10
    return min(size, 12) if cols == 4 else size


_INK = (0x1F, 0x2A, 0x37)
_MUTED = (0x55, 0x60, 0x6E)
_ACCENT = (0x00, 0x72, 0xB2)  # Okabe-Ito blue, as in charts.PALETTE
_PPTX_FONT = "Noto Sans CJK SC"


def pptx_bytes(brief: Brief) -> bytes:
    """A 16:9 PPTX, one slide per page; CJK runs name an East Asian typeface so viewers pick a CJK font."""
    from pptx import Presentation
    from pptx.util import Emu

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12_192_000), Emu(6_858_000)  # 13.333 × 7.5 in, exactly 16:9
    prs.core_properties.title = f"{t('common.app_title', brief.lang)} · {t('hearing.brief_title', brief.lang)}"
    prs.core_properties.author = t("common.app_title", brief.lang)
    for slide in brief.slides:
        _pptx_slide(prs, slide, brief)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _pptx_slide(prs, slide: Slide, brief: Brief) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    lang = brief.lang
    blocks = _slide_text_blocks(slide, lang)
    s = prs.slides.add_slide(prs.slide_layouts[6])
    bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, prs.slide_width, Inches(0.12))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(*_ACCENT)
    bar.line.fill.background()

    _pptx_text(s, Inches(0.45), Inches(0.25), Inches(9.2), Inches(0.6), slide.title, 28, bold=True)
    _pptx_text(s, Inches(9.6), Inches(0.3), Inches(3.3), Inches(0.5),
               f"{t('hearing.brief_title', lang)} · {_scenario_caption(brief)}", 12, color=_MUTED, align="right")
    _pptx_text(s, Inches(0.45), Inches(0.9), Inches(12.4), Inches(0.8), slide.summary, 15, color=_INK)

    # chart (left)
    chart_box = (Inches(CHART_BOX_IN[0]), Inches(CHART_BOX_IN[1]), Inches(CHART_BOX_IN[2]), Inches(CHART_BOX_IN[3]))
    if slide.image:
        s.shapes.add_picture(io.BytesIO(slide.image), chart_box[0], chart_box[1], width=chart_box[2])
    else:
        box = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, *chart_box)
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xF3, 0xF5, 0xF7)
        box.line.color.rgb = RGBColor(0xC8, 0xCE, 0xD6)
        _pptx_fill(box.text_frame, slide.chart_note or t("hearing.no_chart", lang, reason="—"), 14, color=_MUTED)

    # headline figures (right)
    rows = _metric_rows(slide, lang, blocks["show_baseline"])
    n = len(rows)
    size = _table_font_size(rows)
    row_h = Inches(0.36 if n <= 7 else 0.3 if n <= 10 else 0.24)
    left, top, width = (Inches(v) for v in TABLE_BOX_IN)
    _pptx_text(s, left, top - Inches(0.05), width, Inches(0.35), t("hearing.headline", lang), 13, bold=True,
               color=_ACCENT)
    cols = len(rows[0])
    shape = s.shapes.add_table(n, cols, left, top + Inches(0.32), width, row_h * n)
    table = shape.table
    widths = _TABLE_WIDTHS[cols]
    scale = TABLE_BOX_IN[2] / sum(widths)
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w * scale)
    for r, row in enumerate(rows):
        table.rows[r].height = row_h
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            _pptx_fill(cell.text_frame, text, size, bold=(r == 0 or c == 1), align="left" if c == 0 else "right",
                       color=(0xFF, 0xFF, 0xFF) if r == 0 else _INK)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(*_ACCENT) if r == 0 else (
                RGBColor(0xF3, 0xF5, 0xF7) if r % 2 else RGBColor(0xFF, 0xFF, 0xFF))

    # parameters (under the chart)
    params_top = Inches(6.08)
    _pptx_text(s, Inches(0.45), params_top, Inches(12.4), Inches(0.3),
               t("hearing.params", lang) + "  " + "; ".join(blocks["params"]), 10, color=_INK)

    # footer: years, sources, link, date
    foot = s.shapes.add_textbox(Inches(0.45), Inches(6.5), Inches(12.4), Inches(0.95))
    tf = foot.text_frame
    tf.word_wrap = True
    first = True
    for line in blocks["footer"]:
        para = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        _pptx_run(para, line, 9, color=_MUTED)
    para = tf.add_paragraph()
    _pptx_run(para, f"{t('hearing.link', lang)}: ", 9, color=_MUTED)
    run = _pptx_run(para, slide.link, 9, color=_ACCENT)
    run.hyperlink.address = slide.link
    _pptx_run(para, "   " + t("hearing.generated", lang, date=_today()), 9, color=_MUTED)
    for p in tf.paragraphs:
        p.space_after = Pt(1)

    notes = s.notes_slide.notes_text_frame
    full_sources = [f"{sid} · {kind} · {title}" for sid, kind, title in slide.sources]
    notes.text = "\n".join([slide.summary, *blocks["params"], *blocks["footer"], *full_sources, slide.link])


def _pptx_text(slide, left, top, width, height, text: str, size: float, bold: bool = False,
               color: tuple[int, int, int] = _INK, align: str = "left"):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    _pptx_fill(box.text_frame, text, size, bold, color, align)
    return box


def _pptx_fill(tf, text: str, size: float, bold: bool = False, color: tuple[int, int, int] = _INK,
               align: str = "left") -> None:
    from pptx.enum.text import PP_ALIGN

    tf.word_wrap = True
    para = tf.paragraphs[0]
    for r in list(para.runs):
        r._r.getparent().remove(r._r)
    para.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}[align]
    _pptx_run(para, text, size, bold, color)


def _pptx_run(para, text: str, size: float, bold: bool = False, color: tuple[int, int, int] = _MUTED):
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run = para.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor(*color)
    run.font.name = _PPTX_FONT
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", _PPTX_FONT)
    return run


# ---- PDF

@cache
def cjk_font() -> tuple[str, int]:
    """(path, face index) of a font with Simplified Chinese glyphs for the PDF (Noto Sans CJK SC by default)."""
    override = os.environ.get("DASHBOARD_CJK_FONT")
    candidates: list[str] = [override] if override else []
    try:
        for pattern in ("Noto Sans CJK SC:style=Regular", "Source Han Sans SC", "sans-serif:lang=zh-cn"):
            out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    candidates += ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"]
    for path in candidates:
        if path and Path(path).is_file():
            index = _face_index(path)
            if index is not None:
                return path, index
    raise BriefError("no font with Chinese glyphs found for the PDF brief: install fonts-noto-cjk "
                     "(make setup does) or set DASHBOARD_CJK_FONT to a .ttf/.otf/.ttc file")


def _face_index(path: str) -> int | None:
    """The face of a font file (collection or single) that covers Chinese; SC preferred."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.lower().endswith((".ttc", ".otc")):
            faces = TTCollection(path, lazy=True).fonts
        else:
            faces = [TTFont(path, lazy=True)]
        best = None
        for i, face in enumerate(faces):
            cmap = face.getBestCmap() or {}
            if ord("荆") not in cmap:
                continue
            name = str(face["name"].getDebugName(1) or "")
            if "SC" in name.split() and "Mono" not in name:
                return i
            best = i if best is None else best
        return best
    except Exception:  # unreadable font file: try the next candidate
        return None


_MM_W, _MM_H = 338.667, 190.5  # 13.333 × 7.5 in


def pdf_bytes(brief: Brief) -> bytes:
    """A 16:9 PDF with the same layout as the PPTX; text embedded with a CJK font (pdftotext reads it)."""
    from fpdf import FPDF

    # One face only: embedding a second CJK face (bold) triples the time fpdf2 spends subsetting;
    # emphasis comes from size and colour.
    regular, ri = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format=(_MM_H, _MM_W))
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{t('common.app_title', brief.lang)} · {t('hearing.brief_title', brief.lang)}")
    pdf.set_author(t("common.app_title", brief.lang))
    pdf.set_creator("dashboard.exports.brief")
    pdf.add_font("cjk", "", regular, collection_font_number=ri)
    for slide in brief.slides:
        _pdf_slide(pdf, slide, brief)
    return bytes(pdf.output())


def _pdf_slide(pdf, slide: Slide, brief: Brief) -> None:
    from fpdf.enums import WrapMode

    lang = brief.lang
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    blocks = _slide_text_blocks(slide, lang)
    inch = 25.4
    pdf.add_page()
    pdf.set_fill_color(*_ACCENT)
    pdf.rect(0, 0, _MM_W, 0.12 * inch, style="F")

    pdf.set_text_color(*_INK)
    pdf.set_font("cjk", "", 28)
    pdf.set_xy(0.45 * inch, 0.3 * inch)
    pdf.cell(9.2 * inch, 0.5 * inch, slide.title)
    pdf.set_font("cjk", "", 12)
    pdf.set_text_color(*_MUTED)
    pdf.set_xy(9.6 * inch, 0.33 * inch)
    pdf.cell(3.3 * inch, 0.4 * inch, f"{t('hearing.brief_title', lang)} · {_scenario_caption(brief)}", align="R")

    pdf.set_text_color(*_INK)
    pdf.set_font("cjk", "", 15)
    pdf.set_xy(0.45 * inch, 0.95 * inch)
    pdf.multi_cell(12.4 * inch, 7.2, slide.summary, wrapmode=wrap)

    x, y, w, h = (v * inch for v in CHART_BOX_IN)
    if slide.image:
        pdf.image(io.BytesIO(slide.image), x=x, y=y, w=w, h=w * SLIDE_CHART_PX[1] / SLIDE_CHART_PX[0])
    else:
        pdf.set_fill_color(0xF3, 0xF5, 0xF7)
        pdf.set_draw_color(0xC8, 0xCE, 0xD6)
        pdf.rect(x, y, w, h, style="DF")
        pdf.set_text_color(*_MUTED)
        pdf.set_font("cjk", "", 14)
        pdf.set_xy(x + 8, y + h / 2 - 10)
        pdf.multi_cell(w - 16, 7, slide.chart_note or t("hearing.no_chart", lang, reason="—"), align="C", wrapmode=wrap)

    rows = _metric_rows(slide, lang, blocks["show_baseline"])
    size = _table_font_size(rows)
    left, top, width = (v * inch for v in TABLE_BOX_IN)
    pdf.set_text_color(*_ACCENT)
    pdf.set_font("cjk", "", 13)
    pdf.set_xy(left, top - 1)
    pdf.cell(width, 7, t("hearing.headline", lang))
    widths = _TABLE_WIDTHS[len(rows[0])]
    pdf.set_xy(left, top + 0.32 * inch)
    pdf.set_font("cjk", "", size)
    pdf.set_text_color(*_INK)
    line_h = size * 0.5
    pdf.set_fill_color(0xF3, 0xF5, 0xF7)
    with pdf.table(width=width, col_widths=widths, align="LEFT", line_height=line_h, first_row_as_headings=True,
                   headings_style=_pdf_heading_style(), cell_fill_color=(0xF3, 0xF5, 0xF7), cell_fill_mode="ROWS",
                   borders_layout="NONE", text_align=("LEFT",) + ("RIGHT",) * (len(widths) - 1),
                   wrapmode=wrap, padding=0.8) as table:
        for row in rows:
            r = table.row()
            for text in row:
                r.cell(text)

    pdf.set_text_color(*_INK)
    pdf.set_font("cjk", "", 10)
    pdf.set_xy(0.45 * inch, 6.1 * inch)
    pdf.multi_cell(12.4 * inch, 4.6, t("hearing.params", lang) + "  " + "; ".join(blocks["params"]), wrapmode=wrap)

    pdf.set_text_color(*_MUTED)
    pdf.set_font("cjk", "", 9)
    pdf.set_xy(0.45 * inch, 6.52 * inch)
    for line in blocks["footer"]:
        pdf.set_x(0.45 * inch)
        pdf.multi_cell(12.4 * inch, 4.2, line, wrapmode=wrap, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(0.45 * inch)
    pdf.write(4.2, f"{t('hearing.link', lang)}: ")
    pdf.set_text_color(*_ACCENT)
    pdf.write(4.2, slide.link, link=slide.link)
    pdf.set_text_color(*_MUTED)
    pdf.write(4.2, "   " + t("hearing.generated", lang, date=_today()))


def _pdf_heading_style():
    from fpdf.fonts import FontFace

    return FontFace(family="cjk", color=(0xFF, 0xFF, 0xFF), fill_color=_ACCENT)

