"""Hostile and large uploads, generated at test time (too big to keep in the repository): each is refused
with its message, and the validator's memory stays bounded (tracemalloc peak of the Python heap,
which includes numpy/pandas buffers)."""

from __future__ import annotations

import io
import json
import struct
import time
import tracemalloc
import zipfile

import pytest

from dashboard.data import db
from dashboard.upload import validate
from tests.conftest import run_page
from tests.ui.test_upload_page import page_text, upload
from tests.upload.test_validate import tree_digest

MB = 1024 * 1024


@pytest.fixture(scope="module", autouse=True)
def shipped_data_untouched():
    before = tree_digest("data", "geodata")
    yield
    assert tree_digest("data", "geodata") == before


def peak_of(fn, *args, **kwargs):
    """(result, peak traced bytes, seconds) of one call."""
    validate.reference()  # reference data and the shared database are loaded once per process, not per upload
    db.get_database()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out = fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak, time.perf_counter() - t0


def compounds_csv(rows: int, name_repeat: int = 1) -> bytes:
    head = ("compound_id,name,kind,committee_code,subdistrict_code,district_code,new_area_id,lon,lat,households,"
            "residents,aged_60_plus,aged_80_plus,has_property_management,has_owners_committee\n")
    name = "示例小区" * name_repeat
    # 100 residents a row: 50,000 rows stay under the city's 2020 census total (plausibility check)
    body = "".join(f"C{i:06d},{name}{i},compound,421002001001,421002001,421002,,112.24,30.32,40,100,26,3,true,false\n"
                   for i in range(rows))
    return (head + body).encode("utf-8")


def zip_entry(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, payload, compresslevel=9)
    return buf.getvalue()


def xlsx_with_sheet(sheet: bytes) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename)
            dst.writestr(info.filename, data, compresslevel=9)
    return out.getvalue()


