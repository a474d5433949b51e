"""Every page in Chinese, without a browser: no English words on a member-facing page (issue 16, item 4).

AppTest runs each page of the registry in zh; the walk collects what a reader sees (titles, text, captions,
alerts, tile labels, values and notes, widget and button labels, table headers and cells, chart titles, axis
titles, legend names and tick text) and fails on a Latin-letter word that is not a proper name, standard or
unit in the browser test's allowlist. Method expanders ("方法") keep their technical names (HiGHS, KD树,
OpenStreetMap): they are not read in a hearing, so the walk skips them. The browser test
(tests/e2e/test_screens.py) checks the rendered page at five screen sizes; this one runs in seconds.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard import registry
from dashboard.ui import hearing, plotly_react, ranges_panel
from tests.conftest import SECTIONS, lazy_keys, run_page
from tests.e2e.test_screens import english_words

# Proper names on member-facing text besides the browser test's units and formats.
NAMES = {"OpenStreetMap", "HiGHS", "English", "Natural", "Earth", "World", "Bank", "Data", "II"}  # "English": the language switch names its language
CHART_KEYS = ("text", "name", "ticktext")
_CODE = re.compile(r"<(style|script)\b.*?</\1>|<[^>]+>|`[^`]*`|:material/\w+:", re.S | re.I)  # CSS, JS, tags, code spans


def _chart_text(spec: str) -> list[str]:
    out: list[str] = []

    def walk(node, key=None):
        if isinstance(node, dict):
            if "hovertemplate" in node:
                node = {k: v for k, v in node.items() if k not in ("hovertemplate", "customdata")}
            for k, v in node.items():
                if k in ("meta", "hovertemplate", "customdata", "template"):
                    continue
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in CHART_KEYS:
            out.append(node)

    walk(json.loads(spec))
    return out


_SHOWN = {"markdown", "caption", "title", "header", "subheader", "info", "warning", "success", "error",
          "metric", "table", "dataframe", "text", "latex", "exception", "toast"}


def _opened(node) -> bool:
    proto = getattr(node, "proto", None)
    return bool(proto is not None and proto.expanded)


def _texts(node, skip_method: bool = True) -> list[str]:
    """The reader's text under `node`, skipping method expanders."""
    label = getattr(node, "label", None)
    kind = getattr(node, "type", "")
    if kind == "expander" and skip_method and not _opened(node):
        return []
    out: list[str] = [label] if isinstance(label, str) else []
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            out += _texts(child, skip_method)
        return out
    for attr in ("value", "body", "delta"):
        value = getattr(node, attr, None) if kind in _SHOWN else None  # a widget's value is an internal id
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, pd.DataFrame):
            out += [str(c) for c in value.columns]
            if kind == "table":  # st.table is HTML text; st.dataframe cells are data (names as uploaded)
                out += [v for v in value.astype(str).to_numpy().ravel().tolist() if isinstance(v, str)]
    proto = getattr(node, "proto", None)
    if kind == "bidi_component" and proto is not None and proto.component_name == plotly_react.COMPONENT:
        out += _chart_text(json.loads(proto.json)["spec"])  # a chart (ui/plotly_react.py)
    elif kind == "bidi_component" and proto is not None and proto.component_name == plotly_react.SVG_COMPONENT:
        out.append(json.loads(proto.json)["svg"])  # a server-drawn map, read as its markdown was
    elif kind == "bidi_component" and proto is not None and proto.component_name == plotly_react.SVG_LAYER_COMPONENT:
        out.append(json.loads(proto.json)["layer"])  # its scenario layer
    elif kind == "button_group" and proto is not None:  # a segmented control's choices (the beds page's sections)
        out += list(node.options)
    elif kind in ("download_button", "button", "page_link") and proto is not None:
        out.append(getattr(proto, "label", ""))
    return out


@pytest.mark.parametrize("page", [p.key for p in registry.PAGES])
def test_no_english_on_a_chinese_page(page):
    at = run_page(page)
    for key in lazy_keys(page) + (ranges_panel.table_key(page), *hearing.lazy_keys(page).values(),
                                  hearing.SCENARIOS_KEY):
        at.session_state[key] = True  # lazy expanders (built only while open): read their contents too
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    texts = _texts(at.main) + _texts(at.sidebar)
    for section in SECTIONS.get(page, ()):  # a page that builds one section at a time: read every section
        at.button_group(key=f"{page}_section").set_value(section).run()
        assert not at.exception, [e.message for e in at.exception]
        texts += _texts(at.main)
    text = _CODE.sub(" ", "\n".join(texts))
    words = [w for w in english_words(text) if w not in NAMES]
    assert not words, f"English in the Chinese {page} page: {words[:30]}"


def test_the_walk_reads_tiles_buttons_and_charts():
    at = run_page("beds")
    text = "\n".join(_texts(at.main))
    assert "沙市区床位缺口" in text  # a tile label
    assert "2020–2035预测" in text  # a section's name (segmented control)
    assert english_words("覆盖率 · 200 firms") == ["firms"]
