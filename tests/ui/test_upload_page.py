"""The 数据上传 / Your data page under AppTest (which drives st.file_uploader in Streamlit 1.67):
every bad fixture shows its message; a good upload, once its source is named, replaces the dataset
for that session only — the pages that use it change, another session's do not — and reset
returns to the shipped data."""

from __future__ import annotations

import re

import pytest

from dashboard import registry
from tests.conftest import assert_no_exception, metric_values, run_page, svg_markups
from tests.upload.test_validate import BAD, EXPECTED, GOOD, tree_digest


@pytest.fixture(scope="module", autouse=True)
def shipped_data_untouched():
    before = tree_digest("data", "geodata")
    yield
    assert tree_digest("data", "geodata") == before


def upload(at, dataset: str, name: str, data: bytes):
    at.selectbox(key="data_dataset").set_value(dataset).run()
    at.file_uploader(key=f"data_upload_{dataset}").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at) -> str:
    parts = [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [s.value for s in at.success]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    # the text as shown: values from the file are Markdown-escaped on the page (dashboard/safetext.py)
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(p) for p in parts))


def provenance(at, publisher: str = "荆州市卫生健康委员会", date: str = "2023-06-30"):
    at.text_input(key="data_publisher").input(publisher)
    at.text_input(key="data_date").input(date)
    return at


def apply_upload(at, dataset: str, name: str):
    provenance(at)
    upload(at, dataset, name, (GOOD / name).read_bytes())
    at.button(key="data_apply").click().run()
    assert_no_exception(at)
    return at


@pytest.fixture(scope="module")
def zh_page():
    at = run_page("data")
    assert_no_exception(at)
    return at


