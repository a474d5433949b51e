"""The app as users meet it: cold start against a bare app, page reruns on a slider change, memory per session.

- **Cold start**: from `streamlit run` to the browser seeing the Overview rendered (script finished,
  every chart drawn), against `bench/bare_app.py`, a bare Streamlit app that imports the same
  third-party modules (those the dashboard's code imports by name and has loaded once its Overview
  is rendered, found in a subprocess). Runs alternate dashboard/bare so drift hits both; the ratio is of the medians.
- **Rerun**: each page's script run after a slider change, timed server-side with Streamlit's
  AppTest (each change to a value not seen before, so no per-value cache helps). Pages without a
  scenario slider are timed on a plain rerun.
- **Memory per session**: server RSS after one warm session, then after 10 more browser sessions
  that each visit every page; the difference divided by 10.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

# AppTest outside `streamlit run` warns about a missing ScriptRunContext on every widget access.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402

BARE_APP = REPO / "bench" / "bare_app.py"
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "5"))
RERUN_RUNS = int(os.environ.get("BENCH_RERUN_RUNS", "7"))
MEMORY_SESSIONS = int(os.environ.get("BENCH_MEMORY_SESSIONS", "10"))
RERUN_TARGET_S = 0.300
COLD_RATIO_TARGET = 1.5
LOAD_RSS_TARGET_MB = 1536  # the load test's ceiling for 10 sessions (issue 8)

_LOADED_LIBS_PY = r"""
import ast, importlib.metadata as md, json, pathlib, re, sys, tomllib
from streamlit.testing.v1 import AppTest
app, pyproject, package = sys.argv[1:4]
at = AppTest.from_file(app, default_timeout=180)
at.run()
assert not at.exception, [e.value for e in at.exception]
deps = tomllib.load(open(pyproject, "rb"))["project"]["dependencies"]
wanted = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps}
dists = md.packages_distributions()
third_party = {m for m, ds in dists.items() if any(d.lower().replace("_", "-") in wanted for d in ds)}
named = set()
for path in pathlib.Path(package).rglob("*.py"):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            named.add(node.module)
            named |= {f"{node.module}.{a.name}" for a in node.names}
order = {m: i for i, m in enumerate(sys.modules)}
libs = [m for m in named if m.split(".")[0] in third_party and m in sys.modules]
print(json.dumps(sorted(libs, key=order.get)))
"""


def loaded_libraries() -> list[str]:
    """The third-party modules the dashboard's code imports by name and its Overview's first run loads.

    The bare app imports exactly these (in the same order), so the ratio isolates the dashboard's
    own start-up work: building the database, the models' set-up, the page and its charts.
    """
    out = subprocess.run([sys.executable, "-c", _LOADED_LIBS_PY, str(common.APP), str(REPO / "pyproject.toml"),
                          str(REPO / "dashboard")],
                         cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- cold start


def _cold_start(browser, app: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds to healthy, seconds to first page rendered) from process start."""
    server = common.StreamlitServer(app=app, env=env)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.add_init_script(common.STATE_PROBE_JS)
        server.start()
        healthy = server.wait_healthy(timeout=120)
        page.goto(server.url + "/")
        common.wait_settled(page, 0, timeout_ms=120_000, quiet_ms=50)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
        common.wait_charts_drawn(page, timeout_ms=60_000)
        rendered = time.perf_counter() - server.started_at
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError(f"{app.name} shows an exception on first render")
        return healthy, rendered
    finally:
        context.close()
        server.stop()


def cold_start_rows(browser) -> list[dict]:
    libs = loaded_libraries()
    bare_env = {"BARE_IMPORTS": ",".join(libs)}
    _cold_start(browser, common.APP)  # warm the OS file cache for both; not counted
    _cold_start(browser, BARE_APP, bare_env)
    dash, bare = [], []
    for _ in range(COLD_RUNS):
        dash.append(_cold_start(browser, common.APP))
        bare.append(_cold_start(browser, BARE_APP, bare_env))
    dash_s = common.median(r for _, r in dash)
    bare_s = common.median(r for _, r in bare)
    ratio = dash_s / bare_s
    return [
        {"name": "Cold start: dashboard, `streamlit run` → Overview rendered", "median_s": dash_s, "runs": COLD_RUNS,
         "target_s": None, "met": None,
         "notes": f"server healthy after {common.median(h for h, _ in dash):.2f} s; includes building the "
                  "DuckDB database and drawing the map in the browser"},
        {"name": "Cold start: bare app importing the same libraries", "median_s": bare_s, "runs": COLD_RUNS,
         "target_s": None, "met": None,
         "notes": f"server healthy after {common.median(h for h, _ in bare):.2f} s; imports {', '.join(libs)}"},
        {"name": "Cold start ratio, dashboard / bare app", "median_s": ratio, "unit": "x", "runs": COLD_RUNS,
         "target_s": COLD_RATIO_TARGET, "target_op": "≤", "met": ratio <= COLD_RATIO_TARGET,
         "notes": "ratio of the medians above, measured in the same run, alternating"},
    ]


# ---------------------------------------------------------------- reruns (server side)


def _fresh_values(param, count: int) -> list:
    """`count` distinct non-default values stepping out from the default, alternating up and down."""
    step = param.step or 1
    cast = int if param.kind == "int" else float
    values, k = [], 1
    while len(values) < count and k < 10_000:
        for sign in (1, -1):
            v = cast(round(param.default + sign * k * step, 10))
            if param.min <= v <= param.max and v not in values and len(values) < count:
                values.append(v)
        k += 1
    return values


