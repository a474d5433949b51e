"""What ranges and drivers add to a slider rerun's server time (issue 14: at most +30%).

For each analysis page, AppTest moves every slider to fresh values, alternating two modes on the same
session so machine noise hits both alike: *with* ranges (the shipped page) and *without* (the ranges
switched off in-process: `ranges.headline` returns the plain headline, the driver sentence is empty and
the drivers section is not drawn — the page as it was before ranges). Every value is new, so neither
mode profits from the other's caches. Shipped Jingzhou data.

On a shared, loaded machine the two medians drift apart by more than the ranges cost, so the runs
*with* ranges also time the ranges code itself (outermost calls of the range computation, the ranged
headline, the driver sentence and the drivers section, in the script thread): "added share" is that
time over the rest of the rerun, the figure the target is judged on.

    .venv/bin/python bench/bench_ranges.py
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_app, common

TARGET_RATIO = 1.30
PAGES = ("coverage", "beds", "pay")


class _RangesTimer:
    """Time spent inside the ranges code during a rerun (outermost calls only; restored on exit)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._depth = 0

    def _wrap(self, fn):
        def timed(*args, **kwargs):
            self._depth += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:
                    self.total += time.perf_counter() - started
        return timed

    def __enter__(self):
        from dashboard.core import ranges
        from dashboard.ui import ranges_panel

        self._saved = [(ranges, n, getattr(ranges, n)) for n in ("headline", "for_scenario", "driver_sentence")]
        self._saved.append((ranges_panel, "show", ranges_panel.show))
        for mod, name, fn in self._saved:
            setattr(mod, name, self._wrap(fn))
        return self

    def __exit__(self, *exc):
        for mod, name, fn in self._saved:
            setattr(mod, name, fn)


class _RangesOff:
    """Switch ranges off in this process (restored on exit)."""

    def __enter__(self):
        from dashboard import registry
        from dashboard.core import ranges
        from dashboard.ui import ranges_panel

        self._saved = (ranges.headline, ranges.driver_sentence, ranges_panel.show)
        ranges.headline = lambda page, scenario, overlay=None: registry.model(page).headline(scenario, overlay)
        ranges.driver_sentence = lambda *a, **k: ""
        ranges_panel.show = lambda *a, **k: None
        return self

    def __exit__(self, *exc):
        from dashboard.core import ranges
        from dashboard.ui import ranges_panel

        ranges.headline, ranges.driver_sentence, ranges_panel.show = self._saved


def _page_rows(page: str) -> list[dict]:
    at = bench_app._apptest(page)
    on: list[float] = []
    off: list[float] = []
    inside: list[float] = []
    shown = {s.key for s in at.slider}  # a slider in a closed (lazy) expander is not on the page
    sliders = [p for p in common.slider_params(page) if f"{p.page}__{p.key}" in shown]
    for param in sliders:
        values = bench_app._fresh_values(param, 4)
        for i, value in enumerate(values):
            at.slider(key=f"{param.page}__{param.key}").set_value(value)
            if i % 2:
                with _RangesOff():
                    off.append(bench_app._timed_run(at))
            else:
                with _RangesTimer() as timer:
                    on.append(bench_app._timed_run(at))
                inside.append(timer.total)
    m_on, m_off = common.median(on), common.median(off)
    shares = [t_in / (t_run - t_in) for t_run, t_in in zip(on, inside, strict=True) if t_run > t_in]
    share = common.median(shares)
    note = f"{len(sliders)} sliders × 2 fresh values per mode, alternating; AppTest, shipped data"
    return [
        {"name": f"Rerun server-side without ranges: {page}", "median_s": m_off, "runs": len(off), "target_s": None,
         "met": None, "notes": note},
        {"name": f"Rerun server-side with ranges: {page}", "median_s": m_on, "runs": len(on), "target_s": None,
         "met": None, "notes": f"p90 {common.percentile(on, 90) * 1000:.0f} ms; with/without medians "
                               f"{m_on / m_off:.2f}× (machine noise included)"},
        {"name": f"Time in the ranges code per rerun: {page}", "median_s": common.median(inside), "runs": len(inside),
         "target_s": None, "met": None, "notes": "range computation, ranged headline, driver sentence, drivers section"},
        {"name": f"Ranges' added share of a rerun: {page}", "median_s": 1 + share, "unit": "x", "runs": len(shares),
         "target_s": TARGET_RATIO, "target_op": "≤", "met": 1 + share <= TARGET_RATIO,
         "notes": "median over reruns of rerun / (rerun − time in the ranges code)"},
    ]


def run() -> list[dict]:
    rows: list[dict] = []
    for page in PAGES:
        rows += bench_app._guarded(f"Ranges overhead: {page}", _page_rows, page)
        gc.collect()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
