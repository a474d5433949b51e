"""The upload wing: templates for the user's own data, and the checks that make an upload safe to load.

- `validate` — entry points (`validate_bytes`, `validate_path`, `apply`, `reset`, `cli`) and the API
  pages and tests use;
- `core` — limits, the `Result`, problems and their messages;
- `sniff` — what a file is and how its text is encoded; `readers` — CSV/XLSX records and the header;
- `headers` — header recognition; `checks` — values, division codes, points; `datum` — GCJ-02/BD-09;
- `geojson` — GeoJSON layers; `reference` — the reference data uploads are checked against;
- `templates` — CSV/XLSX/GeoJSON templates and column descriptions.

Nothing here imports Streamlit.
"""
