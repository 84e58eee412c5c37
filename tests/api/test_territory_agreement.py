"""The CLI's "outside Russia" warning and the API's 422 come from one territory
(``data/territory.py``): the same spots are in, the same are out, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apikit import MOSCOW, Api, running_app
from typer.testing import CliRunner

from api import cli
from data.store import Point
from geo.settlements import SettlementLookup

cli._load_commands()

#: (name, lat, lon, inside)
SPOTS = [
    ("Kaliningrad", 54.71, 20.51, True),
    ("Sevastopol", 44.6, 33.5, True),
    ("Anadyr, east of 180", 64.73, 177.51, True),
    ("Uelen, west of 180", 66.16, -169.8, True),
    ("Sochi, a pier 5 km out", 43.548, 39.671, True),
    ("Almaty", 43.25, 76.9, False),
    ("Harbin", 45.75, 126.6, False),
    ("Black Sea, 45 km out", 43.33, 39.35, False),
]


@pytest.fixture(scope="module")
def moscow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("territory") / "moscow.csv"
    rows = "".join(f"M{i},{MOSCOW[0] + i * 0.01},{MOSCOW[1]}\n" for i in range(5))
    p.write_text("id,lat,lon\n" + rows, encoding="utf-8")
    return p


@pytest.fixture
def api(store_url: str, settlements: SettlementLookup) -> Iterator[Api]:
    pts = [Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme")]
    with running_app(store_url, settlements, pts) as (client, service):
        yield Api(client, service, {"partner": "acme"})


def _cli_warns(tmp_path: Path, moscow: Path, lat: float, lon: float) -> bool:
    """Whether ``pvz audit`` says something about the file that ``--allow-outside`` does not
    (the warning about rows outside Russia, whatever its wording)."""
    pts = tmp_path / "points.csv"
    pts.write_text(moscow.read_text(encoding="utf-8") + f"X,{lat},{lon}\n", encoding="utf-8")
    runner = CliRunner()
    outs = []
    for extra in ([], ["--allow-outside"]):
        res = runner.invoke(cli.app, ["audit", str(pts), "-o", str(tmp_path / "o.csv"), *extra])
        assert res.exit_code == 0, res.output
        outs.append(res.output)
    return outs[0] != outs[1] and str(pts) in outs[0]


@pytest.mark.parametrize(("name", "lat", "lon", "inside"), SPOTS, ids=[s[0] for s in SPOTS])
def test_cli_and_api_agree(api: Api, moscow_file: Path, tmp_path: Path, name: str, lat: float,
                           lon: float, inside: bool) -> None:  # fmt: skip
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": lat, "lon": lon})
    assert (r.status_code == 200) is inside, r.text
    if not inside:
        assert r.status_code == 422 and "вне территории" in r.json()["message"]
    assert _cli_warns(tmp_path, moscow_file, lat, lon) is (not inside)


def test_a_configured_territory_is_both_sides(
    tmp_path: Path, settlements: SettlementLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PVZ_TERRITORY_PATH`` moves the CLI's warning with the API's 422."""
    from api.settings import get_settings

    area = tmp_path / "steppe.geojson"
    area.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {}, "geometry": {"type": "Polygon", "coordinates": '
                    '[[[70, 40], [80, 40], [80, 45], [70, 45], [70, 40]]]}}]}')  # fmt: skip
    home = tmp_path / "almaty.csv"
    home.write_text("id,lat,lon\n" + "".join(f"K{i},43.2{i},76.9\n" for i in range(5)))
    almaty, moscow = (43.25, 76.9), MOSCOW
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, [], territory_path=area, territory_buffer_m=0) as (
        client, service,
    ):  # fmt: skip
        api = Api(client, service, {"partner": "acme"})
        for (lat, lon), inside in ((almaty, True), (moscow, False)):
            r = api.call("POST", "/v1/protection/check", "partner", json={"lat": lat, "lon": lon})
            assert (r.status_code == 200) is inside, r.text
    monkeypatch.setenv("PVZ_TERRITORY_PATH", str(area))
    monkeypatch.setenv("PVZ_TERRITORY_BUFFER_M", "0")
    get_settings.cache_clear()
    try:
        assert _cli_warns(tmp_path, home, *moscow)
        assert not _cli_warns(tmp_path, home, *almaty)
    finally:
        get_settings.cache_clear()
