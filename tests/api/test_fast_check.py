"""The fast lane of ``POST /v1/protection/check`` answers exactly as the full application.

Each request goes once through the app (fast lane in front) and once through the same app
without :class:`api.fast_check.FastCheck`; status, content type and body bytes must agree.
No timing is asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apikit import ADMIN, MOSCOW, make_service, near
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr

import api.fast_check as fast_check
from api.app import create_app
from api.auth import Caller, KeyCache, create_key, get_caller, get_service, hash_key, refresh_key
from api.fast_check import CHECK_PATH, FastCheck
from api.routes import protection
from api.schemas import CheckRequest
from api.service import Service
from api.settings import Settings
from data.store import Point
from geo.settlements import SettlementLookup
from planning.demo import demo_network


@pytest.fixture(scope="module")
def lanes(
    tmp_path_factory: pytest.TempPathFactory, settlements: SettlementLookup
) -> Iterator[tuple[TestClient, TestClient, Service, str]]:
    """(client with the fast lane, client without it, the shared service, a partner key)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fast')}/pvz.db"
    service = make_service(url, settlements, partner_checks_per_minute=0)  # no rate limit here
    df = demo_network(2000, seed=5, settlements=settlements)
    points = [Point(id=str(r.id), lat=float(r.lat), lon=float(r.lon), radius_m=float(r.radius_m),
                    kind=str(r.kind), status=str(r.status), created_at="2026-01-01T00:00:00Z",
                    updated_at="2026-01-01T00:00:00Z") for r in df.itertuples()]  # fmt: skip
    lat, lon = MOSCOW
    points.append(Point(id="M1", lat=lat, lon=lon, radius_m=500.0, kind="partner",
                        status="active", created_at="2026-01-01T00:00:00Z",
                        updated_at="2026-01-01T00:00:00Z"))  # fmt: skip
    service.store.seed_points(points, actor="test", reason="fixture")
    service.sync(force=True)
    fast = create_app(service.settings, service=service)
    slow = create_app(service.settings, service=service)
    slow.user_middleware = [m for m in slow.user_middleware if m.cls is not FastCheck]
    assert len(slow.user_middleware) == len(fast.user_middleware) - 1
    try:
        with TestClient(fast) as cf, TestClient(slow) as cs:
            r = cf.post("/v1/keys", json={"role": "partner", "partner_id": "p1"},
                        headers={"X-API-Key": ADMIN})  # fmt: skip
            assert r.status_code == 201, r.text
            yield cf, cs, service, r.json()["key"]
    finally:
        service.close()


def _same(lanes: Any, key: str | None, content: bytes, ctype: str | None) -> tuple[int, bytes]:
    cf, cs, _, _ = lanes
    headers = {}
    if key is not None:
        headers["X-API-Key"] = key
    if ctype is not None:
        headers["Content-Type"] = ctype
    answers = []
    for client in (cf, cs, cf):  # the fast lane twice: before and after the slow one
        r = client.post(CHECK_PATH, content=content, headers=headers)
        answers.append((r.status_code, r.headers.get("content-type"), r.content))
    assert answers[0] == answers[1] == answers[2]
    return answers[0][0], answers[0][2]


def _cases() -> list[tuple[str, bytes, str | None, int]]:
    lat, lon = MOSCOW
    blat, blon = near(lat, lon, 300.0, 45.0)
    far = near(lat, lon, 30_000.0, 10.0)
    return [
        ("blocked", f'{{"lat": {blat}, "lon": {blon}}}'.encode(), "application/json", 200),
        ("far", f'{{"lat": {far[0]}, "lon": {far[1]}}}'.encode(), "application/json", 200),
        ("kind", f'{{"lat": {blat}, "lon": {blon}, "kind": "postamat"}}'.encode(),
         "application/json", 422),  # a partner checks kind partner only
        ("charset", b'{"lat": 65.0, "lon": -179.995}', "application/json; charset=utf-8", 200),
        ("open country", b'{"lat": 69.7, "lon": 170.3}', "application/json", 200),
        ("unknown kind", b'{"lat": 55.0, "lon": 37.0, "kind": "kiosk"}', "application/json", 422),
        ("lat 91", b'{"lat": 91, "lon": 37.0}', "application/json", 422),
        ("int lat", b'{"lat": 55, "lon": 37}', "application/json", 200),
        ("string lat", b'{"lat": "55.0", "lon": 37.0}', "application/json", 422),
        ("NaN", b'{"lat": NaN, "lon": 37.0}', "application/json", 422),
        ("extra field", b'{"lat": 55.0, "lon": 37.0, "x": 1}', "application/json", 422),
        ("not JSON", b'{"lat": 55.0,', "application/json", 422),
        ("empty", b"", "application/json", 422),
        ("a list", b"[55.0, 37.0]", "application/json", 422),
        ("text/plain", b'{"lat": 55.0, "lon": 37.0}', "text/plain", 422),
        ("no type", b'{"lat": 55.0, "lon": 37.0}', None, 422),
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "ctype", "status"), _cases(), ids=lambda x: x)
def test_fast_lane_answers_as_the_app(
    lanes: Any, name: str, content: bytes, ctype: str | None, status: int
) -> None:
    got, body = _same(lanes, lanes[3], content, ctype)
    assert got == status, body


