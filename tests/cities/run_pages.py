"""Run every page of the app (AppTest) on the data folder in DASHBOARD_DATA_DIR; print one JSON line per page.

Run in its own process by tests/test_new_city.py: the analyses read the folder's city.toml on import, so a
second city cannot share a process with the default one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import PACKAGE_DIR, registry
from dashboard.ui import plotly_react


def svg_markups(at) -> list[str]:
    """The server-drawn SVG maps (ui/plotly_react.py `svg_markup`), as tests/conftest.py reads them."""
    return [json.loads(el.proto.json)["svg"] for el in at.get("bidi_component")
            if el.proto.component_name == plotly_react.SVG_COMPONENT]


lang = sys.argv[1] if len(sys.argv) > 1 else "zh"
for p in registry.PAGES:
    at = AppTest.from_file(str(Path(PACKAGE_DIR) / "app.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    if p is not registry.PAGES[0]:
        at.switch_page(p.script)
        at.run()
    frames = [d.value for d in at.dataframe]
    print(json.dumps({
        "page": p.key,
        "exception": [e.value for e in at.exception],
        "error": [e.value for e in at.error],
        "info": [i.value for i in at.info],
        "metrics": len(at.metric),
        "tables": [f.astype(str).to_dict(orient="list") for f in frames][:2],
        "map_has": [n for n in ("西陵区", "伍家岗区", "夷陵区")
                    if any("<svg" in svg and n in svg for svg in [m.value for m in at.markdown] + svg_markups(at))],
    }, ensure_ascii=False), flush=True)
