"""``pvz settlements build``: settlement polygons from a small OSM file the test writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api import cli
from data.boundaries import load_boundaries
from data.osm_boundaries import (
    build_boundaries,
    parse_osm_population,
    same_settlement_name,
    write_boundaries,
)
from geo.settlements import SettlementLookup

#: no bundled places (one in the Gulf of Guinea, far from every test point): polygons only
NO_PLACES = pd.DataFrame({"name": ["-"], "lat": [0.0], "lon": [0.0], "population": [0]})
cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")


def osm_xml(
    nodes: dict[int, tuple[float, float, dict[str, str]]],
    ways: dict[int, tuple[list[int], dict[str, str]]],
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]],
) -> str:
    def tags(t: dict[str, str]) -> str:
        return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in t.items())

    out = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="pvz-test">']
    for i, (lat, lon, t) in sorted(nodes.items()):
        out.append(f'<node id="{i}" version="1" lat="{lat}" lon="{lon}">{tags(t)}</node>')
    for i, (refs, t) in sorted(ways.items()):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{i}" version="1">{nds}{tags(t)}</way>')
    for i, (members, t) in sorted(relations.items()):
        ms = "".join(f'<member type="{ty}" ref="{r}" role="{ro}"/>' for ty, r, ro in members)
        out.append(f'<relation id="{i}" version="1">{ms}{tags(t)}</relation>')
    out.append("</osm>")
    return "\n".join(out)


def ring(
    first_id: int, corners: list[tuple[float, float]]
) -> dict[int, tuple[float, float, dict[str, str]]]:
    """Nodes ``first_id, first_id + 1, ...`` at (lat, lon) corners."""
    return {first_id + k: (lat, lon, {}) for k, (lat, lon) in enumerate(corners)}


def closed(first_id: int, n: int) -> list[int]:
    return [*range(first_id, first_id + n), first_id]


ADMIN = {"type": "boundary", "boundary": "administrative"}


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
    # the city: a boundary relation, outer ring 10 and an inner ring 11 (the enclave),
    # its place and population on its label node
    nodes |= ring(1, [(60.0, 30.0), (60.0, 30.4), (60.2, 30.4), (60.2, 30.0)])
    nodes |= ring(5, [(60.05, 30.1), (60.05, 30.2), (60.1, 30.2), (60.1, 30.1)])
    nodes[100] = (
        60.15,
        30.3,
        {
            "place": "city",
            "name": "Городск",
            "name:ru": "Городск",
            "name:en": "Gorodsk",
            "population": "1 250 000",
        },
    )
    # the enclave: a village with its own boundary (the same closed way)
    # a village drawn as a place area, population with a comma
    nodes |= ring(20, [(60.0, 31.0), (60.0, 31.1), (60.1, 31.1), (60.1, 31.0)])
    # a hamlet area without population
    nodes |= ring(30, [(61.0, 31.0), (61.0, 31.05), (61.05, 31.05), (61.05, 31.0)])
    # the Chukotka town across 180 degrees (65 N): boundary whose admin_centre has its name
    nodes |= ring(40, [(64.9, 179.9), (64.9, -179.9), (65.1, -179.9), (65.1, 179.9)])
    nodes[140] = (65.0, 179.95, {"place": "town", "name": "Эгвекинот", "population": "3 000"})
    # its district: admin_centre is the same town, but the district is not the town
    nodes |= ring(50, [(64.5, 179.0), (64.5, -179.0), (65.5, -179.0), (65.5, 179.0)])
    ways = {
        10: (closed(1, 4), {}),
        11: (closed(5, 4), {"boundary": "administrative", "admin_level": "8",
                            "place": "village", "name": "Деревня", "population": "350"}),
        20: (closed(20, 4), {"place": "village", "name": "Село", "population": "12,345"}),
        30: (closed(30, 4), {"place": "hamlet", "name": "Хутор"}),
        40: (closed(40, 4), {}),
        50: (closed(50, 4), {}),
    }  # fmt: skip
    relations = {
        1: ([("way", 10, "outer"), ("way", 11, "inner"), ("node", 100, "label")],
            {**ADMIN, "admin_level": "6", "name": "городской округ Городск"}),
        2: ([("way", 40, "outer"), ("node", 140, "admin_centre")],
            {**ADMIN, "admin_level": "8", "name": "городское поселение Эгвекинот"}),
        3: ([("way", 50, "outer"), ("node", 140, "admin_centre")],
            {**ADMIN, "admin_level": "6", "name": "Иультинский район", "population": "5000"}),
    }  # fmt: skip
    path = tmp_path_factory.mktemp("osm") / "test.osm"
    path.write_text(osm_xml(nodes, ways, relations), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1 500 000", 1_500_000), ("12,345", 12_345), ("640", 640), ("~500", 500),
     ("около 300", 300), ("5000 (2010)", 5000), ("1200;1300", 1200), ("abc", None),
     ("", None), (None, None), ("1.5", None), ("-5", None),
     ("99999999999999999999", None)],
)  # fmt: skip
def test_parse_osm_population(raw: str | None, expected: int | None) -> None:
    assert parse_osm_population(raw) == expected


def test_same_settlement_name() -> None:
    assert same_settlement_name("городской округ Кострома", "Кострома")
    assert same_settlement_name("Городское поселение «Город Кострома»", "Кострома")
    assert same_settlement_name("сельское поселение Ёлкино", "Елкино")
    assert not same_settlement_name("Иультинский район", "Эгвекинот")
    assert not same_settlement_name("городской округ", "")


def test_build_and_locate(osm_file: Path, tmp_path: Path) -> None:
    gdf, stats = build_boundaries(osm_file)
    got = gdf.drop(columns="geometry").sort_values("osm_id").reset_index(drop=True)
    assert got.to_dict("records") == [
        {"name": "Городск", "name_ru": "Городск", "population": 1_250_000, "place": "city",
         "admin_level": "6", "osm_id": "r1"},
        {"name": "Эгвекинот", "name_ru": "Эгвекинот", "population": 3000, "place": "town",
         "admin_level": "8", "osm_id": "r2"},
        {"name": "Деревня", "name_ru": "Деревня", "population": 350, "place": "village",
         "admin_level": "8", "osm_id": "w11"},
        {"name": "Село", "name_ru": "Село", "population": 12_345, "place": "village",
         "admin_level": "", "osm_id": "w20"},
        {"name": "Хутор", "name_ru": "Хутор", "population": 0, "place": "hamlet",
         "admin_level": "", "osm_id": "w30"},
    ]  # fmt: skip
    assert (stats.settlements, stats.without_population, stats.split_at_antimeridian) == (5, 1, 1)
    assert stats.boundaries_skipped == 1  # the district
    assert "5 settlements" in stats.summary() and "1 without population" in stats.summary()

    for name in ("b.gpkg", "b.geojson"):
        write_boundaries(gdf, tmp_path / name)
        loaded = load_boundaries(tmp_path / name)
        look = SettlementLookup(NO_PLACES, polygons=loaded)
        spots = {
            (60.07, 30.15): "Деревня",  # in the enclave
            (60.15, 30.35): "Городск",  # in the city, outside the enclave
            (60.05, 31.05): "Село",
            (61.02, 31.02): "Хутор",
            (65.0, 179.95): "Эгвекинот",  # east of 180
            (65.0, -179.95): "Эгвекинот",  # west of 180
            (65.0, 179.2): None,  # the district, not the town
            (65.0, 40.0): None,  # the complement of the Chukotka ring is nothing
        }
        loc = look.locate([k[0] for k in spots], [k[1] for k in spots])
        assert dict(zip(spots, loc.name.tolist(), strict=True)) == spots, name


def test_cli_build(osm_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "settlements.gpkg"
    res = runner.invoke(cli.app, ["settlements", "build", str(osm_file), "-o", str(out),
                                  "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "5 settlements" in res.output and "1 without population" in res.output
    assert str(out) in res.output
    assert len(load_boundaries(out)) == 5
    # the file serves as --boundaries for pvz check
    pts = tmp_path / "p.csv"
    cands = tmp_path / "c.csv"
    pd.DataFrame({"id": ["a"], "lat": [60.15], "lon": [30.35]}).to_csv(pts, index=False)
    pd.DataFrame({"id": ["x", "y"], "lat": [60.07, 65.0], "lon": [30.15, -179.95]}).to_csv(
        cands, index=False
    )
    res = runner.invoke(cli.app, ["check", str(pts), str(cands), "-o", str(tmp_path / "o.csv"),
                                  "--boundaries", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    o = pd.read_csv(tmp_path / "o.csv").set_index("id")
    assert o["settlement"].tolist() == ["Деревня", "Эгвекинот"]
    assert o["radius_m"].tolist() == [1000, 1000]


@pytest.mark.parametrize(
    ("name", "content", "out", "fragment"),
    [
        ("missing.osm.pbf", None, "o.gpkg", "file not found"),
        ("empty.osm", "", "o.gpkg", "the file is empty"),
        ("junk.osm", "<osm><node", "o.gpkg", "not a readable OSM file"),
        ("notes.txt", "hello", "o.gpkg", "not an OSM file name"),
        ("ok.osm", None, "o.csv", "unsupported output type '.csv'"),
    ],
)
def test_cli_build_bad_input(osm_file: Path, tmp_path: Path, name: str, content: str | None,
                             out: str, fragment: str) -> None:  # fmt: skip
    src = tmp_path / name
    if content is not None:
        src.write_text(content)
    elif name == "ok.osm":
        src.write_bytes(osm_file.read_bytes())
    res = runner.invoke(cli.app, ["settlements", "build", str(src), "-o", str(tmp_path / out),
                                  "--no-progress"])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and fragment in res.output, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / out).exists()


def test_node_cache_option(osm_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.geojson"
    cache = tmp_path / "nodes.cache"
    res = runner.invoke(cli.app, ["settlements", "build", str(osm_file), "-o", str(out),
                                  "--no-progress", "--node-cache",
                                  f"sparse_file_array,{cache}"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(load_boundaries(out)) == 5
    for bad, msg in (("foo", "unknown node cache 'foo'"), ("dense_file_array", "needs a file")):
        res = runner.invoke(cli.app, ["settlements", "build", str(osm_file), "-o", str(out),
                                      "--no-progress", "--node-cache", bad])  # fmt: skip
        assert res.exit_code == 2 and msg in res.output, res.output


def test_no_settlements_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "none.osm"
    src.write_text(osm_xml({1: (60.0, 30.0, {"amenity": "cafe"})}, {}, {}))
    res = runner.invoke(cli.app, ["settlements", "build", str(src), "-o",
                                  str(tmp_path / "o.gpkg"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 2 and "no settlements found" in res.output, res.output
