"""What a partner sees of blockers and decisions: another partner's reservation to the day
only, its own blockers named as its own with their ids, no staff key ids, and a listing that
never claims there is no free spot when it did not look (SQLite and PostGIS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from apikit import MOSCOW, Api, near, running_app

from data.store import Point
from geo.settlements import SettlementLookup

SPOT = (61.5, 61.5)


@pytest.fixture
def api(store_url: str, settlements: SettlementLookup) -> Iterator[Api]:
    points = [Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme")]
    with running_app(store_url, settlements, points) as (client, service):
        yield Api(client, service, {"partner": "acme", "other": "globex"})


def _apply(api: Api, who: str, lat: float, lon: float) -> dict[str, Any]:
    r = api.call("POST", "/v1/applications", who, json={"lat": lat, "lon": lon})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _check(api: Api, who: str, lat: float, lon: float) -> dict[str, Any]:
    r = api.call("POST", "/v1/protection/check", who, json={"lat": lat, "lon": lon})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_another_partners_reservation_shows_its_day_only(api: Api) -> None:
    a1 = _apply(api, "partner", *SPOT)
    assert a1["status"] == "pending" and "T" in a1["reserved_until"]  # own: the full time
    lat, lon = near(*SPOT, 400.0)
    refused = _apply(api, "other", lat, lon)
    c = refused["conflicts"][0]
    assert c["kind"] == "reservation" and c["point_id"] is None
    assert DAY.match(c["reserved_until"]) and c["reserved_until"] == a1["reserved_until"][:10]
    assert "другой заявкой" in refused["message"]
    chk = _check(api, "other", lat, lon)["conflicts"][0]
    assert chk["point_id"] is None and DAY.match(chk["reserved_until"])
    got = api.call("GET", f"/v1/applications/{refused['id']}", "other").json()
    assert DAY.match(got["conflicts"][0]["reserved_until"])
    # staff see the exact time and the id
    staff = _check(api, "expansion", lat, lon)["conflicts"][0]
    assert staff["point_id"] == a1["id"] and staff["reserved_until"] == a1["reserved_until"]


def test_own_reservation_and_point_are_named_as_own(api: Api) -> None:
    a1 = _apply(api, "partner", *SPOT)
    lat, lon = near(*SPOT, 400.0)
    refused = _apply(api, "partner", lat, lon)
    c = refused["conflicts"][0]
    assert c["point_id"] == a1["id"] and c["kind"] == "reservation"
    assert "вашей же заявкой" in refused["message"] and a1["id"] in refused["message"]
    assert "другой заявкой" not in refused["message"]
    chk = _check(api, "partner", lat, lon)
    assert chk["conflicts"][0]["point_id"] == a1["id"] and a1["id"] in chk["message"]
    en = api.call("POST", "/v1/protection/check", "partner", json={"lat": lat, "lon": lon},
                  headers={"Accept-Language": "en"}).json()  # fmt: skip
    assert "your own application " + a1["id"] in en["message"]
    # its own live point P1, by id; another partner checking there learns no id
    plat, plon = near(*MOSCOW, 200.0)
    mine = _check(api, "partner", plat, plon)
    assert mine["conflicts"][0]["point_id"] == "P1" and "ваш же пункт выдачи P1" in mine["message"]
    theirs = _check(api, "other", plat, plon)
    assert theirs["conflicts"][0]["point_id"] is None and "P1" not in str(theirs)
    assert "работает пункт выдачи сети" in theirs["message"]


def test_partner_sees_staff_as_staff(api: Api) -> None:
    a1 = _apply(api, "partner", *SPOT)
    r = api.call("POST", f"/v1/applications/{a1['id']}/approve", "expansion", json={})
    assert r.status_code == 200, r.text
    assert r.json()["decided_by"].startswith("expansion:k-")  # staff see the key
    for got in (
        api.call("GET", f"/v1/applications/{a1['id']}", "partner").json(),
        api.call("GET", "/v1/applications", "partner").json()["applications"][0],
    ):
        assert got["decided_by"] == "staff" and "k-" not in str(got)
    lat, lon = near(*SPOT, 3000.0)
    a2 = _apply(api, "partner", lat, lon)
    r = api.call("POST", f"/v1/applications/{a2['id']}/withdraw", "partner")
    assert r.status_code == 200 and r.json()["decided_by"] == "partner"


def test_listing_does_not_claim_no_free_spot(api: Api) -> None:
    _apply(api, "partner", *SPOT)
    lat, lon = near(*SPOT, 400.0)
    refused = _apply(api, "other", lat, lon)
    assert refused["suggestions"]  # free spots exist nearby
    listed = api.call("GET", "/v1/applications?status=refused", "other").json()
    (item,) = listed["applications"]
    assert item["id"] == refused["id"] and item["suggestions"] is None
    assert "Свободного места" not in item["message"] and "нет." not in item["message"]
    assert item["message"].startswith("Здесь открыть пункт нельзя")
    one = api.call("GET", f"/v1/applications/{refused['id']}", "other").json()
    assert one["suggestions"] and "Ближайшее место" in one["message"]
