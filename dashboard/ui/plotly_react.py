"""Charts that a slider step updates in place: a small Streamlit component calling `Plotly.react`.

Why: `st.plotly_chart` derives its element id from the figure, so a chart whose figure changed is thrown
away and plotted from scratch (a new React node, a new plotly.js graph div: ~0.1-0.3 s of the browser's
time per chart and step, bench/bench_browser.py). This component is keyed by the chart's key alone, so
Streamlit keeps its node across reruns and the component's function runs again with the new figure:
`Plotly.react` diffs it against the one drawn (axes, legend and hover layers are kept), and a figure
that did not change is not parsed or drawn again at all.

plotly.js itself is the copy that ships with the Python package (`plotly/package_data/plotly.min.js`,
the version the figures were built for), served by Streamlit's static file serving from
`dashboard/static/` (`server.enableStaticServing`): no CDN, nothing fetched from outside the server.
It is copied there on first use; where the package folder cannot be written, charts fall back to
`st.plotly_chart` (same figures, remounted on change).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
ASSET = STATIC_DIR / "plotly.min.js"
CSS_CLASS = "cgd-plot"  # the graph div; tests and benchmarks find charts by it
COMPONENT = "cgd_plotly_react"

_HTML = f'<div class="{CSS_CLASS}" role="figure"></div>'
_CSS = f".{CSS_CLASS} {{ width: 100%; }}"

# One module for every chart (Streamlit imports it once per content): plotly.js is loaded once per page
# from the app's own static route, found next to Streamlit's own scripts (so a proxy prefix is kept).
# A chart is drawn when it is on screen or near it (300 px): a slider step redraws the charts the reader
# sees, and a chart further down the page is drawn with its newest figure as it scrolls into view (or
# before the page is printed). `data-cgd-pending` marks a chart waiting for that.
_JS = r"""
let loading = null;
function plotlyUrl() {
  const own = [...document.querySelectorAll('script[src]')].map((s) => s.src).find((src) => /\/static\/js\/index\.[^/]*\.js/.test(src));
  const base = own ? own.replace(/static\/js\/index\.[^/]*\.js.*$/, '') : new URL('./', document.baseURI).href;
  return base + 'app/static/plotly.min.js';
}
function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = plotlyUrl();
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { loading = null; reject(new Error('plotly.js could not be loaded')); };
      document.head.appendChild(s);
    });
  }
  return loading;
}
function draw(el) {
  const spec = el.__cgdSpec;
  if (spec === el.__cgdDrawn) { el.removeAttribute('data-cgd-pending'); return Promise.resolve(); }
  return plotly().then((Plotly) => {
    // a newer figure arrived while plotly.js loaded, or another call drew this one
    if (el.__cgdSpec !== spec || el.__cgdDrawn === spec || !el.isConnected) return;
    const fig = JSON.parse(spec);
    Plotly.react(el, fig.data || [], fig.layout || {}, el.__cgdConfig || {});
    el.__cgdDrawn = spec;
    el.removeAttribute('data-cgd-pending');
    if (!el.__cgdResize && window.ResizeObserver) {  // the sidebar opening or closing resizes the column, not the window
      let width = el.clientWidth;
      el.__cgdResize = new ResizeObserver(() => {
        if (el.clientWidth !== width && el.__cgdDrawn) { width = el.clientWidth; Plotly.Plots.resize(el); }
      });
      el.__cgdResize.observe(el);
    }
  }).catch((err) => { el.textContent = String(err && err.message || err); });
}
const near = window.IntersectionObserver ? new IntersectionObserver((entries) => {
  for (const e of entries) {
    e.target.__cgdNear = e.isIntersecting;
    if (e.isIntersecting && e.target.__cgdSpec !== e.target.__cgdDrawn) draw(e.target);
  }
}, {rootMargin: '300px 0px'}) : null;
window.cgdDrawAllCharts = () => Promise.all([...document.querySelectorAll('.CSS_CLASS')].filter((el) => el.__cgdSpec).map(draw));
window.addEventListener('beforeprint', () => window.cgdDrawAllCharts());
export default function ({ parentElement, data }) {
  const el = parentElement.querySelector('.CSS_CLASS');
  if (!el || !data) return;
  if (data.key) el.dataset.key = data.key;
  if (data.label) el.setAttribute('aria-label', data.label);
  if (!el.style.minHeight && data.height) el.style.minHeight = data.height + 'px';
  el.__cgdConfig = data.config || {};
  if (el.__cgdSpec !== data.spec) {
    el.__cgdSpec = data.spec;
    if (!near) draw(el);
    else if (el.__cgdNear) draw(el);
    else el.setAttribute('data-cgd-pending', '1');  // drawn when it comes near the screen
    if (near && !el.__cgdObserved) { el.__cgdObserved = true; near.observe(el); }
  }
  return () => {
    if (near) near.unobserve(el);
    if (el.__cgdResize) el.__cgdResize.disconnect();
    if (window.Plotly) window.Plotly.purge(el);
  };
}
""".replace("CSS_CLASS", CSS_CLASS)


@lru_cache(maxsize=1)
def available() -> bool:
    """plotly.js is in the app's static folder (copied from the plotly package if missing or stale)."""
    try:
        import plotly

        source = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
        if not source.is_file():
            return False
        if not ASSET.is_file() or ASSET.stat().st_size != source.stat().st_size:
            STATIC_DIR.mkdir(exist_ok=True)
            tmp = ASSET.with_suffix(f".{os.getpid()}.tmp")  # several server processes may start at once
            shutil.copyfile(source, tmp)
            tmp.replace(ASSET)  # atomic: a browser never gets half a file
        return True
    except OSError:
        return False


