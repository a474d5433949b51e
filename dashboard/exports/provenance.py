"""What every exported file says about itself: provenance columns, the XLSX cover sheet, labelled chart
images and human file names. No Streamlit.

- `provenance_text(ids)`: "示意数据 · 演示数据层；官方统计 · 第七次全国人口普查…" — the kind and title of each
  data source, in the user's language; assumptions and standards are not data and are left out.
- `page_data_sources(page, ...)`: the data (not assumptions) a page's figures rest on, as this session
  sees it: an upload that replaced the demonstration layer is cited instead, so the tag follows the data.
- `labelled_tables`: every table of a page with a provenance column (per row where the table carries its
  own `source_id`, else the page's data sources).
- `workbook_bytes`: the XLSX with a first sheet saying what the file is, the scenario, the date, the
  link and the sources.
- `labelled_figure`: a chart with its title, a source line with the date, and the 示意数据 / illustrative
  mark when any input is illustrative (chart PNG/SVG downloads).
- `file_name`: "养老床位供需-主要数字-2026-12-04.csv" style names, safe on every system.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.core import figure_style
from dashboard.core.scenario import Scenario
from dashboard.core.text import join_clauses, join_list, t
from dashboard.data import db
from dashboard.exports import content
from dashboard.exports.layout import scenario_words, today

DATA_KINDS = ("illustrative", "report", "official_statistics", "map_data")  # what counts as data, not a setting


def _kind_label(kind: str, lang: str) -> str:
    try:
        return t(f"common.kind_{kind}", lang)
    except KeyError:
        return kind


def provenance_text(source_ids: Sequence[str], lang: str, overlay: db.Overlay | None = None,
                    kinds: Sequence[str] = DATA_KINDS) -> str:
    """Kind · title of each source in `source_ids` whose kind is one of `kinds` (illustrative first)."""
    table = content.sources_table(overlay)
    parts = []
    for sid in sorted(dict.fromkeys(source_ids), key=lambda s: (str(table.get(s, {}).get("kind")) != "illustrative", s)):
        info = table.get(sid, {})
        kind = str(info.get("kind") or "")
        if kind not in kinds:
            continue
        parts.append(f"{_kind_label(kind, lang)} · {info.get('title') or sid}")
    return join_clauses(parts, lang)


def is_illustrative(source_ids: Sequence[str], overlay: db.Overlay | None = None) -> bool:
    table = content.sources_table(overlay)
    return any(str(table.get(s, {}).get("kind")) == "illustrative" for s in source_ids)


def page_data_sources(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                      ) -> tuple[str, ...]:
    """The data sources a page's figures and chart rest on (metrics' sources and the chart's own layers)."""
    res = content.page_results(page, scenario, lang, overlay)
    ids = [sid for m in res["metrics"] for sid in m.source_ids]
    ids += [sid for sid in content.figure_sources(page, overlay) if sid != "demo_layer" or _demo_in(ids)]
    return tuple(dict.fromkeys(ids))


def _demo_in(ids: Sequence[str]) -> bool:
    return "demo_layer" in ids


# ---------------------------------------------------------------- tables


def labelled_tables(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None
                    ) -> dict[str, pd.DataFrame]:
    """Every table of the page with a provenance column (kind and source title, in `lang`)."""
    from dashboard.exports.tables import page_tables

    col = t("hearing.col_provenance", lang)
    page_text = provenance_text(page_data_sources(page, scenario, lang, overlay), lang, overlay)
    res = content.page_results(page, scenario, lang, overlay)
    by_key = {m.key: m for m in res["metrics"]}
    out: dict[str, pd.DataFrame] = {}
    for name, frame in page_tables(page, scenario, lang, overlay).items():
        frame = frame.copy()
        if "key" in frame.columns and name.endswith("_headline"):
            frame[col] = [provenance_text(by_key[k].source_ids, lang, overlay, kinds=(*DATA_KINDS, "standard",
                                                                                      "assumption"))
                          if k in by_key else "" for k in frame["key"]]
        elif "source_id" in frame.columns:
            frame[col] = [provenance_text([s], lang, overlay) if isinstance(s, str) else "" for s in frame["source_id"]]
        else:
            frame[col] = page_text
        out[name] = frame
    return out


def page_csv_bytes(page: str, frame: pd.DataFrame, scenario: Scenario, lang: str = "zh",
                   overlay: db.Overlay | None = None) -> bytes:
    """A page's own CSV button (a table it shows) made like the workbook's sheets: headers and codes in
    `lang`, numbers rounded per column (`tables.localise`), and the page's provenance column."""
    from dashboard.exports.tables import csv_bytes, localise

    out = localise(frame, lang)
    out[t("hearing.col_provenance", lang)] = provenance_text(page_data_sources(page, scenario, lang, overlay), lang,
                                                             overlay)
    return csv_bytes(out)


def table_label(page: str, name: str, lang: str) -> str:
    """A reader's name for a table: its catalog name (`downloads.<name>`), '主要数字' for the headline table,
    else the key in words."""
    from dashboard.core.text import download_name

    named = download_name(name, lang)
    if named != name:
        return named
    short = name[len(page) + 1:] if name.startswith(page + "_") else name
    if short == "headline":
        return t("hearing.table_headline", lang)
    return short.replace(".", " · ").replace("_", " ")


