"""Input edges, one policy for both stores (issue 13): control characters, deep JSON,
ASCII-only numbers and months, plain bbox numbers, a radius minimum, clear body errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apikit import MOSCOW, Api, error, running_app

from data.store import Point
from geo.settlements import SettlementLookup

POINTS = [Point(id=f"P{i}", lat=MOSCOW[0] + i * 0.02, lon=MOSCOW[1], radius_m=500.0,
                opened_on="2020-01-01") for i in range(3)]  # fmt: skip


@pytest.fixture
def api(store_url: str, settlements: SettlementLookup) -> Iterator[Api]:
    with running_app(store_url, settlements, POINTS) as (client, service):
        yield Api(client, service, {"partner": "acme"})


def loc_of(r: Any) -> list[Any]:
    body = error(r, 422, "invalid_input")
    return list(body["detail"][0]["loc"])


def test_probe(api: Api) -> None:
    for path in [
        "/v1/points/%00",
        "/v1/points?status=%00",
        "/v1/points?limit=%205",
        "/v1/points?limit=%E0%A5%AB",
        "/v1/points/P0/rewards?month=%E0%A5%A8%E0%A5%A6%E0%A5%A8%E0%A5%AA-%E0%A5%A6%E0%A5%A7",
        "/v1/points/P0/rewards?month=2020-10%20",
        "/v1/points?bbox=1_0,1,2,3",
    ]:
        r = api.call("GET", path, "admin")
        print(path, r.status_code, r.text[:300])
    for body in [b"[" * 100_000, b"{", b"\xff\xfe", b""]:
        for p in ["/v1/orders", "/v1/protection/check", "/v1/points"]:
            r = api.call(
                "POST", p, "admin", content=body, headers={"Content-Type": "application/json"}
            )
            print(p, body[:5], r.status_code, r.text[:200])
    r = api.call(
        "POST", "/v1/points", "admin", json={"lat": 56.5, "lon": 37.0, "address": "a\u0000b"}
    )
    print(r.status_code, r.text[:300])
    r = api.call("POST", "/v1/points", "admin", json={"lat": 56.5, "lon": 37.0, "radius_m": 5e-324})
    print(r.status_code, r.text[:300])
    r = api.call(
        "POST", "/v1/points", "admin", json={"lat": 56.5, "lon": 37.0, "opened_on": "२०२०-०१-०१"}
    )
    print(r.status_code, r.text[:300])
    r = api.call(
        "POST", "/v1/points", "admin", json={"lat": 56.5, "lon": 37.0, "opened_on": " 2020-01-01"}
    )
    print(r.status_code, r.text[:300])