# Server-drawn SVG (core/figsvg.py) in the same way: keyed, so a step keeps the node, and markup that did not
# change is not parsed again (st.markdown re-parses an SVG of ~2,000 shapes as Markdown+HTML on every rerun).
SVG_COMPONENT = "cgd_svg_markup"
# The map's scenario layer (core/figsvg.py map_svg_parts) is an element of its own, named after its map: a step
# that changes only the layer sends the map's element unchanged, which Streamlit sends as a reference to the copy
# the browser already holds (its message cache, for elements of 10 kB and more), and a new layer of a few kB.
# In one element, the property map's ~500 kB of markup went to the browser again on every subsidy step.
SVG_LAYER_COMPONENT = "cgd_svg_layer"
LAYER_SUFFIX = "-svglayer"  # ui/screens.py hides the element: it draws into its map

# Shared by both modules (each is loaded on its own): lays `layer` over the map in `el` in an SVG of its own (same
# viewBox, same box) on its own compositor layer, so the browser repaints the layer and not the ~2,000 shapes
# under it. window.__cgdSvgLayers keeps the newest layer per map: whichever element the browser runs first, the
# map ends with it (a map drawn anew, e.g. in another language, gets its layer back).
_APPLY_LAYER_JS = r"""
function applyLayer(el) {
  const layer = (window.__cgdSvgLayers || {})[el.dataset.key];
  if (layer === undefined || el.__cgdLayer === layer) return;
  let group = el.querySelector('svg.figure-map-layer g[data-scenario]');
  if (!group && !layer) { el.__cgdLayer = layer; return; }  // nothing to lay over the map yet
  if (!group) {
    const base = el.querySelector('svg.figure-map');
    group = base && base.querySelector('g[data-scenario]');
    if (!group) return;
    const box = document.createElement('div');
    box.style.position = 'relative';
    base.replaceWith(box);
    box.appendChild(base);
    const over = base.cloneNode(false);
    over.setAttribute('class', 'figure-map-layer');
    over.setAttribute('aria-hidden', 'true');
    over.removeAttribute('role');
    over.removeAttribute('aria-label');
    over.setAttribute('style', 'position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;will-change:transform');
    over.appendChild(group);
    box.appendChild(over);
  }
  el.__cgdLayer = layer;
  group.innerHTML = layer;
}
"""

_SVG_JS = _APPLY_LAYER_JS + r"""
export default function ({ parentElement, data }) {
  const el = parentElement.querySelector('.cgd-svg');
  if (!el || !data) return;
  if (data.key) el.dataset.key = data.key;
  if (el.__cgdSvg !== data.svg) {
    const first = el.__cgdSvg === undefined;
    el.__cgdSvg = data.svg;
    el.__cgdLayer = undefined;
    el.innerHTML = data.svg;
    // on a phone the map is wider than its box (ui/screens.py): it opens on its middle, where the city is
    if (first && el.scrollWidth > el.clientWidth) el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
  }
  applyLayer(el);
}
"""

_SVG_LAYER_JS = _APPLY_LAYER_JS + r"""
export default function ({ data }) {
  if (!data || !data.map) return;
  (window.__cgdSvgLayers = window.__cgdSvgLayers || {})[data.map] = data.layer || '';
  for (const el of document.querySelectorAll('.cgd-svg')) if (el.dataset.key === data.map) applyLayer(el);
}
"""


@lru_cache(maxsize=1)
def _svg_component():
    return st.components.v2.component(SVG_COMPONENT, html='<div class="cgd-svg"></div>', js=_SVG_JS,
                                      isolate_styles=False)


@lru_cache(maxsize=1)
def _svg_layer_component():
    return st.components.v2.component(SVG_LAYER_COMPONENT, html="", js=_SVG_LAYER_JS, isolate_styles=False)


def svg_markup(svg: str, key: str, layer: str | None = None) -> None:
    """Our own SVG markup (every text in it escaped, core/figsvg.py `svg_text`), replaced only when it changed.

    `layer` (a map with a scenario group, `figsvg.map_svg_parts`) is sent as an element of its own, keyed
    `key + LAYER_SUFFIX` and hidden (ui/screens.py), that fills the map's scenario group: a step that changes
    only the layer leaves the map's element, and its bytes, as they were."""
    _svg_component()(key=key, data={"key": key, "svg": svg}, width="stretch", height="content")
    if layer is not None:
        _svg_layer_component()(key=key + LAYER_SUFFIX, data={"map": key, "layer": layer}, width="stretch",
                               height="content")


@lru_cache(maxsize=1)
def _component():
    return st.components.v2.component(COMPONENT, html=_HTML, css=_CSS, js=_JS, isolate_styles=False)


def _spec(fig: Any) -> str:
    """The figure's JSON, once per figure object (figures are memoised and read-only, ui.widgets.cached_figure)."""
    spec = getattr(fig, "_cgd_spec", None)
    if spec is None:
        spec = fig.to_json() if hasattr(fig, "to_json") else json.dumps(fig)
        with contextlib.suppress(AttributeError, ValueError):
            fig._cgd_spec = spec
    return spec


def plotly_react(fig: Any, key: str, config: dict[str, Any], label: str | None = None) -> None:
    """Draw `fig` in the keyed component (see module doc); `st.plotly_chart` where plotly.js is unavailable."""
    if not available():
        st.plotly_chart(fig, key=key, config=config, width="stretch")
        return
    spec = _spec(fig)
    height = (fig.layout.height if hasattr(fig, "layout") else None) or 450
    _component()(key=key, data={"key": key, "spec": spec, "config": config, "height": height, "label": label or ""},
                 width="stretch", height="content")
