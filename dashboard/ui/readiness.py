"""A page whose datasets are still empty (a new city's folder): say which files to supply, with their templates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.core.safetext import md_escape
from dashboard.core.text import by_lang, t
from dashboard.data import readiness
from dashboard.data.schemas import DATASETS
from dashboard.ui import widgets as ui

_SKELETON_COLUMNS = ("code", "name", "central", "subdistricts", "committees", "subdistrict_names")


def gate(page_key: str) -> bool:
    """True when the page can run; otherwise shows what to supply (and, on the overview, the city's skeleton)."""
    missing = readiness.missing(page_key, ui.overlay())
    if not missing:
        return True
    lang = ui.lang()
    if page_key == "overview":
        _skeleton(lang)
    st.info(readiness.message(ui.tr(f"nav.{page_key}"), missing, lang,
                              readiness.missing_indicators(page_key, ui.overlay())), icon=":material/upload_file:")
    st.page_link("ui/upload_page.py", label=ui.tr("nav.data"), icon=":material/upload_file:")
    for name in missing:
        ds = DATASETS[name]
        grain = by_lang(lang, ds.grain_zh, ds.grain_en)
        with st.expander(f"{ds.file} — {grain}"):
            from dashboard.upload import templates

            files = templates.templates(name)
            cols = st.columns(len(files))
            for col, (kind, (payload, filename)) in zip(cols, files.items(), strict=True):
                col.download_button(filename, payload, file_name=filename, key=f"need_{page_key}_{name}_{kind}", on_click="ignore")
    return False


def _skeleton(lang: str) -> None:
    sk = readiness.skeleton(ui.overlay())
    city = sk["city"]
    st.subheader(md_escape(by_lang(lang, city.name_zh, city.name_en)))  # a data folder's text: never Markdown
    rows = pd.DataFrame(sk["districts"])
    if rows.empty:
        return
    rows = rows.rename(columns={c: t(f"data.sk_{c}", lang) for c in rows.columns if c in _SKELETON_COLUMNS})
    st.dataframe(rows, hide_index=True, width="stretch", key="overview_skeleton")
    from dashboard.analyses.overview import svgmap

    labels = {k: ui.tr(f"overview.{k}") for k in ("legend.district", "legend.street", "legend.town", "legend.new_area")}
    # Safe as raw HTML: svgmap XML-escapes every text it writes (as on the overview page itself).
    svg = svgmap.overview_svg_for(ui.overlay(), labels, lang, ui.tr("overview.map_title"))
    st.markdown(f'<div class="overview-map-box">{svg}</div>', unsafe_allow_html=True)