def workbook_bytes(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                   base: str | None = None) -> bytes:
    """The page's tables as one XLSX; its first sheet says what the file is, the scenario, date, link, sources."""
    from dashboard.exports.tables import xlsx_bytes

    frames = labelled_tables(page, scenario, lang, overlay)
    link = content.view_link(scenario, page, lang=lang, base=base, present=False)
    params, _ = content.param_rows(scenario, page, lang)
    ids = list(page_data_sources(page, scenario, lang, overlay))
    ids += [p.source_id for p in content.page_params(page) if p.source_id]
    sources, _ = content.source_rows(ids, lang, overlay)
    k = {"what": t("hearing.cover_what", lang), "scenario": t("hearing.cover_scenario", lang),
         "date": t("hearing.cover_date", lang), "link": t("hearing.link", lang),
         "sheets": t("hearing.cover_sheets", lang), "sources": t("hearing.sources", lang)}
    rows: list[tuple[str, str]] = [
        (k["what"], t("hearing.cover_text", lang, app=t("common.app_title", lang), page=t(f"nav.{page}", lang))),
        (k["scenario"], content.scenario_caption(scenario, lang, overlay)),
        *[("", t("hearing.param_line", lang, label=p.label, value=p.value, default=p.default)) for p in params],
        (k["date"], today()),
        (k["link"], link),
    ]
    if content.link_is_local(link):
        rows.append(("", t("hearing.link_local_note", lang)))
    if is_illustrative(ids, overlay):
        rows.append(("", t("hearing.illustrative_note", lang)))
    rows.append((k["sheets"], join_list((table_label(page, n, lang) for n in frames), lang)))
    for _sid, kind, title in sources:
        rows.append((k["sources"], f"{kind} · {title}"))
    cover = pd.DataFrame(rows, columns=[t("hearing.cover_item", lang), t("hearing.cover_value", lang)])
    sheets = {t("hearing.cover_sheet", lang): cover}
    for name, frame in frames.items():
        sheet = _sheet_name(table_label(page, name, lang), sheets)
        sheets[sheet] = frame
    return xlsx_bytes(sheets)


def _sheet_name(label: str, taken: dict[str, Any]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", label)[:28] or "sheet"
    name, i = base, 2
    while name[:31] in taken:
        name, i = f"{base} {i}", i + 1
    return name[:31]


# ---------------------------------------------------------------- chart images


def labelled_figure(page: str, name: str, scenario: Scenario, lang: str = "zh",
                    overlay: db.Overlay | None = None, width: int | None = None,
                    height: int | None = None) -> go.Figure:
    """The chart as downloaded: title, the illustrative mark (top right, in the title's row) when it applies,
    and a footer (sources with the date, the scenario) wrapped to the image's `width` and laid out below
    the legend (figure_style.add_footer).

    `width`×`height` is the image the figure will be drawn at (default: the download size)."""
    from dashboard.exports.images import DOWNLOAD_CHART_PX

    width, height = width or DOWNLOAD_CHART_PX[0], height or DOWNLOAD_CHART_PX[1]
    fig = go.Figure(content.page_figure(page, name, scenario, lang, overlay))
    ids = page_data_sources(page, scenario, lang, overlay)
    title = (fig.layout.title.text or "") or chart_title(page, name, lang)
    source = f"{t('hearing.sources', lang)}: {provenance_text(ids, lang, overlay)} · {today()}"
    fig.update_layout(title=dict(text=title, x=0.01, xanchor="left", y=0.99, yanchor="top", yref="container"),
                      margin=dict(t=max((fig.layout.margin.t or 0), 40) + 30))
    figure_style.place_top_legend(fig, width, height)
    top = fig.layout.margin.t
    figure_style.add_footer(fig, [source, scenario_line(page, scenario, lang)], width, height)
    if is_illustrative(ids, overlay):
        fig.add_annotation(text=t("hearing.illustrative_mark", lang), xref="paper", yref="paper", x=1, y=1,
                           xanchor="right", yanchor="top", yshift=top - 8, showarrow=False,
                           font=dict(size=16, color="#D55E00"), bordercolor="#D55E00", borderwidth=1.5, borderpad=3)
    return fig


def scenario_line(page: str, scenario: Scenario, lang: str) -> str:
    """'情景: 基准情景(报告默认值)' or the adjusted scenario with the page's changed settings, in the brief's words."""
    params, _ = content.param_rows(scenario, page, lang)
    changed = [t("hearing.param_line", lang, label=p.label, value=p.value, default=p.default) for p in params]
    words = scenario_words(scenario, lang)
    return f"{t('hearing.cover_scenario', lang)}: " + (f"{words} · {join_clauses(changed, lang)}" if changed else words)


def chart_title(page: str, name: str, lang: str) -> str:
    """A reader's title for a chart (catalog `hearing.chart_title_<name>`; a page's sensitivity chart
    `hearing.chart_title_drivers`). A chart's key is an id and never shown: without a title, the page's name."""
    try:
        return t(f"hearing.chart_title_{name}", lang)
    except KeyError:
        pass
    if name == f"{page}_drivers":
        return t("hearing.chart_title_drivers", lang)
    return t(f"nav.{page}", lang)


# ---------------------------------------------------------------- file names


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(lang: str, *parts: str, ext: str) -> str:
    """'社区卫生服务覆盖-主要数字-2026-12-04.csv': readable, dated, no characters a file system refuses."""
    stem = "-".join(_UNSAFE.sub("_", p).strip("_") for p in (*parts, today()) if p)
    return f"{stem}.{ext}"


def brief_file_name(lang: str, fmt: str) -> str:
    return file_name(lang, t("hearing.brief_title", lang), ext=fmt)


def table_file_name(page: str, name: str, lang: str, ext: str = "csv") -> str:
    return file_name(lang, t(f"nav.{page}", lang), table_label(page, name, lang), ext=ext)


def workbook_file_name(page: str, lang: str) -> str:
    return file_name(lang, t(f"nav.{page}", lang), t("hearing.tables", lang), ext="xlsx")


def chart_file_name(page: str, name: str, lang: str, fmt: str) -> str:
    return file_name(lang, t(f"nav.{page}", lang), chart_title(page, name, lang)[:40], ext=fmt)
