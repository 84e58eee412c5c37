"""The map UI's small read-only routes: /map/config.json, /map/me.json, /map/violations.json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apikit import Api, error, running_app

from data.store import Point
from geo.geodesic import WGS84
from geo.settlements import SettlementLookup

# two live points 300 m apart (an admin's legacy pair), a postamat next to them, and one alone
_lon2, _lat2, _ = WGS84.fwd(37.60, 55.70, 90.0, 300.0)
POINTS = [
    Point(id="V1", lat=55.70, lon=37.60, radius_m=500.0, kind="partner", status="active"),
    Point(id="V2", lat=float(_lat2), lon=float(_lon2), radius_m=500.0, kind="own",
          status="paused"),
    Point(id="V3", lat=55.7005, lon=37.6005, radius_m=500.0, kind="postamat", status="active"),
    Point(id="V4", lat=64.4237, lon=-173.2258, radius_m=1000.0, kind="partner", status="active"),
]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path, settlements: SettlementLookup) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, POINTS, tile_url="https://t.example/{z}/{x}/{y}.png",
                     tile_attribution="© Example") as (client, service):  # fmt: skip
        yield Api(client, service, {"partner": "acme"})


def test_config_names_tiles_and_who_protects(api: Api) -> None:
    r = api.call("GET", "/map/config.json", None)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tile_url"] == "https://t.example/{z}/{x}/{y}.png"
    assert body["tile_attribution"] == "© Example"
    assert body["protecting_kinds"] == ["partner", "own"]
    assert body["protecting_statuses"] == ["active", "paused"]
    assert body["whitespace"] is True and body["scoring"] is True  # the page offers them


def test_default_tiles_are_openstreetmap() -> None:
    from api.settings import Settings

    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.tile_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap contributors" in s.tile_attribution


ROLES = [("admin", "admin", None), ("expansion", "expansion", None),
         ("partner", "partner", "acme")]  # fmt: skip


@pytest.mark.parametrize(("who", "role", "partner"), ROLES)
def test_me_names_the_role(api: Api, who: str, role: str, partner: str | None) -> None:
    r = api.call("GET", "/map/me.json", who)
    assert r.status_code == 200, r.text
    assert r.json() == {"role": role, "partner_id": partner}


def test_me_needs_a_key(api: Api) -> None:
    error(api.call("GET", "/map/me.json", None), 401)


def test_violations_carry_coordinates(api: Api) -> None:
    r = api.call("GET", "/map/violations.json", "expansion")
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [(v["a_id"], v["b_id"]) for v in rows] in ([("V1", "V2")], [("V2", "V1")])
    v = rows[0]
    where = {p.id: [p.lat, p.lon] for p in POINTS}
    assert v["a"] == where[v["a_id"]] and v["b"] == where[v["b_id"]]
    assert v["distance_m"] == pytest.approx(300.0, abs=1e-3) and v["radius_m"] == 500.0


def test_violations_are_not_for_partners(api: Api) -> None:
    error(api.call("GET", "/map/violations.json", "partner"), 403)


def test_settlements_name_their_region(api: Api) -> None:
    rows = api.call("GET", "/map/settlements.json", None).json()
    by_name: dict[str, list[list[object]]] = {}
    for r in rows:
        by_name.setdefault(str(r[1]), []).append(r)
    assert by_name["Казань"][0][6:] == ["Республика Татарстан", "Republic of Tatarstan"]
    assert by_name["Севастополь"][0][6] == "Севастополь"
    assert by_name["Балашиха"][0][6] == "Московская область"
    same = by_name["Первомайский"]
    assert len(same) >= 5 and len({str(r[6]) for r in same}) == len(same)
    assert all(r[6] and r[7] for r in rows)  # every bundled place has its region
