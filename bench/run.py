"""Run every benchmark (bench/bench_*.py), print a table and append a dated section to bench/RESULTS.md.

Each module exposes `run() -> list[dict]` with rows
`{"name", "median_s", "runs", "target_s", "met", "notes"}` (optionally `"unit"`: "s" by default,
"x" for a ratio, "MB" for memory; and `"target_op"`, "<" or "≤"). A module that raises is reported
as a failed row, so one broken benchmark never hides the others.

    .venv/bin/python bench/run.py                 # all, appended to bench/RESULTS.md
    .venv/bin/python bench/run.py --only app pay  # bench_app.py and bench_pay.py
    .venv/bin/python bench/run.py --no-append     # print only
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

# AppTest-based benchmarks run outside `streamlit run`; its missing-context warnings are noise here.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402

BENCH_DIR = REPO / "bench"
REQUIRED = ("name", "median_s", "runs", "target_s", "met", "notes")


def discover(only: list[str] | None = None) -> list[Path]:
    """bench/bench_*.py, the app benchmark first, then by name."""
    paths = sorted(BENCH_DIR.glob("bench_*.py"), key=lambda p: (p.stem != "bench_app", p.stem))
    if only:
        wanted = {o.removeprefix("bench_").removesuffix(".py") for o in only}
        paths = [p for p in paths if p.stem.removeprefix("bench_") in wanted]
    return paths


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"bench.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_module(path: Path) -> list[dict]:
    """The rows of one benchmark module; a failure becomes one row that says what went wrong."""
    started = time.perf_counter()
    try:
        rows = list(_load(path).run())
        for row in rows:
            missing = [k for k in REQUIRED if k not in row]
            if missing:
                raise ValueError(f"{path.name}: row {row.get('name', row)!r} lacks {missing}")
    except Exception as exc:  # report and go on: one broken benchmark must not hide the others
        traceback.print_exc()
        return [{"name": f"{path.stem}: failed", "median_s": None, "runs": 0, "target_s": None, "met": False,
                 "notes": f"{type(exc).__name__}: {exc}"[:300]}]
    print(f"  {path.name}: {len(rows)} figure(s) in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (app, coverage, beds, pay, ...)")
    parser.add_argument("--no-append", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)

    paths = discover(args.only)
    if not paths:
        print("no benchmarks found (bench/bench_*.py)", file=sys.stderr)
        return 1
    facts = common.machine_facts()
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    sections = []
    all_rows = []
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        rows = run_module(path)
        all_rows += rows
        sections.append(f"### {path.stem}\n\n{common.rows_table(rows)}\n")

    print()
    print(common.plain_table(all_rows))
    judged = [r for r in all_rows if r.get("met") is not None]
    met = sum(bool(r["met"]) for r in judged)
    summary = f"**{met} of {len(judged)} targets met.**"
    print(f"\n{met} of {len(judged)} targets met.")

    if not args.no_append:
        extra = " ".join(argv if argv is not None else sys.argv[1:])
        command = ".venv/bin/python bench/run.py" + (f" {extra}" if extra else "  (make bench)")
        common.append_results(common.report_section("Benchmarks", command, summary + "\n\n" + "\n".join(sections), facts))
        print(f"appended to {common.RESULTS_MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
