"""Browser-test helpers: a Streamlit server on a free loopback port, Debian's Chromium driven by Playwright
(no browser downloads), the page-state probe that tells when a rerun has finished, and the list of pages.

Used by the end-to-end tests (tests/e2e) and, through bench/common.py, by the benchmarks and load tests.

Rerun timing reads Streamlit's own state attribute: the app root `[data-testid="stApp"]` carries
`data-test-connection-state` (``CONNECTED`` once the websocket is up) and `data-test-script-state`
(``running`` while the script runs, ``notRunning`` when it has finished). An init script records
every change of the latter with `performance.now()`, so a rerun that starts and ends between two
polls is still seen, and the time from an input to the app settling is measured in the page.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

READY = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'

# Installed before any page script: records each script-state change of the app root with its time,
# and the time of the last message the server sent over the websocket.
STATE_PROBE_JS = """
(() => {
  window.__stStates = [];
  window.__stWsLast = 0;
  const record = (el) => window.__stStates.push(
      [el.getAttribute('data-test-script-state'), performance.now()]);
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.target.getAttribute && m.target.getAttribute('data-testid') === 'stApp') record(m.target);
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { window.__stWsLast = performance.now(); });
    }
  };
})();
"""

# True once a run has started after t0, the app has been idle (notRunning) for `quiet` ms and no
# element is still a placeholder (Streamlit loads element code lazily and shows `stSkeleton` until it
# arrives); returns the time the last run ended (a page that reruns itself, e.g. st.rerun, counts in full).
# A run counts as started when the app root showed `running` after t0, or when the server sent a
# message after t0: a fast run's "running" and "notRunning" can reach React in one batch, and then
# the attribute never changes (seen in the memory benchmark on the Data page once runs took ~0.1 s).
_SETTLED_JS = """
([t0, quiet]) => {
  const s = (window.__stStates || []).filter(([, t]) => t >= t0);
  const wsLast = window.__stWsLast || 0;
  const started = s.some(([state]) => state !== 'notRunning') || wsLast >= t0;
  if (!started) return null;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return null;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  const t = Math.max(s.length ? s[s.length - 1][1] : 0, wsLast);
  if (performance.now() - t < quiet) return null;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) return null;
  return t;
}
"""


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """`streamlit run <app>` on a free loopback port; a context manager that stops it on exit."""

    def __init__(self, app: Path = APP, port: int | None = None, env: dict[str, str] | None = None,
                 log_path: Path | None = None, extra_args: Sequence[str] = (), cwd: Path | None = None):
        self.app = Path(app)
        self.cwd = Path(cwd) if cwd else REPO  # the tree whose .streamlit/config.toml and data are served
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self._log = None

    def start(self) -> StreamlitServer:
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(self.app),
            "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            *self.extra_args,
        ]
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        out = self._log or subprocess.DEVNULL
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_healthy(self, timeout: float = 60) -> float:
        """Block until /_stcore/health answers ok; returns seconds since start()."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode} before it was healthy"
                                   + self._log_tail())
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"streamlit on {self.url} not healthy after {timeout:.0f} s" + self._log_tail())

    def _log_tail(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n--- server log (tail) ---\n" + self.log_path.read_text(errors="replace")[-3000:]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> StreamlitServer:
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def process_tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and its children."""
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total


# ---------------------------------------------------------------- the browser


def chromium_missing_message() -> str:
    return (f"Chromium not found at {CHROMIUM}. The browser tests need Debian's chromium package: "
            "run `make test` (it runs scripts/setup_system.sh as root) or `apt-get install chromium`. "
            "Playwright's own browser download is not used.")


def require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(chromium_missing_message())


def launch_kwargs() -> dict:
    """Keyword arguments for `playwright.chromium.launch` (sync or async API)."""
    return {"executable_path": CHROMIUM, "headless": True, "args": list(CHROMIUM_ARGS)}


def launch_persistent(playwright, **context_kwargs):
    """A Chromium context on a fresh, throw-away user-data-dir (Debian's chromium; nothing downloaded)."""
    require_chromium()
    user_data_dir = tempfile.mkdtemp(prefix="cgd-chromium-")
    return playwright.chromium.launch_persistent_context(user_data_dir, **launch_kwargs(), **context_kwargs)


def launch_browser(playwright):
    """A Chromium browser; each `new_context()` is a fresh profile (Playwright makes a temp user-data-dir)."""
    require_chromium()
    return playwright.chromium.launch(**launch_kwargs())


# Streamlit's frontend, opened on a page's own URL (/coverage), first probes /coverage/_stcore/health
# and /coverage/_stcore/host-config, gets 404, then uses /_stcore/... (streamlit/streamlit#7074, open).
# Those two 404s are Streamlit's, not this app's; every other console error counts.
_DEEP_LINK_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[^/_][^/]*/_stcore/(health|host-config)$")


def console_error_counts(kind: str, text: str, url: str) -> bool:
    """True for a browser console message that is an error of this app (see _DEEP_LINK_PROBE)."""
    if kind != "error":
        return False
    return not (text.startswith("Failed to load resource") and "404" in text and _DEEP_LINK_PROBE.match(url))


def wait_ready(page, timeout_ms: float = 60_000) -> None:
    """Wait for Streamlit's connected and not-running state."""
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)


def now_ms(page) -> float:
    return page.evaluate("performance.now()")


def wait_settled(page, t0_ms: float, timeout_ms: float = 30_000, quiet_ms: float = 120) -> float:
    """Wait until a run that started after `t0_ms` has finished; returns its duration in seconds."""
    handle = page.wait_for_function(_SETTLED_JS, arg=[t0_ms, quiet_ms], timeout=timeout_ms, polling=25)
    return (handle.json_value() - t0_ms) / 1000


async def async_wait_settled(page, t0_ms: float, timeout_ms: float = 30_000, quiet_ms: float = 120) -> float:
    handle = await page.wait_for_function(_SETTLED_JS, arg=[t0_ms, quiet_ms], timeout=timeout_ms, polling=25)
    return (await handle.json_value() - t0_ms) / 1000


def show_section(page, page_key: str, section: str, lang: str = "zh") -> None:
    """Show another section of a page built one section at a time (`ui.sections`), as a member's tap on
    its switch does, and wait for the run it starts."""
    from dashboard import registry
    from dashboard.core.text import t

    t0 = now_ms(page)
    page.locator(f".st-key-{registry.section_param(page_key)}").get_by_role(  # a segmented control's buttons are radios
        "radio", name=t(f"{page_key}.tab_{section}", lang), exact=True).click()
    wait_settled(page, t0)


def metric_pairs(page) -> list[tuple[str, str]]:
    """(label, value) of every st.metric tile on the page, as displayed."""
    return [tuple(pair) for pair in page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
            (m.querySelector('[data-testid="stMetricLabel"]')?.innerText || '').trim(),
            (m.querySelector('[data-testid="stMetricValue"]')?.innerText || '').trim()])"""
    )]


def wait_charts_drawn(page, timeout_ms: float = 20_000) -> None:
    """Wait until every Plotly chart on the page (dashboard/ui/plotly_react.py) has drawn its SVG, also
    those below the screen (the app draws those as they scroll into view; this draws them now, as printing does)."""
    page.wait_for_function(
        """() => { window.cgdDrawAllCharts?.();
                   return [...document.querySelectorAll('.cgd-plot')]
                          .every(c => c.querySelector('.main-svg') && !c.hasAttribute('data-cgd-pending')); }""",
        timeout=timeout_ms,
    )


# ---------------------------------------------------------------- pages and parameters


def app_pages() -> list[dict]:
    """The app's pages from the registry: [{'page', 'path', 'title_key', 'default', 'url'}].

    dashboard.registry imports no analysis (nor Streamlit), so reading it here is cheap.
    """
    from dashboard import registry

    return [{"page": p.key, "path": p.script, "title_key": f"nav.{p.key}", "default": p is registry.PAGES[0],
             "url": "/" + p.url_path} for p in registry.PAGES]


def slider_params(page: str) -> list:
    """The scenario parameters shown as sliders on a page (int and float kinds)."""
    from dashboard.core.scenario import page_params

    return [p for p in page_params(page) if p.kind in ("int", "float")]