@pytest.mark.parametrize("row", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_page_shows_the_message(zh_page, row):
    upload(zh_page, row["dataset"], row["file"], (BAD / row["file"]).read_bytes())
    text = page_text(zh_page)
    assert row["message_zh"] in text, text[-2000:]
    assert not any(b.key == "data_apply" for b in zh_page.button)  # nothing to apply


@pytest.mark.parametrize("name", ["zip_bomb.xlsx", "lonlat_swapped.csv", "self_intersecting.geojson",
                                  "missing_column.csv", "bd09_coordinates.csv"])
def test_page_in_english(name):
    row = next(r for r in EXPECTED if r["file"] == name)
    at = run_page("data", {"lang": "en"})
    upload(at, row["dataset"], name, (BAD / name).read_bytes())
    assert row["message_en"] in page_text(at)


def test_apply_needs_publisher_and_date():
    at = run_page("data")
    upload(at, "clinics", "clinics.csv", (GOOD / "clinics.csv").read_bytes())
    assert "检查通过：5 行" in page_text(at)
    assert at.button(key="data_apply").disabled
    assert "请先在第 2 步填写数据来源" in page_text(at)
    provenance(at, date="去年").run()
    assert at.button(key="data_apply").disabled
    provenance(at).run()
    assert not at.button(key="data_apply").disabled


def test_repair_button_fixes_polygons_and_offers_the_repaired_file():
    at = run_page("data")
    upload(at, "subdistrict_shapes", "bowtie.geojson", (BAD / "self_intersecting.geojson").read_bytes())
    assert "Self-intersection" in page_text(at)
    at.button(key="data_fix_make_valid").click().run()
    assert_no_exception(at)
    text = page_text(at)
    assert "检查通过：1 行" in text
    assert "已修复 1 个无效多边形" in text
    assert any(d.key == "data_repaired" for d in at.get("download_button"))


def test_datum_repair_button():
    at = run_page("data")
    upload(at, "compounds", "gcj.csv", (BAD / "gcj02_coordinates.csv").read_bytes())
    at.button(key="data_fix_gcj02").click().run()
    text = page_text(at)
    assert "检查通过：40 行" in text and "已将坐标从 GCJ-02 转换为 WGS84" in text


def test_good_upload_apply_banner_source_and_reset():
    at = apply_upload(run_page("data"), "clinics", "clinics.csv")
    text = page_text(at)
    assert "已在本会话中用您的数据替换「社区卫生服务机构」" in text
    assert "本会话使用您上传的数据：社区卫生服务机构" in text
    status = at.dataframe[0].value
    row = status[status["数据集"] == "社区卫生服务机构"].iloc[0]
    assert row["状态"] == "您上传的数据" and "荆州市卫生健康委员会 · 2023-06-30" in row["来源"]
    # the sources page resolves the upload's source id
    at.switch_page(registry.page("sources").script).run()
    assert_no_exception(at)
    assert "荆州市卫生健康委员会" in page_text(at)
    # reset returns to the shipped data
    at.switch_page(registry.page("data").script).run()
    at.button(key="data_reset_all").click().run()
    assert_no_exception(at)
    assert "本会话使用的全部是自带数据" in page_text(at)
    assert not at.session_state["overlay"]


def test_upload_survives_page_changes_and_other_uploads():
    at = apply_upload(run_page("data"), "clinics", "clinics.csv")
    at.switch_page(registry.page("overview").script).run()
    at.switch_page(registry.page("data").script).run()
    at = apply_upload(at, "community_workers", "community_workers.csv")
    assert sorted(at.session_state["overlay"].user_datasets) == ["clinics", "community_workers"]
    at.button(key="data_reset_clinics").click().run()
    assert at.session_state["overlay"].user_datasets == ["community_workers"]


def _totals(at) -> dict[tuple[str, str], float]:
    frame = next(f.value for f in at.dataframe if "本会话" in f.value.columns)
    return {(d, m): v for d, m, v in zip(frame["数据集"], frame["指标"], frame["本会话"], strict=True)}


# (dataset, good file, page whose numbers it drives)
CASES = [
    ("clinics", "clinics.csv", "coverage"),
    ("compounds", "compounds.csv", "coverage"),
    ("care_facilities", "care_facilities.xlsx", "beds"),
    ("communities", "communities_gbk.csv", "beds"),
    ("community_workers", "community_workers.csv", "pay"),
    ("subdistrict_shapes", "subdistricts.geojson", "data"),
]


@pytest.mark.parametrize("dataset, name, page", CASES, ids=[c[0] for c in CASES])
def test_upload_changes_numbers_in_that_session_only(dataset, name, page):
    """Session A uploads; its page's numbers change. Session B, open at the same time, keeps the shipped numbers."""
    a = run_page("data")
    b = run_page("data")
    shipped = _totals(b)
    apply_upload(a, dataset, name)
    assert a.session_state["overlay"].user_datasets == [dataset]
    changed = _totals(a)
    assert changed != shipped
    b.run()
    assert _totals(b) == shipped
    assert not b.session_state["overlay"]
    if page != "data":
        a.switch_page(registry.page(page).script).run()
        b.switch_page(registry.page(page).script).run()
        assert_no_exception(a)
        assert_no_exception(b)
        fresh = run_page(page)
        assert metric_values(a) != metric_values(b), f"{page} numbers did not change after uploading {dataset}"
        assert metric_values(b) == metric_values(fresh), "another session's upload leaked"
    else:
        rows = [v for (d, m), v in changed.items() if d == "街道/乡镇边界" and m == "行数"]
        assert rows == [2]


def _square_fills(at, name: str) -> list[str]:
    """Filled shapes of the coverage map (inline SVG) titled `name` that are four-cornered rings."""
    (svg,) = svg_markups(at)
    shapes = re.findall(r'<path class="fill" d="M([^"]*)Z"[^>]*><title>([^<]*)</title>', svg)
    return [d for d, title in shapes if name in title and d.count("L") == 4]  # five points: the ring closes


def test_uploaded_boundaries_reach_the_map():
    """An uploaded sub-district layer is what that session's coverage map draws (the uploaded 中山 is a square)."""
    a = apply_upload(run_page("data"), "subdistrict_shapes", "subdistricts.geojson")
    a.switch_page(registry.page("coverage").script).run()
    b = run_page("coverage")
    assert len(_square_fills(a, "中山")) == 1
    assert not _square_fills(b, "中山")


@pytest.mark.parametrize("name", ["subdistricts_with_z.geojson", "subdistricts_utf16.geojson"])
def test_accepted_odd_layers_do_not_break_the_maps(name):
    """Issue 15: a layer with Z coordinates was accepted and then broke the Overview map; Z is dropped."""
    a = apply_upload(run_page("data"), "subdistrict_shapes", name)
    assert a.session_state["overlay"].user_datasets == ["subdistrict_shapes"]
    for page in ("overview", "coverage"):
        a.switch_page(registry.page(page).script).run()
        assert_no_exception(a)
