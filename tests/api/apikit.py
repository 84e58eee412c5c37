"""Helpers of the HTTP API tests: a client with a key per role, an app on a store, errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.service import Service
from api.settings import Settings
from data.store import Point
from geo.geodesic import WGS84
from geo.settlements import SettlementLookup

ADMIN = "test-admin-key"
MOSCOW = (55.7558, 37.6173)


def near(lat: float, lon: float, dist_m: float, azimuth: float = 0.0) -> tuple[float, float]:
    """The point ``dist_m`` metres from (lat, lon) along ``azimuth`` degrees, on WGS84."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, azimuth, dist_m)
    return float(lat2), float(lon2)


class Api:
    """A test client with the admin key, an expansion key and one key per named partner.

    ``partners`` maps a key name to a partner id, e.g. ``{"partner": "acme"}``.
    """

    def __init__(self, client: TestClient, service: Service, partners: dict[str, str]) -> None:
        self.client = client
        self.service = service
        self.keys = {"admin": ADMIN}
        bodies: list[tuple[str, dict[str, str]]] = [("expansion", {"role": "expansion"})]
        bodies += [(n, {"role": "partner", "partner_id": p}) for n, p in partners.items()]
        for name, body in bodies:
            r = client.post("/v1/keys", json=body, headers={"X-API-Key": ADMIN})
            assert r.status_code == 201, r.text
            self.keys[name] = r.json()["key"]

    def call(self, method: str, path: str, who: str | None, **kw: Any) -> Any:
        """Send a request with the key of ``who`` (a role name, or a raw key)."""
        headers = kw.pop("headers", {})
        if who is not None:
            headers["X-API-Key"] = self.keys.get(who, who)
        return self.client.request(method, path, headers=headers, **kw)


def make_service(url: str, settlements: SettlementLookup, **overrides: Any) -> Service:
    """A service on the store at ``url`` with the test admin key and immediate sync."""
    settings = Settings(database_url=url, bootstrap_admin_key=SecretStr(ADMIN), sync_interval_s=0,
                        **overrides)  # fmt: skip
    return Service(settings, settlements=settlements)


@contextmanager
def running_app(
    url: str, settlements: SettlementLookup, points: Sequence[Point], **overrides: Any
) -> Iterator[tuple[TestClient, Service]]:
    """An app on a store seeded with ``points``; closes the service afterwards."""
    service = make_service(url, settlements, **overrides)
    try:
        service.store.seed_points(list(points), actor="test", reason="fixture")
        service.sync(force=True)
        with TestClient(create_app(service.settings, service=service)) as client:
            yield client, service
    finally:
        service.close()


def error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error answer: its status, a JSON body with ``error`` and a message."""
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) >= {"error", "message"} and body["message"]
    if code:
        assert body["error"] == code
    return body
