"""Other sessions' reruns while a worst-case upload is checked (issue 15): the p95 of their reruns
with an upload being checked, against the same load without it. Target: within 1.5× of idle.

Two bounded runs of `bench/loadtest.py`'s protocol-level sessions (the server alone, no browsers
crowding its cores), one of them with an extra Chromium session on the 数据上传 page that uploads
the worst-case file again and again: a 20 MB CSV of 50,000 rows (the largest accepted), each time
with one byte changed so it is checked afresh. The check runs in the upload worker process
(dashboard/upload/worker.py: nice 19, one at a time, CPU and memory limits).

    .venv/bin/python bench/upload_load.py                 # 4 sessions, 40 s each run
    .venv/bin/python bench/upload_load.py --sessions 6 --duration 60 --no-append
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common, loadtest  # noqa: E402

RATIO_TARGET = 1.5


def worst_case_csv(dataset: str, variant: int) -> bytes:
    """The largest file the page accepts for `dataset`: 50,000 rows, padded names, just under 20 MB."""
    from dashboard.data.schemas import DATASETS
    from dashboard.upload import templates, validate

    fields = templates.template_fields(DATASETS[dataset])
    key = DATASETS[dataset].key[0]
    example = {f.name: f.example for f in fields}
    rows = []
    for i in range(validate.MAX_ROWS):
        row = {**example, key: f"W{variant:03d}{i:06d}", "name": f"{example.get('name', '')}{i}" + "区" * 90}
        rows.append(",".join(row[f.name] for f in fields))
    data = (",".join(f.name for f in fields) + "\n" + "\n".join(rows) + "\n").encode()
    return data[: validate.MAX_BYTES - 1024] if len(data) > validate.MAX_BYTES else data


def make_uploader(checks: list[float], errors: list[str]):
    async def uploader(browser, base: str, deadline: float) -> None:
        from dashboard.upload import validate

        dataset = validate.replaceable()[0]  # the page's default choice
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.add_init_script(common.STATE_PROBE_JS)
        try:
            await page.goto(base + "/data")
            await common.async_wait_settled(page, 0, timeout_ms=120_000)
            variant = 0
            while time.monotonic() < deadline:
                payload = await asyncio.to_thread(worst_case_csv, dataset, variant)
                variant += 1
                t0 = await page.evaluate("performance.now()")
                # the page's own uploader (the sidebar has the scenario-file uploader too)
                await page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                    files=[{"name": f"worst{variant}.csv", "mimeType": "text/csv", "buffer": payload}])
                checks.append(await common.async_wait_settled(page, t0, timeout_ms=120_000))
        except Exception as exc:  # counted, the measured sessions carry on
            errors.append(f"uploader: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        finally:
            await context.close()
    return uploader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)
    think = (1.0, 2.0)
    facts = common.machine_facts()
    print(f"idle: {args.sessions} protocol-level sessions for {args.duration:.0f} s ...", flush=True)
    idle = asyncio.run(loadtest.run_load(args.sessions, args.duration, think, 3, "ws"))
    checks: list[float] = []
    errors: list[str] = []
    print("the same, while a worst-case upload is checked again and again ...", flush=True)
    busy = asyncio.run(loadtest.run_load(args.sessions, args.duration, think, 3, "ws",
                                         extra=make_uploader(checks, errors)))
    p95_idle = common.percentile(idle["stats"].reruns, 95)
    p95_busy = common.percentile(busy["stats"].reruns, 95)
    ratio = p95_busy / p95_idle
    ok = ratio <= RATIO_TARGET and bool(checks) and not errors and not busy["stats"].errors
    pct = common.percentile
    body = "\n".join([
        f"{args.sessions} protocol-level sessions (websocket, no browser), {args.duration:.0f} s per run, think "
        f"{think[0]:g}–{think[1]:g} s; the second run adds one Chromium session uploading a 20 MB, 50,000-row CSV "
        "(the largest accepted) on the data page, each time changed so it is checked afresh (upload worker: nice 19, "
        "one check at a time, RLIMIT_CPU/RLIMIT_AS).",
        "",
        "| Figure | Value | Target | Met |",
        "|---|---:|---|---|",
        f"| other sessions' p95 rerun, upload checked / idle | {ratio:.2f}× ({p95_busy:.2f} s / {p95_idle:.2f} s) "
        f"| ≤ {RATIO_TARGET}× | {'met' if ratio <= RATIO_TARGET else '**not met**'} |",
        "",
        "| Measure | n | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
        f"| Rerun, idle | {len(idle['stats'].reruns)} | {pct(idle['stats'].reruns, 50):.2f} s | {p95_idle:.2f} s "
        f"| {pct(idle['stats'].reruns, 100):.2f} s |",
        f"| Rerun, while uploads are checked | {len(busy['stats'].reruns)} | {pct(busy['stats'].reruns, 50):.2f} s "
        f"| {p95_busy:.2f} s | {pct(busy['stats'].reruns, 100):.2f} s |",
        f"| Upload: file chosen → result shown | {len(checks)} | {pct(checks, 50):.2f} s | {pct(checks, 95):.2f} s "
        f"| {pct(checks, 100):.2f} s |",
        f"| Server RSS peak, idle / upload run | | | | {max(idle['sampler'].rss_mb):,.0f} / "
        f"{max(busy['sampler'].rss_mb):,.0f} MB |",
        "",
        *(["Errors: " + "; ".join((errors + busy["stats"].errors + idle["stats"].errors)[:5])]
          if errors or busy["stats"].errors or idle["stats"].errors else []),
    ]) + "\n"
    print(body)
    if not args.no_append:
        command = ".venv/bin/python bench/upload_load.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
        common.append_results(common.report_section(
            "Load test with a worst-case upload being checked (issue 15)", command, body, facts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
