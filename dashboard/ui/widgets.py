"""Shared Streamlit pieces: the session's scenario and overlay, parameter widgets, metric tiles, sources.

Pages call these so that every slider reads and writes the one Scenario (mirrored into the URL)
and every number is shown with its source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st

from dashboard.core import figsvg, figure_style
from dashboard.core.metrics import Metric, format_value
from dashboard.core.safetext import md_escape
from dashboard.core.scenario import Param, Scenario, params_by_key
from dashboard.core.text import join_list, t, unit_label
from dashboard.data import db
from dashboard.registry import is_section_param
from dashboard.registry import section_param as section_key
from dashboard.ui import plotly_react

_SCENARIO = "scenario"
_OVERLAY = "overlay"
_NOTICES = "scenario_notices"


# ---------------------------------------------------------------- session state


def init_session() -> None:
    """On a session's first run, read the scenario from the URL (clamping or dropping bad values)."""
    if _SCENARIO not in st.session_state:
        query = {k: v for k, v in st.query_params.to_dict().items() if not is_section_param(k)}
        scenario, notices = Scenario.from_query_params(query)
        st.session_state[_SCENARIO] = scenario
        st.session_state[_NOTICES] = notices
    if _OVERLAY not in st.session_state:
        st.session_state[_OVERLAY] = db.EMPTY_OVERLAY


def scenario() -> Scenario:
    # one session-state read (a page asks ~130 times a rerun; each read takes the state's lock)
    try:
        return st.session_state[_SCENARIO]
    except KeyError:
        init_session()
        return st.session_state[_SCENARIO]


def set_scenario(new: Scenario) -> None:
    """Replace the session's scenario and mirror its non-default values into the URL."""
    st.session_state[_SCENARIO] = new
    sync_url()


def sync_url(page: str | None = None) -> None:
    """Mirror the scenario's non-default values into the URL. The shown section's parameter (`sections`) is
    kept for `page` and dropped for every other page (the URL is the page's); with no page, all are kept."""
    wanted = scenario().to_query_params()
    query = st.query_params.to_dict()
    if page is not None:
        for key in [k for k in query if is_section_param(k) and k != section_key(page)]:
            del st.query_params[key]
    current = {k: v for k, v in query.items() if not is_section_param(k)}
    if current != wanted:
        for key in current.keys() - wanted.keys():
            del st.query_params[key]
        st.query_params.update({k: v for k, v in wanted.items() if current.get(k) != v})


def pop_notices() -> list[str]:
    return st.session_state.pop(_NOTICES, []) or []


def overlay() -> db.Overlay:
    try:
        return st.session_state[_OVERLAY]
    except KeyError:
        init_session()
        return st.session_state[_OVERLAY]


def set_overlay(new: db.Overlay) -> None:
    st.session_state[_OVERLAY] = new


def lang() -> str:
    return scenario().get("lang")


def tr(key: str, **fmt: object) -> str:
    """Catalog text in the session's language."""
    return t(key, lang(), **fmt)


def presenting() -> bool:
    return bool(scenario().get("present"))


def step():
    """`with ui.step():` one finding of the page: one screen in presentation mode (ui/screens.py)."""
    from dashboard.ui import screens

    return screens.step(presenting())


def next_step() -> None:
    """Start the next finding (one screen in presentation mode); the previous one ends here."""
    from dashboard.ui import screens

    screens.next_step(presenting())


def end_steps() -> None:
    from dashboard.ui import screens

    screens.end_steps()


