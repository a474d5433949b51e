"""Figures computed from an upload cite the upload's source, not the demonstration layer."""

from __future__ import annotations

import pandas as pd

from dashboard.analyses.beds import model as beds
from dashboard.core.metrics import cite_data
from dashboard.core.scenario import Scenario
from dashboard.data import db


def _upload_overlay(table: str, source_id: str) -> db.Overlay:
    shipped = db.shipped_frames()
    frame = shipped[table].copy()
    frame["source_id"] = source_id
    sources = pd.concat([shipped["sources"], pd.DataFrame([{
        "source_id": source_id, "kind": "official_statistics", "title": "test upload", "publisher": "test",
        "date": "2026-01-01", "locator": None, "note": None}])], ignore_index=True).astype(shipped["sources"].dtypes)
    return db.Overlay({table: frame, "sources": sources})


def test_cite_data_replaces_only_the_demo_layer():
    assert cite_data(("demo_layer", "report2020"), ("upload_a", "demo_layer")) == ("upload_a", "demo_layer", "report2020")
    assert cite_data(("std_x",), ("upload_a",)) == ("std_x",)
    assert cite_data(("demo_layer",), ()) == ("demo_layer",)


def test_data_source_ids_follow_the_overlay():
    assert db.data_source_ids(("care_facilities",)) == ("demo_layer",)
    overlay = _upload_overlay("care_facilities", "upload_care_test")
    assert db.data_source_ids(("care_facilities",), overlay) == ("upload_care_test",)
    assert db.data_source_ids(("care_facilities", "communities"), overlay) == ("demo_layer", "upload_care_test")


def test_beds_supply_cites_the_upload():
    overlay = _upload_overlay("care_facilities", "upload_care_test")
    shipped = {m.key: m for m in beds.headline(Scenario.default())}
    uploaded = {m.key: m for m in beds.headline(Scenario.default(), overlay)}
    assert "upload_care_test" not in shipped["supply"].source_ids
    assert "upload_care_test" in uploaded["supply"].source_ids
    assert uploaded["supply"].value == shipped["supply"].value  # same rows, only the provenance differs


def test_coverage_cites_the_upload():
    from dashboard.analyses.coverage import model as coverage

    overlay = _upload_overlay("clinics", "upload_clinics_test")
    uploaded = {m.key: m for m in coverage.headline(Scenario.default(), overlay)}
    assert "upload_clinics_test" in uploaded["covered_share"].source_ids
    assert "demo_layer" in uploaded["covered_share"].source_ids  # compounds are still the shipped layer