def _apptest(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(common.APP), default_timeout=120)
    at.run()
    _quiet_streamlit_logs()
    info = next(p for p in common.app_pages() if p["page"] == page)
    if not info["default"]:
        at.switch_page(info["path"])
        at.run()
    if at.exception:
        raise RuntimeError(f"page {page}: {[e.value for e in at.exception]}")
    return at


def _timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"rerun raised: {[e.value for e in at.exception][:1]}")
    return elapsed


def _quiet_streamlit_logs() -> None:
    """AppTest outside `streamlit run` warns about a missing ScriptRunContext on every widget access."""
    from streamlit import logger

    logger.set_log_level("error")


def _page_rerun_row(info: dict) -> dict:
    page = info["page"]
    at = _apptest(page)
    shown = {s.key for s in at.slider}  # a slider in a section not shown first (beds) is not on the page
    sliders = [p for p in common.slider_params(page) if f"{p.page}__{p.key}" in shown]
    times: list[float] = []
    if sliders:
        per_slider = max(2, -(-RERUN_RUNS // len(sliders)))
        for param in sliders:
            for value in _fresh_values(param, per_slider):
                at.slider(key=f"{param.page}__{param.key}").set_value(value)
                times.append(_timed_run(at))
        what = f"slider change ({len(sliders)} slider(s), each to {per_slider} new values)"
    else:
        for _ in range(RERUN_RUNS):
            times.append(_timed_run(at))
        what = "plain rerun (the page has no scenario slider)"
    med = common.median(times)
    return {"name": f"Rerun server-side: {page}", "median_s": med, "runs": len(times),
            "target_s": RERUN_TARGET_S, "met": med < RERUN_TARGET_S,
            "notes": f"{what}; p90 {common.percentile(times, 90) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; "
                     "AppTest, shipped Jingzhou data"}


def rerun_rows() -> list[dict]:
    rows = []
    for info in common.app_pages():
        rows.append(_guarded(f"Rerun server-side: {info['page']}", _page_rerun_row, info)[0])
        gc.collect()
    return rows


def _guarded(name: str, fn, *args) -> list[dict]:
    """fn(*args) as rows (a dict or a list of them); an exception becomes one failed row named `name`."""
    try:
        out = fn(*args)
        return out if isinstance(out, list) else [out]
    except Exception as exc:  # one broken page or step must not hide the other figures
        traceback.print_exc()
        return [{"name": name, "median_s": None, "runs": 0, "target_s": None, "met": False,
                 "notes": f"failed: {type(exc).__name__}: {exc}"[:300]}]


# ---------------------------------------------------------------- memory per session


def _visit_all_pages(page, base: str) -> None:
    """One session: open the app, then every page through the sidebar navigation (same session)."""
    page.add_init_script(common.STATE_PROBE_JS)
    page.goto(base + "/")
    _settled(page, 0, "overview (first load)")
    for info in common.app_pages()[1:]:
        t0 = common.now_ms(page)
        page.locator(f'[data-testid="stSidebarNav"] a[href$="/{info["page"]}"]').first.click()
        _settled(page, t0, info["page"])


def _settled(page, t0: float, what: str) -> None:
    """wait_settled, failing with what was awaited and the page's last script states (for the report)."""
    try:
        common.wait_settled(page, t0, timeout_ms=120_000)
    except Exception as exc:
        states = page.evaluate("(window.__stStates || []).slice(-4)")
        skeletons = page.locator('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]').count()
        raise RuntimeError(f"{what} did not settle ({type(exc).__name__}); url {page.url}, last script states "
                           f"{states}, t0 {t0:.0f}, placeholders left {skeletons}") from exc


def memory_rows(browser) -> list[dict]:
    with common.StreamlitServer() as server:
        warm = browser.new_context()
        _visit_all_pages(warm.new_page(), server.url)
        time.sleep(2)
        base_rss = common.process_tree_rss(server.proc.pid)
        contexts = []
        for _ in range(MEMORY_SESSIONS):
            ctx = browser.new_context()
            contexts.append(ctx)
            _visit_all_pages(ctx.new_page(), server.url)
        time.sleep(2)
        after_rss = common.process_tree_rss(server.proc.pid)
        for ctx in [warm, *contexts]:
            ctx.close()
    per_session_mb = (after_rss - base_rss) / MEMORY_SESSIONS / 2**20
    base_mb = base_rss / 2**20
    budget_mb = (LOAD_RSS_TARGET_MB - base_mb) / 10
    return [
        {"name": "Server RSS after one session (all pages visited)", "median_s": base_mb, "unit": "MB", "runs": 1,
         "target_s": None, "met": None, "notes": "caches warm; the fixed cost every further session shares"},
        {"name": f"Memory per additional session ({MEMORY_SESSIONS} sessions, all pages)", "median_s": per_session_mb,
         "unit": "MB", "runs": MEMORY_SESSIONS, "target_s": budget_mb, "met": per_session_mb < budget_mb,
         "notes": f"RSS {base_mb:.0f} → {after_rss / 2**20:.0f} MB; target = (1.5 GB − idle RSS) / 10, "
                  "the per-session share of the load test's ceiling"},
    ]


# ---------------------------------------------------------------- entry


def run() -> list[dict]:
    from playwright.sync_api import sync_playwright

    common.require_chromium()
    rows: list[dict] = []
    with sync_playwright() as pw:
        browser = common.launch_browser(pw)
        try:
            rows += _guarded("Cold start", cold_start_rows, browser)
            rows += _guarded("Memory per session", memory_rows, browser)
        finally:
            browser.close()
    rows += rerun_rows()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