def sections(page: str, builders: Mapping[str, Callable[[], None]], present_order: Sequence[str] | None = None) -> None:
    """Build the page's sections (`{key: function drawing it}`, in the switch's order) as the screen wants them.

    At a desk or on a phone: one section at a time, chosen with a segmented control above it (labels
    `<page>.tab_<key>`); the others are not built, so a slider step re-sends and re-renders only what is
    on screen. On a projector (presentation mode): every section, each one finding (`step`), in
    `present_order` (default: the switch's order). One section is always chosen: a second tap on it keeps it
    (`required=True`); a cleared value (an old session) shows the first.
    """
    if presenting():
        for key in present_order or builders:
            with step():
                builders[key]()
        return
    keys = tuple(builders)
    state = section_key(page)
    if state not in st.session_state:  # a link names the section (`?pay_section=budget`); else the first
        linked = st.query_params.get(state)
        st.session_state[state] = linked if linked in keys else keys[0]
    language = lang()  # bound now: the labels do not depend on when they are drawn
    shown = st.segmented_control(t(f"{page}.section_label", language), list(keys), key=state,
                                 format_func=lambda k: t(f"{page}.tab_{k}", language),
                                 required=True, label_visibility="collapsed")
    shown = shown if shown in keys else keys[0]
    # the URL names the section by its key (the same in every language), and only when it is not the first,
    # so the share link reopens it (`shown_section`)
    if st.query_params.get(state) != (shown if shown != keys[0] else None):
        if shown == keys[0]:
            del st.query_params[state]
        else:
            st.query_params[state] = shown
    with st.container():  # a fragment among the builders draws into the block it is called in
        builders[shown]()


def shown_section(page: str) -> str | None:
    """The section a page shows, as its URL names it (None: the first, or a page without sections)."""
    return st.query_params.get(section_key(page))


# ---------------------------------------------------------------- widgets


def _widget_key(param: Param) -> str:
    return f"{param.page}__{param.key}"


def _on_change(param: Param, suffix: str = "") -> None:
    raw = st.session_state[_widget_key(param) + suffix]
    value, _ = param.coerce(list(raw) if param.kind == "multi" else raw)
    set_scenario(scenario().with_values(**{param.key: value}))


NUMBER_SUFFIX = "__number"
WIDE_POSITIONS = 200  # a slider with more positions than this gets a number box for exact figures


def is_wide(param: Param) -> bool:
    """A slider too fine to set by mouse: every report figure must still be reachable (typed)."""
    if param.kind not in ("int", "float") or param.min is None or param.max is None:
        return False
    return (param.max - param.min) / (param.step or 1) > WIDE_POSITIONS


def param_widget(key: str, container=None, **kwargs) -> object:
    """A widget bound to scenario parameter `key`: slider, select, toggle or multiselect.

    In presentation mode the page's controls are hidden: nothing is drawn and the current value returned.
    """
    param = params_by_key()[key]
    where = container or st
    wkey = _widget_key(param)
    current = scenario().get(key)
    if presenting() and param.page != "app":
        return list(current) if param.kind == "multi" else current
    if st.session_state.get(wkey) != (list(current) if param.kind == "multi" else current):
        st.session_state[wkey] = list(current) if param.kind == "multi" else current
    if is_wide(param) and st.session_state.get(wkey + NUMBER_SUFFIX) != current:
        st.session_state[wkey + NUMBER_SUFFIX] = current
    label = param.label(lang()) + (f" ({unit_label(param.unit, lang())})" if param.unit else "")
    help_text = param.help(lang()) or None
    common = {"key": wkey, "on_change": _on_change, "args": (param,), "help": help_text, **kwargs}
    if param.kind in ("int", "float"):
        cast = int if param.kind == "int" else float
        value = where.slider(label, min_value=cast(param.min), max_value=cast(param.max), step=cast(param.step or 1),
                             **common)
        if is_wide(param):  # one pixel of a wide slider is many units: type the exact figure here
            where.number_input(t("common.exact_value", lang(), label=label), min_value=cast(param.min),
                               max_value=cast(param.max), step=cast(param.step or 1), key=wkey + NUMBER_SUFFIX,
                               on_change=_on_change, args=(param, NUMBER_SUFFIX))
        return value
    if param.kind == "bool":
        return where.toggle(label, **common)
    if param.kind == "text":
        return where.text_input(label, max_chars=int(param.max or 60), **common)
    options = list(param.choices)
    fmt = _choice_formatter(param)
    if param.kind == "multi":
        return where.multiselect(label, options, format_func=fmt, **common)
    return where.selectbox(label, options, format_func=fmt, **common)


def _choice_formatter(param: Param):
    language = lang()  # captured now: the formatter may run outside the script run (AppTest, reruns)

    def fmt(option: str) -> str:
        try:
            return t(f"choices.{param.key}.{option}", language)
        except KeyError:
            return option

    return fmt


