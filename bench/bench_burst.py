"""Why a rerun's elements are sent in one burst (dashboard/ui/delta_batch.py), measured on its own.

A one-file Streamlit app (written to a temporary folder) writes `ELEMENTS` Markdown elements spread over
`SPREAD_S` seconds of work (a sleep between writes, as a page computes between its writes). On every
other rerun it writes them inside `delta_batch.batched()`, so the browser receives them in one burst;
on the others Streamlit sends each as it is written. One headless Chromium session presses an arrow key
on the app's slider, so the two modes alternate step by step in the same browser and server. Rows: the
browser's CPU per step (whole process tree, psutil) and the settle time, for each mode.

    .venv/bin/python bench/bench_burst.py            # appends to bench/RESULTS.md
    .venv/bin/python bench/run.py --only burst       # within make bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import bench_browser, common  # noqa: E402

ELEMENTS = 80
SPREAD_S = 0.25
STEPS = int(os.environ.get("BENCH_BURST_STEPS", "12"))  # per mode

APP = '''
import contextlib, time
import streamlit as st
from dashboard.ui.delta_batch import batched

value = st.slider("x", 0, 1000, 500, key="x")
burst = value % 2 == 0  # the harness's arrow keys alternate the parity: the modes alternate
st.markdown("mode: " + ("burst" if burst else "streamed"))
with (batched() if burst else contextlib.nullcontext()):
    for i in range({n}):
        time.sleep({spread} / {n})
        st.markdown(f"Line {{i}} · 范围 2,043–3,347万元 · 来源: 示意 · value {{value}}")
'''


def measure(steps: int = STEPS) -> list[dict]:
    import psutil
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {"burst": {"cpu": [], "settle": []},
                                                 "streamed": {"cpu": [], "settle": []}}
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "burst_app.py"
        app.write_text(APP.format(n=ELEMENTS, spread=SPREAD_S), encoding="utf-8")
        server = common.StreamlitServer(app=app, cwd=Path(tmp), env={"PYTHONPATH": str(REPO)})
        server.start()
        try:
            server.wait_healthy(timeout=120)
            with sync_playwright() as pw:
                before = bench_browser._chromium_pids(psutil)
                browser = pw.chromium.launch(**common.launch_kwargs())
                main_pid = next(p for p in bench_browser._chromium_pids(psutil) - before
                                if bench_browser._is_browser_main(psutil, p))

                page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                page.add_init_script(common.STATE_PROBE_JS)
                page.add_init_script(bench_browser.PAINT_PROBE_JS)
                page.goto(server.url)
                page.wait_for_function(bench_browser._DONE_JS, arg=[0, bench_browser.QUIET_MS], timeout=60_000)
                slider = page.locator('[data-testid="stSlider"] input[type="range"]').first
                for i in range(2 * steps + 2):
                    slider.focus()
                    c0, t0 = bench_browser.tree_cpu_s(main_pid), common.now_ms(page)
                    page.keyboard.press("ArrowRight")
                    last = page.wait_for_function(bench_browser._DONE_JS, arg=[t0, bench_browser.QUIET_MS],
                                                  timeout=60_000, polling=25).json_value()
                    cpu = bench_browser.tree_cpu_s(main_pid) - c0
                    mode = "burst" if "mode: burst" in page.locator('[data-testid="stMain"]').inner_text() else "streamed"
                    if i >= 2:  # the first two steps warm the page up
                        results[mode]["cpu"].append(cpu)
                        results[mode]["settle"].append((last - t0) / 1000)
                browser.close()
        finally:
            server.stop()
    rows = []
    for mode, what in (("streamed", "one message per element (Streamlit's default)"),
                       ("burst", "held and sent in one burst (delta_batch.batched)")):
        r = results[mode]
        rows.append({"name": f"Browser CPU per rerun, {ELEMENTS} elements over {SPREAD_S * 1000:.0f} ms: {mode}",
                     "median_s": common.median(r["cpu"]), "unit": "CPU-s", "runs": len(r["cpu"]),
                     "target_s": None, "met": None,
                     "notes": f"{what}; settle median {common.median(r['settle']) * 1000:.0f} ms; "
                              f"whole Chromium process tree (psutil)"})
    return rows


def run() -> list[dict]:
    return measure()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"steps per mode (default {STEPS})")
    parser.add_argument("--no-append", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    facts = common.machine_facts()
    rows = measure(args.steps)
    print(common.plain_table(rows))
    if not args.no_append:
        command = ".venv/bin/python bench/bench_burst.py" + (f" --steps {args.steps}" if args.steps != STEPS else "")
        common.append_results(common.report_section("One burst per rerun (issue 20)", command,
                                                    common.rows_table(rows), facts))
        print("appended to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
