"""Upload templates (CSV, XLSX, GeoJSON) and column descriptions, generated from dashboard.data.schemas.

The same `Field`s that check an upload write its template: header (Chinese or English), one filled
example row, and per column its meaning, type, unit, whether it is required, allowed values,
range and format. A test checks that every template's example row passes the validator.
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache

import pandas as pd

from dashboard.core.text import by_lang, t, unit_label
from dashboard.data.schemas import DATASETS, Dataset, Field

# Provenance comes from the upload form, not from a column the user fills in.
_FORM_COLUMNS = ("source_id",)
_CODE_LEVELS = {"district_code": "district", "subdistrict_code": "subdistrict", "committee_code": "committee"}


def example_value(f: Field) -> str:
    """A column's example cell: the schema's, except a division code the data folder does not have, which is
    replaced by a real code of the same level of this folder's city (its first committee and that one's
    sub-district and district), so another city's templates show its own codes."""
    ex = f.example
    if f.name in ("lon", "lat") and ex:
        return _example_point(f.name)
    if not (ex and ex.isdigit() and len(ex) in (6, 9, 12)):
        return ex
    from dashboard.upload.reference import reference

    ref = reference()
    level = {6: "district", 9: "subdistrict", 12: "committee"}[len(ex)]
    if ex in ref.levels.get(level, ()):
        return ex
    committees = sorted(ref.levels.get("committee", ()))
    if committees:
        chain = {12: committees[0], 9: ref.parent.get(committees[0], ""), 6: ref.district_of.get(committees[0], "")}
    else:
        subs = sorted(ref.levels.get("subdistrict", ()))
        chain = {9: subs[0] if subs else "", 6: ref.district_of.get(subs[0], "") if subs else ""}
    return chain.get(len(ex)) or ex


def _example_point(axis: str) -> str:
    """The schema's example coordinate if its point lies in this folder's city, else that of a point inside
    the city's first central district (2 decimals)."""
    import shapely

    from dashboard.data.city import current
    from dashboard.upload.reference import reference

    ds = next(d for d in DATASETS.values() if "lon" in d.columns and "lat" in d.columns)
    lon, lat = float(ds.field("lon").example), float(ds.field("lat").example)
    ref = reference()
    if ref.city.contains(shapely.Point(lon, lat)):
        return ds.field(axis).example
    polygon = ref.districts.get(current().central_districts[0])
    p = polygon.representative_point() if polygon is not None else ref.city.representative_point()
    return f"{p.x if axis == 'lon' else p.y:.2f}"


def template_fields(ds: Dataset) -> list[Field]:
    """The columns a user fills in (every field except the provenance the form supplies)."""
    return [f for f in ds.fields if f.name not in _FORM_COLUMNS]


def header(f: Field, lang: str) -> str:
    """The template header of a column: its Chinese meaning, or its column name in English."""
    return by_lang(lang, f.zh, f.name)


def _allowed_text(ds: Dataset, f: Field, lang: str) -> str:
    parts: list[str] = []
    if f.allowed:
        if by_lang(lang, f.allowed_zh, ()):
            parts.append(" / ".join(t("data.cd_allowed_pair", lang, value=v, label=z)
                                    for v, z in zip(f.allowed, f.allowed_zh, strict=True)))
        else:
            parts.append(" / ".join(f.allowed))
    lo, hi = f.bounds
    if lo is not None or hi is not None:
        lo_text = "" if lo is None else f"{lo:g}"
        hi_text = "" if hi is None else f"{hi:g}"
        parts.append(f"{lo_text} – {hi_text}" if hi is not None else f"≥ {lo_text}")
    if f.share:
        parts.append("0–1" if f.share == "fraction" else "0–100")
    if f.pattern:
        digits = {r"^\d{6}$": 6, r"^\d{9}$": 9, r"^\d{12}$": 12}.get(f.pattern)
        if digits:
            parts.append(t("data.cd_digits", lang, n=digits))
        else:
            parts.append(f.pattern)
    level = ds.references.get(f.name) or _CODE_LEVELS.get(f.name)
    if level:
        parts.append(t("data.cd_exists", lang, level=t(f"data.cd_level_{level}", lang)))
    if f.unique:
        parts.append(t("data.cd_unique", lang))
    return "; ".join(parts)