@pytest.mark.parametrize("key", [None, "", "pvz_unknown", ADMIN])
def test_fast_lane_keys_as_the_app(lanes: Any, key: str | None) -> None:
    status, _ = _same(lanes, key, b'{"lat": 55.0, "lon": 37.0}', "application/json")
    assert status == (200 if key == ADMIN else 401)


def test_fast_lane_is_taken_for_a_known_key(lanes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cf, _, _, key = lanes
    taken: list[object] = []
    answer = fast_check._answer

    def spy(*args: Any, **kw: Any) -> Any:  # a partner's answer: in a thread
        out = answer(*args, **kw)
        taken.append(out)
        return out

    monkeypatch.setattr(fast_check, "_answer", spy)
    cf.app.state.key_cache.clear()  # a key this worker has not seen: the app checks it
    r = cf.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers={"X-API-Key": key})
    assert r.status_code == 200 and taken == []  # not admitted: no answer computed
    r = cf.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers={"X-API-Key": key})
    assert r.status_code == 200 and taken[-1] == r.json()  # now known: the fast lane
    r = cf.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0, "kind": "kiosk"},
                headers={"X-API-Key": key})  # fmt: skip
    assert r.status_code == 422 and taken[-1] is None  # left to the app


def test_route_dependencies_are_the_ones_the_fast_lane_replicates(lanes: Any) -> None:
    """Adding a dependency to the route (a rate limit, an audit) must revisit api/fast_check."""
    cf = lanes[0]
    routes = protection.router.routes
    (route,) = [r for r in routes if isinstance(r, APIRoute) and r.path == CHECK_PATH]
    assert [d.call for d in route.dependant.dependencies] == [get_caller, get_service,
                                                              protection.language]  # fmt: skip
    assert [p.field_info.annotation for p in route.dependant.body_params] == [CheckRequest]
    assert not route.dependencies and not protection.router.dependencies
    assert not cf.app.router.dependencies


def test_fast_lane_passes_other_requests(lanes: Any, tmp_path: Path) -> None:
    cf = lanes[0]
    assert cf.get("/health").status_code == 200
    assert cf.get(CHECK_PATH, headers={"X-API-Key": ADMIN}).status_code == 405
    r = cf.post("/v1/protection/check-batch", json={"candidates": [{"lat": 55.0, "lon": 37.0}]},
                headers={"X-API-Key": ADMIN})  # fmt: skip
    assert r.status_code == 200 and r.json()["n"] == 1


# ------------------------------------------------------- one limiter call, store reads off the loop
def _app(url: str, settlements: SettlementLookup, fast: bool, **overrides: Any) -> Any:
    settings = Settings(**{"database_url": url, "bootstrap_admin_key": SecretStr(ADMIN),
                           "sync_interval_s": 0, **overrides})  # fmt: skip
    service = Service(settings, settlements=settlements)
    app = create_app(service.settings, service=service)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FastCheck]
    return app, service


def _wait_for(cond: Any, what: str) -> None:
    """Wait for work done in a thread (a generous bound, not a speed requirement)."""
    deadline = time.monotonic() + 30.0
    while not cond():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("fast", [True, False], ids=["fast lane", "app only"])
