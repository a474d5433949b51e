"""A page's own CSV buttons, clicked in Chromium: the file is built when asked for (the button's data is
deferred: `functools.partial(page_csv_bytes, ...)`), in the reader's language, with its provenance column."""

from __future__ import annotations

import csv
import io

from tests.browser import show_section, wait_ready


def test_coverage_table_csv_downloads_with_provenance(page):
    page.goto("/coverage")
    wait_ready(page, 120_000)
    show_section(page, "coverage", "table")  # the sub-district table and its download
    button = page.locator('[data-testid="stDownloadButton"]', has_text="CSV").first
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert body, "the CSV has no rows"
    assert any("数据来源" in h for h in header), header  # the same provenance column as the workbook sheets
    assert not any(h.isascii() and "_" in h for h in header), header  # headed in words, not snake_case
