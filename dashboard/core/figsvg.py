"""A plotly map figure (`charts.map_figure`: scatter traces on lon/lat axes) as one inline SVG string. Pure.

Why: `st.plotly_chart` throws a chart's DOM away and plots it from scratch whenever its figure changes
(Streamlit keys the element by a hash of the figure), so every slider step on the coverage page cost the
browser a full plotly.js draw of the map's ~45 traces, labels and legend. Drawn here, the map is a few
tens of kilobytes of markup the browser lays out in milliseconds, and the page loads no map code.

It draws the same figure the brief uses (one builder, one content): filled and outlined shapes, lines
(dashes too), markers (circle, square, diamond, star, sized and coloured per point, opacity, outline),
marker text, text traces, data-anchored annotations (a translucent box where the figure asks for one),
the paper-anchored north arrow, a vertical colour bar for a trace with `showscale`, and a legend of the
traces that show one. Every hover text becomes the shape's or marker's `<title>` (a tooltip). Sizes
are plotly's pixels at the figure's own height, so proportions match the plotly rendering; a figure
using anything else (other trace types, other axes) is refused with ValueError rather than drawn wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from dashboard.core.charts import FONT

MAP_WIDTH = 1000.0  # viewBox units
ASPECT = 1.6  # width / height of the map frame, at least
MARGIN_PX = 130  # plot height = figure height - this (as the maps' label placement assumes)
_TAG = re.compile(r"<[^>]+>")
# Markdown and Streamlit's own syntax inside the text of an inline SVG shown with st.markdown:
# escaped as character references so a name can never become emphasis, a link, LaTeX or an icon.
_MD = {ord(c): f"&#{ord(c)};" for c in "\\`*_[]{}()#+-!|~$:<>&\"'"}


def svg_text(value: object) -> str:
    """Plain one-line text for SVG content or an attribute: tags dropped, XML and Markdown characters escaped.
    Every inline SVG the app shows through st.markdown (these figures, the Overview's map) writes text with it."""
    plain = _TAG.sub(" ", str(value).replace("<br>", "\n"))
    lines = [" ".join(line.split()) for line in plain.split("\n")]
    return "&#10;".join(line.translate(_MD) for line in lines if line)


def _num(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _list(value: Any) -> list:
    return [] if value is None else list(value)


def _seq(value: Any, n: int) -> list:
    """A per-point attribute as a list of n (a scalar repeated; None when absent)."""
    if value is None:
        return [None] * n
    if isinstance(value, str | int | float):
        return [value] * n
    values = _list(value)
    return (values + [values[-1] if values else None] * n)[:n]


def _dash(dash: str | None, width: float) -> str:
    if not dash or dash == "solid":
        return ""
    w = max(width, 1.0)
    pattern = {"dash": (3 * w, 2 * w), "dot": (w, 2 * w), "dashdot": (3 * w, 2 * w, w, 2 * w),
               "longdash": (5 * w, 2 * w)}.get(dash, (3 * w, 2 * w))
    return f' stroke-dasharray="{" ".join(_num(p) for p in pattern)}"'


def _marker_path(symbol: str, x: float, y: float, r: float) -> str:
    """SVG markup of one marker of radius r (half plotly's size) at (x, y), without paint attributes."""
    symbol = (symbol or "circle").replace("-open", "")
    if symbol == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}"'
    if symbol == "square":
        return f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{_num(2 * r)}" height="{_num(2 * r)}"'
    if symbol == "diamond":
        d = r * 1.3
        return f'<path d="M{_num(x)} {_num(y - d)}L{_num(x + d)} {_num(y)}L{_num(x)} {_num(y + d)}L{_num(x - d)} {_num(y)}Z"'
    if symbol == "star":
        outer, inner = r * 1.3, r * 0.55
        points = []
        for i in range(10):
            a = math.pi / 2 + i * math.pi / 5
            rr = outer if i % 2 == 0 else inner
            points.append(f"{_num(x + rr * math.cos(a))} {_num(y - rr * math.sin(a))}")
        return f'<path d="M{"L".join(points)}Z"'
    raise ValueError(f"marker symbol {symbol!r} has no SVG drawing")


_OBJECTS = {"font", "textfont", "line", "marker", "colorbar", "title", "xaxis", "yaxis"}


class _P:
    """Attribute access to a plotly property dict (None when absent): plotly's own objects validate and
    wrap on every read, ~10x the cost of drawing here."""

    __slots__ = ("_d",)

    def __init__(self, d: dict | None):
        self._d = d or {}

    def __getattr__(self, key: str) -> Any:
        value = self._d.get(key)
        if isinstance(value, dict) or (value is None and key in _OBJECTS):
            return _P(value)  # a nested object, empty when absent (as plotly's defaults)
        return value


def _raw(fig) -> tuple[list[_P], _P]:
    """(traces, layout) of a go.Figure: its own property dicts, read only, not copied (`to_dict` would copy
    the ~100,000 coordinates and encode arrays as base64)."""
    data, layout = getattr(fig, "_data", None), getattr(fig, "_layout", None)
    if data is None or layout is None:
        raise ValueError("map_svg draws a plotly go.Figure")
    return [_P(t) for t in data], _P(layout)


def _tag(symbol: str | None) -> str:
    symbol = (symbol or "circle").replace("-open", "")
    return "circle" if symbol == "circle" else "rect" if symbol == "square" else "path"


class _Frame:
    """lon/lat -> viewBox x/y from the figure's axis ranges, and plotly pixels -> viewBox units."""

    def __init__(self, layout: _P):
        xr = layout.xaxis.range if layout.xaxis else None
        yr = layout.yaxis.range if layout.yaxis else None
        if xr is None or yr is None:
            raise ValueError("a map figure needs fixed x and y axis ranges (charts.map_figure)")
        self.x0, self.x1 = float(xr[0]), float(xr[1])
        self.y0, self.y1 = float(yr[0]), float(yr[1])
        ratio = float(layout.yaxis.scaleratio or 1.0)
        # plotly widens the x range to fill a wide plot area (scaleanchor, constrain="range"); so does this,
        # to the aspect of the page's plot area on a desktop screen (labels near the sides stay in view)
        want = (self.y1 - self.y0) * ASPECT * ratio
        if self.x1 - self.x0 < want:
            pad = (want - (self.x1 - self.x0)) / 2
            self.x0, self.x1 = self.x0 - pad, self.x1 + pad
        self.scale = MAP_WIDTH / ((self.x1 - self.x0) / ratio)
        self.kx = 1 / ratio
        self.width = MAP_WIDTH
        self.height = (self.y1 - self.y0) * self.scale
        plot_px = max(float(layout.height or 560) - MARGIN_PX, 100.0)
        self.px = self.height / plot_px  # viewBox units per plotly pixel

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.x0) * self.kx * self.scale, (self.y1 - lat) * self.scale