# ---------------------------------------------------------------- charts

_FIGURES_MAX = 96


@st.cache_resource(max_entries=_FIGURES_MAX, show_spinner=False)
def _figure(key: str, scenario_: Scenario, lang_: str, overlay_token: str, database_token: str, deps: tuple,
            _build: Callable[[], Any]) -> Any:
    return _build()


def cached_figure(key: str, build: Callable[[], Any], deps: tuple = (), by_scenario: bool = True) -> Any:
    """`build()`, memoised by (key, scenario, language, overlay, database, deps), shared by sessions.

    A page switch, or a rerun that changes nothing the chart is drawn from, shows the same figure;
    building it again costs 10-40 ms of plotly per chart (bench/RESULTS.md). `deps` carries
    anything else the builder reads (e.g. a page-local view choice). Figures are shared between
    sessions (st.cache_resource, least recently used dropped past 96), so treat them as read-only:
    st.plotly_chart copies a figure before serialising it. `by_scenario=False` is for a chart no scenario
    value changes (e.g. the beds page's map of facilities): a slider step then finds it built.
    """
    return _figure(key, scenario() if by_scenario else None, lang(), overlay().token, db.database_token(), deps,
                   build)


def plotly_chart(key: str, build: Callable[[], Any], deps: tuple = (), present_height: int | None = None,
                 by_scenario: bool = True, **kwargs: Any) -> None:
    """st.plotly_chart of `build()` (memoised, see `cached_figure`), with `key` as the element key.

    Styled for the reader (`styled`), with plotly's modebar off (it sat over titles and legends on
    phones; every chart has PNG/SVG downloads under the page).
    """
    language, present = lang(), presenting()
    fig = cached_figure(key, lambda: figure_style.styled(build(), language, present, present_height),
                        deps + (present, present_height), by_scenario)
    config = {**kwargs.pop("config", {}), **figure_style.CHART_CONFIG}
    plotly_react.plotly_react(fig, key, config)  # updated in place on a slider step (ui/plotly_react.py)


def svg_map(key: str, build: Callable[[], Any], title: str, deps: tuple = (), max_height: str = "80vh") -> None:
    """The plotly map figure `build()` drawn on the server as inline SVG (core/figsvg.py), memoised as
    `cached_figure`, in a component keyed `key` (ui/plotly_react.py `svg_markup`): a slider step sends markup instead
    of remounting a plotly map, and the browser replaces it only when it changed. The traces marked as the
    scenario's (`figsvg.SCENARIO_META`) are replaced alone when only they changed."""
    base, layer = cached_figure(key + "_svg", lambda: figsvg.map_svg_parts(build(), title, max_height=max_height),
                                deps + (max_height,))
    plotly_react.svg_markup(base, key, layer)  # our own markup; every text in it is escaped (figsvg.svg_text)


# ---------------------------------------------------------------- numbers and sources


@st.cache_resource(show_spinner=False)
def _sources_table(token: str, overlay_token: str = "", _overlay: db.Overlay | None = None) -> dict[str, dict[str, str]]:
    # keyed by overlay_token: an upload registers its own source in the session overlay's `sources`.
    # cache_resource, not cache_data: a page asks ~50 times a rerun, and cache_data returns a fresh
    # copy (unpickled) each time. Callers only read it.
    frame = db.run_query("sources_list", overlay=_overlay)
    return {row["source_id"]: row for row in frame.to_dict("records")}


# (database, overlay) tokens -> (the sources table, texts made from it: tooltips and source lines)
_last_sources: tuple[tuple[str, str], dict, dict] | None = None


def _sources() -> tuple[dict, dict]:
    global _last_sources
    ov = overlay()
    key = (db.database_token(), ov.token)
    last = _last_sources  # one read: another session's thread may replace it meanwhile
    if last is None or last[0] != key:  # a page asks ~400 times a rerun; st.cache_resource costs ~0.3 ms a call
        last = _last_sources = (key, _sources_table(*key, ov), {})
    return last[1], last[2]


def source_info(source_id: str) -> dict[str, str]:
    table = _sources()[0]
    return table.get(source_id, {"source_id": source_id, "kind": "?", "title": source_id})


