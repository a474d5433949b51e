"""The Overview map as one self-contained SVG string, drawn on the server. Pure Python, no Streamlit.

Same content, colours and labels as `dashboard.core.charts.overview_map` (the plotly figure the brief
uses), but the browser only parses a few tens of kilobytes of markup instead of loading the 4.7 MB
plotly chunk, so the first page opens faster. Projection as `charts.map_figure`: equirectangular,
x scaled by cos(mid-latitude) so proportions are true at the centre of the map. Every shape carries a
`<title>` (its name and kind), which browsers show as a tooltip when the SVG is inline. Two
differences, for legibility: labels sit at each shape's visual centre (pole of inaccessibility, not
plotly's representative point), and long English new-area names wrap onto two lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from html import escape

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

from dashboard.core import figsvg, maplabels
from dashboard.core.charts import FONT, PALETTE, polygon_rings
from dashboard.core.text import by_lang, lang_column, t
from dashboard.data import db, geo, orientation

# Colours and line widths of charts.overview_map (plotly px at ~600 px map width ≈ 1.7 viewBox units).
FILL = {"street": "#CFE3F3", "town": "#EAF2E3"}
SUB_STROKE = "#9DB4C8"
DISTRICT_STROKE = "#333"
NEW_AREA = PALETTE[3]
MAP_WIDTH = 1000  # viewBox units; the height follows from the cos(latitude) rule
PAD = 0.03  # share of the extent added on each side, as charts.map_figure
FONT_SIZE = {"district": 28, "new_area": 22, "new_area_en": 16, "river": 20, "street": 15, "legend": 22}
LEGEND_ORDER = ("street", "town", "water", "district", "new_area")
WATER = "#3B8FC6"  # as dashboard.core.mapframe
LAKE_FILL = "#BCDDF2"
RIVER_LABEL = "#1F5F8B"


def _text(value: object) -> str:
    """XML-escaped text on one line: no newline can end the Markdown HTML block the page wraps the SVG in."""
    return escape(" ".join(str(value).split()))


def _fmt(value: float) -> str:
    """A coordinate in viewBox units to one decimal (5 significant digits in a 1000-unit box)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Projection:
    """lon/lat -> viewBox x/y: equirectangular with x scaled by cos(mid-latitude), y down."""

    def __init__(self, bounds: Sequence[float], width: float = MAP_WIDTH):
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        padx, pady = (maxx - minx) * PAD, (maxy - miny) * PAD
        self.x0, self.y1 = minx - padx, maxy + pady
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        span_x = (maxx - minx + 2 * padx) * self.kx
        span_y = maxy - miny + 2 * pady
        self.scale = width / span_x if span_x > 0 else 1.0
        self.width = width
        self.height = span_y * self.scale if span_y > 0 else width

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.x0) * self.kx * self.scale, (self.y1 - lat) * self.scale


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return [g for g in geom.geoms if not g.is_empty]
    return []


def _path_data(geom, proj: _Projection) -> str:
    """SVG path data for every ring of a (multi)polygon (holes drawn with fill-rule evenodd)."""
    parts = []
    for ring in polygon_rings(geom):
        points = []
        for lon, lat in ring[:-1]:  # the closing point is implied by "Z"
            x, y = proj.xy(lon, lat)
            point = f"{_fmt(x)} {_fmt(y)}"
            if not points or points[-1] != point:  # rounding can merge neighbours
                points.append(point)
        if len(points) >= 3:
            parts.append("M" + points[0] + "L" + " ".join(points[1:]) + "Z")
    return "".join(parts)


def _shape(geom, proj: _Projection, title: str, css_class: str, style: str) -> str:
    data = _path_data(geom, proj)
    if not data:
        return ""
    return f'<path class="{css_class}" d="{data}" {style}><title>{_text(title)}</title></path>'


