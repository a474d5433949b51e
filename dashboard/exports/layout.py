"""Text blocks every brief format (PPTX, PDF) lays out the same way. No Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dashboard.core import clock
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Scenario
from dashboard.core.text import join_clauses, join_list, t
from dashboard.exports.content import Brief, Slide, source_kinds
from dashboard.exports.tables import baseline_text, difference_text


def scenario_caption(brief: Brief) -> str:
    return scenario_words(brief.scenario, brief.lang)


def scenario_words(scenario: Scenario, lang: str) -> str:
    """The brief's words for the scenario (also under every chart image): adjusted, or what the defaults are."""
    from dashboard.exports.content import scenario_caption as caption

    return caption(scenario, lang)


def today() -> str:
    return clock.today().isoformat()


def slide_text_blocks(slide: Slide, lang: str) -> dict[str, Any]:
    """The text pieces every format lays out the same way."""
    show_baseline = slide.page != "overview" and any(
        difference_text(m, b, lang) != "—" for m, b in metric_pairs(slide))
    if slide.page == "overview":
        params = [t("hearing.params_none_page", lang)]
    elif slide.params:
        params = [t("hearing.param_line", lang, label=p.label, value=p.value, default=p.default) for p in slide.params]
    elif slide.params_read:
        params = [t("hearing.params_none_reads", lang, n=slide.params_total, a=slide.params_assumed,
                    m=slide.params_read, pages=join_list(slide.read_pages, lang))]
    else:
        params = [t("hearing.params_none", lang, n=slide.params_total, a=slide.params_assumed)]
    sources = sources_text(slide.sources, lang)
    years = join_list(slide.years, lang)
    footer = [f"{t('hearing.years', lang)}: {years or t('hearing.years_none', lang)}",
              f"{t('hearing.sources', lang)}: {sources}"]
    if slide.illustrative:
        footer.append(t("hearing.illustrative_note", lang))
    from dashboard.exports.content import link_is_local

    if link_is_local(slide.link):
        footer.append(t("hearing.link_local_note", lang))
    # "extra": lines above the settings (fit.plan_slide makes room), e.g. ranges and top drivers
    return {"show_baseline": show_baseline, "params": params, "footer": footer,
            "extra": [slide.drivers] if slide.drivers else []}


_KIND_ORDER = ("report", "official_statistics", "standard", "map_data", "illustrative", "assumption")


def sources_text(sources: Sequence[tuple[str, str, str]], lang: str) -> str:
    """Sources grouped by kind (report first), each title whole (the slide wraps it, never cuts it);
    assumptions are counted, not listed, to fit a slide."""
    labels = {t(f"common.kind_{k}", lang): k for k in _KIND_ORDER}
    groups: dict[str, list[str]] = {}
    for _, kind_label, title in sources:
        groups.setdefault(kind_label, []).append(title)
    order = sorted(groups, key=lambda k: _KIND_ORDER.index(labels[k]) if k in labels else len(_KIND_ORDER))
    parts = []
    for kind_label in order:
        titles = groups[kind_label]
        if labels.get(kind_label) == "assumption":
            parts.append(f"{kind_label} · {t('hearing.assumptions_count', lang, n=len(titles))}")
        else:
            parts.append(f"{kind_label} · " + join_clauses(titles, lang))
    return "; ".join(parts)


def metric_pairs(slide: Slide) -> list[tuple[Metric, Metric | None]]:
    base = {m.key: m for m in slide.baseline}
    return [(m, base.get(m.key)) for m in slide.metrics]


# A slide's table shows at most this many figures (the model lists its most important first) so its text
# stays legible (tests/exports/test_fit.py: at least 8 pt); the rest are in the downloaded tables.
SLIDE_MAX_FIGURES = 12


# weakest last: a figure is as strong as the weakest source it rests on
KIND_STRENGTH = ("report", "official_statistics", "standard", "map_data", "assumption", "illustrative")


def metric_kind(m: Metric, kinds: dict[str, str]) -> str:
    """The weakest source kind of a figure (`kinds`: source_id -> kind of data/sources.csv)."""
    found = [kinds.get(sid, "") for sid in m.source_ids]
    ranked = [k for k in found if k in KIND_STRENGTH]
    return max(ranked, key=KIND_STRENGTH.index) if ranked else "?"


