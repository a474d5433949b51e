"""Load test: N concurrent browser sessions against one dashboard server on loopback.

Each session is a fresh Chromium context (its own Streamlit session). It opens the app, then for
a bounded time repeatedly goes to a page through the sidebar, moves a slider there with the
keyboard, and pauses as a reader would. Rerun time is measured in the page: from the key press to
the app's not-running state (the Streamlit state probe in bench/common.py). The server's RSS and CPU
are sampled with psutil throughout (every 0.25 s); the browser's CPU is sampled too, because on a small machine it
competes with the server for the same cores.

    .venv/bin/python bench/loadtest.py                 # 10 sessions, 60 s, appended to bench/RESULTS.md
    .venv/bin/python bench/loadtest.py --sessions 25
    .venv/bin/python bench/loadtest.py --duration 30 --no-append
    .venv/bin/python bench/loadtest.py --proxy         # through HAProxy, 1 vs N workers (bench/loadtest_proxy.py)

Targets (issue 8): 10 sessions, p95 rerun < 1.5 s, no errors, server RSS < 1.5 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402

P95_TARGET_S = 1.5
RSS_TARGET_MB = 1536
SETTLE_TIMEOUT_MS = 30_000
BROWSER_NICE = 19  # see Sampler._browsers
# Protocol-level sessions parse only frames up to this size: larger ones are figures, and parsing them
# made the load generator itself cost as much CPU as the server it measured (bench/RESULTS.md).
LARGE_FRAME = 64 * 1024
CACHE_RUNS = 2  # Streamlit's global.maxCachedMessageAge


def leading_hash(raw: bytes) -> str | None:
    """A serialized ForwardMsg's `hash` (field 1, written first) without parsing the rest; None if absent."""
    if len(raw) < 2 or raw[0] != 0x0A or raw[1] >= 0x80:
        return None
    return raw[2:2 + raw[1]].decode("ascii", "replace")


@dataclass
class Stats:
    reruns: list[float] = field(default_factory=list)  # slider change -> not running (s)
    navigations: list[float] = field(default_factory=list)  # sidebar click -> not running (s)
    first_loads: list[float] = field(default_factory=list)  # navigation start -> first run finished (s)
    errors: list[str] = field(default_factory=list)
    rerun_by_page: dict[str, list[float]] = field(default_factory=dict)
    no_slider: int = 0  # visits to a page that shows no slider (nothing to move)
    wire_reruns: list[float] = field(default_factory=list)  # rerun request sent -> script_finished received (s)
    wire_navigations: list[float] = field(default_factory=list)
    wire_rerun_bytes: list[int] = field(default_factory=list)  # bytes the server sent for a slider rerun


class WireTimer:
    """Times each script run at the websocket: the rerun request the page sends (BackMsg rerun_script)
    to the server's script_finished (ForwardMsg). This is the server's share of a rerun, free of the
    browser's rendering; frames are read in this process as Playwright reports them."""

    def __init__(self, stats: Stats):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.BackMsg, self.ForwardMsg = BackMsg, ForwardMsg
        self.done = {ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].enum_type.values_by_name[n].number
                     for n in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")}
        self.stats = stats
        self.kind = "load"  # what the session is doing: "slider", "navigation" or "load"
        self.sent: float | None = None
        self.received_bytes = 0

    def attach(self, page) -> None:
        def on_websocket(ws):
            if "/_stcore/stream" in ws.url:
                ws.on("framesent", self.on_sent)
                ws.on("framereceived", self.on_received)

        page.on("websocket", on_websocket)

    def on_sent(self, payload) -> None:
        if isinstance(payload, bytes | bytearray):
            with contextlib.suppress(Exception):
                if self.BackMsg.FromString(bytes(payload)).WhichOneof("type") == "rerun_script":
                    self.sent = time.perf_counter()
                    self.received_bytes = 0

    def on_received(self, payload) -> None:
        # script_finished is a few bytes; element deltas (charts) can be megabytes: parse only small frames
        if self.sent is None or not isinstance(payload, bytes | bytearray):
            return
        self.received_bytes += len(payload)
        if len(payload) > 512:
            return
        with contextlib.suppress(Exception):
            msg = self.ForwardMsg.FromString(bytes(payload))
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in self.done:
                elapsed, self.sent = time.perf_counter() - self.sent, None
                if self.kind == "slider":
                    self.stats.wire_reruns.append(elapsed)
                    self.stats.wire_rerun_bytes.append(self.received_bytes)
                elif self.kind == "navigation":
                    self.stats.wire_navigations.append(elapsed)