def _anchor(geom):
    """Where a shape's label goes: the visual centre of its largest part (pole of inaccessibility)."""
    part = max(_polygons(geom), key=lambda poly: poly.area, default=None)
    if part is None:
        return geom.representative_point()
    minx, miny, maxx, maxy = part.bounds
    return polylabel(part, tolerance=max(maxx - minx, maxy - miny) / 200 or 1e-6)


def _lines(text: str, wrap: int) -> list[str]:
    """`text` on one line, or on two split at the space nearest its middle when longer than `wrap`."""
    text = " ".join(text.split())
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if len(text) <= wrap or not spaces:
        return [text]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1:]]


def _label(geom, proj: _Projection, text: object, size: int, color: str, weight: str = "normal",
           wrap: int = 1000) -> str:
    if geom is None or geom.is_empty or not str(text).strip():
        return ""
    point = _anchor(geom)
    x, y = proj.xy(point.x, point.y)
    head = f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" fill="{color}" font-weight="{weight}">'
    lines = _lines(str(text), wrap)
    if len(lines) == 1:
        return f"{head}{_text(lines[0])}</text>"
    return (f'{head}<tspan x="{_fmt(x)}" dy="-0.55em">{_text(lines[0])}</tspan>'
            f'<tspan x="{_fmt(x)}" dy="1.1em">{_text(lines[1])}</tspan></text>')


def _legend(entries: list[tuple[str, str]], top: float, width: float) -> tuple[str, float]:
    """Legend items flowing left to right in rows (figsvg.flow_legend, with this map's spacing)."""
    return figsvg.flow_legend(entries, top, width, FONT_SIZE["legend"], swatch_em=1.6, gap_em=1.4, latin_em=0.55,
                              text=_text)


def _swatch(kind: str) -> str:
    size = FONT_SIZE["legend"]
    w, h = size * 1.6, size
    if kind in FILL:
        return f'<rect width="{_fmt(w)}" height="{h}" fill="{FILL[kind]}" stroke="{SUB_STROKE}" stroke-width="1"/>'
    if kind == "water":
        return f'<path d="M0 {h / 2}H{_fmt(w)}" stroke="{WATER}" stroke-width="5"/>'
    if kind == "district":
        return f'<path d="M0 {h / 2}H{_fmt(w)}" stroke="{DISTRICT_STROKE}" stroke-width="3.4"/>'
    return f'<path d="M0 {h / 2}H{_fmt(w)}" stroke="{NEW_AREA}" stroke-width="3.4" stroke-dasharray="9 5"/>'


def _line_data(lines, proj: _Projection) -> str:
    parts = []
    for line in lines:
        points = []
        for lon, lat in line:
            x, y = proj.xy(lon, lat)
            point = f"{_fmt(x)} {_fmt(y)}"
            if not points or points[-1] != point:
                points.append(point)
        if len(points) >= 2:
            parts.append("M" + points[0] + "L" + " ".join(points[1:]))
    return "".join(parts)


def _water(bounds, proj: _Projection, lang: str) -> str:
    """Lakes and rivers (dashboard.data.orientation) clipped to the map, white-cased; '' when there are none."""
    view = (proj.x0, proj.y1 - proj.height / proj.scale, proj.x0 + proj.width / proj.scale / proj.kx, proj.y1)
    out = []
    for feature, geom in orientation.lakes_in(view, 0.0):
        data = _path_data(geom, proj)
        if data:
            name = orientation.label(feature, lang) or t("maps.lake", lang)
            out.append(f'<path d="{data}" fill="{LAKE_FILL}" stroke="{WATER}" stroke-width="1">'
                       f"<title>{_text(name)}</title></path>")
    rivers = orientation.rivers_in(view, 0.0)
    for named in (False, True):
        data = _line_data([line for f, lines in rivers if bool(f.name) == named for line in lines], proj)
        if not data:
            continue
        width = 5.5 if named else 2.2
        out.append(f'<path d="{data}" fill="none" stroke="#fff" stroke-width="{_fmt(width + 4)}" '
                   'stroke-linejoin="round" stroke-linecap="round"/>')
        out.append(f'<path class="river" d="{data}" fill="none" stroke="{WATER}" stroke-width="{_fmt(width)}" '
                   'stroke-linejoin="round" stroke-linecap="round"/>')
    return f'<g class="water" pointer-events="none">{"".join(out)}</g>' if out else ""


