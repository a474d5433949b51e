"""'How sure are we' on a page: the tornado of the main figure, the table behind it, and any flip in words."""

from __future__ import annotations

import streamlit as st

from dashboard.core import ranges, ranges_chart
from dashboard.core.scenario import Scenario
from dashboard.data import db
from dashboard.ui import widgets as ui


def show(page: str, scenario: Scenario, overlay: db.Overlay | None, height: int = 420) -> None:
    """The page's drivers section (figures from core/ranges.py; the same numbers as the brief and CLI).

    Not on a projector: the summary sentence up top already names the range and its main drivers, and
    one finding per screen leaves no room for a tornado and its table."""
    if ui.presenting():
        return
    lang = ui.lang()
    r = ranges.for_scenario(page, scenario, overlay)
    st.subheader(ui.tr("ranges.drivers_title"))
    st.markdown(ranges.driver_sentence(page, scenario, lang, overlay).strip())
    ui.plotly_chart(f"{page}_drivers", lambda: ranges_chart.tornado_figure(page, scenario, lang, overlay, height=height),
                    deps=(height,), width="stretch", config={"displaylogo": False})
    st.caption(ui.tr("ranges.tornado_caption", runs=r.runs))
    drivers_table(page, scenario, lang, overlay)


def table_key(page: str) -> str:
    """Session-state key of the drivers table's lazy expander (True opens it; tests set it)."""
    return f"ranges_{page}_table_open"


@st.fragment
def drivers_table(page: str, scenario: Scenario, lang: str, overlay: db.Overlay | None) -> None:
    """The table behind the tornado, built only while its expander is open (opening reruns this part only)."""
    with ui.lazy_expander(ui.tr("ranges.drivers_table"), key=table_key(page)) as shown:
        if shown:
            st.dataframe(ranges_chart.drivers_table(page, scenario, lang, overlay), hide_index=True, width="stretch")