def kind_text(m: Metric, kinds: dict[str, str], lang: str) -> str:
    """'报告(原文“超过”)', '示意数据', '假设推算': the figure's kind in words, with the report's qualifier."""
    kind = metric_kind(m, kinds)
    try:
        label = t(f"hearing.kind_short_{kind}", lang)
    except KeyError:
        label = kind
    word = m.qualifier_text(lang)
    return t("hearing.kind_with_qualifier", lang, kind=label, word=word) if word and kind == "report" else label


def range_cell(m: Metric, lang: str, settings: bool = True) -> str:
    """The figure's range, or why it has none: no setting moves it (`settings` False: the page has none),
    or none was estimated."""
    if m.value is None or m.formatted(lang) == "—":
        return "—"
    if m.has_range():
        return m.range_text(lang)
    return t("hearing.range_fixed" if m.low is not None or not settings else "hearing.range_none", lang)


def metric_rows(slide: Slide, lang: str, show_baseline: bool, kinds: dict[str, str] | None = None,
                max_figures: int = SLIDE_MAX_FIGURES) -> list[list[str]]:
    """The figures table: indicator, value [, baseline, difference], range, source kind."""
    if kinds is None:
        kinds = source_kinds()
    header = [t("hearing.col_indicator", lang), t("hearing.col_scenario" if show_baseline else "hearing.col_value", lang)]
    if show_baseline:
        header += [t("hearing.col_baseline", lang), t("hearing.col_difference", lang)]
    header += [t("hearing.col_range", lang), t("hearing.col_kind", lang)]
    rows = [header]
    pairs = metric_pairs(slide)
    for m, ref in pairs[:max_figures]:
        row = [m.label(lang), m.formatted(lang)]
        if show_baseline:
            row += [baseline_text(m, ref, lang), difference_text(m, ref, lang)]
        row += [range_cell(m, lang, slide.params_total > 0), kind_text(m, kinds, lang)]
        rows.append(row)
    if len(pairs) > max_figures:
        rows.append([t("hearing.more_figures", lang, n=len(pairs) - max_figures)] + [""] * (len(header) - 1))
    return rows


# ---- geometry and colours shared by the PPTX and PDF layouts

# Slide geometry in inches (13.333 × 7.5): chart box (x, y, w, h) and figures table (x, y, w).
CHART_BOX_IN = (0.45, 1.8, 7.0, 4.2)
TABLE_BOX_IN = (7.7, 1.8, 5.2)
TABLE_WIDTHS = {4: (2.2, 1.3, 1.3, 0.9), 6: (1.6, 1.15, 1.15, 1.1, 1.3, 0.9)}


def table_font_size(rows: list[list[str]]) -> int:
    n, cols = len(rows), len(rows[0])
    size = 14 if n <= 7 else 12 if n <= 10 else 10
    return min(size, 12) if cols == 4 else size


INK = (0x1F, 0x2A, 0x37)
MUTED = (0x55, 0x60, 0x6E)
ACCENT = (0x00, 0x72, 0xB2)  # Okabe-Ito blue, as in charts.PALETTE


def slide_plan(slide: Slide, brief: Brief):
    """Where every text of `slide` goes, fitted (dashboard/exports/fit.py); both formats draw from it."""
    from dashboard.exports import fit

    lang = brief.lang
    blocks = slide_text_blocks(slide, lang)
    params = t("hearing.params", lang) + t("common.colon", lang) + join_clauses(blocks["params"], lang)
    # fewer figures (the rest counted in the last row, all in the downloaded tables) rather than text
    # below TABLE_FLOOR_PT: a six-column table with ranges and kinds does not always fit twelve rows
    caption = f"{t('hearing.brief_title', lang)} · {scenario_caption(brief)}"
    kinds = source_kinds()  # once, not per attempt
    for n in range(SLIDE_MAX_FIGURES, 3, -1):
        plan = fit.plan_slide(
            slide.title, caption, slide.summary,
            metric_rows(slide, lang, blocks["show_baseline"], kinds, max_figures=n), t("hearing.headline", lang), params,
            blocks["footer"], f"{t('hearing.link', lang)}: ", slide.link, "   " + t("hearing.generated", lang, date=today()),
            extra=blocks.get("extra") or None)
        if plan.table.size >= fit.TABLE_FLOOR_PT and plan.table.bottom <= plan.boxes.get("extra", plan.boxes["params"])[1]:
            break
    plan.figures = n
    return plan