def _placed_labels(districts, subdistricts, new_areas, district_name: str, area_name: str, proj: _Projection,
                   lang: str) -> list[str]:
    """SVG <text> of every label that fits without overlapping, by priority: districts, rivers, new areas, streets."""
    candidates: list[maplabels.Label] = []
    style: list[tuple[str, int, str, str, int]] = []  # per candidate: (text, size, colour, weight, wrap)

    def add(text: object, point, size: int, color: str, weight: str, priority: int, wrap: int = 1000) -> None:
        if point is None or not str(text).strip():
            return
        shown = "\n".join(_lines(str(text), wrap))  # measured as drawn (one or two lines)
        candidates.append(maplabels.Label(shown, float(point[0]), float(point[1]), size, priority))
        style.append((str(text), size, color, weight, wrap))

    for geom, name in zip(districts.geometry, districts[district_name], strict=True):
        if geom is not None and not geom.is_empty:
            p = _anchor(geom)
            add(name, (p.x, p.y), FONT_SIZE["district"], "#111", "bold", 0)
    view = (proj.x0, proj.y1 - proj.height / proj.scale, proj.x0 + proj.width / proj.scale / proj.kx, proj.y1)
    for feature, lines in orientation.rivers_in(view, 0.0):
        if feature.name:
            at = orientation.label_point(lines, view)
            if at is not None:
                add(orientation.label(feature, lang), at[:2], FONT_SIZE["river"], RIVER_LABEL, "bold", 1)
    for geom, name in zip(new_areas.geometry, new_areas[area_name] if not new_areas.empty else [], strict=True):
        if geom is not None and not geom.is_empty:
            p = _anchor(geom)
            add(name, (p.x, p.y), by_lang(lang, FONT_SIZE["new_area"], FONT_SIZE["new_area_en"]), NEW_AREA,
                "bold", 2, wrap=14)
    street = subdistricts[subdistricts["kind"] == "street"]
    for geom, name in zip(street.geometry, street["name"], strict=True):
        if geom is not None and not geom.is_empty:
            p = _anchor(geom)
            add(str(name).replace("街道", ""), (p.x, p.y), FONT_SIZE["street"], "#37474F", "normal", 3)
    placed = maplabels.place(candidates, proj.scale * proj.kx, proj.scale)
    index = {id(c): i for i, c in enumerate(candidates)}
    out = []
    for p in placed:
        text, size, color, weight, wrap = style[index[id(p.label)]]
        out.append(_text_at(p.x, p.y, proj, text, size, color, weight, wrap))
    return out


def _text_at(lon: float, lat: float, proj: _Projection, text: str, size: int, color: str, weight: str,
             wrap: int) -> str:
    x, y = proj.xy(lon, lat)
    head = f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" fill="{color}" font-weight="{weight}">'
    lines = _lines(text, wrap)
    if len(lines) == 1:
        return f"{head}{_text(lines[0])}</text>"
    return (f'{head}<tspan x="{_fmt(x)}" dy="-0.55em">{_text(lines[0])}</tspan>'
            f'<tspan x="{_fmt(x)}" dy="1.1em">{_text(lines[1])}</tspan></text>')


