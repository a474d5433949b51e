"""The baseline for the cold-start ratio: a bare Streamlit app that imports the dashboard's libraries.

bench/bench_app.py sets BARE_IMPORTS to the third-party modules the dashboard's code imports by name
and has loaded by the time its Overview is rendered (measured, not guessed), so the ratio isolates
the dashboard's own start-up work (data build, models, page, charts) from the unavoidable cost of
importing its libraries.
"""

import importlib
import os

import streamlit as st

for name in filter(None, os.environ.get("BARE_IMPORTS", "").split(",")):
    importlib.import_module(name)

st.set_page_config(page_title="bare", layout="wide")
st.title("Bare app")
st.metric("Imported libraries", len(os.environ.get("BARE_IMPORTS", "").split(",")))
