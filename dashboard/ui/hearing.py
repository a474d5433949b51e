"""Hearing and sharing pieces every page shares: link, baseline vs scenario, saved scenarios, presentation, downloads.

`dashboard/app.py` calls `page_header(page)` before a page and `page_footer(page)` after it (unless the
page placed the footer itself with `hearing.page_footer("<page>")`), and `sidebar()` for the scenario
manager. Numbers come from `dashboard.exports.content.page_results`, i.e. the same Metrics as the page tiles,
the CLI and the brief.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from dashboard import registry
from dashboard.core.safetext import code_span, md_escape
from dashboard.core.scenario import Scenario, scenarios_from_json, scenarios_to_json
from dashboard.core.text import download_name
from dashboard.exports import brief, content, images, provenance, tables
from dashboard.exports.tables import csv_bytes
from dashboard.ui import screens
from dashboard.ui import widgets as ui

_SAVED = "hearing_saved"  # [(name, Scenario), ...]
_UPLOADS_SEEN = "hearing_uploads_seen"
_FOOTER_DONE = "_hearing_footer_done"
_PAGE = "_hearing_page"



# ---------------------------------------------------------------- run bookkeeping (called by app.py)


def begin_page(page: str) -> None:
    """Note which page this run shows (app.py, before `page.run()`)."""
    st.session_state[_PAGE] = page
    st.session_state[_FOOTER_DONE] = None


def end_page(page: str) -> None:
    """Add the footer unless the page placed it itself (app.py, after `page.run()`)."""
    screens.end_steps()
    if st.session_state.get(_FOOTER_DONE) != page and registry.page(page).in_brief:
        page_footer(page)


def _overlay():
    return ui.overlay() or None


# ---------------------------------------------------------------- links


def app_base_url() -> str:
    """The dashboard's public address (DASHBOARD_PUBLIC_URL) when configured, else the root URL as the
    browser sees it (falls back to localhost:8501)."""
    if public := content.public_url():
        return public
    try:
        url = st.context.url
    except Exception:  # no browser context (AppTest, bare mode)
        url = None
    if not url:
        return content.base_url()
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    current = registry.page(st.session_state[_PAGE]).url_path if st.session_state.get(_PAGE) else ""
    if current and path.endswith("/" + current):
        path = path[: -len(current) - 1]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def link(page: str, present: bool | None = False) -> str:
    """The URL that reopens `page` with the session's scenario (language kept, presentation optional), on the
    section shown (a projector shows every section)."""
    section = None if present else ui.shown_section(page)
    return content.view_link(ui.scenario(), page, lang=ui.lang(), base=app_base_url(), present=present,
                             section=section)


# The share link is a plain link with a copy button, not st.code: st.code makes the browser load
# Streamlit's 1.5 MB syntax-highlighter chunk, on every page, for two lines of text. One delegated
# click handler serves every copy button; where the Clipboard API is missing (plain http on another
# host than localhost) it falls back to execCommand, and failing that selects the link for Ctrl+C.
_COPY_CSS = """<style>
.share-link {display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; margin: 0.1rem 0 0.2rem 0;}
.share-link a {word-break: break-all; font-family: "Source Code Pro", monospace; font-size: 0.85rem;
  flex: 1 1 20rem; padding: 0.45rem 0.7rem; background: #F0F2F6; border-radius: 0.5rem; color: #0054A3;}
.share-link button {font: inherit; font-size: 0.9rem; padding: 0.3rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid rgba(49, 51, 63, 0.2); background: #fff; color: #31333F; white-space: nowrap;}
.share-link button:hover {border-color: #0072B2; color: #0072B2;}
</style>"""
_COPY_JS = """<script>
(() => {
  if (window.__dashboardCopyLink) return;
  window.__dashboardCopyLink = true;
  const fallback = (text) => {
    const area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  };
  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    let ok = false;
    try { await navigator.clipboard.writeText(button.dataset.copy); ok = true; } catch (e) { ok = fallback(button.dataset.copy); }
    if (ok) {
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label; button.textContent = button.dataset.done;
      setTimeout(() => { button.textContent = label; }, 2000);
    } else {
      const anchor = button.parentElement.querySelector("a");
      const range = document.createRange(); range.selectNodeContents(anchor);
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }
  });
})();
</script>"""


def copy_box_html(url: str, button: str, done: str) -> str:
    """The link as text (selectable, clickable) and a button that copies it; every value HTML-escaped."""
    u = html.escape(url, quote=True)
    return (f'{_COPY_CSS}<div class="share-link"><a href="{u}" target="_blank">{u}</a>'
            f'<button type="button" data-copy="{u}" data-done="{html.escape(done, quote=True)}">'
            f"{html.escape(button)}</button></div>{_COPY_JS}")


def copy_box(url: str) -> None:
    st.html(copy_box_html(url, ui.tr("hearing.copy_button"), ui.tr("hearing.copied")), unsafe_allow_javascript=True)


def share_link(page: str) -> None:
    """The copy-link control: the link with a copy button, and the presentation-mode link in an expander."""
    st.markdown(f"**:material/link: {ui.tr('hearing.copy_link')}**")
    url = link(page)
    if content.link_is_local(url):
        st.warning(ui.tr("hearing.link_local_warning", host=code_span(content.link_host(url))),  # verbatim, no visible escapes
                   icon=":material/wifi_off:")
    copy_box(url)
    st.caption(ui.tr("hearing.copy_link_help"))
    with st.expander(ui.tr("hearing.present_link")):
        copy_box(link(page, present=True))


# ---------------------------------------------------------------- baseline vs scenario


def comparison_frame(page: str) -> pd.DataFrame:
    """Headline figures of `page`: baseline, scenario and difference, as shown on screen."""
    lang = ui.lang()
    scenario = ui.scenario()
    res = content.page_results(page, scenario, lang, _overlay())
    base = content.page_results(page, scenario.baseline(), lang, _overlay())
    frame = tables.metrics_frame(res["metrics"], lang, base["metrics"])
    keep = [ui.tr(f"hearing.col_{c}") for c in ("indicator", "baseline", "scenario", "difference")]
    return frame[keep]


def comparison(page: str) -> None:
    """Baseline (report defaults) next to the current scenario, with the difference, for every headline number."""
    if ui.scenario().is_baseline():
        st.caption(ui.tr("hearing.compare_same"))
    ui.static_table(comparison_frame(page), alt=ui.tr("hearing.compare_title"))


# ---------------------------------------------------------------- saved scenarios


def saved() -> list[tuple[str, Scenario]]:
    return st.session_state.setdefault(_SAVED, [])


def _with_view(scenario: Scenario) -> Scenario:
    """`scenario`'s assumptions with the session's language and presentation setting."""
    current = ui.scenario()
    merged = {**scenario.changes(), "lang": current.get("lang"), "present": current.get("present")}
    return Scenario.from_values(merged)[0]


def _save(name_key: str) -> None:
    name = (st.session_state.get(name_key) or "").strip()[:80]
    name = name or ui.tr("hearing.scenario_name_default", n=len(saved()) + 1)
    items = [(n, s) for n, s in saved() if n != name]
    view = {"lang", "present"}
    model_only = Scenario.from_values({k: v for k, v in ui.scenario().changes().items() if k not in view})[0]
    st.session_state[_SAVED] = [*items, (name, model_only)]
    st.session_state[name_key] = ""
    st.toast(ui.tr("hearing.saved", name=md_escape(name)), icon=":material/save:")


def _apply(select_key: str) -> None:
    names = dict(saved())
    choice = st.session_state.get(select_key)
    if choice in names:
        ui.set_scenario(_with_view(names[choice]))


def _reset() -> None:
    ui.set_scenario(_with_view(Scenario.default()))


def _delete(select_key: str) -> None:
    choice = st.session_state.get(select_key)
    st.session_state[_SAVED] = [(n, s) for n, s in saved() if n != choice]


def _read_upload(upload_key: str) -> None:
    upload = st.session_state.get(upload_key)
    if upload is None:
        return
    seen = st.session_state.setdefault(_UPLOADS_SEEN, set())
    if upload.file_id in seen:
        return
    seen.add(upload.file_id)
    try:
        named, notices = scenarios_from_json(upload.getvalue()[:1_000_000])
    except ValueError as exc:
        st.session_state["_hearing_upload_error"] = str(exc)
        return
    items = list(saved())
    for i, (name, scenario) in enumerate(named):
        name = name or f"{upload.name.rsplit('.', 1)[0][:60]} {i + 1}"
        items = [(n, s) for n, s in items if n != name] + [(name, scenario)]
    st.session_state[_SAVED] = items
    st.session_state["_hearing_upload_notices"] = notices
    st.session_state["_hearing_uploaded"] = len(named)


SCENARIOS_KEY = "hearing_scenarios_open"  # the sidebar's saved-scenarios expander (tests open it by this key)


def scenario_manager() -> None:
    """Save the current scenario under a name, apply or delete a saved one, download/upload them as JSON."""
    name_key, select_key, upload_key = "hearing_name", "hearing_choose", "hearing_upload"
    st.text_input(ui.tr("hearing.scenario_name"), key=name_key, max_chars=80,
                  placeholder=ui.tr("hearing.scenario_name_default", n=len(saved()) + 1))
    st.button(ui.tr("hearing.save_scenario"), on_click=_save, args=(name_key,), key="hearing_save", width="stretch")
    if saved():
        st.selectbox(ui.tr("hearing.choose_scenario"), [n for n, _ in saved()], key=select_key)
        left, right = st.columns(2)
        left.button(ui.tr("hearing.apply"), on_click=_apply, args=(select_key,), key="hearing_apply",
                    help=ui.tr("hearing.apply_help"), width="stretch")
        right.button(ui.tr("hearing.delete"), on_click=_delete, args=(select_key,), key="hearing_delete",
                     width="stretch")
        st.download_button(ui.tr("hearing.download_json"), scenarios_to_json(saved()), "scenarios.json",
                           "application/json", key="hearing_dl_saved", on_click="ignore", width="stretch")
    else:
        st.caption(ui.tr("hearing.no_saved"))
    current = [(ui.tr("hearing.current_name"), Scenario.from_values(
        {k: v for k, v in ui.scenario().changes().items() if k not in ("lang", "present")})[0])]
    st.download_button(ui.tr("hearing.download_current_json"), scenarios_to_json(current), "scenario.json",
                       "application/json", key="hearing_dl_current", on_click="ignore", width="stretch")
    st.file_uploader(ui.tr("hearing.upload_json"), type=["json"], key=upload_key, on_change=_read_upload,
                     args=(upload_key,))
    if error := st.session_state.pop("_hearing_upload_error", None):
        st.error(ui.tr("hearing.upload_error", error=md_escape(error)))
    if n := st.session_state.pop("_hearing_uploaded", None):
        st.success(ui.tr("hearing.uploaded", n=n))
    for notice in st.session_state.pop("_hearing_upload_notices", []) or []:
        st.warning(ui.tr("hearing.upload_notice", notice=code_span(notice)))  # file text: never Markdown


def saved_comparison(page: str) -> None:
    """Scenario × headline figures for the baseline, the current scenario and every saved one."""
    named = [(ui.tr("hearing.baseline_name"), ui.scenario().baseline()),
             (ui.tr("hearing.current_name"), ui.scenario()), *saved()]
    pages = [page] if page != "overview" and page in content.available_pages() else None
    frame = tables.scenario_headline_table(named, ui.lang(), _overlay(), pages=pages)
    st.dataframe(frame, hide_index=True, width="stretch")
    st.caption(ui.tr("hearing.compare_table_caption"))


# ---------------------------------------------------------------- sidebar


def sidebar() -> None:
    """Scenario status, reset, and the saved-scenario manager (inside `with st.sidebar:`)."""
    changed = len(ui.scenario().model_values())
    st.markdown(f"**{ui.tr('hearing.sidebar_scenario')}** · " + (
        ui.tr("hearing.sidebar_changed", n=changed) if changed else ui.tr("hearing.sidebar_default")))
    if changed:
        st.button(ui.tr("hearing.reset"), on_click=_reset, key="hearing_reset", width="stretch")
    # lazy: the name box, the buttons, the two JSON downloads and the uploader are built only while open
    with ui.lazy_expander(ui.tr("hearing.scenarios_title"), key=SCENARIOS_KEY) as shown:
        if shown:
            scenario_manager()


# ---------------------------------------------------------------- presentation mode

_PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stDecoration"], header[data-testid="stHeader"], [data-testid="stExpandSidebarButton"],
[data-testid="stDownloadButton"], [data-testid="stFileUploader"], [data-testid="stButtonGroup"] {display: none !important;}
html {font-size: 20px;}
@media (min-width: 1600px) {html {font-size: 24px;}}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 1.2rem !important; max-width: 100% !important;
  padding-left: 2.5rem !important; padding-right: 2.5rem !important;}
h1 {font-size: 2.2rem !important; padding-top: 0 !important;}
/* the tile's number: beats the shrink-to-fit rule and the 1rem text rule (ui/screens.py), which also reach
   the markdown the value is drawn with */
html body [data-testid="stMain"] [data-testid="stMetricValue"],
html body [data-testid="stMain"] [data-testid="stMetricValue"] > div,
html body [data-testid="stMain"] [data-testid="stMetricValue"] p {font-size: 2.1rem !important; font-weight: 700;
  line-height: 1.15;}
[data-testid="stMetricValue"] > div {white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; line-height: 1.15;}
[data-testid="stMetricLabel"] p {font-size: 1.05rem !important;}
[data-testid="stMetricDelta"] {font-size: 1rem !important;}
.hearing-summary {font-size: 1.35rem; line-height: 1.5; padding: 0.6rem 1rem; border-left: 0.4rem solid #0072B2;
  background: #F3F7FB; margin: 0.3rem 0 0.8rem 0; color: #1F2A37;}
</style>
"""


def presentation_css() -> None:
    """Hide the sidebar and toolbar; large type and big-number tiles, legible at 1280×720 and 1920×1080."""
    st.html(_PRESENT_CSS)


def _set_present(value: bool) -> None:
    ui.set_scenario(ui.scenario().with_values(present=value))


def presentation_bar(page: str) -> None:
    """Exit, previous and next, at the top of the screen while presenting."""
    order = content.available_pages()  # the brief's slides, in navigation order
    i = order.index(page) if page in order else -1
    cols = st.columns([2, 2, 2, 3])
    cols[0].button("✕ " + ui.tr("hearing.present_exit"), on_click=_set_present, args=(False,), key="hearing_exit")
    if i > 0:  # keyed: PageUp on the first finding follows this link (ui/screens.py)
        with cols[1].container(key="present_nav_prev"):
            st.page_link(registry.page(order[i - 1]).script, label="◀ " + ui.tr(f"nav.{order[i - 1]}"))
    if 0 <= i < len(order) - 1:
        with cols[2].container(key="present_nav_next"):
            st.page_link(registry.page(order[i + 1]).script, label=ui.tr(f"nav.{order[i + 1]}") + " ▶")
    cols[3].caption(ui.tr("hearing.present_keys"))


def summary_banner(text: str) -> None:
    st.markdown(f"<div class='hearing-summary'>{html.escape(text)}</div>", unsafe_allow_html=True)


def page_header(page: str) -> None:
    """Before a page: tile styles; in presentation mode, the bar and the page's summary sentence up top."""
    screens.base_css(ui.lang())
    screens.reset_steps()
    if not ui.presenting():
        return
    presentation_css()
    screens.presentation_css()
    presentation_bar(page)
    if registry.page(page).in_brief and not registry.page(page).own_summary:
        summary_banner(content.page_results(page, ui.scenario(), ui.lang(), _overlay())["summary"])


# ---------------------------------------------------------------- downloads


def downloads(page: str) -> None:
    """The brief (PPTX/PDF), CSV/XLSX of every table and PNG/SVG of every chart, each made on click."""
    lang, scenario, overlay, base = ui.lang(), ui.scenario(), _overlay(), app_base_url()
    problem = images.renderer_problem(lang)
    st.caption(ui.tr("hearing.brief_help"))
    if problem:
        st.warning(ui.tr("hearing.renderer_missing"))
    left, middle, right = st.columns(3)
    for col, fmt, mime in ((left, "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                           (middle, "pdf", "application/pdf"), (right, "html", "text/html")):
        col.download_button(
            ui.tr(f"hearing.brief_{fmt}"), data=_brief_maker(scenario, fmt, lang, overlay, base),
            file_name=provenance.brief_file_name(lang, fmt), mime=mime, key=f"hearing_{page}_brief_{fmt}",
            on_click="ignore", type="primary" if fmt != "html" else "secondary",
            icon=":material/slideshow:" if fmt != "html" else ":material/offline_pin:", width="stretch")

    # File contents and names: dashboard/exports/provenance.py (provenance column, cover sheet, labels).
    frames = tables.page_tables(page, scenario, lang, overlay)
    st.markdown(f"**{ui.tr('hearing.tables')}**")
    cols = st.columns(min(len(frames) + 1, 4))
    for i, name in enumerate(frames):
        cols[i % len(cols)].download_button(
            provenance.table_label(page, name, lang) + " · CSV", data=_csv_maker(page, name, scenario, lang, overlay),
            file_name=provenance.table_file_name(page, name, lang), mime="text/csv",
            key=f"hearing_{page}_csv_{name}", on_click="ignore", width="stretch")
    cols[len(frames) % len(cols)].download_button(
        ui.tr("hearing.xlsx_all"), data=_xlsx_maker(page, scenario, lang, overlay, base),
        file_name=provenance.workbook_file_name(page, lang),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"hearing_{page}_xlsx",
        on_click="ignore", width="stretch")

    names = content.figure_names(page)
    if names:
        st.markdown(f"**{ui.tr('hearing.charts')}**")
        for name in names:
            c1, c2, c3 = st.columns([2, 1, 1])
            title = download_name(name, lang)
            c1.markdown(md_escape(title))
            for col, fmt, mime in ((c2, "png", "image/png"), (c3, "svg", "image/svg+xml")):
                col.download_button(fmt.upper(), data=_image_maker(page, name, fmt, scenario, lang, overlay),
                                    file_name=provenance.chart_file_name(page, name, lang, fmt), mime=mime, key=f"hearing_{page}_{name}_{fmt}",
                                    on_click="ignore", disabled=bool(problem), width="stretch")


# Deferred download data: these run when the user clicks, outside the script run, so they capture
# plain values (no session state).
def _brief_maker(scenario, fmt, lang, overlay, base):
    return lambda: brief.brief_bytes(scenario, fmt, lang, overlay, base=base)


def _csv_maker(page, name, scenario, lang, overlay):
    return lambda: csv_bytes(provenance.labelled_tables(page, scenario, lang, overlay)[name])


def _xlsx_maker(page, scenario, lang, overlay, base):
    return lambda: provenance.workbook_bytes(page, scenario, lang, overlay, base)


def _image_maker(page, name, fmt, scenario, lang, overlay):
    return lambda: images.figure_image(provenance.labelled_figure(page, name, scenario, lang, overlay), fmt)


# ---------------------------------------------------------------- the footer


def page_footer(page: str, summary: bool | None = None) -> None:
    """Everything a hearing needs under a page, in one call: `hearing.page_footer("coverage")`.

    Summary sentence (unless the page prints its own), baseline vs scenario, the share link, saved
    scenarios compared in a table, and the downloads. In presentation mode only the comparison shows.
    """
    st.session_state[_FOOTER_DONE] = page
    show_summary = not registry.page(page).own_summary if summary is None else summary
    if ui.presenting():
        if not ui.scenario().is_baseline() and page != "overview":
            st.subheader(ui.tr("hearing.compare_title"))
            comparison(page)
        return
    st.divider()
    if show_summary and registry.page(page).in_brief:
        text = content.page_results(page, ui.scenario(), ui.lang(), _overlay())["summary"]
        st.markdown(f"**{ui.tr('hearing.summary_label')}** · {text}")
    if page != "overview":
        with st.expander(ui.tr("hearing.compare_title"), expanded=not ui.scenario().is_baseline()):
            comparison(page)
    share_link(page)
    footer_extras(page)


def lazy_keys(page: str) -> dict[str, str]:
    """Session-state keys of the footer's lazy expanders ({part: key}); True opens one (tests set them)."""
    return {part: f"hearing_{page}_{part}_open" for part in ("saved", "downloads")}


@st.fragment
def footer_extras(page: str) -> None:
    """The saved-scenario table and the downloads, each built only while its expander is open.

    Lazy (`on_change="rerun"`): a slider step neither computes the saved scenarios' figures nor sends ~20
    download buttons the reader has not asked for. A fragment: opening or closing one reruns this part only.
    """
    keys = lazy_keys(page)
    if page != "overview":
        with ui.lazy_expander(ui.tr("hearing.compare_saved_title"), key=keys["saved"]) as shown:
            if shown:
                saved_comparison(page)
    with ui.lazy_expander(ui.tr("hearing.downloads_title"), key=keys["downloads"]) as shown:
        if shown:
            downloads(page)
