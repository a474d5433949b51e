"""`make serve`: two Streamlit workers behind HAProxy on loopback, a session on each, a killed worker restarted.

The supervisor (deploy/serve.py) runs in this process on free 127.0.0.1 ports. A session is pinned to
a worker with HAProxy's stickiness cookie, as a browser is after its first request; the worker that
answered is read from the X-Dashboard-Worker header HAProxy adds. Sessions speak Streamlit's websocket
protocol (bench/loadtest.py's WsSession: first run, page switch, a slider moved, each to
script_finished without an exception), and one real Chromium session goes through the proxy too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import signal
import time

import pytest

from bench import loadtest
from deploy import serve
from tests import browser as common
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxy(chromium):
    if serve.haproxy_binary() is None:
        pytest.fail(serve.haproxy_missing_message(), pytrace=False)
    run_dir = ARTIFACTS / "serve"
    for old in run_dir.glob("*.log"):
        old.unlink()
    sup = serve.Supervisor(2, common.free_port(), first_worker_port=_two_free_ports(), run_dir=run_dir,
                           log=lambda msg: None)
    with sup:
        sup.start_monitor()
        yield sup
    logs = {p.name: p.read_text(errors="replace") for p in run_dir.glob("worker-*.log")}
    bad = {name: text for name, text in logs.items() if "Traceback" in text}
    assert not bad, "a worker logged a traceback:\n" + "\n".join(f"{n}:\n{t[-3000:]}" for n, t in bad.items())


def _two_free_ports() -> int:
    """A port p with p and p+1 free on 127.0.0.1 (the workers' ports)."""
    for _ in range(50):
        port = common.free_port()
        if port < 65535 and serve.port_free("127.0.0.1", port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


def _in_thread(coro):
    """Run a coroutine on its own event loop (Playwright's sync API owns this thread's)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=180)


async def _session(url: str, worker: str) -> dict:
    """One protocol-level session pinned to `worker`: first load, the coverage page, a slider moved."""
    client = loadtest.WsSession(url, cookie=f"{serve.COOKIE}={worker}")
    await client.connect()
    try:
        answered = client.worker
        await client.run()
        first_page_exception = client.exception
        assert "coverage" in client.pages, client.pages
        await client.run(page_hash=client.pages["coverage"])
        sliders = len(client.sliders)
        move = client.slider_move(random.Random(7))
        await client.run(page_hash=client.pages["coverage"], slider=move)
        return {"worker": answered, "exception": first_page_exception or client.exception, "sliders": sliders,
                "moved": move is not None}
    finally:
        await client.close()


def test_a_session_completes_on_each_worker(proxy):
    for worker in ("w1", "w2"):
        done = _in_thread(_session(proxy.url, worker))
        assert done["worker"] == worker  # the cookie pinned the session to that worker
        assert done["sliders"] > 0 and done["moved"]
        assert not done["exception"]


def test_new_browsers_get_a_worker_cookie(proxy):
    # no cookie: HAProxy balances and sets the cookie naming the worker it chose
    import urllib.request

    with urllib.request.urlopen(proxy.url + "/") as resp:
        worker = resp.headers["X-Dashboard-Worker"]
        assert worker in ("w1", "w2")
        assert resp.headers["Set-Cookie"].startswith(f"{serve.COOKIE}={worker};")


def _open(browser, url: str, path: str = "/"):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", reduced_motion="reduce")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.add_init_script(common.STATE_PROBE_JS)
    page.websockets = []
    page.on("websocket", lambda ws: page.websockets.append(ws.url) if "/_stcore/stream" in ws.url else None)
    page.goto(url + path)
    common.wait_settled(page, 0, timeout_ms=90_000)
    return context, page


def _worker_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == serve.COOKIE), None)


def test_browser_session_through_the_proxy(proxy, browser):
    context, page = _open(browser, proxy.url)
    try:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        assert _worker_cookie(context) in ("w1", "w2")
        assert page.locator('[data-testid="stMetric"]').count() > 0
        assert page.locator('[data-testid="stException"]').count() == 0
        # a page switch over the same (sticky) websocket
        t0 = common.now_ms(page)
        page.locator('[data-testid="stSidebarNav"] a[href$="/coverage"]').first.click()
        common.wait_settled(page, t0, timeout_ms=90_000)
        assert page.locator('[data-testid="stSlider"]').count() > 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors
    finally:
        context.close()


def _press(page, slider, key: str) -> float:
    t0 = common.now_ms(page)
    slider.focus()
    page.keyboard.press(key)
    common.wait_settled(page, t0, timeout_ms=90_000)
    return float(slider.input_value())


def test_a_killed_worker_is_restarted_and_its_browser_carries_on(proxy, browser):
    context, page = _open(browser, proxy.url, "/coverage")
    try:
        slider = page.locator('[data-testid="stSlider"]:visible input[type="range"]').first
        start = float(slider.input_value())
        key = "ArrowLeft" if start > float(slider.get_attribute("min")) else "ArrowRight"
        moved = _press(page, slider, key)  # the scenario now differs from the default (and is in the URL)
        assert moved != start
        victim = proxy.worker(_worker_cookie(context))
        old_pid = victim.pid
        assert len(page.websockets) == 1
        os.kill(old_pid, signal.SIGKILL)
        # the supervisor notices and starts a new process on the same port
        deadline = time.monotonic() + 60
        while victim.pid == old_pid and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim.pid != old_pid, "the supervisor did not restart the killed worker"
        assert victim.restarts >= 1
        proxy.wait_healthy(timeout=120)
        # Streamlit's frontend opens a new websocket through the proxy (HAProxy sends it to the other worker
        # or the restarted one); the next slider move runs the page there. A new session starts from the
        # URL's scenario, so the member keeps the scenario (the first key press after the switch may be
        # absorbed by that; see docs/deploy.md), and the following one moves the slider as usual.
        deadline = time.monotonic() + 60
        while len(page.websockets) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert len(page.websockets) == 2, page.websockets
        first = _press(page, slider, key)
        assert first == pytest.approx(moved) or first == pytest.approx(moved + (moved - start)), (start, moved, first)
        second = _press(page, slider, key)
        assert second != first
        assert _worker_cookie(context) in ("w1", "w2")
        assert page.locator('[data-testid="stMetric"]').count() > 0
        assert page.locator('[data-testid="stException"]').count() == 0
        # the restarted worker serves a whole session again
        done = _in_thread(_session(proxy.url, victim.name))
        assert done["worker"] == victim.name and not done["exception"]
    finally:
        context.close()


def test_the_proxy_gzips_the_scripts_a_first_load_downloads(proxy):
    """Streamlit serves its own scripts (and plotly.js) uncompressed; HAProxy gzips them for a browser that asks."""
    import gzip
    import re
    import urllib.request

    with urllib.request.urlopen(proxy.url + "/") as resp:
        page = resp.read().decode("utf-8")
    script = re.search(r'src="\.?/?(static/js/index\.[^"]+\.js)"', page)
    assert script, page[:2000]
    url = f"{proxy.url}/{script.group(1)}"
    with urllib.request.urlopen(url) as resp:  # no Accept-Encoding: sent as it is
        assert resp.headers.get("Content-Encoding") is None
        plain = resp.read()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})) as resp:
        assert resp.headers.get("Content-Encoding") == "gzip", dict(resp.headers)
        packed = resp.read()
    assert gzip.decompress(packed) == plain and len(packed) < len(plain) / 2, (len(packed), len(plain))


def test_the_protocol_client_holds_large_elements_as_a_browser_does(proxy):
    """The load test's client reports the large elements it holds (as Streamlit's frontend does), so the
    server sends an unchanged map as a reference: the property page run again is a few kB, not ~0.5 MB."""
    async def run() -> tuple[int, int, int]:
        client = loadtest.WsSession(proxy.url, cookie=f"{serve.COOKIE}=w1")
        await client.connect()
        try:
            await client.run()
            _, first = await client.run(page_hash=client.pages["property"])
            _, again = await client.run(page_hash=client.pages["property"])
            return first, again, len(client.cached)
        finally:
            await client.close()

    first, again, held = _in_thread(run())
    assert held >= 1 and first > 300_000 and again < first / 5, (first, again, held)
