"""What a slider change costs in the browser and on the server, page by page, optionally old code beside new.

For each page with a scenario slider, one idle session in headless Chromium presses an arrow key on the
page's first slider (a new value each time) and measures:

- **settle**: from the key press to the last changed element painted: the script has finished, no DOM
  change for `QUIET_MS`, and the time is that of the animation frame after the last DOM change in the page;
- **browser CPU**: CPU seconds of that browser's whole process tree (psutil) over the change, and the
  renderer main thread's share (Chrome DevTools Protocol `Performance.getMetrics` TaskDuration);
- **on the wire**: bytes over the loopback interface during the change (both ways, as compressed), the
  traffic a phone would wait for on a real network;
- **plotly containers replaced**: charts whose DOM node was thrown away and drawn again (`st.plotly_chart`
  remounts a chart whose figure changed; the app's own component, dashboard/ui/plotly_react.py, updates it
  in place with `Plotly.react`, so its count stays 0, while a `--before` tree older than it shows remounts);
- **server rerun**: the page's AppTest rerun after a slider change (bench_app.py's rerun row), run in a
  subprocess of each side's tree.

`--before REF` (or BENCH_BEFORE=REF) also serves a `git worktree` of REF on another port, with its own
browser, and alternates the two sides change by change (the machine is shared: only ratios measured in one
run mean much). Without it only the working tree is measured.

    .venv/bin/python bench/bench_browser.py --before main --runs 8          # appends to bench/RESULTS.md
    .venv/bin/python bench/run.py --only browser                          # new side only (make bench)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402

RUNS = int(os.environ.get("BENCH_BROWSER_RUNS", "8"))
SERVER_RUNS = int(os.environ.get("BENCH_RERUN_RUNS", "5"))
QUIET_MS = 400
SETTLE_TARGET_S = 0.500
CPU_TARGET_S = 0.300
RERUN_TARGET_S = 0.300

# Installed before the page's scripts: the time of the animation frame after each DOM change, and a
# counter of Plotly containers that appeared (a chart remounted or drawn for the first time).
PAINT_PROBE_JS = """
(() => {
  window.__paint = {last: 0, plotlyAdded: 0};
  const start = () => new MutationObserver((mutations) => {
    for (const m of mutations) {
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches && n.matches('.cgd-plot, [data-testid="stPlotlyChart"]')) window.__paint.plotlyAdded++;
        else if (n.querySelectorAll) window.__paint.plotlyAdded += n.querySelectorAll('.cgd-plot, [data-testid="stPlotlyChart"]').length;
      }
    }
    requestAnimationFrame(() => { window.__paint.last = performance.now(); });
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""

# A run that started after t0 has finished, and the page has not changed for `quiet` ms.
_DONE_JS = """
([t0, quiet]) => {
  const s = (window.__stStates || []).filter(([, t]) => t >= t0);
  const started = s.some(([state]) => state !== 'notRunning') || (window.__stWsLast || 0) >= t0;
  if (!started) return null;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if (document.querySelector('[data-testid="stSkeleton"]')) return null;
  const last = Math.max(window.__paint.last, window.__stWsLast || 0, s.length ? s[s.length - 1][1] : 0);
  if (performance.now() - last < quiet) return null;
  return last;
}
"""


class Side:
    """One tree (the working tree, or a worktree of an older commit) served with its own browser."""

    def __init__(self, name: str, root: Path, playwright, log_dir: Path):
        self.name, self.root = name, root
        env = {"PYTHONPATH": str(root)}  # this tree's `dashboard` before the editable install's
        self.server = common.StreamlitServer(app=root / "dashboard" / "app.py", env=env,
                                             log_path=log_dir / f"{name}.log", cwd=root)
        self.playwright = playwright
        self.browser = self.context = self.page = self.cdp = None
        self.pid: int | None = None
        self.results: dict[str, dict[str, list[float]]] = {}

    def start(self) -> None:
        self.server.start()
        self.server.wait_healthy(timeout=180)
        import psutil

        before = _chromium_pids(psutil)
        self.browser = self.playwright.chromium.launch(**common.launch_kwargs())
        new = [p for p in _chromium_pids(psutil) - before if _is_browser_main(psutil, p)]
        self.pid = new[0] if new else None
        self.context = self.browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.page.add_init_script(common.STATE_PROBE_JS)
        self.page.add_init_script(PAINT_PROBE_JS)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.browser.close()
        self.server.stop()

    def open(self, info: dict) -> None:
        self.page.goto(self.server.url + info["url"])
        common.wait_settled(self.page, 0, timeout_ms=180_000)
        common.wait_charts_drawn(self.page, timeout_ms=120_000)
        self.page.wait_for_function(_DONE_JS, arg=[0, QUIET_MS], timeout=60_000, polling=50)

    def _task_s(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    def _tree_cpu_s(self) -> float:
        return tree_cpu_s(self.pid)

    def change(self, slider_index: int = 0) -> dict:
        """Press an arrow key on the page's first visible slider; what the change cost."""
        page = self.page
        slider = page.locator('[data-testid="stSlider"]:visible input[type="range"]').nth(slider_index)
        value, high = float(slider.input_value()), float(slider.get_attribute("max"))
        key = "ArrowRight" if value < high else "ArrowLeft"
        slider.focus()
        page.evaluate("window.__paint.plotlyAdded = 0")
        task0, cpu0, wire0 = self._task_s(), self._tree_cpu_s(), loopback_bytes()
        t0 = common.now_ms(page)
        page.keyboard.press(key)
        last = page.wait_for_function(_DONE_JS, arg=[t0, QUIET_MS], timeout=120_000, polling=25).json_value()
        task1, cpu1, wire1 = self._task_s(), self._tree_cpu_s(), loopback_bytes()
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError(f"{self.name}: the page shows an exception after a slider change")
        return {"settle": (last - t0) / 1000, "cpu": cpu1 - cpu0, "task": task1 - task0,
                "replaced": page.evaluate("window.__paint.plotlyAdded"), "wire": wire1 - wire0}


def loopback_bytes() -> float:
    """Bytes sent on the loopback interface so far (server and browser talk over it; sides take turns, so the
    difference over one change is that change's traffic, as compressed on the wire). NaN where there is none."""
    import psutil

    counters = psutil.net_io_counters(pernic=True).get("lo")
    return float(counters.bytes_sent) if counters else float("nan")


def tree_cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by browser process `pid` and all its children (NaN if gone)."""
    import psutil

    if pid is None:
        return float("nan")
    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    except psutil.Error:
        return float("nan")
    return total


def _chromium_pids(psutil) -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True) if "chrom" in (p.name() or "").lower()}


def _is_browser_main(psutil, pid: int) -> bool:
    with contextlib.suppress(psutil.Error):
        return not any(a.startswith("--type=") for a in psutil.Process(pid).cmdline())
    return False


# ---------------------------------------------------------------- server reruns (AppTest, per tree)

_RERUN_PY = r"""
import json, os, sys
os.environ["BENCH_RERUN_RUNS"] = sys.argv[2]
sys.path.insert(0, os.getcwd())
from bench import bench_app, common
info = next(p for p in common.app_pages() if p["page"] == sys.argv[1])
row = bench_app._page_rerun_row(info)
print("ROW " + json.dumps({"median_s": row["median_s"], "notes": row["notes"]}))
"""


def server_rerun(root: Path, page: str, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "STREAMLIT_LOGGER_LEVEL": "error"}
    out = subprocess.run([sys.executable, "-c", _RERUN_PY, page, str(runs)], cwd=root, env=env,
                         capture_output=True, text=True, timeout=900)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("ROW ")), None)
    if line is None:
        raise RuntimeError(f"server rerun of {page} in {root} failed: {out.stderr[-800:]}")
    return json.loads(line[4:])


# ---------------------------------------------------------------- the run


@contextlib.contextmanager
def worktree(ref: str):
    """A detached `git worktree` of `ref` in a temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="cgd-before-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=REPO, check=True,
                   capture_output=True, text=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO, capture_output=True)


def measure(before: str | None = None, runs: int = RUNS, pages: list[str] | None = None,
            server_runs: int = SERVER_RUNS) -> list[dict]:
    from playwright.sync_api import sync_playwright

    common.require_chromium()
    infos = [p for p in common.app_pages() if common.slider_params(p["page"]) and (not pages or p["page"] in pages)]
    with contextlib.ExitStack() as stack, sync_playwright() as pw:
        log_dir = Path(tempfile.mkdtemp(prefix="cgd-bench-browser-"))
        sides = [Side("new", REPO, pw, log_dir)]
        if before:
            sides.append(Side(f"before ({before})", stack.enter_context(worktree(before)), pw, log_dir))
        for side in sides:
            stack.callback(side.stop)
            side.start()
        for info in infos:
            for side in sides:
                side.open(info)
                side.change()  # warm: the page's first change (lazy chunks, first caches)
            for i in range(runs):
                for side in (sides if i % 2 == 0 else sides[::-1]):
                    got = side.change()
                    bucket = side.results.setdefault(info["page"], {})
                    for k, v in got.items():
                        bucket.setdefault(k, []).append(v)
        server = {}
        for info in infos if server_runs > 0 else ():
            for side in (sides if len(infos) % 2 else sides[::-1]):
                server[(side.name, info["page"])] = {**server_rerun(side.root, info["page"], server_runs),
                                                     "runs": server_runs}
    return _rows(sides, infos, server, runs)


def _rows(sides, infos, server, runs) -> list[dict]:
    rows = []
    for info in infos:
        page = info["page"]
        for side in sides:
            r = side.results[page]
            p95 = common.percentile(r["settle"], 95)
            cpu = common.median(r["cpu"])
            tag = f"{page}, {side.name}"
            new = side is sides[0]
            rows.append({"name": f"Slider change → last element painted, p95: {tag}", "median_s": p95, "runs": runs,
                         "target_s": SETTLE_TARGET_S if new else None, "met": (p95 < SETTLE_TARGET_S) if new else None,
                         "notes": f"median {common.median(r['settle']) * 1000:.0f} ms; plotly containers replaced "
                                  f"per change: median {common.median(r['replaced']):.0f}; on the wire per change "
                                  f"(loopback, both ways): median {common.median(r['wire']) / 1000:.0f} kB"})
            rows.append({"name": f"Browser CPU per slider change (median): {tag}", "median_s": cpu, "unit": "CPU-s",
                         "runs": runs, "target_s": CPU_TARGET_S if new else None,
                         "met": (cpu < CPU_TARGET_S) if new else None,
                         "notes": f"whole Chromium process tree (psutil); p95 {common.percentile(r['cpu'], 95):.2f}; "
                                  f"renderer main thread (CDP TaskDuration) median {common.median(r['task']):.2f} s"})
            srv = server.get((side.name, page))
            if srv is None:
                continue
            rows.append({"name": f"Rerun server-side: {tag}", "median_s": srv["median_s"], "runs": srv["runs"],
                         "target_s": RERUN_TARGET_S if new else None,
                         "met": (srv["median_s"] < RERUN_TARGET_S) if new else None, "notes": srv["notes"]})
    return rows


def run() -> list[dict]:
    """`make bench`: the working tree only (BENCH_BEFORE=REF adds the old side)."""
    return measure(os.environ.get("BENCH_BEFORE") or None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REF", help="also measure this commit (a git worktree), alternating")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"slider changes per page and side (default {RUNS})")
    parser.add_argument("--server-runs", type=int, default=SERVER_RUNS, help="AppTest reruns per page and side (0: none)")
    parser.add_argument("--pages", nargs="*", help="only these pages")
    parser.add_argument("--no-append", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    facts = common.machine_facts()
    rows = measure(args.before, args.runs, args.pages, args.server_runs)
    print(common.plain_table(rows))
    for row in rows:
        print(f"  {row['name']}: {row['notes']}")
    if not args.no_append:
        command = ".venv/bin/python bench/bench_browser.py " + " ".join(argv if argv is not None else sys.argv[1:])
        body = ("One idle session per side, each with its own server and headless Chromium; sides alternate "
                "change by change. Settle: key press on the page's first slider → the animation frame after the "
                f"last DOM change (script finished, {QUIET_MS} ms quiet). CPU: the browser's process tree.\n\n")
        common.append_results(common.report_section("Light reruns (issue 20)", command.strip(),
                                                     body + common.rows_table(rows), facts))
        print(f"appended to {common.RESULTS_MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
