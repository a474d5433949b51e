"""Screenshots for the README and docs/hearings.md: presentation mode in a browser, and brief slides.

    .venv/bin/python scripts/screenshots.py [--port 8599] [--out docs/screenshots]

Starts the app on a spare port (its own process, stopped at the end), opens pages in presentation
mode in headless Chromium (/usr/bin/chromium, driven by playwright; nothing is downloaded) at
1920×1080 and 1280×720, then writes the brief as PDF and renders slides to PNG with pdftoppm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# (file name, page path, query, viewport)
SHOTS = [
    ("present-overview-1920.png", "", "present=1", (1920, 1080)),
    ("present-beds-1920.png", "beds", "present=1&beds_new_per_year=1500", (1920, 1080)),
    ("present-coverage-1280.png", "coverage", "present=1&new_centres=8", (1280, 720)),
    ("present-pay-1280.png", "pay", "present=1&pay_coefficient=1", (1280, 720)),
    ("hearing-footer.png", "beds", "beds_new_per_year=1500", (1440, 900)),
]
BRIEF_SCENARIO = {"beds_new_per_year": 1500, "new_centres": 8, "pay_coefficient": 1.0}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not answer at {url} within {timeout:.0f} s")


def browser_shots(port: int, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, path, query, (w, h) in SHOTS:
            page = browser.new_page(viewport={"width": w, "height": h}, locale="zh-CN")
            page.goto(f"http://localhost:{port}/{path}?{query}", wait_until="networkidle")
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            page.wait_for_timeout(2500)  # plotly finishes drawing
            if name == "hearing-footer.png":
                page.get_by_text("分享链接").first.scroll_into_view_if_needed()
                page.wait_for_timeout(800)
            page.screenshot(path=str(out / name))
            print(f"wrote {out / name}")
            page.close()
        browser.close()


def brief_slides(out: Path) -> None:
    from dashboard.core.scenario import Scenario
    from dashboard.exports import brief

    scenario = Scenario.from_values(BRIEF_SCENARIO)[0]
    for lang in ("zh", "en"):  # every slide in both languages (brief-<page>.png, brief-en-<page>.png)
        _brief_slides(out, scenario, lang, brief)


def _brief_slides(out: Path, scenario, lang: str, brief) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "brief.pdf"
        start = time.perf_counter()
        made = brief.write_brief(scenario, "pdf", pdf, lang=lang)
        print(f"brief ({lang}): {len(made.slides)} slides, {pdf.stat().st_size / 1e3:.0f} kB, "
              f"{time.perf_counter() - start:.1f} s (charts {made.render_seconds:.1f} s)")
        for i, slide in enumerate(made.slides, start=1):
            target = out / (f"brief-{slide.page}" if lang == "zh" else f"brief-en-{slide.page}")
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(i), "-l", str(i), "-singlefile", str(pdf),
                            str(target)], check=True)
            print(f"wrote {target}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    brief_slides(out)
    if args.skip_browser:
        return 0
    port = args.port or free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/_stcore/health")
        if app.poll() is not None:
            raise RuntimeError(f"streamlit exited (code {app.returncode}); is port {port} taken?")
        browser_shots(port, out)
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
