"""Settlement boundaries: every bad feature refused on load, with file, row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box, mapping

from data.boundaries import load_boundaries, parse_population, settlements_from_polygon_file
from data.errors import InputError
from geo.settlements import SettlementLookup

#: no bundled places (one in the Gulf of Guinea, far from every test point): polygons only
NO_PLACES = pd.DataFrame({"name": ["-"], "lat": [0.0], "lon": [0.0], "population": [0]})

CITY = box(37.0, 55.0, 38.0, 56.0)
TOWN = box(39.0, 55.0, 39.5, 55.5)
# a Chukotka town drawn across 180 degrees with jumping longitudes
CHUKOTKA = Polygon([(179.9, 64.9), (-179.9, 64.9), (-179.9, 65.1), (179.9, 65.1)])


def write_geojson(path: Path, features: list[dict[str, Any]], crs: str | None = None) -> Path:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def feature(props: dict[str, Any], geom: Any = CITY) -> dict[str, Any]:
    return {"type": "Feature", "properties": props,
            "geometry": None if geom is None else mapping(geom)}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_500_000, 1_500_000), (7.0, 7), ("640", 640), (" 640 ", 640), ("1 500 000", 1_500_000),
        ("1\u00a0500\u00a0000", 1_500_000), ("1\u202f500\u202f000", 1_500_000),
        ("1\u2009500", 1_500), ("12,345", 12_345), ("-5", -5), ("abc", None), ("1,5", None),
        ("1500.5", None), (1500.5, None), ("", None), (None, None), (float("nan"), None),
        ("1 50 000", None), (True, None),
    ],
)  # fmt: skip
def test_parse_population(value: Any, expected: int | None) -> None:
    assert parse_population(value) == expected


def test_good_file_is_normalised(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "b.geojson", [
        feature({"name": " Город ", "population": "1 500 000", "name_ru": None}, CITY),
        feature({"name": "Town", "population": 12_000, "name_ru": "Городок"}, TOWN),
        feature({"name": "Эгвекинот", "population": 0, "name_ru": ""}, CHUKOTKA),
    ])  # fmt: skip
    gdf = load_boundaries(path)
    assert gdf.crs.equals("EPSG:4326")
    assert gdf["name"].tolist() == ["Город", "Town", "Эгвекинот"]
    assert gdf["name_ru"].tolist() == ["Город", "Городок", "Эгвекинот"]
    assert gdf["population"].dtype == np.int64
    assert gdf["population"].tolist() == [1_500_000, 12_000, 0]
    assert gdf.geometry.is_valid.all()
    assert gdf.geometry.iloc[2].geom_type == "MultiPolygon"
    assert gdf.total_bounds[0] >= -180 and gdf.total_bounds[2] <= 180


def test_projected_file_is_reprojected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"name": ["Город"], "population": [2_000_000]}, geometry=[CITY],
                           crs="EPSG:4326").to_crs("EPSG:32637")  # fmt: skip
    gdf.to_file(tmp_path / "b.gpkg")
    got = load_boundaries(tmp_path / "b.gpkg")
    assert got.crs.equals("EPSG:4326")
    assert got.geometry.iloc[0].contains(Point(37.5, 55.5))


def test_chukotka_across_the_antimeridian_in_a_utm_file(tmp_path: Path) -> None:
    """Reprojected from a UTM zone that straddles 180 degrees, the ring jumps; it is split."""
    gdf = gpd.GeoDataFrame({"name": ["Town"], "population": [5_000]},
                           geometry=[Polygon([(179.5, 64.5), (180.5, 64.5), (180.5, 65.5),
                                              (179.5, 65.5)])], crs="EPSG:4326")  # fmt: skip
    gdf.to_crs("EPSG:32660").to_file(tmp_path / "utm.gpkg")
    look = SettlementLookup(NO_PLACES, polygons=load_boundaries(tmp_path / "utm.gpkg"))
    loc = look.locate([65.0, 65.0, 65.0, 65.0], [179.9, -179.9, 40.0, 178.0])
    assert loc.name.tolist() == ["Town", "Town", None, None]


def test_lookup_across_180_and_not_at_40_east(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "b.geojson", [
        feature({"name": "Эгвекинот", "population": 3_000}, CHUKOTKA),
        feature({"name": "Wide", "population": 2_000},
                Polygon([(179.0, 60.0), (181.0, 60.0), (181.0, 61.0), (179.0, 61.0)])),
    ])  # fmt: skip
    look = settlements_from_polygon_file(NO_PLACES, path)
    loc = look.locate([65.0, 65.0, 65.0, 60.5, 60.5, 60.5], [179.95, -179.95, 40.0, 179.5,
                                                             -179.5, 40.0])  # fmt: skip
    assert loc.name.tolist() == ["Эгвекинот", "Эгвекинот", None, "Wide", "Wide", None]
    assert loc.population.tolist() == [3000, 3000, 0, 2000, 2000, 0]


GOOD = {"name": "Город", "population": 1000}


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        ([feature({"name": "A", "population": 1}), feature({"population": 5})],
         "row 2, column 'name': the name is empty"),
        ([feature({"name": "  ", "population": 5})], "row 1, column 'name': the name is empty"),
        ([feature(GOOD), feature({"name": "Анадырь", "population": "abc"})],
         "row 2, column 'population': not a whole number of people: 'abc' (feature 'Анадырь')"),
        ([feature({"name": "Анадырь", "population": "1,5"})], "not a whole number of people"),
        ([feature({"name": "Анадырь", "population": None})],
         "row 1, column 'population': the population is missing (feature 'Анадырь')"),
        ([feature({"name": "Анадырь", "population": -3})],
         "column 'population': must be >= 0, got -3 (feature 'Анадырь')"),
        ([feature({"name": "Анадырь", "population": 10.5})], "not a whole number of people: 10.5"),
        ([feature({"name": "Анадырь", "population": "99999999999999999999999"})],
         "must be below 1,000,000,000, got 99,999,999,999,999,999,999,999"),
        ([feature(GOOD), feature(GOOD, None)],
         "row 2, column 'geometry': the geometry is missing (feature 'Город')"),
        ([feature(GOOD, Point(37, 55))],
         "row 1, column 'geometry': must be a Polygon or MultiPolygon, got Point"),
        ([feature(GOOD, LineString([(37, 55), (38, 56)]))], "got LineString"),
        ([feature(GOOD, Polygon([(37, 55), (38, 56), (38, 55), (37, 56)]))],
         "row 1, column 'geometry': not a valid polygon: Self-intersection"),
        ([feature(GOOD, box(4_000_000, 6_000_000, 4_100_000, 6_100_000))],
         "coordinates are not longitude/latitude degrees"),
        ([feature({"name": "A", "population": "x"}), feature({"name": "", "population": 1}),
          feature({"name": "C", "population": -1})],
         "row 1, column 'population': not a whole number of people: 'x' (feature 'A'); "
         "2 more bad feature(s)"),
    ],
)  # fmt: skip
def test_bad_features_are_refused(tmp_path: Path, features: list[dict[str, Any]],
                                  expected: str) -> None:  # fmt: skip
    path = write_geojson(tmp_path / "bad.geojson", features)
    with pytest.raises(InputError) as err:
        load_boundaries(path)
    assert str(err.value).startswith(str(path))
    assert expected in str(err.value)


def test_missing_columns_and_files(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "b.geojson", [feature({"name": "A", "pop": 1})])
    with pytest.raises(InputError, match=r"missing required column\(s\): population \(columns "
                       r"found: name, pop\)"):  # fmt: skip
        load_boundaries(path)
    with pytest.raises(InputError, match="file not found"):
        load_boundaries(tmp_path / "nope.gpkg")
    (tmp_path / "empty.geojson").write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        load_boundaries(tmp_path / "empty.geojson")
    (tmp_path / "junk.geojson").write_text("{not json")
    with pytest.raises(InputError, match="not a readable GeoPackage/GeoJSON file"):
        load_boundaries(tmp_path / "junk.geojson")
    path = write_geojson(tmp_path / "none.geojson", [])
    with pytest.raises(InputError, match="no features|missing required column"):
        load_boundaries(path)


def test_empty_geometry_is_refused() -> None:
    from data.boundaries import validate_boundaries

    gdf = gpd.GeoDataFrame({"name": ["A"], "population": [1]}, geometry=[Polygon()],
                           crs="EPSG:4326")  # fmt: skip
    with pytest.raises(InputError, match="row 1, column 'geometry': the geometry is empty"):
        validate_boundaries(gdf, source="x.gpkg")


def test_every_row_is_checked_not_only_the_first(tmp_path: Path) -> None:
    feats = [feature({"name": f"P{i}", "population": i}) for i in range(500)]
    feats.append(feature({"name": "Last", "population": "1 2 3"}))
    with pytest.raises(InputError, match="row 501, column 'population'"):
        load_boundaries(write_geojson(tmp_path / "b.geojson", feats))
    assert len(pd.DataFrame(feats)) == 501
