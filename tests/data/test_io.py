"""Readers and writers: CSV, GeoJSON, GeoPackage; every bad input names file, row, column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.errors import InputError
from data.io import read_points, write_table

GOOD = (
    "id,lat,lon,radius_m,kind,status\n001,55.75,37.61,,partner,active\n002,55.76,37.62,700,own,\n"
)


def write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_csv_keeps_ids_and_blanks(tmp_path: Path) -> None:
    df = read_points(write(tmp_path, GOOD))
    assert df["id"].tolist() == ["001", "002"]
    assert df["radius_m"].isna().tolist() == [True, False]
    assert df["status"].tolist() == ["active", None]


@pytest.mark.parametrize("ext", [".csv", ".geojson", ".gpkg"])
def test_round_trip(tmp_path: Path, ext: str) -> None:
    src = read_points(write(tmp_path, GOOD))
    out = tmp_path / f"out{ext}"
    write_table(src, out)
    back = read_points(out)
    assert back["id"].astype(str).tolist() == ["001", "002"]
    assert back["lat"].tolist() == pytest.approx([55.75, 55.76])
    assert back["lon"].tolist() == pytest.approx([37.61, 37.62])
    assert back["kind"].tolist() == ["partner", "own"]


@pytest.mark.parametrize(
    ("text", "row", "column", "fragment"),
    [
        ("id,lat\n1,55\n", None, None, "missing required column(s): lon"),
        ("id,lat,lon\n", None, None, "no rows"),
        ("id,lat,lon\n1,55,37\n2,NaN,37\n", 2, "lat", "required"),
        ("id,lat,lon\n1,91,37\n", 1, "lat", "[-90, 90]"),
        ("id,lat,lon\n1,-90.0001,37\n", 1, "lat", "[-90, 90]"),
        ("id,lat,lon\n1,55,181\n", 1, "lon", "[-180, 180]"),
        ("id,lat,lon\n1,55,abc\n", 1, "lon", "not a number"),
        ("id,lat,lon\n1,55,\n", 1, "lon", "required"),
        ("id,lat,lon\n1,55,37\n1,56,37\n", 2, "id", "duplicate id '1'"),
        ("id,lat,lon\n,55,37\n", 1, "id", "empty"),
        ("id,lat,lon,radius_m\n1,55,37,-5\n", 1, "radius_m", "(0, 50000]"),
        ("id,lat,lon,radius_m\n1,55,37,inf\n", 1, "radius_m", "(0, 50000]"),
        ("id,lat,lon,kind\n1,55,37,shop\n", 1, "kind", "unknown kind 'shop'"),
        ('id,lat,lon\n1,"55,37\n', None, None, "CSV"),
    ],
)
def test_bad_csv(
    tmp_path: Path, text: str, row: int | None, column: str | None, fragment: str
) -> None:
    p = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_points(p, kinds=["partner", "own", "postamat"])
    err = info.value
    assert fragment in str(err)
    assert err.source == str(p)
    assert err.row == row and err.column == column


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("p.csv", "", "empty"),
        ("p.txt", "id,lat,lon\n", "unsupported file type"),
        ("p.geojson", "{not json", "not a readable"),
        ("p.gpkg", "this is not a geopackage", "not a readable"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_points(write(tmp_path, content, name))
    assert fragment in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_points(tmp_path / "nope.csv")


def test_geojson_non_point_geometry(tmp_path: Path) -> None:
    text = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},'
            '"geometry":{"type":"LineString","coordinates":[[37,55],[38,56]]}}]}')  # fmt: skip
    with pytest.raises(InputError, match="must be a Point") as info:
        read_points(write(tmp_path, text, "p.geojson"))
    assert info.value.row == 1


def test_write_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "pairs.geojson"
    with pytest.raises(InputError, match="no lat/lon"):
        write_table(pd.DataFrame({"a_id": ["x"]}), out)
    assert list(tmp_path.iterdir()) == []