def test_a_check_is_counted_once_whichever_lane_answers(
    tmp_path: Path, settlements: SettlementLookup, fast: bool
) -> None:
    """Staff limit 4 a minute: 1 answer, 2 errors that the fast lane counts and leaves to the
    app (an unknown kind), 1 answer; the fifth check is over the limit in both lanes."""
    app, service = _app(f"sqlite:///{tmp_path}/pvz.db", settlements, fast,
                        staff_checks_per_minute=4)  # fmt: skip
    calls: list[int] = []
    allows = service.limits.allows
    service.limits.allows = lambda *a: calls.append(1) or allows(*a)  # type: ignore[method-assign]
    h = {"X-API-Key": ADMIN}
    try:
        with TestClient(app) as c:
            assert c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers=h).status_code == 200
            for _ in range(2):
                r = c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0, "kind": "kiosk"}, headers=h)
                assert r.status_code == 422 and "kiosk" in r.json()["message"]
            assert c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers=h).status_code == 200
            r = c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers=h)
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            r = c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0, "kind": "kiosk"}, headers=h)
            assert r.status_code == 429  # over the limit: not answered, not counted
    finally:
        service.close()
    # one call to the limiter per check in the fast lane (the 5 after the first, whose key was
    # new); the app's own count is RateLimits.hit
    assert len(calls) == (5 if fast else 0)


def test_refresh_key_renews_or_drops_the_entry(
    tmp_path: Path, settlements: SettlementLookup
) -> None:
    service = make_service(f"sqlite:///{tmp_path}/pvz.db", settlements, key_cache_s=2.0)
    try:
        token, record = create_key(service, "expansion")
        digest = hash_key(token)
        cache = KeyCache(2.0)
        assert not cache.due(digest)  # no entry
        old = Caller(record.key_id, "admin")  # the role as once read: the store says otherwise
        cache.put(digest, old, read_at=time.monotonic() - 1.5)  # 0.5 s of trust left
        assert cache.fresh(digest) == old and cache.due(digest)
        refresh_key(service, cache, digest)
        assert cache.fresh(digest) == Caller(record.key_id, "expansion") and not cache.due(digest)
        service.store.revoke_key(record.key_id, actor="another worker")
        refresh_key(service, cache, digest)
        assert digest not in cache
        refresh_key(service, cache, hash_key("pvz_never_issued"))
        assert hash_key("pvz_never_issued") not in cache
        assert not KeyCache(0.0).due(digest)  # no cache: nothing to read ahead
    finally:
        service.close()


def test_fast_lane_reads_a_due_key_again_in_a_thread(
    tmp_path: Path, settlements: SettlementLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, service = _app(f"sqlite:///{tmp_path}/pvz.db", settlements, True, key_cache_s=2.0)
    seen: list[str] = []

    def spy(svc: Any, cache: KeyCache, digest: str) -> None:
        seen.append(digest)
        refresh_key(svc, cache, digest)

    monkeypatch.setattr(fast_check, "refresh_key", spy)
    h = {"X-API-Key": ADMIN}
    digest = hash_key(ADMIN)
    try:
        with TestClient(app) as c:
            assert c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers=h).status_code == 200
            assert not seen  # read by the app just now: not due
            cache: KeyCache = app.state.key_cache
            caller, _ = cache[digest]
            cache.put(digest, caller, read_at=time.monotonic() - 1.1)  # due, still fresh
            before = cache[digest][1]
            assert c.post(CHECK_PATH, json={"lat": 55.0, "lon": 37.0}, headers=h).status_code == 200
            _wait_for(lambda: cache[digest][1] > before, "the entry renewed")
            assert seen == [digest]
    finally:
        service.close()


def test_fast_lane_replays_the_audit_log_in_a_thread(
    tmp_path: Path, settlements: SettlementLookup
) -> None:
    """With a long sync interval a check in line would not replay the log for a minute; the
    fast lane replays it in a thread (here at its first request), so another worker's
    point blocks the spot without waiting for that minute."""
    url = f"sqlite:///{tmp_path}/pvz.db"
    app, service = _app(url, settlements, True, sync_interval_s=60.0)
    other = make_service(url, settlements)  # another worker on the same store
    lat, lon = MOSCOW
    h = {"X-API-Key": ADMIN}
    try:
        with TestClient(app) as c:
            other.create_point({"id": "W2", "lat": lat, "lon": lon}, actor="other")
            assert service.indexed_points == 0
            c.post(CHECK_PATH, json={"lat": lat, "lon": lon}, headers=h)  # starts the replay
            _wait_for(lambda: service.indexed_points == 1, "the other worker's point indexed")
            r = c.post(CHECK_PATH, json={"lat": lat, "lon": lon}, headers=h).json()
            assert not r["allowed"] and [x["point_id"] for x in r["conflicts"]] == ["W2"]
    finally:
        other.close()
        service.close()
