"""Draw dashboard/assets/favicon.png from the shapes of favicon.svg (Pillow; deterministic output).

Why a PNG: Streamlit sets the page icon again on every rerun, and Chromium parses an SVG icon into
a document of its own each time (9-20 ms of the page's main thread per slider step, DevTools trace);
a 64 px PNG decodes in well under a millisecond. The SVG stays the source of the drawing.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "dashboard" / "assets"
SCALE = 8  # drawn at 512 px, reduced to 64 px: smooth edges


def draw() -> Image.Image:
    s = SCALE
    img = Image.new("RGBA", (64 * s, 64 * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, 64 * s - 1, 64 * s - 1), radius=12 * s, fill="#0072B2")
    # the house: M10 33 32 13 l22 20 h-7 v19 H17 V33 z
    house = [(10, 33), (32, 13), (54, 33), (47, 33), (47, 52), (17, 52), (17, 33)]
    d.polygon([(x * s, y * s) for x, y in house], fill="#FFFFFF")
    d.rectangle((28 * s, 39 * s, 36 * s - 1, 52 * s - 1), fill="#E69F00")  # the door
    return img.resize((64, 64), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    out = ASSETS / "favicon.png"
    draw().save(out, optimize=True)
    print(out)
