"""Chart images (PNG/SVG) by plotly's static export (kaleido 1.x driving a local Chrome/Chromium). No Streamlit.

Configuration (environment):
    BROWSER_PATH           the Chrome/Chromium kaleido should drive (default: chromium on PATH)
    DASHBOARD_CHART_IMAGES set to 0 to leave chart images out (text-only brief)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from dashboard.core.text import t
from dashboard.exports.content import Slide

log = logging.getLogger(__name__)

# Chart image sizes, in CSS pixels (× scale for the bitmap): the slide's chart box is 16:9.2.
SLIDE_CHART_PX = (1100, 660)
SLIDE_CHART_SCALE = 2
DOWNLOAD_CHART_PX = (1600, 900)
DOWNLOAD_CHART_SCALE = 3
RENDER_TIMEOUT_S = 120


# The plotly template every exported figure is drawn with. A Streamlit process sets plotly's *default*
# template to "streamlit" (streamlit/elements/plotly_chart.py, on import), which lacks the "plotly"
# template's axis automargins: with the house margins of 10 px, the brief and chart downloads made from
# the UI then lost their axis labels (the pay chart its scale) while the CLI's did not. Every export
# (PNG/SVG, the slides, the HTML brief) names this template itself, so both paths draw the same figure.
EXPORT_TEMPLATE = "plotly"


def export_figure(fig: go.Figure) -> go.Figure:
    """A copy of `fig` with the export template named explicitly (same drawing in the app's process and the CLI)."""
    import plotly.io as pio

    out = go.Figure(fig)
    out.layout.template = pio.templates[EXPORT_TEMPLATE]
    return out


class RendererUnavailable(RuntimeError):
    """No Chrome/Chromium for plotly's static export, or it failed; the message says which."""



# ---------------------------------------------------------------- chart images


def images_enabled() -> bool:
    return os.environ.get("DASHBOARD_CHART_IMAGES", "1").strip().lower() not in ("0", "false", "no", "off")


def browser_path() -> str | None:
    """The Chrome/Chromium plotly's static export will drive, or None (BROWSER_PATH wins if set)."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def renderer_problem(lang: str = "zh") -> str | None:
    """Why chart images cannot be made here (in `lang`), or None when they can."""
    if not images_enabled():
        return t("hearing.images_off", lang)
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return t("hearing.no_renderer", lang)
    if browser_path() is None:
        return t("hearing.no_renderer", lang)
    return None


_IMAGE_CACHE: OrderedDict[str, bytes] = OrderedDict()
_IMAGE_CACHE_SIZE = 64
_RENDER_LOCK = threading.Lock()


def _image_key(fig: go.Figure, fmt: str, width: int, height: int, scale: float) -> str:
    digest = hashlib.sha256(fig.to_json().encode())
    digest.update(f"{fmt}|{width}|{height}|{scale}".encode())
    return digest.hexdigest()


def render_images(figs: Sequence[go.Figure], fmt: str = "png", width: int = DOWNLOAD_CHART_PX[0],
                  height: int = DOWNLOAD_CHART_PX[1], scale: float = DOWNLOAD_CHART_SCALE) -> list[bytes]:
    """Draw figures to PNG/SVG bytes with one browser session; raises RendererUnavailable with the reason."""
    problem = renderer_problem("en")
    if problem:
        raise RendererUnavailable(problem)
    figs = [export_figure(f) for f in figs]
    keys = [_image_key(f, fmt, width, height, scale) for f in figs]
    # One drawing at a time (each starts a browser); sessions asking for the same chart wait and share it.
    with _RENDER_LOCK:
        todo = [(k, f) for k, f in zip(keys, figs, strict=True) if k not in _IMAGE_CACHE]
        if todo:
            sized = [go.Figure(f).update_layout(width=width, height=height) for _, f in todo]
            images = _run_kaleido(sized, dict(format=fmt, width=width, height=height, scale=scale))
            for (key, _), img in zip(todo, images, strict=True):
                _IMAGE_CACHE[key] = img
        found = [_IMAGE_CACHE[k] for k in keys]
        while len(_IMAGE_CACHE) > _IMAGE_CACHE_SIZE:
            _IMAGE_CACHE.popitem(last=False)
    return found


def figure_image(fig: go.Figure, fmt: str = "png", width: int = DOWNLOAD_CHART_PX[0],
                 height: int = DOWNLOAD_CHART_PX[1], scale: float = DOWNLOAD_CHART_SCALE) -> bytes:
    """One high-resolution chart image (PNG: 4800×2700 px by default; SVG: vector)."""
    return render_images([fig], fmt, width, height, scale)[0]


def _run_kaleido(figs: Sequence[go.Figure], opts: dict[str, Any]) -> list[bytes]:
    import kaleido

    path = browser_path()

    async def draw() -> list[bytes]:
        # mathjax=False: the default page loads MathJax from a CDN, which a hearing room may not reach.
        page = kaleido.PageGenerator(mathjax=False)
        async with kaleido.Kaleido(n=1, page_generator=page, timeout=RENDER_TIMEOUT_S, path=path) as k:
            return [await k.calc_fig(f, opts=opts) for f in figs]

    # Own thread and event loop: callers may already run inside one (Streamlit, Jupyter).
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaleido")
    try:
        return pool.submit(asyncio.run, draw()).result(timeout=RENDER_TIMEOUT_S + 30)
    except concurrent.futures.TimeoutError:
        raise RendererUnavailable(f"chart rendering took longer than {RENDER_TIMEOUT_S + 30} s") from None
    except RendererUnavailable:
        raise
    except Exception as exc:
        raise RendererUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    finally:
        pool.shutdown(wait=False)


def attach_images(slides: Sequence[Slide], lang: str) -> tuple[list[str], float]:
    """Draw each slide's figure into `slide.image`; on failure leave notes and a text-only brief."""
    todo = [s for s in slides if s.figure is not None and s.image is None]
    if not todo:
        return [], 0.0
    problem = renderer_problem(lang)
    if problem:
        for s in todo:
            s.chart_note = t("hearing.no_chart", lang, reason=problem)
        return [t("hearing.no_chart", lang, reason=problem)], 0.0
    start = time.perf_counter()
    try:
        images = render_images([s.figure for s in todo], "png", *SLIDE_CHART_PX, SLIDE_CHART_SCALE)
    except RendererUnavailable as exc:
        note = t("hearing.no_chart", lang, reason=t("hearing.render_failed", lang, error=str(exc)[:160]))
        for s in todo:
            s.chart_note = note
        return [note], time.perf_counter() - start
    for s, img in zip(todo, images, strict=True):
        s.image = img
    return [], time.perf_counter() - start
