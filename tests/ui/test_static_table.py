"""Short tables as HTML rows (dashboard/ui/widgets.py `static_table`): every cell is literal text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.core.safetext import md_escape
from tests.conftest import assert_no_exception, run_page

HOSTILE = ["**粗体** [链接](http://example.org) :red[红] <b>x</b>", "![图](http://example.org/a.png)", "3.5%"]


def _script(hostile):  # AppTest runs the function's body alone (no module globals): the rows are its argument
    import pandas as pd

    from dashboard.ui import widgets

    widgets.static_table(pd.DataFrame({"名称 *": hostile, "人数": [1, 2, 3]}), alt="测试")


def test_every_text_cell_and_header_is_escaped_numbers_are_kept():
    """st.table reads each cell as Markdown: a name from an upload must reach the page as that name."""
    at = AppTest.from_function(_script, default_timeout=30, args=(HOSTILE,))
    at.run()
    assert_no_exception(at)
    table = at.table[0].value
    assert list(table.columns) == [md_escape("名称 *"), "人数"]
    assert table.iloc[:, 0].tolist() == [md_escape(v) for v in HOSTILE]
    assert "\\*\\*粗体\\*\\*" in table.iloc[0, 0] and "\\[链接\\]" in table.iloc[0, 0]
    assert table["人数"].tolist() == [1, 2, 3]


def test_the_footers_baseline_comparison_is_a_static_table():
    """A changed scenario opens the footer's baseline comparison: indicator, baseline, scenario, difference."""
    at = run_page("coverage", {"new_centres": "8"})
    assert_no_exception(at)
    tables = [tb.value for tb in at.table]
    assert len(tables) == 1
    table = tables[0]
    assert list(table.columns) == ["指标", "基准", "当前情景", "差值"]
    assert (table["差值"] != "—").any()
    assert md_escape("可及覆盖率(现状)") in table["指标"].tolist()
