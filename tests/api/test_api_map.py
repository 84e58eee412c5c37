"""The map UI's small read-only routes: /map/config.json, /map/me.json, /map/violations.json."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
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


class _Nominatim(http.server.BaseHTTPRequestHandler):
    """A Nominatim-compatible /search on loopback: the answer names the query it got."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path != "/search" or q.get("format") != ["jsonv2"]:
            self.send_error(404)
            return
        text = q["q"][0]
        rows = [] if text == "nowhere" else [
            {"display_name": f"{text}, Москва, Россия", "lat": "55.7601", "lon": "37.6186"},
            {"display_name": "no position", "lat": "x", "lon": "1"},
            {"display_name": f"{text}, Казань", "lat": "55.79", "lon": "49.12"},
        ]  # fmt: skip
        body = json.dumps(rows if text != "broken" else {"error": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def nominatim() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Nominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_geocode_off_by_default_then_through_the_configured_geocoder(
    api: Api, nominatim: str
) -> None:
    r = api.call("GET", "/map/geocode.json?q=Тверская 1", "expansion")
    error(r, 404)
    assert "PVZ_GEOCODER_URL" in r.json()["message"]
    assert api.call("GET", "/map/config.json", None).json()["geocoder"] is False
    api.service.settings.geocoder_url = nominatim
    try:
        assert api.call("GET", "/map/config.json", None).json()["geocoder"] is True
        r = api.call("GET", "/map/geocode.json?q=Тверская 1", "expansion")
        assert r.status_code == 200, r.text
        assert r.json() == [  # the row without a position is skipped
            {"name": "Тверская 1, Москва, Россия", "lat": 55.7601, "lon": 37.6186},
            {"name": "Тверская 1, Казань", "lat": 55.79, "lon": 49.12},
        ]
        assert api.call("GET", "/map/geocode.json?q=nowhere", "partner").json() == []
        error(api.call("GET", "/map/geocode.json?q=broken", "expansion"), 502)
        error(api.call("GET", "/map/geocode.json?q=ab", "expansion"), 422)  # too short
        error(api.call("GET", "/map/geocode.json?q=Тверская", None), 401)
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}"
        api.service.settings.geocoder_url = closed
        r = api.call("GET", "/map/geocode.json?q=Тверская 1", "expansion")
        error(r, 502)
        assert "did not answer" in r.json()["message"]
        api.service.settings.geocoder_url = "file:///etc"  # never a local file
        error(api.call("GET", "/map/geocode.json?q=passwd", "expansion"), 502)
    finally:
        api.service.settings.geocoder_url = ""
