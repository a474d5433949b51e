"""Streamlit entrypoint: page config, navigation, and the shared sidebar (language, presentation, scenario)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import freeze_startup_objects, hearing, ui
from dashboard.db import DataError, get_database
from dashboard.safetext import code_span

# The icon is a file, not an emoji: Streamlit checks an emoji string against its emoji table, a
# one-off ~35-100 ms regex compile on the first page (measured); an SVG file costs ~2 ms and is
# sent as a data: URL (offline).
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.svg"
st.set_page_config(page_title="社区治理决策看板 · Community Governance Dashboard", page_icon=FAVICON, layout="wide")

ui.init_session()

try:
    get_database()
except DataError as exc:  # shipped data broken: say exactly where, never a traceback
    st.error(ui.tr("common.data_error_title"))
    st.code(str(exc), language=None)
    st.stop()
freeze_startup_objects()  # once per process: later garbage collections skip the libraries and the database

PAGES = [
    ("app_pages/overview.py", "nav.overview", ":material/home:", True),
    ("app_pages/coverage.py", "nav.coverage", ":material/local_hospital:", False),
    ("app_pages/beds.py", "nav.beds", ":material/bed:", False),
    ("app_pages/pay.py", "nav.pay", ":material/payments:", False),
    ("app_pages/data.py", "nav.data", ":material/upload_file:", False),
    ("app_pages/sources.py", "nav.sources", ":material/menu_book:", False),
]

pages = [
    st.Page(path, title=ui.tr(key), icon=icon, default=default, url_path=path.split("/")[-1][:-3])
    for path, key, icon, default in PAGES
]
page = st.navigation(pages, position="hidden" if ui.presenting() else "sidebar")
page_key = page.url_path or "overview"

with st.sidebar:
    st.markdown(f"### {ui.tr('common.app_title')}")
    ui.param_widget("lang")
    ui.param_widget("present")
    ui.overlay_banner()
    if not ui.presenting():
        hearing.sidebar()

for notice in ui.pop_notices():
    st.toast(ui.tr("common.url_notice", notice=code_span(notice)), icon=":material/warning:")  # link text: never Markdown

ui.sync_url()
hearing.begin_page(page_key)
hearing.page_header(page_key)  # presentation mode: large type, no controls, summary sentence first
page.run()
hearing.end_page(page_key)  # link, baseline vs scenario, saved scenarios, brief and downloads