class Sampler(threading.Thread):
    """Samples server RSS/CPU, browser CPU and machine CPU every `interval` seconds."""

    def __init__(self, server_pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.server = psutil.Process(server_pid)
        self.interval = interval
        self.rss_mb: list[float] = []
        self.server_cpu: list[float] = []
        self.browser_cpu: list[float] = []
        self.machine_cpu: list[float] = []
        self.stop_event = threading.Event()
        self._cpu_procs: dict[int, object] = {}
        self._reniced: set[int] = set()

    def _tree(self, proc) -> list:
        try:
            return [proc, *proc.children(recursive=True)]
        except self.psutil.NoSuchProcess:
            return []

    def _cpu(self, procs) -> float:
        total = 0.0
        for p in procs:
            cached = self._cpu_procs.setdefault(p.pid, p)
            try:
                total += cached.cpu_percent(None)
            except self.psutil.NoSuchProcess:
                self._cpu_procs.pop(p.pid, None)
        return total

    def _browsers(self) -> list:
        """Chromium processes started by this load test (descendants of this process), no one else's.

        Each is reniced to BROWSER_NICE on first sight: the browsers stand in for users' own laptops,
        so on a shared machine they take the cores the server leaves idle rather than the server's.
        """
        try:
            found = [p for p in self.psutil.Process().children(recursive=True)
                     if p.name().startswith(("chromium", "chrome"))]
        except self.psutil.Error:
            return []
        for p in found:
            if p.pid not in self._reniced:
                self._reniced.add(p.pid)
                with contextlib.suppress(self.psutil.Error):
                    p.nice(BROWSER_NICE)
        return found

    def run(self) -> None:
        self.psutil.cpu_percent(None)
        self._cpu(self._tree(self.server))
        self._cpu(self._browsers())
        while not self.stop_event.wait(self.interval):
            tree = self._tree(self.server)
            rss = 0
            for p in tree:
                with contextlib.suppress(self.psutil.NoSuchProcess):
                    rss += p.memory_info().rss
            self.rss_mb.append(rss / 2**20)
            self.server_cpu.append(self._cpu(tree))
            self.browser_cpu.append(self._cpu(self._browsers()))
            self.machine_cpu.append(self.psutil.cpu_percent(None))

    def reset(self) -> None:
        """Forget the samples so far (the warm-up)."""
        for values in (self.rss_mb, self.server_cpu, self.browser_cpu, self.machine_cpu):
            values.clear()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)


def _nav_link(page, target: dict):
    if target["href"] == "/":  # the default page's link: the first in the sidebar navigation
        return page.locator('[data-testid="stSidebarNav"] a').first
    return page.locator(f'[data-testid="stSidebarNav"] a[href$="{target["href"]}"]').first


async def _settle(page, t0: float) -> float:
    return await common.async_wait_settled(page, t0, timeout_ms=SETTLE_TIMEOUT_MS)


async def _move_a_slider(page, rng: random.Random) -> bool:
    """Press an arrow key on a visible slider, towards a value it can reach; False if the page has none."""
    sliders = page.locator('[data-testid="stSlider"]:visible input[type="range"]')
    count = await sliders.count()
    if not count:
        return False
    slider = sliders.nth(rng.randrange(count))
    value = float(await slider.input_value())
    low, high = float(await slider.get_attribute("min")), float(await slider.get_attribute("max"))
    key = "ArrowLeft" if value >= high else "ArrowRight" if value <= low else rng.choice(["ArrowLeft", "ArrowRight"])
    await slider.focus()
    await page.keyboard.press(key)
    return True


