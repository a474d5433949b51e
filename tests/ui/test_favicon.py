"""The page icon is the PNG drawn from favicon.svg's shapes (scripts/make_favicon.py), not the SVG itself."""

from __future__ import annotations

import importlib.util

from PIL import Image, ImageChops

from tests.conftest import REPO


def _script():
    spec = importlib.util.spec_from_file_location("make_favicon", REPO / "scripts" / "make_favicon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_png_is_what_the_script_draws():
    with Image.open(REPO / "dashboard" / "assets" / "favicon.png") as shipped:
        assert shipped.size == (64, 64) and shipped.mode == "RGBA"
        diff = ImageChops.difference(shipped.convert("RGBA"), _script().draw())
        assert max(hi for _lo, hi in diff.getextrema()) <= 2  # the same drawing (resampling may differ by a unit)


def test_the_app_uses_the_png():
    """Streamlit sets the icon on every rerun; an SVG icon is parsed into a document each time (app.py)."""
    source = (REPO / "dashboard" / "app.py").read_text("utf-8")
    assert '"favicon.png"' in source and '"favicon.svg"' not in source