def _path(xs, ys, frame: _Frame, close: bool) -> str:
    """Path data of a line with None gaps (each run a subpath; closed when filled)."""
    parts, run = [], []
    for x, y in zip(list(xs) + [None], list(ys) + [None], strict=True):
        if x is None or y is None or (isinstance(x, float) and math.isnan(x)):
            if len(run) >= 2:
                parts.append("M" + "L".join(run) + ("Z" if close else ""))
            run = []
            continue
        px, py = frame.xy(float(x), float(y))
        point = f"{_num(px)} {_num(py)}"
        if not run or run[-1] != point:
            run.append(point)
    return "".join(parts)


def _title(text: object) -> str:
    return f"<title>{svg_text(text)}</title>" if text not in (None, "") else ""


def _hovers(trace, n: int) -> list:
    if trace.hoverinfo == "skip" or trace.hoverinfo == "none":
        return [None] * n
    source = trace.hovertext if trace.hovertext is not None else trace.text
    return _seq(source, n)


def _line_trace(trace, frame: _Frame) -> str:
    line = trace.line
    width = float(line.width if line.width is not None else 2) * frame.px
    filled = trace.fill == "toself"
    data = _path(_list(trace.x), _list(trace.y), frame, close=filled)
    if not data:
        return ""
    fill = f'fill="{trace.fillcolor}"' if filled else 'fill="none"'
    stroke = line.color or "#444"
    hover = _hovers(trace, 1)[0] if filled else None
    events = "" if hover else ' pointer-events="none"'
    cls = ' class="fill"' if filled else ""
    return (f'<path{cls} d="{data}" {fill} stroke="{stroke}" stroke-width="{_num(width)}" '
            f'stroke-linejoin="round"{_dash(line.dash, width)}{events}>{_title(hover)}</path>')


