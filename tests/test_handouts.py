"""What leaves the app stands on its own (issue 13): links that open, qualifiers kept, every file labelled,
labels that follow the data."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import registry
from dashboard.analyses.overview import model as overview
from dashboard.core import labels
from dashboard.core.metrics import Metric, qualify
from dashboard.core.scenario import Scenario
from dashboard.data import db
from dashboard.exports import content, layout, provenance, tables

REPO = Path(__file__).resolve().parents[1]


def _upload(tables_: tuple[str, ...], source_id: str = "upload_test") -> db.Overlay:
    shipped = db.shipped_frames()
    frames = {}
    for name in tables_:
        frame = shipped[name].copy()
        frame["source_id"] = source_id
        frames[name] = frame
    frames["sources"] = pd.concat([shipped["sources"], pd.DataFrame([{
        "source_id": source_id, "kind": "official_statistics", "title": "区民政局台账 2026", "publisher": "test",
        "date": "2026-01-01", "locator": None, "note": None}])], ignore_index=True).astype(shipped["sources"].dtypes)
    return db.Overlay(frames)


# ---------------------------------------------------------------- 2. links


@pytest.mark.parametrize("url,local", [
    ("http://localhost:8501/beds", True), ("http://127.0.0.1:8501", True), ("http://192.168.1.20:8501", True),
    ("http://10.0.0.5/x", True), ("http://[::1]:8501", True), ("http://dashboard.local", True),
    ("http://intranet:8501", True), ("https://dash.jzrd.gov.cn/beds", False), ("http://8.8.8.8", False),
])
def test_local_links_are_recognised(url, local):
    assert content.link_is_local(url) is local


def test_public_url_is_used_for_links(monkeypatch):
    monkeypatch.delenv("DASHBOARD_BASE_URL", raising=False)
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "https://dash.example.org/gov/")
    assert content.view_link(Scenario.default(), "beds").startswith("https://dash.example.org/gov/beds")
    monkeypatch.delenv("DASHBOARD_PUBLIC_URL")
    assert content.base_url() == content.DEFAULT_BASE_URL


def test_brief_says_a_local_link_works_only_on_its_network():
    slides = content.build_slides(Scenario.default(), "zh", pages=["beds"], with_figures=False)
    assert "只能在生成它的网络内打开" in " ".join(layout.slide_text_blocks(slides[0], "zh")["footer"])
    public = content.build_slides(Scenario.default(), "en", pages=["beds"], base="https://dash.example.org",
                                  with_figures=False)
    footer = " ".join(layout.slide_text_blocks(public[0], "en")["footer"])
    assert "only on the network" not in footer and public[0].link.startswith("https://dash.example.org/beds")


def test_cli_export_base_url_and_warning(tmp_path):
    env = {**os.environ, "DASHBOARD_CHART_IMAGES": "0"}
    env.pop("DASHBOARD_PUBLIC_URL", None)
    env.pop("DASHBOARD_BASE_URL", None)
    out = tmp_path / "b.pptx"
    res = subprocess.run([sys.executable, "-m", "dashboard", "export", "--format", "pptx", "-o", str(out)],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert res.returncode == 0 and "localhost" in res.stderr and "DASHBOARD_PUBLIC_URL" in res.stderr
    res = subprocess.run([sys.executable, "-m", "dashboard", "export", "--format", "pptx", "-o", str(out),
                          "--base-url", "https://dash.example.org"], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=300)
    assert res.returncode == 0 and "DASHBOARD_PUBLIC_URL" not in res.stderr
    from pptx import Presentation

    links = [r.hyperlink.address for s in Presentation(str(out)).slides for sh in s.shapes if sh.has_text_frame
             for p in sh.text_frame.paragraphs for r in p.runs if r.hyperlink.address]
    assert links and all(u.startswith("https://dash.example.org/") for u in links)


# ---------------------------------------------------------------- 3. qualifiers


def test_qualifiers_print_as_the_report_states_them():
    by = {m.key: m for m in overview.headline()}
    assert by["beds.jingzhouqu.home_care_share"].formatted("zh") == "不到25%"
    assert by["pay.quits_per_year.central_city"].formatted("zh") == "超过50人"
    assert by["beds.per_1000_older"].formatted("zh") == "约34张"
    assert by["workload.tasks.421002"].formatted("zh") == "130多项"
    assert by["party.volunteers"].formatted("zh") == "6万多人"
    assert by["beds.shashi.demand_met_share"].formatted("zh") == "三分之一"
    assert by["pay.quits_per_year.central_city"].formatted("en") == "more than 50 people"
    assert by["clinics.centres.central_city"].qualifier == ""  # an exact figure has none
    assert qualify("—", "more_than") == "—"


def test_qualifiers_reach_the_summary_csv_brief_and_json():
    summary = overview.summary_sentence(None, "zh")
    assert "约34张" in summary and "超过50人" in summary and "三分之一" in summary and "约约" not in summary
    frame = tables.page_tables("overview", Scenario.default(), "zh")["overview_headline"]
    row = frame.set_index("key").loc["pay.quits_per_year.central_city"]
    assert row["限定词(原文)"] == "超过" and row["当前情景"] == "超过50人"
    slide = content.build_slides(Scenario.default(), "zh", pages=["overview"], with_figures=False)[0]
    assert any("超过50人" in r for r in layout.metric_rows(slide, "zh", False))
    m = Metric("k", 50, "persons", "x", "x", ("report2020",), qualifier="more_than")
    assert json.loads(json.dumps(m.to_dict()))["qualifier"] == "more_than"


# ---------------------------------------------------------------- 4. every file self-describing


@pytest.mark.parametrize("page", registry.keys(in_brief=True))
def test_every_table_row_carries_its_provenance(page):
    col = "数据来源(类别 · 名称)"
    for name, frame in provenance.labelled_tables(page, Scenario.default(), "zh").items():
        assert col in frame.columns, name
        assert frame[col].map(lambda v: isinstance(v, str) and v != "").all(), name
    sub = provenance.labelled_tables("coverage", Scenario.default(), "zh")["coverage_by_subdistrict"]
    assert sub[col].str.startswith("示意数据").all()  # invented residents under real names say so


def test_xlsx_cover_sheet_says_what_the_file_is():
    sc = Scenario.from_values({"beds_new_per_year": 1500})[0]
    book = openpyxl.load_workbook(io.BytesIO(provenance.workbook_bytes("beds", sc, "en", base="https://d.example.org")))
    assert book.sheetnames[0] == "About"
    text = "\n".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c)
    for needle in ("Care beds", "Adjusted scenario", "1,500", "https://d.example.org/beds?", "Illustrative",
                   "Report · 《健全社区管理和服务机制"):  # the per-1,000 tile is the report's 约34 (census no longer cited there)
        assert needle in text, needle
    assert "only on the network" not in text


def test_chart_download_carries_title_sources_date_and_mark():
    fig = provenance.labelled_figure("pay", content.figure_names("pay")[0], Scenario.default(), "zh")
    texts = [a.text for a in fig.layout.annotations]
    assert fig.layout.title.text == "社区工作者年薪：现行与阶梯首年"
    assert any(s.startswith("数据来源") and layout.today() in s for s in texts)
    assert "示意数据 · 非实测" in texts


def test_file_names_are_human_and_safe():
    name = provenance.table_file_name("beds", "beds_headline", "zh")
    assert name.startswith("养老床位") and "主要数字" in name and name.endswith(".csv")
    assert "/" not in provenance.chart_file_name("coverage", "a/b", "en", "png")
    assert provenance.brief_file_name("en", "pdf").startswith("Hearing_brief-")


# ---------------------------------------------------------------- 5. labels follow the data


def test_summary_tag_follows_the_data():
    from dashboard.analyses.pay import model as pay

    assert pay.summary_sentence(Scenario.default(), "zh").endswith("(示意数据)")
    overlay = _upload(("community_workers",))
    assert not pay.summary_sentence(Scenario.default(), "zh", overlay).endswith("(示意数据)")
    assert not labels.tables_illustrative(("community_workers",), overlay)


def test_coverage_sentence_loses_the_tag_when_uploads_replace_its_data():
    from dashboard.analyses.coverage import model as coverage

    assert coverage.summary_sentence(Scenario.default(), "en").endswith("(Illustrative data.)")
    overlay = _upload(("clinics", "compounds", "subdistrict_shapes"))
    text = coverage.summary_sentence(Scenario.default(), "en", overlay)
    assert "Illustrative" not in text


def test_map_providers_are_map_data_not_official_statistics():
    kinds = content.sources_table()
    for sid in ("cnmaps_boundaries", "wdb2_rivers", "natural_earth_lakes"):
        assert kinds[sid]["kind"] == "map_data", sid
    assert "map_data" in __import__("dashboard.data.schemas", fromlist=["x"]).SOURCE_KINDS


# ---------------------------------------------------------------- 6. model corrections (brief and tables)


def test_changed_closing_year_shows_its_difference():
    from dashboard.analyses.beds import model as beds

    sc = Scenario.from_values({"beds_new_per_year": 1500})[0]
    now = {m.key: m for m in beds.headline(sc)}["closing_year"]
    base = {m.key: m for m in beds.headline(Scenario.default())}["closing_year"]
    assert (now.value, base.value) == (2029, ">2035")
    assert tables.difference_text(now, base, "zh") == "至少提前7年"
    assert tables.difference_text(base, now, "en") == "at least 7 years later"
    plain = Metric("y", 2027, "year", "x", "x", ())
    assert tables.difference_text(plain, Metric("y", 2029, "year", "x", "x", ()), "zh") == "提前2年"


def test_baseline_of_another_target_year_is_labelled_with_its_year():
    from dashboard.analyses.beds import model as beds

    sc = Scenario.from_values({"beds_target_year": 2030})[0]
    frame = tables.page_tables("beds", sc, "zh")["beds_headline"].set_index("key")
    row = frame.loc["required_per_year"]
    default_year = beds.default_target_year(beds.BASE_YEAR, beds.END_YEAR)  # today's year (tests pin the date)
    assert row["指标"].startswith("2030年") and f"({default_year}年" in row["基准"] and row["差值"] == "—"


def test_shashi_home_care_tile_cites_demo_data_not_the_report():
    from dashboard.analyses.beds import model as beds

    shashi = {m.key: m for m in beds.headline(Scenario.default())}["without_centre"]
    assert "report2020" not in shashi.source_ids
    jzq = {m.key: m for m in beds.headline(Scenario.from_values({"beds_district": "421003"})[0])}["without_centre"]
    assert "report2020" in jzq.source_ids  # the report's 29 communities, 不到四分之一


def test_brief_data_years_include_2018_for_the_2018_figures():
    slide = content.build_slides(Scenario.default(), "zh", pages=["overview"], with_figures=False)[0]
    assert 2018 in slide.years


def test_pay_cost_split_into_the_rule_and_the_ladders_own_steps():
    from dashboard.analyses.pay import model as pay

    def parts(**values):
        h = {m.key: m for m in pay.headline(Scenario.from_values(values)[0])}
        return (h["pay_increment_year1"].value, h["pay_rule_cost_year1"].value, h["pay_ladder_addition_year1"].value)

    total, rule, steps = parts()
    assert total == pytest.approx(rule + steps)
    assert parts(pay_grade_step_pct=10.0)[0] == pytest.approx(total)  # 'mean': the steps do not change the cost
    floor5 = parts(pay_ladder_anchor="floor")
    floor10 = parts(pay_ladder_anchor="floor", pay_grade_step_pct=10.0)
    assert floor5[1] == pytest.approx(rule) and floor10[2] > floor5[2] > 0  # 'floor': steps above it cost more
    label = {m.key: m for m in pay.headline(Scenario.default())}["pay_rule_yuan"].label("zh")
    assert "社平工资" in label and "50,000元" in label  # which wage the rule multiplies, beside the figure


def test_one_centre_per_street_built_to_standard_counts_and_costs_upgrades():
    from dashboard.analyses.coverage import model as coverage

    h = {m.key: m for m in coverage.headline(Scenario.default())}
    below = coverage.details(Scenario.default())["plan"]["streets_public_centre_below_standard"]
    assert h["plan_upgrades"].value == len(below) > 0
    assert h["plan_upgrade_cost"].value == pytest.approx(len(below) * 6.0 * coverage.UPGRADE_COST_SHARE, abs=0.05)
    assert f"另有{len(below)}所公办中心需改造达标" in coverage.summary_sentence(Scenario.default(), "zh")


def test_beds_both_demand_methods_side_by_side_with_occupancy_and_kaifaqu_visible():
    from dashboard.analyses.beds import model as beds

    h = {m.key: m for m in beds.headline(Scenario.default())}
    assert h["met_share"].value == pytest.approx(33.2, abs=0.1) and "按需测算" in h["met_share"].label_zh
    assert h["met_share_other"].value > 100 and "千人床位标准" in h["met_share_other"].label_zh
    assert "入住率85%" in h["demand"].label_zh
    assert {"asm_beds_occupancy", "asm_kaifaqu_in_shashi"} <= set(h["demand"].source_ids)
    text = beds.summary_sentence(Scenario.default(), "zh")
    assert "千人床位标准" in text and "130.1%" in text
    norm = {m.key: m for m in beds.headline(Scenario.from_values({"beds_demand_method": "norm"})[0])}
    assert norm["met_share_other"].value == pytest.approx(h["met_share"].value)  # the same two answers, swapped
    slide = content.build_slides(Scenario.default(), "zh", pages=["beds"], with_figures=False)[0]
    cells = [c for r in layout.metric_rows(slide, "zh", False) for c in r]
    shown = {m.key: m.formatted("zh") for m in slide.metrics}  # with their ranges, as every output prints them
    assert shown["met_share"] in cells and shown["met_share_other"] in cells
    assert shown["met_share"].startswith("33") and shown["met_share_other"].startswith("130")


def test_calibrated_result_says_so_and_what_it_was_calibrated_to():
    from dashboard.analyses.beds import model as beds

    met = {m.key: m for m in beds.headline(Scenario.default())}["met_share"]
    assert "校准值" in met.label_zh and "三分之一" in met.note_zh and "calibrated" in met.label_en
    moved = {m.key: m for m in beds.headline(Scenario.from_values({"beds_bed_use_pct": 50.0})[0])}["met_share"]
    assert "校准值" not in moved.label_zh
    assert tables.difference_text(moved, met, "zh") != "—"  # still compared with the baseline


# ---------------------------------------------------------------- 7. a readable Data & sources page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sources_page_tables_speak_words_not_codes(lang):
    from dashboard.data import catalogue

    codes = {"indicator_id", "grain_zh", "grain_en", "source_id", "source_kind", "kind", "user_supplied", "note"}
    ind = catalogue.indicator_table(lang)
    data = catalogue.dataset_table(lang)
    src = catalogue.sources_readable(lang)
    for frame in (ind, data, src):
        assert not codes & set(frame.columns), frame.columns
    assert len(ind) == len(db.frames()["indicators"])
    name, other = ind.columns[0], ind.columns[1]
    assert ind[name].str.len().gt(0).all() and ind[other].str.len().gt(0).all()
    kinds = set(ind[ind.columns[11]])
    assert not kinds & {"report", "official_statistics"}  # kinds in words
    if lang == "zh":
        row = ind[ind["编号"] == "pay.quits_per_year.central_city"].iloc[0]
        assert row["指标"] and row["数值"] == "超过50" and row["年份"] == 2020 and "超过50人" in row["报告原文"]
        assert "社区(居委会)" in set(data["数据集"])
        assert data.set_index("数据集").loc["社区工作者名册", "数据从哪里来"].startswith("示意数据")
        assert data.set_index("数据集").loc["区县边界", "数据从哪里来"].startswith("地图数据")


def test_every_indicator_has_a_chinese_definition():
    """The Chinese sources page defines each shipped indicator in Chinese (data/indicators.csv `note_zh`)."""
    from dashboard.data import catalogue
    from tests.e2e.test_screens import english_words

    ind = catalogue.indicator_table("zh")
    for definition in ind["定义"]:
        assert definition and not english_words(definition), definition
    assert not english_words(" ".join(ind["注意事项"]))
    row = ind[ind["编号"] == "pay.quits_per_year.central_city"].iloc[0]
    assert row["定义"] == "中心城区每年离职的社区工作者人数" and "不是国家统计局代码" in row["注意事项"]
    en = catalogue.indicator_table("en").set_index("ID").loc["pay.quits_per_year.central_city"]
    assert en["Definition"] == "community workers leaving each year"  # the English note, qualifier left out


def test_a_file_without_chinese_notes_shows_its_english_ones():
    from dashboard.data import catalogue

    row = {"note": "more than (多); quits a year; caveat one", "note_zh": None}
    assert catalogue.definition_and_caveats(row, "zh") == ("quits a year", "caveat one")
    row["note_zh"] = "每年离职人数；注意一"
    assert catalogue.definition_and_caveats(row, "zh") == ("每年离职人数", "注意一")
    assert catalogue.definition_and_caveats(row, "en") == ("quits a year", "caveat one")


def test_sources_page_says_which_datasets_an_upload_replaced():
    from dashboard.data import catalogue

    overlay = _upload(("community_workers",))
    data = catalogue.dataset_table("zh", overlay).set_index("数据集")
    assert "区民政局台账 2026" in data.loc["社区工作者名册", "数据从哪里来"]
    assert "示意数据" not in data.loc["社区工作者名册", "数据从哪里来"]
    assert data.loc["社区工作者名册", "版本"] == "您在本次会话上传的数据"
