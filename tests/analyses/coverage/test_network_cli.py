"""`python -m dashboard scenario --network FILE`: the same coverage figures as the model, clear errors for bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dashboard.__main__ import main
from dashboard.analyses.coverage import model as cv
from dashboard.analyses.coverage import network as nw
from dashboard.core.scenario import Scenario


def _grid_geojson(n: int = 25) -> bytes:
    d = cv.load_inputs().demand
    lo = d[["lon", "lat"]].min().to_numpy() - 0.01
    hi = d[["lon", "lat"]].max().to_numpy() + 0.01
    xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    lines = [[[float(x), float(y)] for y in ys] for x in xs] + [[[float(x), float(y)] for x in xs] for y in ys]
    features = [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}}
                for c in lines]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_cli_network_gives_the_models_figures(tmp_path, capsys):
    path = tmp_path / "grid.geojson"
    path.write_bytes(_grid_geojson())
    scenario = Scenario.default().with_values(clinic_site_objective="served")
    assert main(["scenario", "--page", "coverage", "--format", "json", "--set", "clinic_site_objective=served",
                 "--network", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)["pages"]["coverage"]
    network = nw.read_network(path.read_bytes(), "grid.geojson")
    expected = {m.key: m.value for m in cv.headline(scenario, network=network)}
    got = {m["key"]: m["value"] for m in out["metrics"]}
    assert got == expected
    assert out["details"]["city"]["distance_method"] == "network"
    assert out["details"]["suggestion"]["objective"] == "served"
    assert out["details"]["network"]["source"] == "grid.geojson"
    assert got["covered_share"] != {m.key: m.value for m in cv.headline(scenario)}["covered_share"]


@pytest.mark.parametrize("content, name, words", [
    (b"", "empty.geojson", "empty"),
    (b"{not json", "bad.geojson", "GeoJSON"),
    (b"hello", "roads.txt", ".osm.pbf"),
])
def test_cli_network_bad_files_get_a_clear_message(tmp_path, capsys, content, name, words):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["scenario", "--page", "coverage", "--network", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and name in err and "Traceback" not in err


def test_cli_network_missing_file(tmp_path, capsys):
    assert main(["scenario", "--page", "coverage", "--network", str(tmp_path / "nope.geojson")]) == 2
    assert "nope.geojson" in capsys.readouterr().err