def _memo_text(kind: str, source_ids: Sequence[str], make: Callable[[], str], short: bool = False) -> str:
    """`make()`, kept with the sources table it was made from (a tile asks for the same text every rerun)."""
    texts = _sources()[1]
    key = (kind, tuple(source_ids), lang(), short)
    text = texts.get(key)
    if text is None:
        text = texts[key] = make()
    return text


def source_text(source_ids: Sequence[str], short: bool = False) -> str:
    """'Source: <kind> · <title>' for each id in the session's language.

    With `short` (tiles), only the kinds are named, once each: the tile's tooltip carries the titles,
    and the quote beside a report figure already says where it stands.
    """
    return _memo_text("line", source_ids, lambda: _source_text(source_ids, short), short)


def _source_text(source_ids: Sequence[str], short: bool) -> str:
    parts: list[str] = []
    for sid in source_ids:
        info = source_info(sid)
        kind = info.get("kind")
        label = tr(f"common.kind_{kind}") if kind in _KINDS else str(kind)
        text = label if short else f"{label} · {info.get('title') or sid}"
        if text not in parts:
            parts.append(text)
    return tr("common.source") + ": " + (tr("common.sources_sep_short") if short else "; ").join(parts)


def source_help(source_ids: Sequence[str]) -> str:
    """Full source descriptions (title, publisher, date, note) for a tooltip."""
    return _memo_text("help", source_ids, lambda: _source_help(source_ids))


def _source_help(source_ids: Sequence[str]) -> str:
    lines = []
    for sid in source_ids:
        info = source_info(sid)
        # an upload's title, publisher and note are the user's text (a tooltip is Markdown): escaped
        bits = [md_escape(info.get(k)) for k in ("title", "publisher", "date") if info.get(k)]
        lines.append(" · ".join(bits) + (f"  \n{md_escape(info['note'])}" if info.get("note") else ""))
    return "  \n\n".join(lines)


_KINDS = ("report", "official_statistics", "standard", "map_data", "assumption", "illustrative")


def source_kinds_text(source_ids: Sequence[str]) -> str:
    """'Source: report · illustrative' — the kinds of the sources only, each once (presentation mode)."""
    kinds = dict.fromkeys(str(source_info(sid).get("kind")) for sid in source_ids)
    labels = [tr(f"common.kind_{k}") if k in _KINDS else k for k in kinds]
    return tr("common.source") + ": " + " · ".join(labels)


def baseline_delta(metric: Metric, ref: Metric | None, language: str) -> tuple[str | None, str | None]:
    """(delta, description) for a tile: the difference with its unit, and the baseline figure itself."""
    if ref is None or ref.formatted(language) == metric.formatted(language):
        return None, None
    from dashboard.exports.tables import baseline_text, difference_text

    described = t("common.vs_baseline", language) + " " + baseline_text(metric, ref, language)
    diff = difference_text(metric, ref, language)
    return (described, None) if diff == "—" else (diff, described)


def metric_tiles(metrics: Sequence[Metric], columns: int = 4, baseline: Sequence[Metric] | None = None) -> None:
    """Big-number tiles; each shows its source below, and the difference from the baseline when given."""
    base = {m.key: m for m in baseline or ()}
    cols = st.columns(min(columns, max(len(metrics), 1)))
    for i, metric in enumerate(metrics):
        with cols[i % len(cols)], st.container(border=True):
            delta, described = baseline_delta(metric, base.get(metric.key), lang())
            st.metric(metric.label(lang()), metric.formatted(lang()), delta=delta, delta_color="off",
                      delta_arrow="auto" if described else "off", delta_description=described,
                      help=source_help(metric.source_ids))
            note = metric.note(lang())
            span = metric.range_text(lang())  # within the assumptions' plausible bands (core/ranges.py)
            span = f"{tr('ranges.range')} {span} · " if span else ""
            if not presenting():  # full titles are in the tooltip; the caption stays readable
                st.caption(span + (note + " · " if note else "") + source_text(metric.source_ids, short=True))
            else:  # on a projector the tile is the number: the source line names the kinds only
                st.caption(span + source_kinds_text(metric.source_ids))


