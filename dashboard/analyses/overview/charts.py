"""Figures of the overview page for the brief and downloads. Pure, no Streamlit.

The page itself draws its map as server-side SVG (analyses/overview/svgmap.py: no plotly.js on the first
page); the brief and the image downloads use this plotly figure of the same layers.
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from dashboard.core import charts
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.data import db, geo

# Sources of the slide's map beyond its figures': real district outlines, illustrative sub-districts and new
# areas, the real rivers and lakes drawn for orientation.
FIGURE_SOURCES = ("cnmaps_boundaries", "nbs_divisions", "demo_layer", "wdb2_rivers", "natural_earth_lakes")



def figures(scenario: Scenario, lang: str, overlay: db.Overlay | None) -> dict[str, Callable[[], go.Figure]]:
    """Every chart of the page by name, unbuilt; the first is the brief's slide chart."""

    def overview_map() -> go.Figure:
        labels = {k: t(f"overview.{k}", lang) for k in ("legend.district", "legend.street", "legend.town",
                                                         "legend.new_area")}
        return charts.overview_map(geo.central_city_districts(), geo.layer("subdistricts", overlay),
                                   geo.layer("new_areas", overlay), labels, lang)

    return {"overview_map": overview_map}