def _marker_trace(trace, frame: _Frame) -> str:
    xs, ys = list(_list(trace.x)), list(_list(trace.y))
    n = len(xs)
    m = trace.marker
    sizes = _seq(m.size if m.size is not None else 6, n)
    colors = _seq(m.color if m.color is not None else "#444", n)
    line_colors = _seq(m.line.color if m.line and m.line.color is not None else None, n)
    line_width = float(m.line.width) if m.line and m.line.width is not None else 0.0
    opacity = m.opacity
    hovers = _hovers(trace, n)
    texts = _seq(trace.text, n) if "text" in (trace.mode or "") else [None] * n
    font = trace.textfont
    font_size = float(font.size if font and font.size else 12) * frame.px
    paints = []
    for color, edge in zip(colors, line_colors, strict=True):
        if (m.symbol or "").endswith("-open"):  # plotly: an open marker is its outline in the marker colour
            paint = f' fill="none" stroke="{color}" stroke-width="{_num(max(line_width, 1.5) * frame.px)}"'
        else:
            paint = f' fill="{color}"'
            if edge is not None and line_width:
                paint += f' stroke="{edge}" stroke-width="{_num(line_width * frame.px)}"'
        if opacity is not None and opacity < 1:
            paint += f' fill-opacity="{opacity:g}"'
        paints.append(paint)
    shared = paints[0] if paints and all(p == paints[0] for p in paints) else None  # on the group, once
    out = []
    for x, y, size, paint, hover, label in zip(xs, ys, sizes, paints, hovers, texts, strict=True):
        if x is None or y is None:
            continue
        px, py = frame.xy(float(x), float(y))
        r = float(size) / 2 * frame.px
        out.append(f"{_marker_path(m.symbol, px, py, r)}{'' if shared else paint}>{_title(hover)}</{_tag(m.symbol)}>")
        if label not in (None, ""):
            out.append(f'<text x="{_num(px)}" y="{_num(py)}" font-size="{_num(font_size)}" '
                       f'fill="{font.color or "#000"}" stroke="none" text-anchor="middle" dominant-baseline="central" '
                       f'pointer-events="none">{svg_text(label)}</text>')
    return f"<g{shared}>{''.join(out)}</g>" if shared and out else "".join(out)


def _text_trace(trace, frame: _Frame) -> str:
    font = trace.textfont
    size = float(font.size or 12) * frame.px
    weight = font.weight or "normal"
    shift = -0.6 * size if (trace.textposition or "").startswith("top") else 0.0
    out = []
    for x, y, text in zip(_list(trace.x), _list(trace.y), _seq(trace.text, len(_list(trace.x))), strict=True):
        if x is None or y is None or text in (None, ""):
            continue
        px, py = frame.xy(float(x), float(y))
        out.append(f'<text x="{_num(px)}" y="{_num(py + shift)}" font-size="{_num(size)}" fill="{font.color or "#222"}" '
                   f'font-weight="{weight}" class="halo">{svg_text(text)}</text>')
    return "".join(out)


def _annotation(note, frame: _Frame) -> str:
    font = note.font
    size = float(font.size or 12) * frame.px
    color = font.color or "#222"
    weight = "bold" if "<b>" in str(note.text or "") else (font.weight or "normal")
    if note.xref == "paper" and note.yref == "paper":  # the north arrow: an arrow, or its letter above it
        x, y = float(note.x) * frame.width, (1 - float(note.y)) * frame.height
        if note.showarrow:
            tail = y + float(note.ay or 30) * frame.px
            head = 6 * frame.px
            return (f'<path d="M{_num(x)} {_num(tail)}L{_num(x)} {_num(y)}M{_num(x - head)} {_num(y + head * 1.4)}'
                    f'L{_num(x)} {_num(y)}L{_num(x + head)} {_num(y + head * 1.4)}" fill="none" stroke="{note.arrowcolor or "#222"}" '
                    f'stroke-width="{_num(float(note.arrowwidth or 2) * frame.px)}" stroke-linecap="round"/>')
        return (f'<text x="{_num(x)}" y="{_num(y - 0.3 * size)}" font-size="{_num(size)}" fill="{color}" '
                f'font-weight="{weight}" text-anchor="middle">{svg_text(note.text)}</text>')
    if note.xref not in ("x", None) or note.yref not in ("y", None):
        raise ValueError(f"annotation anchored to {note.xref}/{note.yref} has no SVG drawing")
    px, py = frame.xy(float(note.x), float(note.y))
    if not (0 <= px <= frame.width and 0 <= py <= frame.height):  # plotly hides one outside the axes too
        return ""
    text = svg_text(note.text)
    box = ""
    if note.bgcolor:
        width = sum(size if ord(ch) > 0x2E80 else 0.58 * size for ch in _TAG.sub("", str(note.text)))
        box = (f'<rect x="{_num(px - width / 2 - 2)}" y="{_num(py - 0.65 * size)}" width="{_num(width + 4)}" '
               f'height="{_num(1.3 * size)}" fill="#fff" fill-opacity="0.78"/>')
    halo = "" if note.bgcolor else ' class="halo"'
    return (f'{box}<text x="{_num(px)}" y="{_num(py)}" font-size="{_num(size)}" fill="{color}" font-weight="{weight}"'
            f'{halo}>{text}</text>')


