"""Written files as their readers expect them: CSV with a UTF-8 BOM that every reader
takes back, and GeoJSON/GeoPackage layers named after the file, not its temporary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from data.io import read_table, write_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b"], "lat": [55.75, 59.93], "lon": [37.61, 30.31],
                         "settlement": ["Москва", "Санкт-Петербург"]})  # fmt: skip


@pytest.mark.parametrize("name", ["out.csv", "out.tsv"])
def test_csv_is_utf8_with_bom_and_reads_back(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    write_table(_frame(), out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid")
    assert "Санкт-Петербург" in raw.decode("utf-8-sig")
    sep = "\t" if name.endswith(".tsv") else ","
    back = pd.read_csv(out, sep=sep)
    assert list(back.columns) == ["id", "lat", "lon", "settlement"]
    assert back["settlement"].tolist() == ["Москва", "Санкт-Петербург"]
    got = read_table(out)
    assert got["settlement"].tolist() == ["Москва", "Санкт-Петербург"]
    assert got["id"].tolist() == ["a", "b"]


@pytest.mark.parametrize("name", ["Точки.geojson", "points.json", "points.gpkg"])
def test_geographic_layer_is_named_after_the_file(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    write_table(_frame(), out)
    stem = Path(name).stem
    assert [str(layer) for layer in pyogrio.list_layers(out)[:, 0]] == [stem]
    if not name.endswith(".gpkg"):
        assert json.loads(out.read_text(encoding="utf-8"))["name"] == stem
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left


def test_boundaries_geojson_is_named_after_the_file(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from data.osm_boundaries import write_boundaries

    gdf = gpd.GeoDataFrame({"name": ["Мытищи"], "population": [235_000]},
                           geometry=[box(37.7, 55.9, 37.8, 56.0)], crs="EPSG:4326")  # fmt: skip
    out = tmp_path / "settlements_mo.geojson"
    write_boundaries(gdf, out)
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "settlements_mo"


def test_decimal_commas_spare_ids_only(tmp_path: Path) -> None:
    """A ``;`` file's decimal commas become points in every column (turnover_rub of
    ``pvz score`` included) but ids: ``id`` and ``..._id`` stay as written."""
    path = tmp_path / "ru.csv"
    path.write_bytes("id;order_id;lat;lon;turnover_rub\n1,5;2,5;55,75;37,61;900000,5\n"
                     .encode("cp1251"))  # fmt: skip
    got = read_table(path).iloc[0].to_dict()
    assert got == {"id": "1,5", "order_id": "2,5", "lat": "55.75", "lon": "37.61",
                   "turnover_rub": "900000.5"}  # fmt: skip
