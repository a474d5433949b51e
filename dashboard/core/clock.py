"""Today's date, in one place so tests, docs and reproducible builds can pin it.

`DASHBOARD_TODAY` (YYYY-MM-DD) pins the date; otherwise `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds
convention the brief already follows); otherwise the machine's date. The beds page's default target year and
the brief's date read it, so nothing a test checks depends on the calendar.
"""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    pinned = os.environ.get("DASHBOARD_TODAY", "").strip()
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"DASHBOARD_TODAY={pinned!r}: expected a date as YYYY-MM-DD, e.g. 2025-06-30") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()
