"""The hearing brief (PPTX/PDF): one slide per analysis with its chart, figures, settings, sources and link.

Charts are the pages' own figure builders, drawn to images by plotly's static export; without a browser
the brief is still made, text-only, with a note on each slide saying why. No Streamlit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from dashboard.core.scenario import Scenario
from dashboard.data import db
from dashboard.exports.content import Brief, BriefError, build_slides
from dashboard.exports.images import attach_images
from dashboard.exports.pdf_file import pdf_bytes
from dashboard.exports.pptx_file import pptx_bytes

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- the brief


def build_brief(scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None,
                pages: Sequence[str] | None = None, base: str | None = None, images: bool = True) -> Brief:
    """Slides with content and (when a renderer is available) chart images."""
    slides = build_slides(scenario, lang, overlay, pages, base, with_figures=images)
    notes, seconds = attach_images(slides, lang) if images else ([], 0.0)
    for s in slides:
        if s.chart_note and s.chart_note not in notes:
            notes.append(f"{s.title}: {s.chart_note}")
    for note in notes:
        log.warning("%s", note)
    return Brief(slides, lang, scenario, notes, seconds)


def brief_bytes(scenario: Scenario, fmt: str, lang: str = "zh", overlay: db.Overlay | None = None,
                base: str | None = None, images: bool = True, brief: Brief | None = None) -> bytes:
    """The brief as PPTX or PDF bytes (or the interactive HTML brief, dashboard/exports/html.py)."""
    if fmt == "html":
        from dashboard.exports import html

        return html.html_bytes(scenario, lang, overlay, base)
    brief = brief or build_brief(scenario, lang, overlay, base=base, images=images)
    if fmt == "pptx":
        return pptx_bytes(brief)
    if fmt == "pdf":
        return pdf_bytes(brief)
    raise BriefError(f"unknown brief format {fmt!r}; expected 'pptx' or 'pdf'")


def write_brief(scenario: Scenario, fmt: str, out_path: str | Path, lang: str = "zh",
                overlay: db.Overlay | None = None, base: str | None = None, images: bool = True,
                pages: Sequence[str] | None = None) -> Brief:
    """Write the hearing brief (PPTX or PDF) to `out_path`; returns the brief (its `notes` say what is missing)."""
    if fmt not in ("pptx", "pdf"):
        raise BriefError(f"unknown brief format {fmt!r}; expected 'pptx' or 'pdf'")
    brief = build_brief(scenario, lang, overlay, pages=pages, base=base, images=images)
    data = brief_bytes(scenario, fmt, brief=brief)
    out = Path(out_path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return brief
