"""The drivers of a page's main figure: a tornado chart and the table behind it (no Streamlit).

Each bar is one assumption moved alone across its plausible band (core/ranges.py, one at a time), the
others at the scenario's values; bars are sorted by how far they move the figure, largest on top. The
hover and the table give the assumption's name, its band, the band's source and the reason for it.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import plotly.graph_objects as go

from dashboard import registry
from dashboard.core import numbers, ranges
from dashboard.core.charts import NO_CHECK, PALETTE, layout
from dashboard.core.metrics import MONEY_TOTAL_UNITS, Metric, format_value
from dashboard.core.scenario import Scenario
from dashboard.core.text import t
from dashboard.data import db


def _main(page: str, scenario: Scenario, overlay: db.Overlay | None) -> tuple[ranges.Ranges, Metric]:
    r = ranges.for_scenario(page, scenario, overlay)
    metrics = {m.key: m for m in ranges.headline(page, scenario, overlay)}
    return r, metrics[r.main]


def _end_label(driver: ranges.Driver, end, page: str, lang: str) -> str:
    param = next((p for p in registry.model(page).PARAMS if p.key == driver.key), None)
    return ranges._end_text(param, end, lang)


def tornado_figure(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                   height: int = 420) -> go.Figure:
    """Horizontal bars from the scenario's value of the main figure to its value at each end of each band.

    Built unchecked (`NO_CHECK`, values written as plotly's validation would; tests/test_figures.py
    rebuilds it with validation and requires the same JSON)."""
    r, main = _main(page, scenario, overlay)
    drivers = list(reversed(r.main_drivers()))  # plotly draws the first category at the bottom
    dec = main.shown_decimals
    centre = next((d.value for d in drivers if d.value is not None), None)
    names = [d.label(lang) for d in drivers]
    traces = []
    colours = {0: PALETTE[0], 1: PALETTE[1], 2: PALETTE[2]}
    choice = {p.key for p in registry.model(page).PARAMS if p.band_choices}
    current = {k: scenario.get(k) for k in choice}
    for side in (0, 1, 2):  # the low ends, the high ends, the other plausible choices
        xs, hovers, ys = [], [], []
        for d in drivers:
            if (side == 2) != (d.key in choice):
                continue
            picks = ([i for i, e in enumerate(d.ends) if e != current[d.key]] if side == 2
                     else [side] if side < len(d.results) else [])
            for i in picks:
                if d.results[i] is None or centre is None:
                    continue
                end, result = d.ends[i], d.results[i]
                hovers.append(t("ranges.tornado_hover", lang, param=d.label(lang), band=d.band, source=d.band_source,
                                figure=main.label(lang), low=format_value(d.low, main.unit, dec, lang),
                                high=format_value(d.high, main.unit, dec, lang))
                              + f"<br>{_end_label(d, end, page, lang)} → {format_value(result, main.unit, dec, lang)}"
                              + f"<br>{d.band_reason(lang)}")
                xs.append(result - centre)
                ys.append(d.label(lang))
        if side == 2 and not xs:
            continue
        key = ("ranges.tornado_at_low", "ranges.tornado_at_high", "ranges.tornado_at_choice")[side]
        traces.append(go.Bar(x=xs, y=ys, base=centre, orientation="h", name=t(key, lang),
                             marker=dict(color=colours[side]), hovertext=hovers, hoverinfo="text", **NO_CHECK))
    title = t("ranges.tornado_title", lang, figure=main.label(lang))
    ends = [v for tr in traces for v in (tr.base + x for x in tr.x)] + ([centre] if centre is not None else [])
    axis = dict(title=dict(text=f"{main.label(lang)} ({format_value(centre, main.unit, dec, lang, _money_unit(main, ends, lang))})"),
                gridcolor="#eee", zeroline=False, **_value_ticks(ends, main, dec, lang))
    shapes = [] if centre is None else [dict(type="line", x0=centre, x1=centre, y0=0, y1=1, yref="paper",
                                             line=dict(color="#000", width=1))]
    return go.Figure(traces, layout=layout(title, height, barmode="overlay", xaxis=axis, shapes=shapes,
                                           yaxis=dict(categoryorder="array", categoryarray=names, automargin=True),
                                           legend=dict(orientation="h", yanchor="bottom", y=-0.3)), **NO_CHECK)


def _money_unit(main: Metric, values, lang: str) -> str | None:
    """The one money unit (core.numbers) for the title and every tick: picked from the largest value drawn."""
    factor = MONEY_TOTAL_UNITS.get(main.unit)
    return numbers.money_unit([v * factor for v in values], lang) if factor else None


def _value_ticks(values, main: Metric, dec: int, lang: str) -> dict:
    """Tick values in the model's unit with texts written as the title writes the figure (same unit).

    Plotly's own ticks would print the model's number (20 … 34 for millions of yuan) under a title in
    万元; each tick here is formatted by `format_value` with the title's money unit, so they agree."""
    if not values:
        return {}
    lo, hi = min(values), max(values)
    if hi <= lo:
        return {}
    vals, step = numbers.tick_values(lo, hi)
    vals = [v for v in vals if v >= lo - step * 0.5]
    tick_dec = max(dec, -math.floor(math.log10(step))) if step < 1 else dec
    unit = _money_unit(main, values, lang)
    # a money figure keeps whole 万 in its text (20.43 million yuan); a tick is a round number: no trailing zeros
    texts = [_TRAILING_ZEROS.sub(lambda m: m.group(1) or "", format_value(v, main.unit, tick_dec, lang, unit))
             for v in vals]
    return dict(tickmode="array", tickvals=vals, ticktext=texts)


_TRAILING_ZEROS = re.compile(r"(?<=\d)(?:\.0+|(\.\d*?[1-9])0+)(?!\d)")


def drivers_table(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> pd.DataFrame:
    """The tornado as a table: assumption, band, the main figure at each end, swing, band source, reason."""
    r, main = _main(page, scenario, overlay)
    dec = main.shown_decimals
    rows = []
    for d in r.main_drivers():
        results = {i: format_value(v, main.unit, dec, lang) if v is not None else "—" for i, v in enumerate(d.results)}
        rows.append({
            t("ranges.col_assumption", lang): d.label(lang),
            t("ranges.col_band", lang): d.band,
            t("ranges.col_low_result", lang): f"{_end_label(d, d.ends[0], page, lang)} → {results[0]}",
            t("ranges.col_high_result", lang): (f"{_end_label(d, d.ends[1], page, lang)} → {results[1]}"
                                                 if len(d.ends) > 1 else "—"),
            t("ranges.col_swing", lang): format_value(d.swing, main.unit, dec, lang),
            t("ranges.col_band_source", lang): d.band_source,
            t("ranges.col_band_reason", lang): d.band_reason(lang),
        })
    return pd.DataFrame(rows)
