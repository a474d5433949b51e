"""The hearing brief as one self-contained, interactive HTML file (opens with no network and no server).

    python -m dashboard export --format html -o brief.html [--scenario s.json] [--set key=value]

The content is the PPTX/PDF brief's (`content.build_slides`: summary, headline figures with baseline
and difference, scenario settings, data years, sources grouped by kind, the illustrative-data note,
the link that reopens the view) plus, per page, every chart of the page drawn by plotly.js — the
same figure builders as the browser (`content.page_figures`) — and the page's tables. plotly.js is
inlined once (what plotly's `include_plotlyjs=True` inlines, `plotly.offline.get_plotlyjs()`), so the
file needs nothing else: no CDN, no fonts, no server. Each headline figure carries its source kind
(report / official statistics / standard / assumption / illustrative) and the report's qualifier
("more than", "about", ... and the quoted passage) where it has one.

Every text from data, uploads or the catalog is HTML-escaped; figure JSON is embedded in
`<script type="application/json">` with `<`, `>` and `&` escaped, so no data can close the element.
No Streamlit import.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from dashboard.core.text import join_list, t
from dashboard.data import db, readiness
from dashboard.exports import content, images, layout
from dashboard.exports.tables import baseline_text, difference_text, page_tables

MAX_TABLE_ROWS = 300
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

_CSS = """
:root { --ink: #1F2A37; --muted: #55606E; --accent: #0072B2; --band: #F3F5F7; --warn: #B35900; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; }
header.brief { border-top: 0.4rem solid var(--accent); padding: 1rem 1.2rem 0.6rem; }
header.brief h1 { margin: 0 0 0.2rem; font-size: 1.6rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
nav.toc { padding: 0 1.2rem 0.6rem; font-size: 0.95rem; }
nav.toc a { margin-right: 1rem; color: var(--accent); }
section.slide { padding: 0.8rem 1.2rem 1.2rem; border-top: 1px solid #D5DAE0; }
section.slide h2 { margin: 0.2rem 0 0.4rem; font-size: 1.4rem; }
section.slide h3 { margin: 1rem 0 0.4rem; font-size: 1.05rem; color: var(--accent); }
p.summary { font-size: 1.1rem; border-left: 0.3rem solid var(--accent); background: #F3F7FB; padding: 0.5rem 0.8rem;
  margin: 0.3rem 0 0.8rem; }
.chart { width: 100%; min-height: 320px; margin: 0.4rem 0 0.8rem; }
.chart-note { background: var(--band); color: var(--muted); padding: 1rem; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: 0.92rem; min-width: 60%; }
.table-wrap { max-width: 100%; }
section.slide, header.brief, nav.toc, footer.slide-foot { max-width: 100vw; overflow-wrap: anywhere; }
.chart { max-width: 100%; overflow: hidden; }
td { overflow-wrap: anywhere; }
th, td { padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; border-bottom: 1px solid #E3E7EC; }
th { background: var(--accent); color: #fff; font-weight: 600; }
tr:nth-child(even) td { background: var(--band); }
table.metrics td:first-child { min-width: 9em; max-width: 22em; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.note { display: block; color: var(--muted); font-size: 0.8rem; }
.kind { display: inline-block; font-size: 0.75rem; border: 1px solid #C8CED6; border-radius: 0.6rem;
  padding: 0 0.4rem; margin: 0 0.2rem 0.1rem 0; color: var(--muted); white-space: nowrap; }
.kind.illustrative, .mark.illustrative { border-color: var(--warn); color: var(--warn); }
.mark.illustrative { display: inline-block; border: 1px solid; border-radius: 0.3rem; padding: 0.1rem 0.5rem;
  margin: 0.2rem 0; font-size: 0.9rem; }
ul.params, ul.sources { margin: 0.2rem 0; padding-left: 1.2rem; }
details { margin: 0.3rem 0; }
summary { cursor: pointer; color: var(--accent); }
footer.slide-foot { margin-top: 0.8rem; color: var(--muted); font-size: 0.85rem; }
footer.slide-foot a { color: var(--accent); word-break: break-all; }
@media (max-width: 640px) { header.brief h1 { font-size: 1.3rem; } section.slide { padding: 0.6rem 0.7rem 1rem; }
  table { font-size: 0.85rem; } .chart { min-height: 280px; } }
"""

# Draws every chart from its embedded JSON once the page has loaded; a chart that fails leaves a note.
_DRAW_JS = """
(function () {
  function draw() {
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
      var target = document.getElementById(el.getAttribute('data-chart'));
      try {
        var fig = JSON.parse(el.textContent);
        var layout = fig.layout || {};
        layout.autosize = true;
        delete layout.width;
        Plotly.newPlot(target, fig.data || [], layout, CONFIG);
      } catch (e) {
        target.textContent = String(e);
        target.className += ' chart-note';
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: '<', '>' and '&' as \\u escapes (cannot end the element)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")


def plotly_js() -> str:
    """The plotly.js bundle plotly's include_plotlyjs=True inlines (same version as the figures' schema)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _kind_badges(source_ids: Sequence[str], kinds: dict[str, str], lang: str) -> str:
    out = []
    for kind in dict.fromkeys(kinds.get(sid, "?") for sid in source_ids):
        try:
            label = t(f"common.kind_{kind}", lang)
        except KeyError:
            label = kind
        out.append(f'<span class="kind {_e(kind)}">{_e(label)}</span>')
    return "".join(out)


def _metrics_table(slide: content.Slide, lang: str, show_baseline: bool, kinds: dict[str, str]) -> str:
    base = {m.key: m for m in slide.baseline}
    head = [t("hearing.col_indicator", lang), t("hearing.col_scenario" if show_baseline else "hearing.col_value", lang)]
    if show_baseline:
        head += [t("hearing.col_baseline", lang), t("hearing.col_difference", lang)]
    head += [t("hearing.html_kind", lang), t("hearing.col_source", lang)]
    rows = ["<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    titles = {sid: title for sid, _, title in slide.sources}  # the slide's sources, named in `lang` (with the upload's)
    for m in slide.metrics:
        rows.append("<tr>" + "".join(_metric_cells(m, base.get(m.key), lang, show_baseline, kinds, titles)) + "</tr>")
    return f'<div class="table-wrap"><table class="metrics">{"".join(rows)}</table></div>'


def _metric_cells(m: Metric, ref: Metric | None, lang: str, show_baseline: bool, kinds: dict[str, str],
                  titles: dict[str, str]) -> list[str]:
    note = m.note(lang)
    label = _e(m.label(lang)) + (f'<span class="note">{_e(note)}</span>' if note else "")
    cells = [f"<td>{label}</td>", f'<td class="num">{_e(m.formatted(lang))}</td>']
    if show_baseline:
        cells += [f'<td class="num">{_e(baseline_text(m, ref, lang))}</td>',
                  f'<td class="num">{_e(difference_text(m, ref, lang))}</td>']
    cells += [f"<td>{_kind_badges(m.source_ids, kinds, lang)}</td>", f"<td>{_e(join_list((titles.get(s, s) for s in m.source_ids), lang))}</td>"]  # by name, not id
    return cells


def _frame_table(frame: pd.DataFrame, lang: str) -> str:
    shown = frame.head(MAX_TABLE_ROWS)
    head = "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in shown.columns) + "</tr>"
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for value in row:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = "—" if value is None or (isinstance(value, float) and value != value) else (
                f"{value:,.4g}" if isinstance(value, float) else str(value))
            cells.append(f'<td class="num">{_e(text)}</td>' if numeric else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cut = ""
    if len(frame) > len(shown):
        cut = f'<p class="muted">{_e(t("hearing.html_rows_cut", lang, shown=len(shown), total=len(frame)))}</p>'
    return f'<div class="table-wrap"><table>{head}{"".join(body)}</table></div>{cut}'


def _chart_blocks(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None) -> list[str]:
    """Each chart of the page: an empty div and its figure JSON (drawn by _DRAW_JS)."""
    blocks = []
    try:
        builders = content.page_builders(page, scenario, lang, overlay)
    except Exception as exc:  # a chart bug must not cost the hearing its brief
        content.log.exception("figures for %s failed", page)
        return [f'<div class="chart-note">{_e(t("hearing.render_failed", lang, error=type(exc).__name__))}</div>']
    for name, build in builders.items():
        div_id = f"chart-{page}-{name}"
        try:
            fig_json = images.export_figure(build()).to_json()
        except Exception as exc:
            content.log.exception("figure %s of %s failed", name, page)
            note = t("hearing.render_failed", lang, error=f"{type(exc).__name__}: {exc}"[:120])
            blocks.append(f'<div class="chart-note" id="{_e(div_id)}">{_e(note)}</div>')
            continue
        blocks.append(f'<div class="chart plotly-chart" id="{_e(div_id)}" data-name="{_e(name)}"></div>'
                      f'<script type="application/json" data-chart="{_e(div_id)}">{_json_for_script(fig_json)}</script>')
    return blocks


def _slide_section(slide: content.Slide, scenario: Scenario, lang: str, overlay: db.Overlay | None,
                   kinds: dict[str, str], charts: bool, tables: bool) -> str:
    blocks = layout.slide_text_blocks(slide, lang)
    parts = [f'<section class="slide" id="page-{_e(slide.page)}" data-page="{_e(slide.page)}">',
             f"<h2>{_e(slide.title)}</h2>", f'<p class="summary">{_e(slide.summary)}</p>']
    if slide.illustrative:
        parts.append(f'<p class="mark illustrative">{_e(t("hearing.illustrative_note", lang))}</p>')
    ready = not readiness.missing(slide.page, overlay)  # else the summary says which files to supply
    if charts and ready:
        parts += _chart_blocks(slide.page, scenario, lang, overlay)
    parts.append(f"<h3>{_e(t('hearing.headline', lang))}</h3>")
    parts.append(_metrics_table(slide, lang, blocks["show_baseline"], kinds))
    parts.append(f"<h3>{_e(t('hearing.params', lang))}</h3>")
    parts.append('<ul class="params">' + "".join(f"<li>{_e(p)}</li>" for p in blocks["params"]) + "</ul>")
    if tables and ready:
        frames = page_tables(slide.page, scenario, lang, overlay)
        extra = {name: frame for name, frame in frames.items() if not name.endswith("_headline")}
        if extra:
            parts.append(f"<h3>{_e(t('hearing.tables', lang))}</h3>")
            for name, frame in extra.items():
                parts.append(f"<details><summary>{_e(name)} ({len(frame):,})</summary>{_frame_table(frame, lang)}</details>")
    parts.append(f"<h3>{_e(t('hearing.sources', lang))}</h3>")
    parts.append('<ul class="sources">' + "".join(
        f'<li><span class="kind {_e(kinds.get(sid, "?"))}">{_e(kind_label)}</span> {_e(title)} '
        f'<span class="muted">({_e(sid)})</span></li>' for sid, kind_label, title in slide.sources) + "</ul>")
    years = join_list(slide.years, lang)
    parts.append('<footer class="slide-foot">'
                 f"<div>{_e(t('hearing.years', lang))}: {_e(years or t('hearing.years_none', lang))}</div>"
                 + (f"<div>{_e(t('hearing.illustrative_note', lang))}</div>" if slide.illustrative else "")
                 + f'<div>{_e(t("hearing.link", lang))}: <a href="{_e(slide.link)}">{_e(slide.link)}</a></div>'
                 + (f'<div>{_e(t("hearing.link_local_note", lang))}</div>' if content.link_is_local(slide.link) else "")
                 + "</footer></section>")
    return "\n".join(parts)


def brief_html(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None, base: str | None = None,
               pages: Sequence[str] | None = None, charts: bool = True, tables: bool = True) -> str:
    """The whole brief as one HTML document (str)."""
    slides = content.build_slides(scenario, lang, overlay, pages, base, with_figures=False)
    kinds = content.source_kinds(overlay)
    title = f"{t('common.app_title', lang)} · {t('hearing.brief_title', lang)}"
    caption = content.scenario_caption(scenario, lang, overlay)
    toc = "".join(f'<a href="#page-{_e(s.page)}">{_e(s.title)}</a>' for s in slides)
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{t("common.html_lang", lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
    ]
    if charts:
        head.append(f'<script type="text/javascript">{plotly_js()}</script>')
    body = [
        "</head>",
        "<body>",
        '<header class="brief">',
        f"<h1>{_e(title)}</h1>",
        f'<div class="muted">{_e(caption)} · {_e(t("hearing.generated", lang, date=layout.today()))}</div>',
        f'<div class="muted">{_e(t("hearing.html_offline", lang))}</div>',
        "</header>",
        f'<nav class="toc">{_e(t("hearing.html_contents", lang))}: {toc}</nav>',
        *(_slide_section(s, scenario, lang, overlay, kinds, charts, tables) for s in slides),
    ]
    if charts:
        body.append(f'<script type="text/javascript">var CONFIG = {json.dumps(PLOTLY_CONFIG)};{_DRAW_JS}</script>')
    body += ["</body>", "</html>"]
    return "\n".join(head + body) + "\n"


def html_bytes(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None, base: str | None = None,
               pages: Sequence[str] | None = None) -> bytes:
    return brief_html(scenario, lang, overlay, base, pages).encode("utf-8")


def write_html_brief(scenario: Scenario, out_path: str | Path, lang: str = "zh", overlay: db.Overlay | None = None,
                     base: str | None = None, pages: Sequence[str] | None = None) -> Path:
    out = Path(out_path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(html_bytes(scenario, lang, overlay, base, pages))
    return out