def columns_table(dataset: str, lang: str = "zh") -> pd.DataFrame:
    """One row per template column: headers, meaning, type, unit, required, allowed values, example."""
    ds = DATASETS[dataset]
    rows = []
    for f in template_fields(ds):
        rows.append({
            t("data.cd_header_zh", lang): f.zh,
            t("data.cd_header_en", lang): f.name,
            t("data.cd_meaning", lang): by_lang(lang, f.zh, f.en),
            t("data.cd_type", lang): t(f"data.type_{f.type}", lang),
            t("data.cd_unit", lang): unit_label(f.unit, lang),
            t("data.cd_required", lang): t("data.cd_no" if f.nullable else "data.cd_yes", lang),
            t("data.cd_allowed", lang): _allowed_text(ds, f, lang),
            t("data.cd_example", lang): example_value(f),
        })
    return pd.DataFrame(rows)


def example_row(dataset: str) -> list[str]:
    return [example_value(f) for f in template_fields(DATASETS[dataset])]


def template_csv(dataset: str, lang: str = "zh") -> bytes:
    """Header and one example row, UTF-8 with a BOM so that Excel shows the Chinese text."""
    ds = DATASETS[dataset]
    if ds.geo:
        raise ValueError(f"{dataset} is a GeoJSON layer; use template_geojson")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header(f, lang) for f in template_fields(ds)])
    writer.writerow(example_row(dataset))
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(dataset: str, lang: str = "zh") -> bytes:
    """A workbook: sheet 数据/data (header, example, text-formatted code columns, drop-down lists for
    allowed values) and sheet 说明/columns (the column descriptions)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ds = DATASETS[dataset]
    if ds.geo:
        raise ValueError(f"{dataset} is a GeoJSON layer; use template_geojson")
    fields = template_fields(ds)
    book = Workbook()
    sheet = book.active
    sheet.title = t("data.sheet_data", lang)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, f in enumerate(fields, start=1):
        cell = sheet.cell(row=1, column=j, value=header(f, lang))
        cell.font, cell.fill = bold, fill
        example = sheet.cell(row=2, column=j)
        if f.type in ("int", "float") and f.example:
            example.value = float(f.example) if f.type == "float" else int(float(f.example))
        elif f.type == "bool" and f.example:
            example.value = f.example.lower() == "true"
        else:
            example.value = example_value(f) or None
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = max(12, min(40, len(header(f, lang)) * 2 + 4))
        if f.type == "str":
            # Text format keeps 12-digit codes from turning into 4.21E+11 when typed in Excel.
            sheet.column_dimensions[letter].number_format = "@"
            example.number_format = "@"
        if f.allowed:
            dv = DataValidation(type="list", formula1='"' + ",".join(f.allowed) + '"', allow_blank=f.nullable)
            dv.error = ", ".join(f.allowed)
            sheet.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}5000")
    sheet.freeze_panes = "A2"
    info = book.create_sheet(t("data.sheet_columns", lang))
    table = columns_table(dataset, lang)
    info.append(list(table.columns))
    for c in info[1]:
        c.font = bold
    for record in table.itertuples(index=False):
        info.append([str(v) for v in record])
    for j in range(1, len(table.columns) + 1):
        info.column_dimensions[get_column_letter(j)].width = 24
    info.append([])
    info.append([by_lang(lang, ds.grain_zh, ds.grain_en)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# A small square inside 沙市区 (around the example point of the point datasets).
_EXAMPLE_RING = [[112.235, 30.315], [112.245, 30.315], [112.245, 30.325], [112.235, 30.325], [112.235, 30.315]]


def template_geojson(dataset: str, lang: str = "zh") -> bytes:
    """A FeatureCollection in WGS84 with one example feature (a small square in 沙市区)."""
    ds = DATASETS[dataset]
    if not ds.geo:
        raise ValueError(f"{dataset} is a table; use template_csv or template_xlsx")
    props = {header(f, lang): example_value(f) for f in template_fields(ds)}
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [{"type": "Feature", "properties": props,
                      "geometry": {"type": "Polygon", "coordinates": [_EXAMPLE_RING]}}],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


@cache
def templates(dataset: str) -> dict[str, tuple[bytes, str]]:
    """Every template of a dataset: {key: (bytes, file name)}; built once per process (the data page
    asked for two XLSX workbooks on every rerun). Do not mutate the returned dict."""
    ds = DATASETS[dataset]
    if ds.geo:
        return {
            "geojson": (template_geojson(dataset, "zh"), f"{dataset}_template.geojson"),
        }
    return {
        "csv_zh": (template_csv(dataset, "zh"), f"{t('data.template_file', 'zh', dataset=dataset)}.csv"),
        "csv_en": (template_csv(dataset, "en"), f"{dataset}_template.csv"),
        "xlsx_zh": (template_xlsx(dataset, "zh"), f"{t('data.template_file', 'zh', dataset=dataset)}.xlsx"),
        "xlsx_en": (template_xlsx(dataset, "en"), f"{dataset}_template.xlsx"),
    }