async def session(index: int, browser, base: str, pages: list[dict], deadline: float, think: tuple[float, float],
                  stats: Stats) -> None:
    rng = random.Random(1000 + index)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = await context.new_page()
    await page.add_init_script(common.STATE_PROBE_JS)
    page.on("console", lambda m: stats.errors.append(f"s{index} console: {m.text[:200]}")
            if common.console_error_counts(m.type, m.text, (m.location or {}).get("url", "")) else None)
    page.on("pageerror", lambda e: stats.errors.append(f"s{index} pageerror: {str(e)[:200]}"))
    wire = WireTimer(stats)
    wire.attach(page)
    try:
        await page.goto(base + "/")
        stats.first_loads.append(await _settle(page, 0))
        while time.monotonic() < deadline:
            target = rng.choice(pages)
            try:
                wire.kind = "navigation"
                t0 = await page.evaluate("performance.now()")
                await _nav_link(page, target).click()
                stats.navigations.append(await _settle(page, t0))
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*think))
                wire.kind = "slider"
                t0 = await page.evaluate("performance.now()")
                if await _move_a_slider(page, rng):
                    elapsed = await _settle(page, t0)
                    stats.reruns.append(elapsed)
                    stats.rerun_by_page.setdefault(target["page"], []).append(elapsed)
                else:
                    stats.no_slider += 1
                if await page.locator('[data-testid="stException"]').count():
                    stats.errors.append(f"s{index} exception shown on {target['page']}")
            except Exception as exc:  # a timeout or a lost page: count it, reload, carry on
                stats.errors.append(f"s{index} {target['page']}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
                with contextlib.suppress(Exception):
                    await page.goto(base + "/")
                    await _settle(page, 0)
            await asyncio.sleep(rng.uniform(*think))
    finally:
        await context.close()


# ---------------------------------------------------------------- protocol-level sessions (--client ws)


class WsSession:
    """A Streamlit session driven over its websocket, as the browser drives it, with no rendering.

    It sends the same BackMsg the frontend sends (rerun_script with the page's hash and the widget
    states) and times each run from the request to the server's script_finished: the moment the
    frontend would switch to its not-running state. What it measures is the server alone.
    """

    def __init__(self, base: str, cookie: str | None = None):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.BackMsg, self.ForwardMsg = BackMsg, ForwardMsg
        self.base = base
        self.done = {ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].enum_type.values_by_name[n].number
                     for n in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")}
        self.pages: dict[str, str] = {}  # url path ("coverage") -> page_script_hash
        self.page_hash = ""
        self.sliders: dict[str, dict] = {}  # widget id -> {min, max, step, value, int}
        self.exception = False
        self.ws = None
        # Behind the proxy (deploy/serve.py): the stickiness cookie sent, as a browser sends it, and the
        # worker that answered (its X-Dashboard-Worker header and the cookie it set, kept for a reconnect)
        self.cookie = cookie
        self.worker: str | None = None
        # The browser's message cache, as Streamlit's frontend keeps it: the hashes of the large elements it
        # holds go with each rerun request, and the server sends an unchanged one as a reference
        # (runtime/forward_msg_cache.py). Kept for CACHE_RUNS runs after last use (global.maxCachedMessageAge).
        self.cached: dict[str, int] = {}
        self.runs = 0

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await connect(url, subprotocols=["streamlit"], origin=self.base, max_size=None,
                                open_timeout=30, ping_interval=None, additional_headers=headers)
        response_headers = self.ws.response.headers
        self.worker = response_headers.get("X-Dashboard-Worker")
        set_cookie = response_headers.get("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page_hash: str = "", slider: tuple[str, float] | None = None) -> tuple[float, int]:
        """One script run; returns (seconds to script_finished, bytes received)."""
        from streamlit.proto.ClientState_pb2 import ContextInfo

        msg = self.BackMsg()
        state = msg.rerun_script
        state.page_script_hash = page_hash
        state.context_info.CopyFrom(ContextInfo(timezone="UTC", locale="zh-CN", url=self.base + "/"))
        self.runs += 1
        self.cached = {h: n for h, n in self.cached.items() if self.runs - n <= CACHE_RUNS}
        state.cached_message_hashes.extend(sorted(self.cached))
        if slider is not None:
            for wid, info in self.sliders.items():
                widget = state.widget_states.widgets.add(id=wid)
                widget.double_array_value.data.append(slider[1] if wid == slider[0] else info["value"])
        self.sliders = {} if slider is None else self.sliders
        self.exception = False
        started, received = time.perf_counter(), 0
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=SETTLE_TIMEOUT_MS / 1000)
            received += len(raw)
            if len(raw) > LARGE_FRAME:  # a chart's data: not parsed (sliders, status and exceptions are small)
                if (found := leading_hash(raw)) is not None:  # an element this large is cached by a browser
                    self.cached[found] = self.runs
                continue
            fwd = self.ForwardMsg.FromString(raw)
            kind = fwd.WhichOneof("type")
            if fwd.metadata.cacheable and fwd.hash:
                self.cached[fwd.hash] = self.runs
            elif kind == "ref_hash":
                self.cached[fwd.ref_hash] = self.runs
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                if element.WhichOneof("type") == "slider":
                    sl = element.slider
                    value = (list(sl.value) if sl.set_value else []) or list(sl.default)
                    known = self.sliders.get(sl.id, {})
                    self.sliders[sl.id] = {"min": sl.min, "max": sl.max, "step": sl.step or 1,
                                           "value": known.get("value", value[0] if value else sl.min)}
                elif element.WhichOneof("type") == "exception":
                    self.exception = True
            elif kind == "script_finished":
                if fwd.script_finished in self.done:
                    return time.perf_counter() - started, received
                if fwd.script_finished != 2:  # 2 = FINISHED_EARLY_FOR_RERUN: a newer run follows
                    raise RuntimeError(f"script finished with status {fwd.script_finished}")

    def slider_move(self, rng: random.Random) -> tuple[str, float] | None:
        """(widget id, new value) one step up or down on a random slider of the page, or None."""
        if not self.sliders:
            return None
        wid = rng.choice(sorted(self.sliders))
        info = self.sliders[wid]
        up = info["value"] + info["step"] <= info["max"] + 1e-9
        down = info["value"] - info["step"] >= info["min"] - 1e-9
        sign = rng.choice([1, -1]) if up and down else (1 if up else -1)
        info["value"] = round(info["value"] + sign * info["step"], 10)
        return wid, info["value"]


async def ws_session(index: int, base: str, pages: list[dict], deadline: float, think: tuple[float, float],
                     stats: Stats) -> None:
    rng = random.Random(1000 + index)
    client = WsSession(base)
    try:
        await client.connect()
        elapsed, _ = await client.run()
        stats.first_loads.append(elapsed)
        while time.monotonic() < deadline:
            target = rng.choice(pages)
            try:
                page_hash = client.pages.get(target["href"].strip("/"), "")
                elapsed, _ = await client.run(page_hash=page_hash)
                stats.navigations.append(elapsed)
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*think))
                move = client.slider_move(rng)
                if move is None:
                    stats.no_slider += 1
                else:
                    elapsed, size = await client.run(page_hash=page_hash, slider=move)
                    stats.reruns.append(elapsed)
                    stats.wire_rerun_bytes.append(size)
                    stats.rerun_by_page.setdefault(target["page"], []).append(elapsed)
                if client.exception:
                    stats.errors.append(f"s{index} exception shown on {target['page']}")
            except Exception as exc:  # a timeout or a dropped connection: count it, reconnect
                stats.errors.append(f"s{index} {target['page']}: {type(exc).__name__}: {str(exc)[:160]}")
                with contextlib.suppress(Exception):
                    await client.close()
                    client = WsSession(base)
                    await client.connect()
                    await client.run()
            await asyncio.sleep(rng.uniform(*think))
    finally:
        await client.close()


