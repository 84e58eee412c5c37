"""Readers and writers: CSV, GeoJSON, GeoPackage; every bad input names file, row, column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


# --- files as Russian users have them (#16) ---

PLAIN = "id,lat,lon,radius_m\n001,55.7558,37.6173,700\n002,59.9386,30.3141,\n"


def _same_as_plain(df: pd.DataFrame) -> None:
    assert df["id"].tolist() == ["001", "002"]
    assert df["lat"].tolist() == pytest.approx([55.7558, 59.9386])
    assert df["lon"].tolist() == pytest.approx([37.6173, 30.3141])
    assert df["radius_m"].iloc[0] == 700 and pd.isna(df["radius_m"].iloc[1])


@pytest.mark.parametrize(
    ("text", "encoding", "name"),
    [
        (PLAIN, "utf-8", "p.csv"),
        (PLAIN, "utf-8-sig", "p.csv"),
        ("id;lat;lon;radius_m\n001;55,7558;37,6173;700\n002;59,9386;30,3141;\n", "utf-8", "p.csv"),
        ("id;lat;lon;radius_m\n001;55,7558;37,6173;700\n002;59,9386;30,3141;\n", "cp1251",
         "p.csv"),
        ("id\tlat\tlon\tradius_m\n001\t55,7558\t37,6173\t700\n002\t59,9386\t30,3141\t\n",
         "utf-8", "p.tsv"),
        ("код;широта;долгота;radius_m;название\n001;55,7558;37,6173;700;Москва\n"
         "002;59,9386;30,3141;;Санкт-Петербург\n", "cp1251", "p.csv"),
        ("Номер;Широта;Долгота;Radius_M\n001;55,7558;37,6173;700\n002;59,9386;30,3141;\n",
         "utf-8-sig", "p.csv"),
        ("ID,Latitude,Longitude,radius_m\n001,55.7558,37.6173,700\n002,59.9386,30.3141,\n",
         "utf-8", "p.csv"),
        ("id,lat,lng,radius_m\n001,55.7558,37.6173,700\n002,59.9386,30.3141,\n", "utf-8",
         "p.csv"),
        ("Id,Lat,Lon,radius_m\n001,55.7558,37.6173,700\n002,59.9386,30.3141,\n", "utf-8", "p.csv"),
        ('id,lat,long,radius_m\n"001","55.7558","37.6173",700\n002,59.9386,30.3141,\n', "utf-8",
         "p.csv"),
    ],
)  # fmt: skip
def test_dialects_encodings_aliases(tmp_path: Path, text: str, encoding: str, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    _same_as_plain(read_points(p))


def test_cp1251_keeps_russian_text(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_bytes("id;lat;lon;name\n1;55,75;37,61;Москва\n".encode("cp1251"))
    assert read_points(p)["name"].tolist() == ["Москва"]


def test_sep_and_encoding_override(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_bytes("id;lat;lon;name\n1;55,75;37,61;Мытищи, север\n".encode("cp1251"))
    df = read_points(p, sep=";", encoding="cp1251")
    assert df["lat"].tolist() == [55.75] and df["name"].tolist() == ["Мытищи, север"]
    with pytest.raises(InputError, match="not readable as utf-8") as info:
        read_points(p, encoding="utf-8")
    assert info.value.source == str(p)
    with pytest.raises(InputError, match="unknown encoding"):
        read_points(p, encoding="klingon")


def test_semicolon_errors_name_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_bytes("id;широта;долгота\n1;55,75;37,61\n2;55,7x;37,61\n".encode("cp1251"))
    with pytest.raises(InputError, match="not a number") as info:
        read_points(p)
    assert (info.value.row, info.value.column) == (2, "lat")


def test_missing_columns_lists_found_and_accepted(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="columns found: id, x, y") as info:
        read_points(write(tmp_path, "id,x,y\n1,55,37\n"))
    assert "широта" in str(info.value)


def _xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Лист1") -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.create_sheet("other").append(["nothing"])
    wb.save(path)
    return path


def test_xlsx_like_plain_csv(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Код", "Широта", "Долгота", "radius_m"],
        ["001", 55.7558, 37.6173, 700],
        ["002", "59,9386", 30.3141, None],
    ]
    p = _xlsx(tmp_path / "p.xlsx", rows)
    _same_as_plain(read_points(p))
    _same_as_plain(read_points(p, sheet="Лист1"))
    _same_as_plain(read_points(p, sheet="1"))
    with pytest.raises(InputError, match="no sheet 'x'"):
        read_points(p, sheet="x")


def test_xlsx_errors_name_row_and_column(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "p.xlsx", [["id", "lat", "lon"], [1, 55.7, 37.6], [2, 95.0, 37.6]])
    with pytest.raises(InputError, match=r"\[-90, 90\]") as info:
        read_points(p)
    assert (info.value.source, info.value.row, info.value.column) == (str(p), 2, "lat")
    bad = write(tmp_path, "not a zip", "q.xlsx")
    with pytest.raises(InputError, match="not a readable .xlsx"):
        read_points(bad)


def test_geojson_big_integer_ids_stay_exact(tmp_path: Path) -> None:
    text = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"id":12345678901234567890,"radius_m":700},'
        '"geometry":{"type":"Point","coordinates":[37.6173,55.7558]}},'
        '{"type":"Feature","properties":{"id":12345678901234567891,"radius_m":null},'
        '"geometry":{"type":"Point","coordinates":[30,60]}},'
        '{"type":"Feature","properties":{"id":"007"},'
        '"geometry":{"type":"Point","coordinates":[30.1,60]}}]}'
    )
    df = read_points(write(tmp_path, text, "p.geojson"))
    assert df["id"].tolist() == ["12345678901234567890", "12345678901234567891", "007"]
    assert df["lat"].tolist() == pytest.approx([55.7558, 60, 60])
    assert df["radius_m"].iloc[0] == 700 and df["radius_m"].isna().tolist()[1:] == [True, True]


# --- swapped coordinates (#16) ---

MOSCOW = [(55.70 + i * 0.01, 37.50 + i * 0.01) for i in range(10)]


def test_swapped_file_is_refused(tmp_path: Path) -> None:
    rows = "".join(f"{i},{lon},{lat}\n" for i, (lat, lon) in enumerate(MOSCOW))
    p = write(tmp_path, "id,lat,lon\n" + rows)
    with pytest.raises(InputError, match="swapped") as info:
        read_points(p)
    assert "--allow-outside" in str(info.value) and info.value.source == str(p)
    assert len(read_points(p, allow_outside=True)) == 10


def test_swapped_far_east_is_refused_not_out_of_range(tmp_path: Path) -> None:
    # Vladivostok swapped: lat 131.9 would be out of range; the message says why
    p = write(tmp_path, "id,lat,lon\n1,131.88,43.12\n2,131.9,43.1\n")
    with pytest.raises(InputError, match="swapped"):
        read_points(p)


def test_single_rows_outside_are_warnings(tmp_path: Path) -> None:
    import logging

    seen: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("data.io")
    logger.addHandler(handler)
    try:
        rows = "".join(f"{i},{lat},{lon}\n" for i, (lat, lon) in enumerate(MOSCOW))
        p = write(tmp_path, "id,lat,lon\n" + rows + "x,48.85,2.35\n")  # Paris, row 11
        assert len(read_points(p)) == 11
        assert len(seen) == 1 and "(rows 11)" in seen[0] and "outside Russia" in seen[0]
        read_points(p, allow_outside=True)
        assert len(seen) == 1
    finally:
        logger.removeHandler(handler)


# --- the fast CSV writer writes what pandas writes (#16) ---


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"id": ["a", "b", None], "allowed": [True, False, True],
                      "radius_m": [500.0, np.nan, 1000.0], "n": [0, 3, 12],
                      "d_m": [0.1, 448.823, -0.0], "settlement": ["Юрга", "", None]}),
        pd.DataFrame({"id": ["a", "b"], "name": ["Мытищи, север", 'say "hi"']}),  # quoting
        pd.DataFrame({"id": ["a", "b"], "x": [1e-7, 1e22]}),  # exponents
        pd.DataFrame({"id": ["a", "b"], "x": [np.inf, 1.0]}),
        pd.DataFrame({"id": ["", "b"]}),  # one column
        pd.DataFrame({"id": ["a", "b"], "v": [[1], {"a": 1}]}),  # objects
    ],
)  # fmt: skip
def test_fast_csv_writer_matches_pandas(tmp_path: Path, frame: pd.DataFrame) -> None:
    out = tmp_path / "fast.csv"
    write_table(frame, out)
    assert out.read_bytes() == frame.to_csv(index=False).encode("utf-8-sig")


# --- one extension check for the point readers/writers, the money sheets and boundaries ---


def test_one_extension_check_serves_every_file_writer(tmp_path: Path) -> None:
    import geopandas as gpd

    from data.io import FORMATS, file_format
    from data.osm_boundaries import write_boundaries
    from data.sheets import TABLE_FORMATS, table_format, write_sheets

    assert file_format(Path("A.CSV")) == "csv" and file_format(Path("b.GeoJSON")) == "geojson"
    assert table_format(Path("s.XLSX")) == "xlsx"
    with pytest.raises(InputError, match=r"unsupported file type '\.txt'; use one of ") as info:
        read_points(write(tmp_path, "id,lat,lon\n", "p.txt"))
    assert info.value.source == str(tmp_path / "p.txt")
    assert ", ".join(sorted(FORMATS)) in str(info.value)
    with pytest.raises(
        InputError, match=r"unsupported output type '\(none\)'; use one of "
    ) as info:
        write_sheets(tmp_path / "statements", {"s": pd.DataFrame({"a": [1]})})
    assert ", ".join(sorted(TABLE_FORMATS)) in str(info.value)
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=gpd.points_from_xy([37.0], [55.0]), crs=4326)
    with pytest.raises(InputError, match=r"unsupported output type '\.csv'; use one of \.geojson"):
        write_boundaries(gdf, tmp_path / "b.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.txt"]  # nothing written
