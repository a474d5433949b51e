"""Streamlit entrypoint: page config, navigation, and the shared sidebar (language, presentation, scenario)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import freeze_startup_objects, registry
from dashboard.core.safetext import code_span
from dashboard.data.city import CityConfigError
from dashboard.data.db import get_database, sources_pinned
from dashboard.data.load import DataError
from dashboard.ui import hearing, readiness
from dashboard.ui import widgets as ui
from dashboard.ui.delta_batch import batched

# The icon is a PNG file (drawn by scripts/make_favicon.py from assets/favicon.svg). Not an emoji:
# Streamlit checks an emoji string against its emoji table, a one-off ~35-100 ms regex compile on the
# first page. Not the SVG: Streamlit sets the icon again on every rerun and Chromium parses an SVG icon
# into a document of its own each time (9-20 ms of the page's main thread per slider step).
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.png"
st.set_page_config(page_title="社区治理决策看板 · Community Governance Dashboard", page_icon=FAVICON, layout="wide")


def main() -> None:
    ui.init_session()

    try:
        get_database()
    except (DataError, CityConfigError) as exc:  # shipped data broken: say exactly where, never a traceback
        st.error(ui.tr("common.data_error_title"))
        st.code(str(exc), language=None)
        st.stop()
    freeze_startup_objects()  # once per process: later garbage collections skip the libraries and the database

    pages = [st.Page(p.script, title=ui.tr(f"nav.{p.key}"), icon=p.icon, default=p is registry.PAGES[0], url_path=p.key)
             for p in registry.PAGES]
    page = st.navigation(pages, position="hidden" if ui.presenting() else "sidebar")
    page_key = page.url_path or registry.PAGES[0].key

    with st.sidebar:
        st.markdown(f"### {ui.tr('common.app_title')}")
        ui.param_widget("lang")
        ui.param_widget("present")
        ui.overlay_banner()
        if not ui.presenting():
            hearing.sidebar()

    for notice in ui.pop_notices():
        st.toast(ui.tr("common.url_notice", notice=code_span(notice)), icon=":material/warning:")  # link text: never Markdown

    ui.sync_url(page_key)
    if not readiness.gate(page_key):  # a dataset the page needs is empty: which files to supply, not a traceback
        return
    hearing.begin_page(page_key)
    hearing.page_header(page_key)  # presentation mode: large type, no controls, summary sentence first
    page.run()
    hearing.end_page(page_key)  # link, baseline vs scenario, saved scenarios, brief and downloads


# The source files are stat-ed once for the whole run (every database lookup of the run reuses it), and the
# run's elements reach the browser in one burst (ui/delta_batch.py: one render, not one per element).
with sources_pinned(), batched():
    main()