async def _warm_up(browser, base: str, pages: list[dict]) -> None:
    """One session visits every page first, as the server would have been before a hearing."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.add_init_script(common.STATE_PROBE_JS)
    await page.goto(base + "/")
    await common.async_wait_settled(page, 0, timeout_ms=120_000)
    for target in pages:
        t0 = await page.evaluate("performance.now()")
        await _nav_link(page, target).click()
        await common.async_wait_settled(page, t0, timeout_ms=120_000)
    await context.close()


async def run_load(sessions: int, duration: float, think: tuple[float, float], ramp: float,
                   client: str = "browser", extra=None) -> dict:
    """`extra(browser, base_url, deadline)`, when given, is one more coroutine run beside the sessions
    (bench/upload_load.py: a session uploading a worst-case file while the others are measured)."""
    from playwright.async_api import async_playwright

    common.require_chromium()
    all_pages = [{"page": p["page"], "href": p["url"]} for p in common.app_pages()]
    # a hearing mostly works the model pages; the others are visited now and then
    pages = [p for p in all_pages for _ in range(4 if common.slider_params(p["page"]) else 1)]
    stats = Stats()
    with common.StreamlitServer(log_path=REPO / "tests" / "artifacts" / "loadtest-server.log") as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(**common.launch_kwargs())
            sampler = Sampler(server.proc.pid)
            sampler.start()
            await _warm_up(browser, server.url, all_pages)
            sampler.reset()
            started = time.monotonic()
            deadline = started + duration
            tasks = [asyncio.create_task(extra(browser, server.url, deadline))] if extra else []
            for i in range(sessions):
                if client == "ws":
                    job = ws_session(i, server.url, pages, deadline, think, stats)
                else:
                    job = session(i, browser, server.url, pages, deadline, think, stats)
                tasks.append(asyncio.create_task(job))
                await asyncio.sleep(ramp / max(sessions, 1))
            results = await asyncio.gather(*tasks, return_exceptions=True)
            wall = time.monotonic() - started
            sampler.stop()
            await browser.close()
        for r in results:
            if isinstance(r, BaseException):
                stats.errors.append(f"session crashed: {type(r).__name__}: {r}")
        log = server.log_text()
    if "Traceback" in log:
        stats.errors.append("server log has a traceback: " + log[log.index("Traceback"):][:300])
    return {"stats": stats, "sampler": sampler, "wall": wall, "sessions": sessions, "duration": duration,
            "think": think, "client": client}


def report(result: dict) -> tuple[str, bool]:
    stats: Stats = result["stats"]
    s: Sampler = result["sampler"]
    p50 = common.percentile(stats.reruns, 50)
    p95 = common.percentile(stats.reruns, 95)
    rss_peak = max(s.rss_mb, default=float("nan"))
    checks = {
        "p95 rerun": (f"{p95:.2f} s", f"< {P95_TARGET_S} s", bool(stats.reruns) and p95 < P95_TARGET_S),
        "errors": (str(len(stats.errors)), "0", not stats.errors),
        "server RSS (peak)": (f"{rss_peak:,.0f} MB", f"< {RSS_TARGET_MB:,} MB", rss_peak < RSS_TARGET_MB),
    }
    ok = all(met for *_, met in checks.values())

    def pct(values, q, unit="s"):
        return f"{common.percentile(values, q):.2f} {unit}" if values else "—"

    browser = result.get("client", "browser") == "browser"
    who = ("concurrent Chromium sessions" if browser
           else "concurrent protocol-level sessions (Streamlit's websocket messages, no browser)")
    lines = [
        f"{result['sessions']} {who}, {result['duration']:.0f} s "
        f"(wall {result['wall']:.0f} s), think time {result['think'][0]:g}–{result['think'][1]:g} s, "
        "one server on 127.0.0.1; each session: to a page, move a slider, pause, repeat.",
        "",
        "| Figure | Value | Target | Met |",
        "|---|---:|---|---|",
    ]
    for name, (value, target, met) in checks.items():
        lines.append(f"| {name} | {value} | {target} | {'met' if met else '**not met**'} |")
    lines += [
        "",
        "| Measure | n | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
        f"| Rerun after a slider change | {len(stats.reruns)} | {pct(stats.reruns, 50)} | {pct(stats.reruns, 95)} "
        f"| {pct(stats.reruns, 100)} |",
    ]
    for page, values in sorted(stats.rerun_by_page.items()):
        lines.append(f"| · on {page} | {len(values)} | {pct(values, 50)} | {pct(values, 95)} | {pct(values, 100)} |")
    if browser:
        lines.append(f"| · at the websocket: rerun request → script finished | {len(stats.wire_reruns)} "
                     f"| {pct(stats.wire_reruns, 50)} | {pct(stats.wire_reruns, 95)} | {pct(stats.wire_reruns, 100)} |")
    lines += [
        f"| · data sent by the server per slider rerun (MB) | {len(stats.wire_rerun_bytes)} "
        f"| {pct([b / 1e6 for b in stats.wire_rerun_bytes], 50, 'MB')} "
        f"| {pct([b / 1e6 for b in stats.wire_rerun_bytes], 95, 'MB')} "
        f"| {pct([b / 1e6 for b in stats.wire_rerun_bytes], 100, 'MB')} |",
        f"| Visits to a page without a slider | {stats.no_slider} | | | |",
        f"| Page switch | {len(stats.navigations)} | {pct(stats.navigations, 50)} "
        f"| {pct(stats.navigations, 95)} | {pct(stats.navigations, 100)} |",
        *([f"| · at the websocket | {len(stats.wire_navigations)} | {pct(stats.wire_navigations, 50)} "
           f"| {pct(stats.wire_navigations, 95)} | {pct(stats.wire_navigations, 100)} |"] if browser else []),
        f"| First load of a session | {len(stats.first_loads)} | {pct(stats.first_loads, 50)} "
        f"| {pct(stats.first_loads, 95)} | {pct(stats.first_loads, 100)} |",
        f"| Server RSS (MB, sampled every 0.25 s) | {len(s.rss_mb)} | {pct(s.rss_mb, 50, 'MB')} "
        f"| {pct(s.rss_mb, 95, 'MB')} | {pct(s.rss_mb, 100, 'MB')} |",
        f"| Server CPU (% of one core) | {len(s.server_cpu)} | {pct(s.server_cpu, 50, '%')} "
        f"| {pct(s.server_cpu, 95, '%')} | {pct(s.server_cpu, 100, '%')} |",
        *([f"| Chromium CPU (% of one core, all sessions, nice {BROWSER_NICE}) | {len(s.browser_cpu)} "
           f"| {pct(s.browser_cpu, 50, '%')} | {pct(s.browser_cpu, 95, '%')} | {pct(s.browser_cpu, 100, '%')} |"]
          if browser else []),
        f"| Machine CPU (% of all cores) | {len(s.machine_cpu)} | {pct(s.machine_cpu, 50, '%')} "
        f"| {pct(s.machine_cpu, 95, '%')} | {pct(s.machine_cpu, 100, '%')} |",
        "",
        (f"p50 rerun {p50:.2f} s. Rerun time is measured in the page (key press to the app's not-running "
         "state), so it includes the browser's own work, and the browsers run on the same cores as the server."
         if browser else
         f"p50 rerun {p50:.2f} s. Rerun time is from sending the rerun request (the slider's new value) to "
         "receiving script_finished, when the frontend would switch to not running: the server's share alone."),
    ]
    if stats.errors:
        lines += ["", "Errors (first 10):", ""] + [f"- {e}" for e in stats.errors[:10]]
    return "\n".join(lines) + "\n", ok


def main(argv: list[str] | None = None) -> int:
    if "--proxy" in (argv if argv is not None else sys.argv[1:]):  # through HAProxy: bench/loadtest_proxy.py
        from bench import loadtest_proxy

        return loadtest_proxy.main(argv)
    parser = argparse.ArgumentParser(description="Concurrent browser sessions against one dashboard server.")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load after warm-up (default 60)")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="pause between actions, seconds (default 1 3)")
    parser.add_argument("--ramp", type=float, default=5, help="seconds over which sessions join (default 5)")
    parser.add_argument("--client", choices=("browser", "ws"), default="browser",
                        help="browser: real Chromium sessions (default); ws: Streamlit's websocket protocol "
                             "without a browser, to measure the server alone when browsers would crowd its cores")
    parser.add_argument("--no-append", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)

    facts = common.machine_facts()
    print(f"load test: {args.sessions} {args.client} sessions for {args.duration:.0f} s ...", flush=True)
    result = asyncio.run(run_load(args.sessions, args.duration, tuple(args.think), args.ramp, args.client))
    body, ok = report(result)
    print(body)
    if not args.no_append:
        extra = " ".join(argv if argv is not None else sys.argv[1:])
        command = ".venv/bin/python bench/loadtest.py" + (f" {extra}" if extra else "  (make loadtest)")
        kind = "browser" if args.client == "browser" else "protocol-level"
        title = f"Load test, {args.sessions} {kind} sessions, think {args.think[0]:g}–{args.think[1]:g} s"
        common.append_results(common.report_section(title, command, body, facts))
        print(f"appended to {common.RESULTS_MD.relative_to(REPO)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
