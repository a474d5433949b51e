"""Text from files, links and uploads, made inert for Streamlit's Markdown (toasts, warnings, errors).

Streamlit renders the text of `st.toast`, `st.warning`, `st.error`, `st.caption`... as Markdown with
its own extensions (`:red[...]` colours, `:material/...:` icons, images, links, bare-URL autolinks).
A value echoed from a URL or a file must never become one of those: `md_escape` backslash-escapes
every ASCII punctuation character (CommonMark allows it for all of them, which also breaks the
autolink, colour and icon syntax) and folds line breaks; `code_span` shows a value verbatim as
inline code. No Streamlit import: tested in tests/test_safetext.py.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def md_escape(text: object, limit: int | None = None) -> str:
    """`text` as literal Markdown: punctuation escaped, line breaks folded, optionally cut to `limit`."""
    s = str(text)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    s = _BREAKS.sub(" ", s)
    return _PUNCT.sub(r"\\\1", s)


def code_span(text: object, limit: int = 80) -> str:
    """`text` as an inline code span (shown verbatim, nothing inside is interpreted)."""
    s = _BREAKS.sub(" ", str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {s} {fence}"
