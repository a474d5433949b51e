"""Browser fixtures: one Streamlit server per test session, Debian's Chromium driven by Playwright.

The server is started on a free loopback port from the working tree, checked with /_stcore/health
and stopped at the end. Chromium is never downloaded: when /usr/bin/chromium is missing the tests
fail with a message that says how to install it (CI must prove the browser tests, not skip them).
Screenshots go to tests/artifacts/screenshots/; with E2E_SCREENSHOTS=docs they also refresh the
committed copies docs/screenshots/e2e-<page>.png (the user guide's own shots have other names).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests import browser as common  # noqa: E402

ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"



@pytest.fixture(scope="session")
def chromium() -> str:
    if not os.access(common.CHROMIUM, os.X_OK):
        pytest.fail(common.chromium_missing_message(), pytrace=False)
    return common.CHROMIUM


@pytest.fixture(scope="session")
def server(chromium):
    """Base URL of `streamlit run dashboard/app.py` on a free port (stopped after the session)."""
    srv = common.StreamlitServer(log_path=ARTIFACTS / "e2e-server.log")
    srv.start()
    try:
        srv.wait_healthy(timeout=90)
        yield srv
    finally:
        srv.stop()
    log = srv.log_text()
    assert "Traceback" not in log, "the server logged a traceback:\n" + log[-4000:]


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = common.launch_browser(pw)
        yield browser
        browser.close()


class Console:
    """Errors the page reported: console.error messages, uncaught exceptions, requests leaving loopback."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.origin = "http://127.0.0.1"

    def on_console(self, msg) -> None:
        # Streamlit's own 404 probes on a deep link (streamlit#7074) are the one exception
        if not common.console_error_counts(msg.type, msg.text, msg.location.get("url", "")):
            return
        self.errors.append(f"console.error: {msg.text} ({msg.location.get('url', '')})")

    def on_pageerror(self, exc) -> None:
        self.errors.append(f"pageerror: {exc}")

    def on_request(self, request) -> None:
        # The dashboard works offline: nothing may leave the loopback server (data: and blob: are local).
        url = request.url
        if not url.startswith((self.origin, "data:", "blob:", "about:")):
            self.errors.append(f"request outside the app server (breaks offline use): {url}")


def _new_page(browser, server, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  base_url=server.url, reduced_motion="reduce")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.add_init_script(common.STATE_PROBE_JS)
    console = Console()
    console.origin = server.url + "/"
    page.on("console", console.on_console)
    page.on("pageerror", console.on_pageerror)
    page.on("request", console.on_request)
    page.console = console
    return context, page


@pytest.fixture
def page(browser, server):
    """A fresh browser context (new Streamlit session) at 1280×800; fails on browser console errors."""
    context, pg = _new_page(browser, server, 1280, 800)
    yield pg
    errors = list(pg.console.errors)
    context.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)


@pytest.fixture
def page_factory(browser, server):
    """page_factory(width, height) -> a page in a fresh context; closed and console-checked at the end."""
    made = []

    def make(width: int = 1280, height: int = 800):
        context, pg = _new_page(browser, server, width, height)
        made.append((context, pg))
        return pg

    yield make
    errors = [e for _, pg in made for e in pg.console.errors]
    for context, _ in made:
        context.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page, name): save the viewport as a PNG artefact (see the module docstring)."""
    return save_screenshot


def save_screenshot(page, name: str) -> Path:
    """Viewport screenshot to tests/artifacts/screenshots/ (and docs/screenshots/ when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    if os.environ.get("E2E_SCREENSHOTS") == "docs":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        _write_small_png(path, DOCS_SCREENSHOTS / f"e2e-{name}.png")
    return path


def _write_small_png(src: Path, dst: Path) -> None:
    """A palette PNG (256 colours): a fraction of the size, no visible loss for a dashboard."""
    from PIL import Image

    with Image.open(src) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
            .save(dst, optimize=True)