def forge_sizes(data: bytes, entry: str, claimed: int) -> bytes:
    """Rewrite an entry's declared uncompressed size (local header and central directory) to `claimed`."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(entry)
    struct.pack_into("<I", buf, info.header_offset + 22, claimed)
    central = buf.find(b"PK\x01\x02")
    name = entry.encode()
    while central != -1:
        name_len = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46: central + 46 + name_len]) == name:
            struct.pack_into("<I", buf, central + 24, claimed)
            break
        central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


SHEET_HEAD = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = b"</sheetData></worksheet>"


def test_oversized_file_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:
        fh.truncate(validate.MAX_BYTES + MB)  # sparse: 21 MB on paper
    result, peak, _ = peak_of(validate.validate_path, path, "compounds")
    assert result.refused and result.problems[0].key == "too_large"
    assert "文件过大" in validate.message(result.problems[0], "zh")
    assert peak < 1 * MB, peak


def test_oversized_upload_refused_in_memory_already_held():
    data = compounds_csv(1) + b"x" * (validate.MAX_BYTES + 10)
    result, peak, _ = peak_of(validate.validate_bytes, data, "huge.csv", "compounds")
    assert result.problems[0].key == "too_large"
    assert "at most 20 MB" in validate.message(result.problems[0], "en")
    assert peak < 1 * MB, peak


def test_oversized_upload_on_the_page():
    at = run_page("data")
    upload(at, "compounds", "huge.csv", b"a" * (validate.MAX_BYTES + 10))
    assert "文件过大" in page_text(at)


def test_largest_accepted_csv_has_bounded_memory():
    data = compounds_csv(validate.MAX_ROWS, name_repeat=24)
    assert 15 * MB < len(data) <= validate.MAX_BYTES
    result, peak, seconds = peak_of(validate.validate_bytes, data, "big.csv", "compounds")
    assert result.ok, result.table("en").head().to_string()
    assert result.rows == validate.MAX_ROWS
    assert peak < 6 * len(data), f"peak {peak / MB:.0f} MB for {len(data) / MB:.0f} MB"
    print(f"\n20 MB CSV, {validate.MAX_ROWS} rows: peak {peak / MB:.0f} MB, {seconds:.1f} s")


def test_too_many_rows_refused():
    data = compounds_csv(validate.MAX_ROWS + 1)
    result, peak, _ = peak_of(validate.validate_bytes, data, "rows.csv", "compounds")
    assert result.problems[0].key == "too_many_rows"
    assert "不超过 50,000 行数据" in validate.message(result.problems[0], "zh")
    assert peak < 80 * MB


def test_one_enormous_line_refused():
    data = b"compound_id,name\n" + b"C1,\"" + b"a" * (validate.MAX_BYTES - 100)
    result, peak, _ = peak_of(validate.validate_bytes, data, "line.csv", "compounds")
    assert result.problems[0].key == "cell_too_long"
    assert peak < 3 * len(data)


def test_binary_junk_of_maximum_size_refused_after_a_glance():
    import numpy as np

    data = np.random.default_rng(0).integers(0, 256, validate.MAX_BYTES - 1, dtype=np.uint8).tobytes()
    result, peak, seconds = peak_of(validate.validate_bytes, data, "junk.csv", "clinics")
    assert result.problems[0].key == "kind_binary"
    assert peak < 2 * MB and seconds < 2


def test_zip_bomb_of_a_gigabyte_refused_before_parsing():
    # 1 GiB of spaces deflates to about 1 MB; the declared size and ratio give it away
    chunk = b" " * (64 * MB)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/workbook.xml", "w") as fh:
            fh.write(b"<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(SHEET_HEAD)
            for _ in range(16):
                fh.write(chunk)
            fh.write(SHEET_TAIL)
    data = buf.getvalue()
    assert len(data) < 5 * MB
    result, peak, seconds = peak_of(validate.validate_bytes, data, "bomb.xlsx", "care_facilities")
    assert result.problems[0].key == "zip_bomb", result.problems
    assert "1,024 MB" in validate.message(result.problems[0], "en")
    assert peak < 5 * MB, peak
    assert seconds < 2


def test_zip_bomb_with_forged_sizes_stays_bounded():
    """An entry that lies about its size (claims 2 KB, inflates to 100 MB) is read only as far as it claims."""
    sheet = SHEET_HEAD + b" " * (100 * MB) + SHEET_TAIL
    data = forge_sizes(xlsx_with_sheet(sheet), "xl/worksheets/sheet1.xml", 2048)
    result, peak, _ = peak_of(validate.validate_bytes, data, "forged.xlsx", "care_facilities")
    assert result.refused
    assert result.problems[0].key in ("xlsx_damaged", "xlsx_damaged_reason")
    assert peak < 20 * MB, peak


def test_largest_accepted_xlsx_has_bounded_memory():
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("数据")
    ws.append(["机构编号", "名称", "类别", "区县代码", "街道代码", "社区代码", "经度", "纬度", "床位", "护理型床位"])
    for i in range(10_000):
        ws.append([f"E{i:05d}", f"示例养老院{i}", "urban_private", "421002", "421002001", None, 112.24, 30.32, 50, 10])
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    result, peak, seconds = peak_of(validate.validate_bytes, data, "big.xlsx", "care_facilities")
    assert result.ok, result.table("en").head().to_string()
    assert peak < 150 * MB, peak
    print(f"\nXLSX of 10,000 rows ({len(data) / MB:.1f} MB): peak {peak / MB:.0f} MB, {seconds:.1f} s")


def test_geojson_limits():
    big = b'{"type":"FeatureCollection","features":[' + b" " * validate.MAX_GEOJSON_BYTES + b"]}"
    result, peak, _ = peak_of(validate.validate_bytes, big, "big.geojson", "subdistricts")
    assert result.problems[0].key == "too_large" and peak < 1 * MB

    feature = {"type": "Feature", "properties": {"code": "421002001", "name": "x", "district_code": "421002",
                                                 "kind": "street"},
               "geometry": {"type": "Polygon", "coordinates": [[[112.2, 30.3], [112.21, 30.3], [112.2, 30.31], [112.2, 30.3]]]}}
    many = json.dumps({"type": "FeatureCollection", "features": [feature] * (validate.MAX_FEATURES + 1)}).encode()
    result = validate.validate_bytes(many, "many.geojson", "subdistricts")
    assert result.problems[0].key == "too_many_features"

    ring = [[112.2 + i * 1e-7, 30.3] for i in range(validate.MAX_VERTICES)] + [[112.2, 30.31], [112.2, 30.3]]
    dense = json.dumps({"type": "FeatureCollection", "features": [
        {**feature, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, separators=(",", ":")).encode()
    assert len(dense) <= validate.MAX_GEOJSON_BYTES
    result, peak, _ = peak_of(validate.validate_bytes, dense, "dense.geojson", "subdistricts")
    assert result.problems[0].key == "too_many_vertices"
    assert peak < 30 * len(dense)


def test_deep_nesting_of_maximum_size_refused():
    data = b"[" * (validate.MAX_GEOJSON_BYTES // 2) + b"]" * (validate.MAX_GEOJSON_BYTES // 2)
    result, peak, seconds = peak_of(validate.validate_bytes, data, "deep.geojson", "subdistricts")
    assert result.problems[0].key == "too_deep"
    assert peak < 3 * len(data) and seconds < 5