def overview_svg(districts: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame, new_areas: gpd.GeoDataFrame,
                 labels: Mapping[str, str], lang: str = "zh", title: str = "") -> str:
    """Central city: district outlines, sub-districts filled by kind, new areas dashed, with labels and legend.

    `labels` holds 'legend.district', 'legend.street', 'legend.town', 'legend.new_area' (as for
    charts.overview_map); `title` becomes the SVG's aria-label.
    """
    proj = _Projection(districts.total_bounds)
    district_name = by_lang(lang, "name", "name_en")
    area_name = lang_column(lang, new_areas)
    shapes, texts, kinds = [], [], []  # kinds: legend entries present on this map

    for kind in ("town", "street"):  # streets drawn last, as in overview_map
        part = subdistricts[subdistricts["kind"] == kind]
        if part.empty:
            continue
        style = f'fill="{FILL[kind]}" stroke="{SUB_STROKE}" stroke-width="1"'
        for geom, name in zip(part.geometry, part["name"], strict=True):
            shapes.append(_shape(geom, proj, f"{name} · {labels['legend.' + kind]}", "sd", style))
    kinds += [kind for kind in ("street", "town") if (subdistricts["kind"] == kind).any()]

    water = _water(districts.total_bounds, proj, lang)
    if water:
        shapes.append(water)
        kinds.append("water")
    style = f'fill="none" stroke="{DISTRICT_STROKE}" stroke-width="3.4" stroke-linejoin="round"'
    for geom, name in zip(districts.geometry, districts[district_name], strict=True):
        shapes.append(_shape(geom, proj, f"{name} · {labels['legend.district']}", "district", style))
    kinds.append("district")

    if not new_areas.empty:
        style = (f'fill="none" stroke="{NEW_AREA}" stroke-width="3.4" stroke-dasharray="14 9" '
                 'stroke-linejoin="round"')
        for geom, name in zip(new_areas.geometry, new_areas[area_name], strict=True):
            shapes.append(_shape(geom, proj, f"{name} · {labels['legend.new_area']}", "area", style))
        kinds.append("new_area")

    # labels placed without collisions (dashboard.core.maplabels): districts first, then the rivers, the
    # new areas (long English names on two lines), the streets (short names, as overview_map)
    texts += _placed_labels(districts, subdistricts, new_areas, district_name, area_name, proj, lang)

    legend = [(labels.get("legend." + kind) or t("maps." + kind, lang), _swatch(kind))
              for kind in LEGEND_ORDER if kind in kinds]
    legend_svg, legend_h = _legend(legend, proj.height + 8, proj.width)
    width, height = proj.width, proj.height + 8 + legend_h
    aria = title or " · ".join(label for label, _ in legend)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="overview-map" viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'width="100%" role="img" aria-label="{_text(aria)}" font-family="{FONT}" '
        'style="display:block;height:auto;max-height:78vh">'
        # hover: the sub-district under the pointer lightens; labels let the pointer through to it
        "<style>.overview-map .sd:hover{fill-opacity:.6}.overview-map .lab{pointer-events:none}"
        ".overview-map .lab text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}</style>"
        f'<g fill-rule="evenodd">{"".join(shapes)}</g>'
        f'<g class="lab" text-anchor="middle" dominant-baseline="central">{"".join(texts)}</g>'
        f"{legend_svg}</svg>"
    )


# ---------------------------------------------------------------- cached for the app


@lru_cache(maxsize=32)
def _cached(_database_token: str, overlay, labels: tuple[tuple[str, str], ...], lang: str, title: str) -> str:
    return overview_svg(geo.central_city_districts(), geo.layer("subdistricts", overlay), geo.layer("new_areas"),
                        dict(labels), lang, title)


def overview_svg_for(overlay, labels: Mapping[str, str], lang: str, title: str = "") -> str:
    """`overview_svg` of the shipped layers (sub-districts from `overlay` if it replaces them), cached.

    Cached per database token (it changes when any shipped file, the layers included, changes; taken
    once per script run), the overlay's content token (only when it holds uploaded
    sub-districts), language, labels and title: drawing takes ~10 ms, a cache hit ~0.1 ms.
    """
    uploaded = overlay is not None and "subdistrict_shapes" in overlay and isinstance(
        overlay["subdistrict_shapes"], gpd.GeoDataFrame)
    return _cached(db.database_token(), overlay if uploaded else None, tuple(sorted(labels.items())), lang, title)