def _colorbar(trace, frame: _Frame, x: float) -> tuple[str, float]:
    """A vertical colour bar at x (its gradient from the trace's colour scale); returns (markup, its width)."""
    m = trace.marker
    scale = [(float(stop), str(color)) for stop, color in (m.colorscale or [])]
    stops = "".join(f'<stop offset="{stop:g}" stop-color="{color}"/>' for stop, color in scale)
    bar_w, bar_h = 12 * frame.px * 1.4, frame.height * 0.6
    top = (frame.height - bar_h) / 2
    size = 12 * frame.px
    title = m.colorbar.title.text if m.colorbar and m.colorbar.title else ""
    ticks = []
    lo, hi = float(m.cmin), float(m.cmax)
    for i in range(6):
        value = lo + (hi - lo) * i / 5
        y = top + bar_h * (1 - i / 5)
        ticks.append(f'<text x="{_num(x + bar_w + 4)}" y="{_num(y)}" font-size="{_num(size)}" fill="#444" '
                     f'dominant-baseline="central">{_num(value)}</text>')
    markup = (f'<defs><linearGradient id="cbar" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient></defs>'
              f'<text x="{_num(x)}" y="{_num(top - 0.8 * size)}" font-size="{_num(size)}" fill="#333">{svg_text(title)}</text>'
              f'<rect x="{_num(x)}" y="{_num(top)}" width="{_num(bar_w)}" height="{_num(bar_h)}" fill="url(#cbar)" '
              f'stroke="#ccc" stroke-width="0.5"/>' + "".join(ticks))
    return markup, bar_w + 5 * size


def flow_legend(entries: list[tuple[str, str]], top: float, width: float, size: float, swatch_em: float = 1.8,
                gap_em: float = 1.2, latin_em: float = 0.58, text: Callable[[object], str] | None = None
                ) -> tuple[str, float]:
    """Legend items (label, swatch markup) flowing left to right in rows; returns (markup, height).
    Shared by these figure SVGs and the Overview's map (analyses/overview/svgmap.py), each with its spacing
    and its own escaping of the label (`text`, default `svg_text`)."""
    text = text or svg_text
    row_h, swatch, gap = size * 1.8, size * swatch_em, size * gap_em
    x, y, out = 0.0, top + size * 0.6, []
    for label, mark in entries:
        item_w = swatch + size * 0.5 + sum(size if ord(ch) > 0x2E80 else latin_em * size for ch in label)
        if x > 0 and x + item_w > width:
            x, y = 0.0, y + row_h
        out.append(f'<g transform="translate({_num(x)} {_num(y)})">{mark}<text x="{_num(swatch + size * 0.5)}" '
                   f'y="{_num(size * 0.5)}" font-size="{_num(size)}" fill="#333" dominant-baseline="central">'
                   f"{text(label)}</text></g>")
        x += item_w + gap
    return '<g class="legend">' + "".join(out) + "</g>", (y + row_h - top) if out else 0.0


def _swatch(trace, size: float) -> str:
    w, mid = size * 1.8, size / 2
    if "markers" in (trace.mode or "") and trace.marker is not None:
        m = trace.marker
        color = _seq(m.color, 1)[0] or "#444"
        edge = _seq(m.line.color if m.line else None, 1)[0]
        if (m.symbol or "").endswith("-open"):
            paint = f' fill="none" stroke="{color}" stroke-width="2"'
        else:
            paint = f' fill="{color}"' + (f' stroke="{edge}" stroke-width="1.5"' if edge else "")
        return f"{_marker_path(m.symbol, w / 2, mid, size * 0.4)}{paint}></{_tag(m.symbol)}>"
    width = float(trace.line.width or 2) * size / 8
    return (f'<path d="M0 {_num(mid)}H{_num(w)}" stroke="{trace.line.color or "#444"}" stroke-width="{_num(width)}"'
            f'{_dash(trace.line.dash, width)}/>')


