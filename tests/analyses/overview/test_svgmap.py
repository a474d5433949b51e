"""The Overview map as a server-drawn SVG (dashboard/analyses/overview/svgmap.py): valid XML, one titled shape per feature,
localised labels, escaped text, coordinates inside the viewBox, true proportions."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard.analyses.overview import svgmap
from dashboard.core.text import t
from dashboard.data import db, geo

NS = {"svg": "http://www.w3.org/2000/svg"}
LEGEND_KEYS = ("legend.district", "legend.street", "legend.town", "legend.new_area")


def labels(lang: str) -> dict[str, str]:
    return {k: t(f"overview.{k}", lang) for k in LEGEND_KEYS}


def layers():
    return geo.central_city_districts(), geo.layer("subdistricts"), geo.layer("new_areas")


def draw(lang: str = "zh", **kw) -> ET.Element:
    districts, subdistricts, new_areas = kw.pop("layers", None) or layers()
    return ET.fromstring(svgmap.overview_svg(districts, subdistricts, new_areas, kw.pop("labels", labels(lang)), lang,
                                             **kw))


def shapes(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [p for p in root.iterfind(".//svg:path", NS) if p.get("class") == css_class]


def title(shape: ET.Element) -> str:
    return shape.find("svg:title", NS).text


def texts(root: ET.Element) -> list[str]:
    return [" ".join(s.strip() for s in el.itertext()) for el in root.iterfind(".//svg:text", NS)]


def points(root: ET.Element, css_class: str) -> list[tuple[float, float]]:
    """Every vertex of the shapes of one class (path data is absolute M/L/Z)."""
    out = []
    for shape in shapes(root, css_class):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d"))]
        out += list(zip(numbers[::2], numbers[1::2], strict=True))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_titled_shape_per_feature(lang):
    districts, subdistricts, new_areas = layers()
    root = draw(lang)
    lab = labels(lang)
    subs = shapes(root, "sd")
    assert len(subs) == len(subdistricts[subdistricts["kind"].isin(["street", "town"])])
    expected = {f"{n} · {lab['legend.' + k]}" for n, k in zip(subdistricts["name"], subdistricts["kind"], strict=True)}
    assert {title(s) for s in subs} == expected
    name = "name" if lang == "zh" else "name_en"
    assert [title(s) for s in shapes(root, "district")] == [f"{n} · {lab['legend.district']}" for n in districts[name]]
    assert [title(s) for s in shapes(root, "area")] == [f"{n} · {lab['legend.new_area']}" for n in new_areas[name]]
    kinds = {s.get("fill") for s in subs}
    assert kinds == {svgmap.FILL["street"], svgmap.FILL["town"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_and_legend_in_the_language(lang):
    districts, subdistricts, new_areas = layers()
    shown = texts(draw(lang))
    name = "name" if lang == "zh" else "name_en"
    for text in [*districts[name], *new_areas[name], *labels(lang).values()]:
        assert text in shown, f"{text!r} not among the map's labels"
    streets = subdistricts[subdistricts["kind"] == "street"]["name"]
    assert all(n.replace("街道", "") in shown for n in streets)  # street labels as charts.overview_map
    other = "en" if lang == "zh" else "zh"
    assert not set(districts["name" if other == "zh" else "name_en"]) & set(shown)


def test_svg_is_accessible_and_scales():
    root = draw("zh", title="中心城区")
    assert root.get("role") == "img" and root.get("aria-label") == "中心城区"
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    assert root.get("font-family") == svgmap.FONT
    assert all(g.get("fill-rule") == "evenodd" for g in root.iterfind("svg:g", NS) if g.find("svg:path", NS) is not None
               and g.get("class") != "legend")


def test_text_is_escaped():
    districts, subdistricts, new_areas = layers()
    nasty = 'A<b>&"c\'\n\nd'
    subdistricts.loc[subdistricts["kind"] == "street", "name"] = nasty
    districts["name_en"] = nasty
    new_areas["name_en"] = nasty
    lab = {**labels("en"), "legend.street": nasty}
    markup = svgmap.overview_svg(districts, subdistricts, new_areas, lab, "en", title=nasty)
    assert "<b>" not in markup and "\n" not in markup  # one line: the page wraps it in a Markdown HTML block
    root = ET.fromstring(markup)  # parses: every text was escaped
    flat = 'A<b>&"c\' d'
    assert root.get("aria-label") == flat
    assert flat in texts(root) and any(title(s).startswith(flat) for s in shapes(root, "sd"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coordinates_inside_the_viewbox(lang):
    root = draw(lang)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    for css_class in ("sd", "district", "area"):
        pts = points(root, css_class)
        assert pts
        assert all(0 <= x <= width and 0 <= y <= height for x, y in pts), css_class
    for el in root.iterfind(".//svg:text", NS):
        if el.get("x") is not None and el.get("y") is not None:
            assert 0 <= float(el.get("x")) <= width and 0 <= float(el.get("y")) <= height


def test_coordinates_are_rounded():
    root = draw("zh")
    for shape in shapes(root, "sd") + shapes(root, "district"):
        assert not re.search(r"\.\d\d", shape.get("d")), "more than one decimal in a 1000-unit box"


def test_aspect_ratio_follows_the_cos_latitude_rule():
    districts, _, _ = layers()
    root = draw("zh")
    pts = points(root, "district")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    minx, miny, maxx, maxy = districts.total_bounds
    expected = (maxx - minx) * math.cos(math.radians((miny + maxy) / 2)) / (maxy - miny)
    assert (max(xs) - min(xs)) / (max(ys) - min(ys)) == pytest.approx(expected, rel=0.01)


def test_holes_and_multipolygons_are_drawn():
    districts, subdistricts, new_areas = layers()
    minx, miny, maxx, maxy = districts.total_bounds
    cx, cy, r = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 20
    ring = Polygon(box(cx - r, cy - r, cx + r, cy + r).exterior.coords,
                   [box(cx - r / 2, cy - r / 2, cx + r / 2, cy + r / 2).exterior.coords])
    two = MultiPolygon([ring, box(cx + 2 * r, cy, cx + 3 * r, cy + r)])
    subs = gpd.GeoDataFrame({"name": ["环形街道"], "kind": ["street"]}, geometry=[two], crs=subdistricts.crs)
    root = draw("zh", layers=(districts, subs, new_areas))
    (shape,) = shapes(root, "sd")
    assert shape.get("d").count("M") == 3  # outer ring, hole, second part: one shape
    assert title(shape) == "环形街道 · " + labels("zh")["legend.street"]


def test_cached_svg_follows_the_uploaded_subdistricts():
    districts, subdistricts, new_areas = layers()
    plain = svgmap.overview_svg_for(db.EMPTY_OVERLAY, labels("zh"), "zh")
    assert plain == svgmap.overview_svg(districts, subdistricts, new_areas, labels("zh"), "zh")
    assert svgmap.overview_svg_for(db.EMPTY_OVERLAY, labels("zh"), "zh") is plain  # cached
    renamed = subdistricts.assign(name=["上传" + n for n in subdistricts["name"]])
    uploaded = svgmap.overview_svg_for(db.Overlay({"subdistrict_shapes": renamed}), labels("zh"), "zh")
    assert "上传中山街道" in uploaded and "上传中山街道" not in plain
    assert svgmap.overview_svg_for(db.EMPTY_OVERLAY, labels("en"), "en") != plain


def test_size_stays_small():
    markup = svgmap.overview_svg_for(db.EMPTY_OVERLAY, labels("zh"), "zh")
    assert len(markup.encode()) < 60_000
