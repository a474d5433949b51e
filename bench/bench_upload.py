"""Upload checks at their limits (issue 15): how long the largest accepted files take to check.

- `xlsx_49k`: a valid 49,000-row clinics workbook (calamine + every check), in-process. Target < 10 s
  (it took 28 s with openpyxl's read-only mode).
- `csv_20mb`: the largest accepted CSV (50,000 rows, ~18 MB), in-process. Target < 10 s.
- `csv_20mb_worker`: the same through the page's bounded worker (fork server, nice 19, rlimits),
  including the fork and the result's way back. Target < 15 s.

Medians of 3 runs. Runnable alone: `.venv/bin/python bench/bench_upload.py`.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dashboard.data.schemas import DATASETS  # noqa: E402
from dashboard.upload import templates, validate, worker  # noqa: E402

RUNS = 3


def xlsx_rows(n: int = 49_000) -> bytes:
    from openpyxl import Workbook

    fields = [f.name for f in templates.template_fields(DATASETS["clinics"])]
    example = templates.example_row("clinics")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据")
    sheet.append(fields)
    for i in range(n):
        row = list(example)
        row[0], row[1] = f"H{i:05d}", f"示例社区卫生服务站{i}"
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def big_csv(rows: int = validate.MAX_ROWS) -> bytes:
    head = ("compound_id,name,kind,committee_code,subdistrict_code,district_code,new_area_id,lon,lat,households,"
            "residents,aged_60_plus,aged_80_plus,has_property_management,has_owners_committee\n")
    name = "示例小区" * 24
    body = "".join(f"C{i:06d},{name}{i},compound,421002001001,421002001,421002,,112.24,30.32,40,100,26,3,true,false\n"
                   for i in range(rows))
    return (head + body).encode("utf-8")


def _median(fn) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        assert result.ok, result.table("en").head().to_string()
    return statistics.median(times)


def run() -> list[dict]:
    validate.reference()
    book, data = xlsx_rows(), big_csv()
    worker.validate_bounded(b"x", "warm.csv", "clinics")  # start the fork server once
    rows = []
    for name, fn, target, note in (
        ("upload: 49,000-row XLSX, in-process", lambda: validate.validate_bytes(book, "c.xlsx", "clinics"), 10.0,
         f"{len(book) / 1e6:.1f} MB workbook; calamine"),
        ("upload: 50,000-row CSV (~18 MB), in-process", lambda: validate.validate_bytes(data, "c.csv", "compounds"),
         10.0, f"{len(data) / 1e6:.1f} MB"),
        ("upload: the same CSV in the bounded worker", lambda: worker.validate_bounded(data, "c.csv", "compounds"),
         15.0, "fork server, nice 19, RLIMIT_CPU 30 s, RLIMIT_AS +1 GB"),
    ):
        median = _median(fn)
        rows.append({"name": name, "median_s": median, "runs": RUNS, "target_s": target, "met": median < target,
                     "notes": note})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