SCENARIO_META = "scenario"  # a trace's `meta`: the layer a slider step changes (e.g. the compounds a subsidy reaches)
_SCENARIO_GROUP = re.compile(r'(<g data-scenario="1"[^>]*>)(</g>)')


def map_svg(fig, aria_label: str = "", css_class: str = "figure-map", max_height: str = "80vh") -> str:
    """`fig` (built by `charts.map_figure`) as one line of inline SVG: the same traces, labels and legend.

    It takes the page's width, keeping its proportions, up to `max_height` (a CSS length)."""
    return with_scenario_layer(*map_svg_parts(fig, aria_label, css_class, max_height))


def with_scenario_layer(base: str, layer: str | None) -> str:
    """The whole map: `layer` (the scenario traces' markup, if any) inside `base`'s empty scenario group."""
    return _SCENARIO_GROUP.sub(lambda m: m.group(1) + (layer or "") + m.group(2), base, count=1)


def map_svg_parts(fig, aria_label: str = "", css_class: str = "figure-map",
                  max_height: str = "80vh") -> tuple[str, str | None]:
    """(the map with an empty scenario group, the scenario traces' markup): the traces whose `meta` is
    `SCENARIO_META` are drawn apart, in a group of their own above the others, so a page can replace that
    group alone when a slider step changes only them (ui/plotly_react.py `svg_markup`). `map_svg` is the two
    put together: the same markup. The layer is None for a map with no scenario trace (and "" for one whose
    scenario traces are empty at this step)."""
    traces, layout = _raw(fig)
    frame = _Frame(layout)
    body, scenario_body, legend_entries, colorbar = [], [], [], None
    legend_size = 13 * frame.px
    for trace in traces:
        if (trace.type or "scatter") != "scatter":
            raise ValueError(f"trace type {trace.type!r} has no SVG drawing")
        mode = trace.mode or "lines"
        m = trace.marker
        if m is not None and m.showscale:
            colorbar = trace
            continue
        into = scenario_body if trace.meta == SCENARIO_META else body
        if "lines" in mode:
            into.append(_line_trace(trace, frame))
        if "markers" in mode:
            into.append(_marker_trace(trace, frame))
        elif mode == "text":
            into.append(_text_trace(trace, frame))
        if trace.name and trace.showlegend is not False:
            legend_entries.append((trace.name, _swatch(trace, legend_size)))
    labels = [_annotation(_P(note), frame) for note in layout.annotations or ()]
    width = frame.width
    extra = ""
    if colorbar is not None:
        markup, bar_w = _colorbar(colorbar, frame, frame.width + 8 * frame.px)
        extra, width = markup, frame.width + 8 * frame.px + bar_w
    legend, legend_h = flow_legend(legend_entries, frame.height + 6 * frame.px, width, legend_size)
    height = frame.height + 6 * frame.px + legend_h
    base = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" role="img" aria-label="{svg_text(aria_label)}" font-family="{escape(FONT, quote=True)}" '
        f'style="display:block;height:auto;max-height:{escape(max_height, quote=True)}">'
        f"<style>.{css_class} .fill:hover{{fill-opacity:.7}}.{css_class} .labels{{pointer-events:none}}"
        f".{css_class} .halo{{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}}</style>"
        f'<clipPath id="{css_class}-clip"><rect width="{_num(frame.width)}" height="{_num(frame.height)}"/></clipPath>'
        f'<g clip-path="url(#{css_class}-clip)" fill-rule="evenodd">{"".join(body)}</g>'
        f'<g data-scenario="1" clip-path="url(#{css_class}-clip)" fill-rule="evenodd"></g>'
        f'<g class="labels" clip-path="url(#{css_class}-clip)" text-anchor="middle" dominant-baseline="central">'
        f'{"".join(labels)}</g>'
        f"{extra}{legend}</svg>"
    )
    has_layer = any(trace.meta == SCENARIO_META for trace in traces)
    return base, ("".join(scenario_body) if has_layer else None)


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) of the viewBox of an SVG made here."""
    found = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    if not found:
        raise ValueError("not an SVG made by map_svg")
    return float(found.group(1)), float(found.group(2))


def count(svg: str, tag: str) -> int:
    """How many `<tag` elements an SVG holds (tests)."""
    return len(re.findall(rf"<{tag}[\s>]", svg))


def shapes_with_titles(svg: str) -> Sequence[str]:
    """The tooltips (<title> texts) of an SVG made here, in order (tests)."""
    return re.findall(r"<title>(.*?)</title>", svg)
