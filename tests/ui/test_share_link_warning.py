"""The share-link warning names the local host verbatim: a code span, never Markdown escapes inside one
(inside backticks a backslash is shown: 'localhost\\:8765' was what a member saw)."""

from __future__ import annotations

import inspect

from dashboard.core.safetext import code_span
from dashboard.core.text import t


def test_warning_shows_the_host_as_a_code_span_without_escapes():
    for lang in ("zh", "en"):
        raw = t("hearing.link_local_warning", lang, host="HOST")
        assert "`HOST`" not in raw  # the catalog leaves the quoting to the caller
        text = t("hearing.link_local_warning", lang, host=code_span("localhost:8765"))
        assert "` localhost:8765 `" in text and "\\" not in text


def test_share_link_passes_a_code_span_not_an_escaped_value():
    from dashboard.ui import hearing

    src = inspect.getsource(hearing.share_link)
    assert "host=code_span(" in src and "host=md_escape(" not in src