@contextmanager
def lazy_expander(label: str, key: str, expanded: bool = False) -> Iterator[bool]:
    """An expander whose content is built and sent only while it is open (yields whether it is).

    A closed expander's elements are still sent and rendered by the browser on every rerun (hidden); a slider
    step should not pay for settings, tables and source lists nobody has opened. Opening it reruns the script
    (or the fragment it sits in). Widgets inside lose nothing when it closes: their values live in the
    scenario (`param_widget`), not in the widget. Tests open one with `at.session_state[key] = True`.
    """
    with st.expander(label, expanded=expanded, key=key, on_change="rerun") as box:
        yield bool(box.open)


def report_quotes(quotes: dict[str, dict]) -> None:
    """The report's words behind the page's figures, as one Markdown list (one element, not one per quote).

    Each line: the quote, the area (if named), the figure (with its unit where the quote has one), where
    in the report it stands, and its source in words. Quote, area and locator are the data's text: escaped.
    """
    lines = []
    for _, q in sorted(quotes.items()):  # member-facing: the figure in words, not its id
        if q.get("unit"):
            figure = format_value(q["value"], q["unit"], 0 if float(q["value"]).is_integer() else 2, lang())
        else:
            figure = f"{q['value']:,.4g}"
        area = f"{md_escape(q['area_name'])} " if q.get("area_name") else ""
        lines.append(f"- “{md_escape(q['quote'])}” — {area}{figure} · {md_escape(q['locator'])} · "
                     f"{source_text([q['source_id']])}")
    st.markdown("\n".join(lines))


def key_columns(frame: Any, keys: Sequence[str]) -> dict[str, Any]:
    """column_config pinning `keys` (a table's key columns): they stay in view when a phone scrolls the table."""
    return {c: st.column_config.Column(pinned=True) for c in keys if c in frame.columns}


def static_table(frame: Any, alt: str | None = None) -> None:
    """A short table as HTML rows (`st.table`), every header and cell shown as literal text.

    For tables of a few dozen cells that a reader reads rather than sorts (the baseline-vs-scenario
    comparison, a projected top four): the text wraps on a phone and scales with presentation mode's CSS,
    and a rerun updates the rows in the same pass as the rest of the page. `st.dataframe`'s grid updated
    its cells ~0.2 s after everything else on every slider step (measured in Chromium, bench/RESULTS.md).
    `st.table` reads cells as Markdown, so each text is escaped (`md_escape`): a name from an upload
    stays a name.
    """
    safe = frame.rename(columns=lambda c: md_escape(c)).map(lambda v: md_escape(v) if isinstance(v, str) else v)
    st.table(safe, hide_index=True, border="horizontal", alt=alt)


def dataset_label(name: str) -> str:
    """A dataset's name for people (e.g. 社区卫生服务机构), in the session's language."""
    try:
        return tr(f"data.ds_{name}")
    except KeyError:
        return name


def overlay_banner(where=None) -> None:
    """Which datasets this session has replaced with uploads, and that everything else is shipped."""
    names = overlay().user_datasets
    target = where or st
    if names:
        target.warning(tr("data.banner_user", datasets=join_list((dataset_label(n) for n in names), lang())),
                       icon=":material/upload_file:")


def illustrative_banner(tables: tuple[str, ...] = (), text_key: str = "common.illustrative_banner") -> None:
    """The notice that demonstration data is not fact, shown while any of `tables` (this session's view of
    them) is still illustrative; once uploads replaced them all, a note that the page uses the upload."""
    from dashboard.core import labels

    if tables and not labels.tables_illustrative(tables, overlay() or None):
        st.success(tr("common.upload_in_use"), icon=":material/check_circle:")
        return
    if text_key == "common.illustrative_banner" and not _report_calibrated():
        text_key = "common.illustrative_banner_generic"  # another city's demo layer: not the report's totals
    st.info(tr(text_key), icon=":material/info:")


def _report_calibrated() -> bool:
    """Whether the data folder holds a report (a source of kind 'report') its demo layer is calibrated to."""
    return bool((db.frames(overlay() or None)["sources"]["kind"] == "report").any())
