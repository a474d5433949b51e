"""Shared helpers for the benchmarks and the load tests: machine facts, statistics and the Markdown report
appended to `bench/RESULTS.md`; the server, browser and page-state helpers come from tests/browser.py
(the end-to-end tests' own), re-exported here for the bench scripts.

Rerun timing reads Streamlit's own state attribute: the app root `[data-testid="stApp"]` carries
`data-test-connection-state` (``CONNECTED`` once the websocket is up) and `data-test-script-state`
(``running`` while the script runs, ``notRunning`` when it has finished). An init script records
every change of the latter with `performance.now()`, so a rerun that starts and ends between two
polls is still seen, and the time from an input to the app settling is measured in the page.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"
RESULTS_MD = REPO / "bench" / "RESULTS.md"

sys.path.insert(0, str(REPO))  # bench scripts run as files: make `tests` importable
from tests.browser import (  # noqa: E402,F401  (re-exported for the bench scripts)
    CHROMIUM,
    CHROMIUM_ARGS,
    READY,
    STATE_PROBE_JS,
    StreamlitServer,
    app_pages,
    async_wait_settled,
    chromium_missing_message,
    console_error_counts,
    free_port,
    launch_browser,
    launch_kwargs,
    launch_persistent,
    metric_pairs,
    now_ms,
    process_tree_rss,
    require_chromium,
    slider_params,
    wait_charts_drawn,
    wait_ready,
    wait_settled,
)

# ---------------------------------------------------------------- numbers and facts


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def machine_facts() -> dict[str, str]:
    """CPU model, cores, RAM, Python, OS, Streamlit and Chromium versions."""
    import psutil

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    try:
        import streamlit

        st_version = streamlit.__version__
    except ImportError:
        st_version = "not installed"
    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "not installed"
    return {
        "CPU": cpu,
        "Cores": f"{psutil.cpu_count(logical=True)} logical ({psutil.cpu_count(logical=False) or '?'} physical)",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "Python": platform.python_version(),
        "OS": os_name,
        "Streamlit": st_version,
        "Chromium": chromium.removeprefix("Chromium ") or "unknown",
    }


def _fmt_value(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if unit == "s":
        return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.3g} {unit}".strip()


def _fmt_target(row: dict) -> str:
    target = row.get("target_s")
    if target is None:
        return "—"
    unit = row.get("unit", "s")
    op = row.get("target_op", "≤" if unit == "x" else "<")
    return f"{op} {_fmt_value(target, unit)}"


def _fmt_met(met) -> str:
    return "—" if met is None else ("met" if met else "**not met**")


def rows_table(rows: Sequence[dict]) -> str:
    """Markdown table of benchmark rows {name, median_s, runs, target_s, met, notes[, unit, target_op]}."""
    lines = ["| Figure | Median | Runs | Target | Met | Notes |", "|---|---:|---:|---|---|---|"]
    for row in rows:
        notes = str(row.get("notes", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {row.get('name', '?')} | {_fmt_value(row.get('median_s'), row.get('unit', 's'))} "
            f"| {row.get('runs', '—')} | {_fmt_target(row)} | {_fmt_met(row.get('met'))} | {notes} |"
        )
    return "\n".join(lines)


def plain_table(rows: Sequence[dict]) -> str:
    """The same rows for a terminal."""
    out = []
    for row in rows:
        out.append(
            f"{row.get('name', '?')[:58]:<58} {_fmt_value(row.get('median_s'), row.get('unit', 's')):>12} "
            f"{row.get('runs', '—')!s:>4}  {_fmt_target(row):<12} {_fmt_met(row.get('met')).strip('*')}"
        )
    return "\n".join(out)


def report_section(title: str, command: str, body: str, facts: dict[str, str] | None = None) -> str:
    """A dated Markdown section: title, date, command, machine facts, then `body`."""
    facts = facts or machine_facts()
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    head = [f"## {title} — {stamp}", "", f"Command: `{command}`", ""]
    head += [f"- **{k}:** {v}" for k, v in facts.items()]
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        if rev:
            head.append(f"- **Commit:** {rev}")
    except (OSError, subprocess.SubprocessError):
        pass
    return "\n".join(head) + "\n\n" + body.rstrip() + "\n"


def append_results(section: str, path: Path = RESULTS_MD) -> None:
    """Append a section to RESULTS.md (locked, so concurrent runs do not interleave)."""
    header = ("# Benchmark and load-test results\n\n"
              "Appended by `make bench` (bench/run.py) and `make loadtest` (bench/loadtest.py); newest last.\n"
              "Every figure is a median of several runs unless stated; targets come from issue 8.\n")
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            empty = not fh.read(1)
            fh.seek(0, os.SEEK_END)
            fh.write(header if empty else "")
            fh.write("\n" + section)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
